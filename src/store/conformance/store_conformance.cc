#include "store/conformance/store_conformance.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "gmock/gmock.h"
#include "model/codec.h"
#include "model/summary.h"

namespace trackly::store::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;
using model::Observation;
using model::ObservationType;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1000 * kMs;
// 2026-11-22T03:08:49Z; every time in the suite is a whole microsecond unless a test says so.
constexpr int64_t kBase = 1'795'314'529 * kSecond;

// A fresh, empty directory per test.
std::string MakeLocation() {
  static std::atomic<int> counter{0};
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = absl::StrCat(info->test_suite_name(), "-", info->name());
  std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              absl::StrCat("trackly-conformance-", getpid(), "-", counter++, "-", name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// Equality of model values, printing their JSON when they differ.
template <typename T>
::testing::AssertionResult Same(const T& actual, const T& expected) {
  if (actual == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\n  actual:   " << model::DumpJson(model::ToJson(actual))
                                       << "\n  expected: " << model::DumpJson(model::ToJson(expected));
}

Observation Span(std::string trace_id, std::string id, std::string parent_id, int64_t start_ms, int64_t duration_ms) {
  Observation o;
  o.trace_id = std::move(trace_id);
  o.id = std::move(id);
  o.parent_id = std::move(parent_id);
  o.name = absl::StrCat("step ", o.id);
  o.start_time_ns = kBase + start_ms * kMs;
  o.end_time_ns = o.start_time_ns + duration_ms * kMs;
  o.status = model::Status::kOk;
  return o;
}

// A root observation that makes a one-span trace.
Observation Root(std::string trace_id, int64_t start_ms, int64_t duration_ms = 100) {
  return Span(trace_id, absl::StrCat(trace_id, "-root"), "", start_ms, duration_ms);
}

// An observation with every field set to something other than its default.
Observation FullObservation() {
  Observation o;
  o.id = "obs-full";
  o.trace_id = "trace-full";
  o.parent_id = "";
  o.name = "chat completion";
  o.type = ObservationType::kGeneration;
  o.status = model::Status::kError;
  o.status_message = "upstream said no";
  o.error_type = "rate_limit";
  o.level = model::Level::kWarning;
  o.start_time_ns = kBase + 123'456'000;
  o.end_time_ns = o.start_time_ns + 1'234'567'000;
  o.completion_start_time_ns = o.start_time_ns + 200'001'000;
  o.model = "gpt-4o-mini";
  o.provider = "openai";
  o.model_parameters = model::Json{{"temperature", 0.25}, {"max_tokens", 256}};
  o.usage = model::Usage{.input_tokens = 120, .output_tokens = 45, .total_tokens = 165,
                         .cache_read_tokens = 20, .cache_write_tokens = 10, .reasoning_tokens = 5};
  o.cost = model::Cost{.input = 0.0012, .output = 0.0034, .total = 0.0046, .source = model::CostSource::kComputed};
  o.input = model::Json::array({model::Json{{"role", "user"}, {"content", "What is the capital of France?"}}});
  o.output = model::Json::array({model::Json{{"role", "assistant"}, {"content", "Paris."}}});
  o.metadata = model::Json{{"request_id", "r-1"}, {"attempt", 2}};
  o.attributes = model::Json{{"http.status_code", 429}, {"vendor.flag", true}, {"list", {1, 2, 3}}};
  o.events = {model::Event{.name = "retry", .time_ns = o.start_time_ns + 5'000, .attributes = {{"attempt", 1}}}};
  o.prompt = model::PromptRef{.name = "capital-question", .version = "7"};
  o.tool = model::ToolRef{.name = "search", .call_id = "call-9"};
  o.environment = "production";
  o.release = "v1.2.3";
  o.service_name = "checkout-api";
  o.retry_count = 2;
  o.trace_hints = model::TraceHints{.trace_name = "geography quiz",
                                    .session_id = "session-full",
                                    .user_id = "user-full",
                                    .feature = "quiz",
                                    .tags = {"beta", "alpha"},
                                    .trace_metadata = {{"tenant", "acme"}},
                                    .trace_input = "capital of France?",
                                    .trace_output = "Paris"};
  return o;
}

absl::Status Write(Store& store, const std::string& project, std::vector<Observation> observations) {
  return WriteAndWait(store, WriteBatch{.project = project, .observations = std::move(observations)});
}

// Writes `batches` concurrently from `threads` threads through the asynchronous Write, and
// returns once every callback ran; counts the callbacks that did not get OK.
int WriteConcurrently(Store& store, const std::string& project, std::vector<std::vector<Observation>> batches,
                      int threads) {
  absl::BlockingCounter pending(static_cast<int>(batches.size()));
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (size_t i = t; i < batches.size(); i += threads) {
        store.Write(WriteBatch{.project = project, .observations = std::move(batches[i])}, [&](absl::Status status) {
          if (!status.ok()) ++failures;
          pending.DecrementCount();
        });
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  pending.Wait();
  return failures.load();
}

// The trace summary a backend stores must equal SummarizeTrace over what it stores.
void ExpectTraceConsistent(Store& store, const std::string& project, const std::string& trace_id) {
  absl::StatusOr<TraceDetail> detail = store.GetTrace(project, trace_id);
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_TRUE(Same(detail->trace, model::SummarizeTrace(detail->observations))) << "trace " << trace_id;
}

std::vector<std::string> TraceIds(const std::vector<model::Trace>& traces) {
  std::vector<std::string> ids;
  for (const model::Trace& trace : traces) ids.push_back(trace.id);
  return ids;
}

std::vector<std::string> ListIds(Store& store, const TraceQuery& query) {
  absl::StatusOr<TracePage> page = store.ListTraces(query);
  EXPECT_TRUE(page.ok()) << page.status();
  return page.ok() ? TraceIds(page->traces) : std::vector<std::string>{};
}

bool ByStartThenId(const Observation& a, const Observation& b) {
  return std::tie(a.start_time_ns, a.id) < std::tie(b.start_time_ns, b.id);
}

}  // namespace

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) { return info.param.name; }

bool HasMetrics(Store& store) { return !absl::IsUnimplemented(store.QueryMetrics(MetricsQuery{}).status()); }
bool HasRewrite(Store& store) {
  return !absl::IsUnimplemented(store.RewriteObservations(RewriteRange{}, [](Observation&) { return false; }).status());
}

std::vector<std::string> StoredTraceIds(Store& store, const std::string& project, const std::string& text) {
  absl::StatusOr<TracePage> page = store.ListTraces(TraceQuery{.project = project, .limit = 100, .text = text});
  EXPECT_TRUE(page.ok()) << page.status();
  std::vector<std::string> ids;
  if (page.ok()) {
    for (const model::Trace& trace : page->traces) ids.push_back(trace.id);
  }
  return ids;
}

std::vector<std::string> StoredScoreIds(Store& store, const std::string& project) {
  absl::StatusOr<ScorePage> page = store.ListScores(ScoreQuery{.project = project, .limit = 100});
  EXPECT_TRUE(page.ok()) << page.status();
  std::vector<std::string> ids;
  if (page.ok()) {
    for (const model::Score& score : page->scores) ids.push_back(score.id);
  }
  return ids;
}

::testing::AssertionResult SameSession(const model::Session& actual, const model::Session& expected) {
  auto near = [](double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)); };
  model::Session rounded = actual;
  if (near(actual.cost.input, expected.cost.input) && near(actual.cost.output, expected.cost.output) &&
      near(actual.cost.total, expected.cost.total) && near(actual.cost.cache_savings, expected.cost.cache_savings)) {
    rounded.cost = expected.cost;
  }
  if (rounded == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\n  actual:   " << model::DumpJson(model::ToJson(actual))
                                       << "\n  expected: " << model::DumpJson(model::ToJson(expected));
}

bool HasErase(Store& store) { return !absl::IsUnimplemented(store.Erase(EraseRequest{}).status()); }
bool HasExpire(Store& store) { return !absl::IsUnimplemented(store.Expire(ExpireRequest{}).status()); }
bool HasObservationPages(Store& store) {
  return !absl::IsUnimplemented(store.ListTraceObservations(ObservationQuery{}).status());
}

void StoreConformanceTest::SetUp() {
  if (!GetParam().skip_reason.empty()) GTEST_SKIP() << GetParam().skip_reason;
  location_ = MakeLocation();
  absl::StatusOr<std::unique_ptr<Store>> store = GetParam().open_store(location_, StoreLimits());
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = *std::move(store);
}

void StoreConformanceTest::TearDown() {
  store_.reset();
  std::filesystem::remove_all(location_);
}

void StoreConformanceTest::Reopen(const StoreLimits& limits) {
  store_.reset();
  absl::StatusOr<std::unique_ptr<Store>> store = GetParam().open_store(location_, limits);
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = *std::move(store);
}

void CatalogConformanceTest::SetUp() {
  if (!GetParam().skip_reason.empty()) GTEST_SKIP() << GetParam().skip_reason;
  location_ = MakeLocation();
  absl::StatusOr<std::unique_ptr<Catalog>> catalog = GetParam().open_catalog(location_);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  catalog_ = *std::move(catalog);
}

void CatalogConformanceTest::TearDown() {
  catalog_.reset();
  std::filesystem::remove_all(location_);
}

// ---- Writes and one-trace reads ----

TEST_P(StoreConformanceTest, RoundTripsEveryObservationField) {
  Observation full = FullObservation();
  ASSERT_TRUE(Write(*store_, "p", {full}).ok());
  absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", full.trace_id);
  ASSERT_TRUE(detail.ok()) << detail.status();
  ASSERT_EQ(detail->observations.size(), 1u);
  EXPECT_TRUE(Same(detail->observations[0], full));
  EXPECT_TRUE(Same(detail->trace, model::SummarizeTrace(std::vector<Observation>{full})));
}

TEST_P(StoreConformanceTest, KeepsTimesToTheMicrosecond) {
  Observation o = Root("t", 0);
  o.start_time_ns += 999;  // sub-microsecond digits
  o.end_time_ns += 1;
  o.completion_start_time_ns = o.start_time_ns + 1'500;
  ASSERT_TRUE(Write(*store_, "p", {o}).ok());
  absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", "t");
  ASSERT_TRUE(detail.ok()) << detail.status();
  const Observation& stored = detail->observations.at(0);
  EXPECT_EQ(stored.start_time_ns, o.start_time_ns - 999);
  EXPECT_EQ(stored.end_time_ns, o.end_time_ns - 1);
  EXPECT_EQ(stored.completion_start_time_ns, o.start_time_ns - 999 + 2'000);
  ExpectTraceConsistent(*store_, "p", "t");
}

TEST_P(StoreConformanceTest, UnknownTraceIsNotFound) {
  EXPECT_EQ(store_->GetTrace("p", "nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, ReturnsObservationsByStartTimeThenId) {
  ASSERT_TRUE(Write(*store_, "p", {Span("t", "c", "r", 5, 1), Span("t", "b", "r", 5, 1), Span("t", "r", "", 0, 10),
                                   Span("t", "a", "r", 7, 1)})
                  .ok());
  absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", "t");
  ASSERT_TRUE(detail.ok()) << detail.status();
  std::vector<std::string> ids;
  for (const Observation& o : detail->observations) ids.push_back(o.id);
  EXPECT_THAT(ids, ElementsAre("r", "b", "c", "a"));
}

TEST_P(StoreConformanceTest, RetriedBatchLeavesNoDuplicates) {
  std::vector<Observation> batch = {Root("t", 0, 50), Span("t", "child", "t-root", 10, 20)};
  batch[1].type = ObservationType::kGeneration;
  batch[1].usage.input_tokens = 10;
  ASSERT_TRUE(Write(*store_, "p", batch).ok());
  ASSERT_TRUE(Write(*store_, "p", batch).ok());
  ASSERT_TRUE(Write(*store_, "p", {batch[1]}).ok());
  absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", "t");
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->observations.size(), 2u);
  EXPECT_EQ(detail->trace.counts.observations, 2);
  EXPECT_EQ(detail->trace.usage.input_tokens, 10);
  EXPECT_EQ(ListIds(*store_, TraceQuery{.project = "p"}), std::vector<std::string>{"t"});
}

TEST_P(StoreConformanceTest, UpsertReplacesTheStoredObservation) {
  Observation first = Span("t", "gen", "", 0, 100);
  first.type = ObservationType::kGeneration;
  first.model = "small-model";
  first.usage.input_tokens = 5;
  ASSERT_TRUE(Write(*store_, "p", {first}).ok());
  Observation second = first;
  second.name = "renamed";
  second.model = "big-model";
  second.usage.input_tokens = 50;
  second.status = model::Status::kError;
  second.output = "late output";
  ASSERT_TRUE(Write(*store_, "p", {second}).ok());
  absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", "t");
  ASSERT_TRUE(detail.ok()) << detail.status();
  ASSERT_EQ(detail->observations.size(), 1u);
  EXPECT_TRUE(Same(detail->observations[0], second));
  EXPECT_EQ(detail->trace.models, std::vector<std::string>{"big-model"});
  EXPECT_EQ(detail->trace.status, model::Status::kError);
  EXPECT_TRUE(Same(detail->trace, model::SummarizeTrace(std::vector<Observation>{second})));
  EXPECT_THAT(ListIds(*store_, TraceQuery{.project = "p", .model = "small-model"}), IsEmpty());
  EXPECT_THAT(ListIds(*store_, TraceQuery{.project = "p", .model = "big-model"}), ElementsAre("t"));
}

TEST_P(StoreConformanceTest, WriteWithoutIdsIsInvalidArgument) {
  Observation no_id = Root("t", 0);
  no_id.id.clear();
  EXPECT_EQ(Write(*store_, "p", {no_id}).code(), absl::StatusCode::kInvalidArgument);
  Observation no_trace = Root("t", 0);
  no_trace.trace_id.clear();
  EXPECT_EQ(Write(*store_, "p", {no_trace}).code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, WriteWithTextsForSomeObservationsOnlyIsInvalidArgument) {
  const std::string text = model::DumpJson(model::ToJson(Root("t", 0)));
  WriteBatch batch{.project = "p", .observations = {Root("t", 0), Span("t", "c", "t-root", 1, 10)}};
  batch.observation_json = {text};
  EXPECT_EQ(WriteAndWait(*store_, std::move(batch)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(store_->GetTrace("p", "t").ok());  // nothing of it was written
}

TEST_P(StoreConformanceTest, TakesTheFreeFormFieldsFromTheTexts) {
  Observation child = Span("trace-full", "child", "obs-full", 10, 20);
  child.attributes = model::Json{{"k", "v"}};
  child.events.push_back(model::Event{.name = "retry", .time_ns = child.start_time_ns, .attributes = {{"n", 1}}});
  child.model_parameters = model::Json{{"temperature", 0.5}};
  WriteBatch batch{.project = "p"};
  std::vector<std::string> texts;
  std::vector<Observation> whole;
  for (const Observation& o : {FullObservation(), child}) {
    std::string& text = texts.emplace_back();
    model::AppendJson(o, &text);
    absl::StatusOr<Observation> parsed = model::ParseObservationJson(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    whole.push_back(*parsed);
    Observation& summary = batch.observations.emplace_back();
    ASSERT_TRUE(model::ParseObservationJson(text, model::ObservationFields::kSummary, summary).ok());
  }
  batch.observation_json.assign(texts.begin(), texts.end());
  ASSERT_TRUE(WriteAndWait(*store_, std::move(batch)).ok());
  absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", "trace-full");
  ASSERT_TRUE(detail.ok()) << detail.status();
  ASSERT_EQ(detail->observations.size(), 2u);
  std::map<std::string, Observation> by_id;
  for (const Observation& o : detail->observations) by_id[o.id] = o;
  EXPECT_TRUE(Same(by_id["obs-full"], whole[0]));
  EXPECT_TRUE(Same(by_id["child"], whole[1]));
  EXPECT_TRUE(Same(detail->trace, model::SummarizeTrace(whole)));
}

// A tree where spend sits on leaves and on an inner node, so arrival order could matter.
std::vector<Observation> TreeTrace(const std::string& trace_id) {
  std::vector<Observation> tree = {Span(trace_id, "root", "", 0, 1000), Span(trace_id, "agent", "root", 10, 900),
                                   Span(trace_id, "gen1", "agent", 20, 100), Span(trace_id, "gen2", "agent", 200, 300),
                                   Span(trace_id, "tool", "agent", 600, 50), Span(trace_id, "late", "root", 950, 100)};
  tree[0].trace_hints.trace_name = "tree";
  tree[0].trace_hints.session_id = "s";
  tree[0].input = "question";
  tree[0].output = "answer";
  tree[1].type = ObservationType::kAgent;
  tree[1].usage = model::Usage{.input_tokens = 30, .output_tokens = 30, .total_tokens = 60};  // rolled-up total
  for (int i : {2, 3}) {
    tree[i].type = ObservationType::kGeneration;
    tree[i].model = "m";
    tree[i].usage = model::Usage{.input_tokens = 15, .output_tokens = 15, .total_tokens = 30};
    tree[i].cost = model::Cost{.input = 0.1, .output = 0.2, .total = 0.3, .cache_savings = 0.05};
  }
  tree[3].status = model::Status::kError;
  tree[4].type = ObservationType::kTool;
  tree[5].trace_hints.user_id = "late-user";
  tree[5].environment = "prod";
  return tree;
}

TEST_P(StoreConformanceTest, ArrivalOrderDoesNotChangeTheTraceSummary) {
  std::vector<Observation> tree = TreeTrace("t");
  ASSERT_TRUE(Write(*store_, "all-at-once", tree).ok());
  // Children first, one at a time; the root last.
  for (auto it = tree.rbegin(); it != tree.rend(); ++it) ASSERT_TRUE(Write(*store_, "children-first", {*it}).ok());
  // Root first, then the rest in pairs.
  ASSERT_TRUE(Write(*store_, "root-first", {tree[0]}).ok());
  ASSERT_TRUE(Write(*store_, "root-first", {tree[3], tree[1]}).ok());
  ASSERT_TRUE(Write(*store_, "root-first", {tree[5], tree[2], tree[4]}).ok());

  model::Trace expected = model::SummarizeTrace(tree);
  for (const char* project : {"all-at-once", "children-first", "root-first"}) {
    absl::StatusOr<TraceDetail> detail = store_->GetTrace(project, "t");
    ASSERT_TRUE(detail.ok()) << detail.status();
    EXPECT_TRUE(Same(detail->trace, expected)) << project;
    ExpectTraceConsistent(*store_, project, "t");
    absl::StatusOr<SessionDetail> session = store_->GetSession(project, "s");
    ASSERT_TRUE(session.ok()) << session.status();
    EXPECT_DOUBLE_EQ(session->session.cost.total, expected.cost.total) << project;
    EXPECT_DOUBLE_EQ(session->session.cost.cache_savings, 0.1) << project;  // the two generations'
  }
}

TEST_P(StoreConformanceTest, TraceWithoutRootIsStoredAndCompletedLater) {
  std::vector<Observation> tree = TreeTrace("t");
  ASSERT_TRUE(Write(*store_, "p", {tree[2], tree[3]}).ok());
  absl::StatusOr<TraceDetail> partial = store_->GetTrace("p", "t");
  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_FALSE(partial->trace.has_root);
  ExpectTraceConsistent(*store_, "p", "t");
  ASSERT_TRUE(Write(*store_, "p", {tree[0]}).ok());
  absl::StatusOr<TraceDetail> complete = store_->GetTrace("p", "t");
  ASSERT_TRUE(complete.ok()) << complete.status();
  EXPECT_TRUE(complete->trace.has_root);
  EXPECT_EQ(complete->trace.name, "tree");
  ExpectTraceConsistent(*store_, "p", "t");
}

// Random traffic: traces with random trees, hints that move traces between sessions, writes
// split into random batches sent concurrently, then random upserts. Every stored summary must
// equal the recomputation from the observations the test knows it wrote.
TEST_P(StoreConformanceTest, SummariesEqualRecomputationAfterRandomInterleavings) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    const std::string project = absl::StrCat("random-", seed);
    std::mt19937_64 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
    const std::vector<std::string> sessions = {"", "s1", "s2", "s3"};
    const std::vector<ObservationType> types = {ObservationType::kSpan, ObservationType::kGeneration,
                                                ObservationType::kTool, ObservationType::kRetriever,
                                                ObservationType::kAgent};
    std::map<std::string, std::map<std::string, Observation>> truth;  // trace → id → latest written
    std::vector<Observation> originals;
    for (int t = 0; t < 15; ++t) {
      std::string trace_id = absl::StrCat("trace-", t);
      int count = 1 + pick(12);
      for (int i = 0; i < count; ++i) {
        std::string parent = i == 0 ? "" : absl::StrCat("o", pick(i));
        Observation o = Span(trace_id, absl::StrCat("o", i), parent, t * 10'000 + pick(5'000), pick(3) == 0 ? 0 : pick(2'000));
        if (o.end_time_ns == o.start_time_ns) o.end_time_ns = 0;  // still open
        o.type = types[pick(static_cast<int>(types.size()))];
        o.status = pick(6) == 0 ? model::Status::kError : model::Status::kOk;
        o.retry_count = pick(5) == 0 ? 1 : 0;
        o.environment = pick(3) == 0 ? "prod" : "";
        if (o.type == ObservationType::kGeneration) {
          o.model = absl::StrCat("model-", pick(3));
          o.usage = model::Usage{.input_tokens = pick(500), .output_tokens = pick(200)};
          o.usage.total_tokens = o.usage.input_tokens + o.usage.output_tokens;
          o.cost = model::Cost{.input = pick(100) * 0.0001, .output = pick(100) * 0.0003};
          o.cost.total = o.cost.input + o.cost.output;
        }
        o.input = absl::StrCat("input words ", pick(50));
        if (i == 0 || pick(4) == 0) o.trace_hints.session_id = sessions[pick(4)];
        if (pick(4) == 0) o.trace_hints.user_id = absl::StrCat("user-", pick(3));
        if (pick(4) == 0) o.trace_hints.tags = {absl::StrCat("tag-", pick(3))};
        if (pick(5) == 0) o.trace_hints.trace_metadata = {{absl::StrCat("k", pick(3)), pick(10)}};
        truth[trace_id][o.id] = o;
        originals.push_back(o);
      }
    }
    std::shuffle(originals.begin(), originals.end(), rng);
    auto split = [&](std::vector<Observation> all) {
      std::vector<std::vector<Observation>> batches;
      for (size_t i = 0; i < all.size();) {
        size_t n = std::min(all.size() - i, static_cast<size_t>(1 + pick(6)));
        batches.emplace_back(all.begin() + static_cast<long>(i), all.begin() + static_cast<long>(i + n));
        i += n;
      }
      return batches;
    };
    ASSERT_EQ(WriteConcurrently(*store_, project, split(originals), 3), 0);

    // Upserts: each chosen observation changes once, roots may move their trace to another session.
    std::vector<Observation> updates;
    for (auto& [trace_id, observations] : truth) {
      for (auto& [id, o] : observations) {
        if (pick(4) != 0) continue;
        o.status = o.status == model::Status::kError ? model::Status::kOk : model::Status::kError;
        o.usage.input_tokens += 7;
        o.trace_hints.session_id = sessions[pick(4)];
        o.end_time_ns = o.start_time_ns + pick(4'000) * kMs;
        updates.push_back(o);
      }
    }
    std::shuffle(updates.begin(), updates.end(), rng);
    ASSERT_EQ(WriteConcurrently(*store_, project, split(updates), 3), 0);

    std::map<std::string, std::vector<model::Trace>> expected_sessions;
    for (const auto& [trace_id, observations] : truth) {
      std::vector<Observation> expected;
      for (const auto& [id, o] : observations) expected.push_back(o);
      std::sort(expected.begin(), expected.end(), ByStartThenId);
      absl::StatusOr<TraceDetail> detail = store_->GetTrace(project, trace_id);
      ASSERT_TRUE(detail.ok()) << detail.status();
      ASSERT_EQ(detail->observations.size(), expected.size()) << trace_id;
      for (size_t i = 0; i < expected.size(); ++i) EXPECT_TRUE(Same(detail->observations[i], expected[i]));
      model::Trace summary = model::SummarizeTrace(expected);
      EXPECT_TRUE(Same(detail->trace, summary)) << trace_id;
      if (!summary.session_id.empty()) expected_sessions[summary.session_id].push_back(summary);
    }
    absl::StatusOr<SessionPage> listed = store_->ListSessions(SessionQuery{.project = project, .limit = 100});
    ASSERT_TRUE(listed.ok()) << listed.status();
    std::vector<std::string> listed_ids;
    for (const model::Session& s : listed->sessions) listed_ids.push_back(s.id);
    std::vector<std::string> expected_ids;
    for (const auto& [id, traces] : expected_sessions) expected_ids.push_back(id);
    EXPECT_THAT(listed_ids, UnorderedElementsAreArray(expected_ids));
    for (auto& [session_id, traces] : expected_sessions) {
      std::sort(traces.begin(), traces.end(), [](const model::Trace& a, const model::Trace& b) {
        return std::tie(a.start_time_ns, a.id) < std::tie(b.start_time_ns, b.id);
      });
      absl::StatusOr<SessionDetail> detail = store_->GetSession(project, session_id);
      ASSERT_TRUE(detail.ok()) << detail.status();
      EXPECT_TRUE(SameSession(detail->session, model::SummarizeSession(session_id, traces))) << session_id;
      EXPECT_EQ(TraceIds(detail->traces), TraceIds(traces)) << session_id;
    }
  }
}

// A long agent run: one trace of many spans arriving in many batches, out of order, with some
// spans (and the root) re-sent changed. The summary must stay exact at every step.
TEST_P(StoreConformanceTest, LargeTraceArrivingInManyBatchesKeepsAnExactSummary) {
  constexpr int kSpans = 1500;
  std::mt19937_64 rng(7);
  std::map<std::string, Observation> truth;
  std::vector<Observation> spans;
  for (int i = 0; i < kSpans; ++i) {
    Observation o = Span("long", absl::StrCat("s", i), i == 0 ? "" : absl::StrCat("s", (i - 1) / 3), i, 5);
    o.type = i % 4 == 1 ? ObservationType::kGeneration : ObservationType::kTool;
    o.model = absl::StrCat("m", i % 3);
    o.usage = model::Usage{.input_tokens = i % 11, .output_tokens = i % 5, .total_tokens = i % 11 + i % 5};
    o.cost = model::Cost{.input = (i % 7) * 0.001, .output = (i % 3) * 0.002, .total = (i % 7) * 0.001 + (i % 3) * 0.002};
    o.input = absl::StrCat("input ", i);
    if (i == 0) o.trace_hints.session_id = "long-session";
    spans.push_back(o);
    truth[o.id] = o;
  }
  std::shuffle(spans.begin(), spans.end(), rng);
  std::set<std::string> written;
  for (size_t i = 0; i < spans.size(); i += 100) {
    std::vector<Observation> batch;
    for (size_t j = i; j < std::min(spans.size(), i + 100); ++j) batch.push_back(truth[spans[j].id]);
    // Every third batch also re-sends a changed copy of some span, and of the root.
    if ((i / 100) % 3 == 2) {
      Observation& changed = truth[absl::StrCat("s", rng() % kSpans)];
      changed.status = model::Status::kError;
      changed.usage.input_tokens += 100;
      Observation& root = truth["s0"];
      root.output = absl::StrCat("answer after batch ", i / 100);
      root.trace_hints.user_id = absl::StrCat("user-", i / 100);
      batch.push_back(changed);
      batch.push_back(root);
    }
    for (const Observation& o : batch) written.insert(o.id);
    ASSERT_TRUE(Write(*store_, "p", batch).ok());
    std::vector<Observation> so_far;
    for (const std::string& id : written) so_far.push_back(truth[id]);
    absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", "long");
    ASSERT_TRUE(detail.ok()) << detail.status();
    ASSERT_TRUE(Same(detail->trace, model::SummarizeTrace(so_far))) << "after batch " << i / 100;
  }
  std::vector<Observation> all;
  for (const auto& [id, o] : truth) all.push_back(o);
  absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", "long");
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->observations.size(), static_cast<size_t>(kSpans));
  EXPECT_TRUE(Same(detail->trace, model::SummarizeTrace(all)));
  ExpectTraceConsistent(*store_, "p", "long");
  absl::StatusOr<SessionDetail> session = store_->GetSession("p", "long-session");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_TRUE(SameSession(session->session, model::SummarizeSession("long-session", std::vector<model::Trace>{detail->trace})));
}

// ---- Projects ----

TEST_P(StoreConformanceTest, ProjectsAreIsolated) {
  Observation a = Root("shared-id", 0);
  a.trace_hints.session_id = "session-a";
  a.name = "from A";
  ASSERT_TRUE(Write(*store_, "A", {a, Root("only-a", 10)}).ok());

  EXPECT_EQ(store_->GetTrace("B", "only-a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetTrace("B", "shared-id").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(ListIds(*store_, TraceQuery{.project = "B"}), IsEmpty());
  EXPECT_EQ(store_->GetSession("B", "session-a").status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<SessionPage> sessions = store_->ListSessions(SessionQuery{.project = "B"});
  ASSERT_TRUE(sessions.ok()) << sessions.status();
  EXPECT_THAT(sessions->sessions, IsEmpty());

  // The same trace and session ids in B are B's own.
  Observation b = Root("shared-id", 5);
  b.trace_hints.session_id = "session-a";
  b.name = "from B";
  ASSERT_TRUE(Write(*store_, "B", {b}).ok());
  EXPECT_EQ(store_->GetTrace("A", "shared-id")->trace.name, "from A");
  EXPECT_EQ(store_->GetTrace("B", "shared-id")->trace.name, "from B");
  EXPECT_EQ(store_->GetTrace("A", "shared-id")->observations.size(), 1u);
  EXPECT_EQ(store_->GetSession("A", "session-a")->session.trace_count, 1);
  EXPECT_THAT(ListIds(*store_, TraceQuery{.project = "B"}), ElementsAre("shared-id"));
  EXPECT_THAT(ListIds(*store_, TraceQuery{.project = "A"}), ElementsAre("only-a", "shared-id"));
}

// ---- Trace lists ----

TEST_P(StoreConformanceTest, ListsNewestFirstAndOldestFirst) {
  ASSERT_TRUE(Write(*store_, "p", {Root("t1", 1000), Root("t3", 3000), Root("t2", 2000), Root("t2b", 2000)}).ok());
  EXPECT_THAT(ListIds(*store_, TraceQuery{.project = "p"}), ElementsAre("t3", "t2b", "t2", "t1"));
  EXPECT_THAT(ListIds(*store_, TraceQuery{.project = "p", .oldest_first = true}), ElementsAre("t1", "t2", "t2b", "t3"));
}

TEST_P(StoreConformanceTest, ListsByLatencyCostAndTokensWithACursor) {
  // Latencies 300, 100, 300, 50 ms; costs and tokens in another order; ties broken by id.
  std::vector<Observation> roots = {Root("a", 1000, 300), Root("b", 2000, 100), Root("c", 3000, 300),
                                    Root("d", 4000, 50)};
  const double costs[] = {0.25, 0.003, 1.5, 0.25};
  const int64_t tokens[] = {10, 4000, 10, 70};
  for (size_t i = 0; i < roots.size(); ++i) {
    roots[i].cost.total = costs[i];
    roots[i].cost.source = model::CostSource::kProvided;
    roots[i].usage.input_tokens = tokens[i];
    roots[i].usage.total_tokens = tokens[i];
  }
  ASSERT_TRUE(Write(*store_, "p", roots).ok());
  auto all_pages = [&](TraceQuery query) {
    std::vector<std::string> ids;
    for (int pages = 0; pages < 10; ++pages) {
      absl::StatusOr<TracePage> page = store_->ListTraces(query);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (const model::Trace& t : page->traces) ids.push_back(t.id);
      if (page->next_cursor.empty()) break;
      query.cursor = page->next_cursor;
    }
    return ids;
  };
  for (int limit : {1, 3, 10}) {
    SCOPED_TRACE(limit);
    EXPECT_THAT(all_pages({.project = "p", .limit = limit, .order_by = TraceOrder::kLatency}),
                ElementsAre("c", "a", "b", "d"));
    EXPECT_THAT(all_pages({.project = "p", .limit = limit, .order_by = TraceOrder::kLatency, .oldest_first = true}),
                ElementsAre("d", "b", "a", "c"));
    EXPECT_THAT(all_pages({.project = "p", .limit = limit, .order_by = TraceOrder::kCost}),
                ElementsAre("c", "d", "a", "b"));
    EXPECT_THAT(all_pages({.project = "p", .limit = limit, .order_by = TraceOrder::kTokens}),
                ElementsAre("b", "d", "c", "a"));
  }
  // Filters still apply.
  EXPECT_THAT(ListIds(*store_, TraceQuery{.project = "p", .min_cost = 0.2, .order_by = TraceOrder::kLatency}),
              ElementsAre("c", "a", "d"));
}

TEST_P(StoreConformanceTest, CursorPaginationVisitsEachTraceOnceDuringConcurrentInserts) {
  constexpr int kTraces = 57;
  std::vector<Observation> roots;
  for (int i = 0; i < kTraces; ++i) roots.push_back(Root(absl::StrCat("old-", i), (i / 2) * 1000));  // pairs share a start
  ASSERT_TRUE(Write(*store_, "p", roots).ok());

  std::thread newer([&] {
    for (int i = 0; i < 30; ++i) {
      EXPECT_TRUE(Write(*store_, "p", {Root(absl::StrCat("new-", i), 1'000'000 + i * 1000)}).ok());
    }
  });
  std::vector<std::string> seen;
  TraceQuery query{.project = "p", .limit = 7};
  for (int pages = 0; pages < 100; ++pages) {
    absl::StatusOr<TracePage> page = store_->ListTraces(query);
    ASSERT_TRUE(page.ok()) << page.status();
    for (size_t i = 1; i < page->traces.size(); ++i) {
      const model::Trace& a = page->traces[i - 1];
      const model::Trace& b = page->traces[i];
      EXPECT_GT(std::tie(a.start_time_ns, a.id), std::tie(b.start_time_ns, b.id));
    }
    for (const model::Trace& trace : page->traces) seen.push_back(trace.id);
    if (page->next_cursor.empty()) break;
    query.cursor = page->next_cursor;
  }
  newer.join();

  std::vector<std::string> old_seen;
  for (const std::string& id : seen) {
    if (id.rfind("old-", 0) == 0) old_seen.push_back(id);
  }
  std::vector<std::string> expected;
  for (const Observation& root : roots) expected.push_back(root.trace_id);
  EXPECT_THAT(old_seen, UnorderedElementsAreArray(expected));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size()) << "a trace was listed twice";

  // Oldest first, after the inserts: everything, once, in order.
  std::vector<std::string> ascending;
  TraceQuery oldest{.project = "p", .limit = 10, .oldest_first = true};
  while (true) {
    absl::StatusOr<TracePage> page = store_->ListTraces(oldest);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const model::Trace& trace : page->traces) ascending.push_back(trace.id);
    if (page->next_cursor.empty()) break;
    oldest.cursor = page->next_cursor;
  }
  EXPECT_EQ(ascending.size(), static_cast<size_t>(kTraces + 30));
  EXPECT_EQ(std::set<std::string>(ascending.begin(), ascending.end()).size(), ascending.size());
}

TEST_P(StoreConformanceTest, LastPageHasNoCursor) {
  ASSERT_TRUE(Write(*store_, "p", {Root("a", 1), Root("b", 2)}).ok());
  absl::StatusOr<TracePage> page = store_->ListTraces(TraceQuery{.project = "p", .limit = 2});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->traces.size(), 2u);
  EXPECT_EQ(page->next_cursor, "");
}

TEST_P(StoreConformanceTest, BadListArgumentsAreInvalidArgument) {
  EXPECT_EQ(store_->ListTraces(TraceQuery{.project = "p", .cursor = "%%%not a cursor"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListTraces(TraceQuery{.project = "p", .limit = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListTraces(TraceQuery{.project = "p", .limit = 1001}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListTraces(TraceQuery{.project = ""}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListSessions(SessionQuery{.project = "p", .cursor = "%%%"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  if (!store_->capabilities().full_text_search) {
    EXPECT_EQ(store_->ListTraces(TraceQuery{.project = "p", .text = "x"}).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

// Three traces that differ in every filterable field.
void WriteFilterFixture(Store& store) {
  Observation a = Span("a", "a-root", "", 1000, 100);
  a.name = "alpha";
  a.trace_hints = {.session_id = "s1", .user_id = "u1", .tags = {"red"}};
  a.environment = "prod";
  a.release = "r1";
  a.input = "the quick brown fox";
  Observation a_gen = Span("a", "a-gen", "a-root", 1010, 50);
  a_gen.type = ObservationType::kGeneration;
  a_gen.model = "gpt-4o";
  a_gen.cost = model::Cost{.input = 0.2, .output = 0.3, .total = 0.5};

  Observation b = Span("b", "b-root", "", 2000, 2000);
  b.name = "beta";
  b.trace_hints = {.session_id = "s2", .user_id = "u2", .tags = {"blue"}};
  b.environment = "dev";
  b.release = "r2";
  b.status = model::Status::kError;
  b.output = "a lazy dog sleeps";
  Observation b_gen = Span("b", "b-gen", "b-root", 2010, 50);
  b_gen.type = ObservationType::kGeneration;
  b_gen.model = "claude";
  b_gen.cost = model::Cost{.total = 0.01};

  Observation c = Span("c", "c-root", "", 3000, 500);
  c.name = "alpha";
  c.trace_hints = {.user_id = "u1", .tags = {"blue", "red"}};
  c.environment = "prod";
  c.release = "r2";
  c.output = model::Json{{"answer", "the fox jumps"}};
  ASSERT_TRUE(Write(store, "p", {a, a_gen, b, b_gen, c}).ok());
  ASSERT_TRUE(Write(store, "other", {a, b, c}).ok());  // never listed in "p"
}

TEST_P(StoreConformanceTest, EveryFilterSelectsTheMatchingTraces) {
  WriteFilterFixture(*store_);
  struct Case {
    std::string what;
    TraceQuery query;
    std::vector<std::string> expected;  // newest first
  };
  const std::vector<Case> cases = {
      {"none", {}, {"c", "b", "a"}},
      {"name", {.name = "alpha"}, {"c", "a"}},
      {"user", {.user_id = "u1"}, {"c", "a"}},
      {"session", {.session_id = "s2"}, {"b"}},
      {"environment", {.environment = "prod"}, {"c", "a"}},
      {"release", {.release = "r2"}, {"c", "b"}},
      {"tag", {.tag = "red"}, {"c", "a"}},
      {"model", {.model = "claude"}, {"b"}},
      {"status", {.status = model::Status::kError}, {"b"}},
      {"status ok", {.status = model::Status::kOk}, {"c", "a"}},
      {"min latency", {.min_latency_ms = 500}, {"c", "b"}},
      {"min cost", {.min_cost = 0.1}, {"a"}},
      {"from", {.from_ns = kBase + 2000 * kMs}, {"c", "b"}},
      {"to", {.to_ns = kBase + 2000 * kMs}, {"a"}},
      {"from and to", {.from_ns = kBase + 1500 * kMs, .to_ns = kBase + 2500 * kMs}, {"b"}},
      {"combined", {.name = "alpha", .release = "r2"}, {"c"}},
      {"no match", {.user_id = "u1", .session_id = "s2"}, {}},
      {"unknown value", {.tag = "green"}, {}},
  };
  for (const Case& c : cases) {
    TraceQuery query = c.query;
    query.project = "p";
    EXPECT_EQ(ListIds(*store_, query), c.expected) << c.what;
  }
}

TEST_P(StoreConformanceTest, FullTextSearchMatchesInputAndOutput) {
  if (!store_->capabilities().full_text_search) GTEST_SKIP() << "backend has no full-text search";
  WriteFilterFixture(*store_);
  EXPECT_THAT(ListIds(*store_, TraceQuery{.project = "p", .text = "fox"}), ElementsAre("c", "a"));
  EXPECT_THAT(ListIds(*store_, TraceQuery{.project = "p", .text = "lazy dog"}), ElementsAre("b"));
  EXPECT_THAT(ListIds(*store_, TraceQuery{.project = "p", .text = "fox lazy"}), IsEmpty());
  EXPECT_THAT(ListIds(*store_, TraceQuery{.project = "p", .name = "alpha", .release = "r1", .text = "fox"}),
              ElementsAre("a"));
  // Query syntax in user text is taken literally, not parsed.
  EXPECT_TRUE(store_->ListTraces(TraceQuery{.project = "p", .text = "\"unbalanced OR ( NEAR"}).ok());
  // The text index follows upserts of the root's output.
  Observation c = Span("c", "c-root", "", 3000, 500);
  c.output = "a cat";
  ASSERT_TRUE(Write(*store_, "p", {c}).ok());
  EXPECT_THAT(ListIds(*store_, TraceQuery{.project = "p", .text = "fox"}), ElementsAre("a"));
  EXPECT_THAT(ListIds(*store_, TraceQuery{.project = "p", .text = "cat"}), ElementsAre("c"));
}

// ---- Sessions ----

TEST_P(StoreConformanceTest, ListsAndGetsSessions) {
  Observation a1 = Root("a1", 1000, 100);
  a1.trace_hints = {.session_id = "sa", .user_id = "ua"};
  Observation a2 = Root("a2", 5000, 300);
  a2.trace_hints = {.session_id = "sa"};
  a2.status = model::Status::kError;
  Observation b1 = Root("b1", 3000, 100);
  b1.trace_hints = {.session_id = "sb", .user_id = "ub"};
  ASSERT_TRUE(Write(*store_, "p", {a2, b1, a1, Root("no-session", 4000)}).ok());

  absl::StatusOr<SessionPage> all = store_->ListSessions(SessionQuery{.project = "p"});
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->sessions.size(), 2u);
  EXPECT_EQ(all->sessions[0].id, "sa");  // newest last_time first
  EXPECT_EQ(all->sessions[1].id, "sb");

  absl::StatusOr<SessionDetail> sa = store_->GetSession("p", "sa");
  ASSERT_TRUE(sa.ok()) << sa.status();
  EXPECT_THAT(TraceIds(sa->traces), ElementsAre("a1", "a2"));
  EXPECT_TRUE(SameSession(sa->session, model::SummarizeSession("sa", sa->traces)));
  EXPECT_EQ(sa->session.trace_count, 2);
  EXPECT_EQ(sa->session.error_count, 1);
  EXPECT_EQ(sa->session.user_id, "ua");
  EXPECT_TRUE(Same(all->sessions[0], sa->session));

  absl::StatusOr<SessionPage> by_user = store_->ListSessions(SessionQuery{.project = "p", .user_id = "ub"});
  ASSERT_TRUE(by_user.ok()) << by_user.status();
  ASSERT_EQ(by_user->sessions.size(), 1u);
  EXPECT_EQ(by_user->sessions[0].id, "sb");

  // from: last_time >= from; to: first_time < to.
  absl::StatusOr<SessionPage> recent = store_->ListSessions(SessionQuery{.project = "p", .from_ns = kBase + 4000 * kMs});
  ASSERT_TRUE(recent.ok()) << recent.status();
  ASSERT_EQ(recent->sessions.size(), 1u);
  EXPECT_EQ(recent->sessions[0].id, "sa");
  absl::StatusOr<SessionPage> early = store_->ListSessions(SessionQuery{.project = "p", .to_ns = kBase + 2000 * kMs});
  ASSERT_TRUE(early.ok()) << early.status();
  ASSERT_EQ(early->sessions.size(), 1u);
  EXPECT_EQ(early->sessions[0].id, "sa");

  // Pagination, one per page.
  std::vector<std::string> paged;
  SessionQuery query{.project = "p", .limit = 1};
  while (true) {
    absl::StatusOr<SessionPage> page = store_->ListSessions(query);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const model::Session& s : page->sessions) paged.push_back(s.id);
    if (page->next_cursor.empty()) break;
    query.cursor = page->next_cursor;
  }
  EXPECT_THAT(paged, ElementsAre("sa", "sb"));

  EXPECT_EQ(store_->GetSession("p", "nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetSession("p", "").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, LateSpanMovesTraceToAnotherSession) {
  Observation a1 = Root("a1", 1000);
  a1.trace_hints.session_id = "old";
  Observation a2 = Root("a2", 2000);
  a2.trace_hints.session_id = "old";
  ASSERT_TRUE(Write(*store_, "p", {a1, a2}).ok());

  a2.trace_hints.session_id = "new";  // the root is re-sent with another session
  ASSERT_TRUE(Write(*store_, "p", {a2}).ok());
  absl::StatusOr<SessionDetail> old_session = store_->GetSession("p", "old");
  ASSERT_TRUE(old_session.ok()) << old_session.status();
  EXPECT_THAT(TraceIds(old_session->traces), ElementsAre("a1"));
  EXPECT_EQ(old_session->session.trace_count, 1);
  absl::StatusOr<SessionDetail> new_session = store_->GetSession("p", "new");
  ASSERT_TRUE(new_session.ok()) << new_session.status();
  EXPECT_THAT(TraceIds(new_session->traces), ElementsAre("a2"));

  // A child hint does not override the root's session; a session left empty disappears.
  Observation child = Span("a1", "late-child", "a1-root", 1500, 10);
  child.trace_hints.session_id = "ignored";
  ASSERT_TRUE(Write(*store_, "p", {child}).ok());
  EXPECT_EQ(store_->GetTrace("p", "a1")->trace.session_id, "old");
  a1.trace_hints.session_id = "new";
  ASSERT_TRUE(Write(*store_, "p", {a1}).ok());
  EXPECT_EQ(store_->GetSession("p", "old").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetSession("p", "ignored").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetSession("p", "new")->session.trace_count, 2);
  absl::StatusOr<SessionPage> all = store_->ListSessions(SessionQuery{.project = "p"});
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->sessions.size(), 1u);
  EXPECT_EQ(all->sessions[0].id, "new");
}

// ---- Overload, shutdown, durability ----

TEST_P(StoreConformanceTest, FullQueueIsUnavailableAndWritesNothing) {
  Reopen(StoreLimits{.max_queue_observations = 4});
  std::vector<Observation> five;
  for (int i = 0; i < 5; ++i) five.push_back(Span("t", absl::StrCat("o", i), i == 0 ? "" : "o0", i, 1));
  EXPECT_EQ(Write(*store_, "p", five).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->GetTrace("p", "t").status().code(), absl::StatusCode::kNotFound);
  five.pop_back();
  EXPECT_TRUE(Write(*store_, "p", five).ok());
  EXPECT_EQ(store_->GetTrace("p", "t")->observations.size(), 4u);
}

TEST_P(StoreConformanceTest, DrainCommitsEverythingAcceptedAndRejectsLaterWrites) {
  constexpr int kWrites = 40;
  std::atomic<int> ok{0};
  std::atomic<int> called{0};
  for (int i = 0; i < kWrites; ++i) {
    store_->Write(WriteBatch{.project = "p", .observations = {Root(absl::StrCat("t", i), i)}}, [&](absl::Status status) {
      if (status.ok()) ++ok;
      ++called;
    });
  }
  store_->Drain();
  EXPECT_EQ(called.load(), kWrites);  // every callback ran before Drain returned
  EXPECT_EQ(ok.load(), kWrites);
  store_->Drain();  // idempotent
  EXPECT_EQ(Write(*store_, "p", {Root("late", 100)}).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ListIds(*store_, TraceQuery{.project = "p", .limit = 1000}).size(), static_cast<size_t>(kWrites));
  EXPECT_EQ(store_->stats().committed_observations, kWrites);
  EXPECT_EQ(store_->stats().queued_observations, 0);

  Reopen();
  EXPECT_EQ(ListIds(*store_, TraceQuery{.project = "p", .limit = 1000}).size(), static_cast<size_t>(kWrites));
  EXPECT_EQ(store_->GetTrace("p", "late").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, AcknowledgedDataSurvivesReopen) {
  std::vector<Observation> tree = TreeTrace("t");
  tree.push_back(FullObservation());
  ASSERT_TRUE(Write(*store_, "p", tree).ok());
  absl::StatusOr<TraceDetail> before = store_->GetTrace("p", "t");
  ASSERT_TRUE(before.ok()) << before.status();
  absl::StatusOr<SessionDetail> session_before = store_->GetSession("p", "s");
  ASSERT_TRUE(session_before.ok()) << session_before.status();

  Reopen();
  absl::StatusOr<TraceDetail> after = store_->GetTrace("p", "t");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(Same(after->trace, before->trace));
  ASSERT_EQ(after->observations.size(), before->observations.size());
  for (size_t i = 0; i < after->observations.size(); ++i) {
    EXPECT_TRUE(Same(after->observations[i], before->observations[i]));
  }
  absl::StatusOr<SessionDetail> session_after = store_->GetSession("p", "s");
  ASSERT_TRUE(session_after.ok()) << session_after.status();
  EXPECT_TRUE(Same(session_after->session, session_before->session));
  EXPECT_TRUE(store_->GetTrace("p", "trace-full").ok());
  // Writes keep working after a reopen and update what was there.
  ASSERT_TRUE(Write(*store_, "p", {Span("t", "after-reopen", "root", 5, 5)}).ok());
  EXPECT_EQ(store_->GetTrace("p", "t")->trace.counts.observations, before->trace.counts.observations + 1);
  ExpectTraceConsistent(*store_, "p", "t");
}

TEST_P(StoreConformanceTest, StatsCountCommittedObservations) {
  ASSERT_TRUE(Write(*store_, "p", {Root("a", 0), Root("b", 1)}).ok());
  ASSERT_TRUE(Write(*store_, "p", {Root("c", 2)}).ok());
  StoreStats stats = store_->stats();
  EXPECT_EQ(stats.committed_observations, 3);
  EXPECT_GE(stats.commits, 1);
  EXPECT_LE(stats.commits, 2);
  EXPECT_EQ(stats.queued_batches, 0);
}

// ---- Catalog ----

void ExpectSameKey(const ApiKeyRecord& actual, const ApiKeyRecord& expected) {
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_EQ(actual.project, expected.project);
  EXPECT_EQ(actual.scopes, expected.scopes);
  EXPECT_EQ(actual.secret_hash, expected.secret_hash);
  EXPECT_EQ(actual.created_ns, expected.created_ns);
  EXPECT_EQ(actual.revoked_ns, expected.revoked_ns);
  EXPECT_EQ(actual.name, expected.name);
}

ApiKeyRecord Key(std::string id, std::string project) {
  return ApiKeyRecord{.id = std::move(id), .project = std::move(project), .scopes = kScopeIngest | kScopeRead,
                      .secret_hash = std::string(64, 'a'), .created_ns = kBase, .revoked_ns = 0, .name = "ci"};
}

TEST_P(CatalogConformanceTest, CreatesListsAndGetsProjects) {
  ASSERT_TRUE(catalog_->CreateProject("beta", kBase + 1).ok());
  absl::StatusOr<Project> alpha = catalog_->CreateProject("alpha", kBase);
  ASSERT_TRUE(alpha.ok()) << alpha.status();
  EXPECT_EQ(alpha->name, "alpha");
  EXPECT_EQ(alpha->created_ns, kBase);
  absl::StatusOr<std::vector<Project>> projects = catalog_->ListProjects();
  ASSERT_TRUE(projects.ok()) << projects.status();
  ASSERT_EQ(projects->size(), 2u);
  EXPECT_EQ((*projects)[0].name, "alpha");
  EXPECT_EQ((*projects)[1].name, "beta");
  EXPECT_EQ(catalog_->GetProject("beta")->created_ns, kBase + 1);
  EXPECT_EQ(catalog_->GetProject("gamma").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(CatalogConformanceTest, DuplicateProjectIsAlreadyExists) {
  ASSERT_TRUE(catalog_->CreateProject("alpha", kBase).ok());
  EXPECT_EQ(catalog_->CreateProject("alpha", kBase + 5).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(catalog_->GetProject("alpha")->created_ns, kBase);
}

TEST_P(CatalogConformanceTest, BadProjectNameIsInvalidArgument) {
  for (std::string name : {std::string(), std::string("has space"), std::string("-dash-first"),
                           std::string("semi;colon"), std::string(65, 'x')}) {
    EXPECT_EQ(catalog_->CreateProject(name, kBase).status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

TEST_P(CatalogConformanceTest, KeyInUnknownProjectIsNotFound) {
  EXPECT_EQ(catalog_->InsertKey(Key("pk-1", "nope")).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->FindKey("pk-1").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(CatalogConformanceTest, InsertsFindsListsAndRevokesKeys) {
  ASSERT_TRUE(catalog_->CreateProject("alpha", kBase).ok());
  ASSERT_TRUE(catalog_->CreateProject("beta", kBase).ok());
  ApiKeyRecord k1 = Key("pk-1", "alpha");
  ApiKeyRecord k2 = Key("pk-2", "beta");
  k2.scopes = kScopeAdmin;
  ASSERT_TRUE(catalog_->InsertKey(k1).ok());
  ASSERT_TRUE(catalog_->InsertKey(k2).ok());
  EXPECT_EQ(catalog_->InsertKey(k1).code(), absl::StatusCode::kAlreadyExists);

  absl::StatusOr<ApiKeyRecord> found = catalog_->FindKey("pk-2");
  ASSERT_TRUE(found.ok()) << found.status();
  ExpectSameKey(*found, k2);
  absl::StatusOr<std::vector<ApiKeyRecord>> alpha_keys = catalog_->ListKeys("alpha");
  ASSERT_TRUE(alpha_keys.ok()) << alpha_keys.status();
  ASSERT_EQ(alpha_keys->size(), 1u);
  ExpectSameKey((*alpha_keys)[0], k1);
  EXPECT_EQ(catalog_->ListKeys("")->size(), 2u);
  EXPECT_THAT(*catalog_->ListKeys("gamma"), IsEmpty());

  ASSERT_TRUE(catalog_->RevokeKey("pk-1", kBase + 10).ok());
  ASSERT_TRUE(catalog_->RevokeKey("pk-1", kBase + 20).ok());
  EXPECT_EQ(catalog_->FindKey("pk-1")->revoked_ns, kBase + 10);  // the first revocation time stays
  EXPECT_EQ(catalog_->FindKey("pk-2")->revoked_ns, 0);
  EXPECT_EQ(catalog_->RevokeKey("pk-nope", kBase).code(), absl::StatusCode::kNotFound);
}

TEST_P(CatalogConformanceTest, ChangesThroughAnotherCatalogAreVisible) {
  absl::StatusOr<std::unique_ptr<Catalog>> other = GetParam().open_catalog(location_);
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE((*other)->CreateProject("alpha", kBase).ok());
  ASSERT_TRUE((*other)->InsertKey(Key("pk-1", "alpha")).ok());
  EXPECT_TRUE(catalog_->GetProject("alpha").ok());
  EXPECT_EQ(catalog_->FindKey("pk-1")->revoked_ns, 0);
  ASSERT_TRUE((*other)->RevokeKey("pk-1", kBase + 1).ok());
  EXPECT_EQ(catalog_->FindKey("pk-1")->revoked_ns, kBase + 1);
  EXPECT_EQ(catalog_->CreateProject("alpha", kBase).status().code(), absl::StatusCode::kAlreadyExists);
}

}  // namespace trackly::store::conformance
