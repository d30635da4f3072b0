// Conformance of Store::ListTraceObservations and Store::GetObservation: keyset pages of one
// trace in GetTrace's order, every observation exactly once, summary pages without payloads,
// one observation in full, parameter checks and project isolation.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "model/codec.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::conformance {
namespace {

using model::Observation;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kBase = 1'795'314'529'000'000'000;

Observation Step(std::string id, std::string parent_id, int64_t start_ms) {
  Observation o;
  o.trace_id = "big";
  o.id = std::move(id);
  o.parent_id = std::move(parent_id);
  o.name = absl::StrCat("step ", o.id);
  o.start_time_ns = kBase + start_ms * kMs;
  o.end_time_ns = o.start_time_ns + 3 * kMs;
  o.status = model::Status::kOk;
  return o;
}

// A root and `children` steps, many sharing a start time so the id breaks ties across page
// boundaries; every step carries a payload a summary must leave out.
std::vector<Observation> ShuffledTrace(int children) {
  std::vector<Observation> out{Step("root", "", 0)};
  for (int i = 0; i < children; ++i) {
    Observation o = Step(absl::StrCat("s", i), i % 3 == 0 ? "root" : absl::StrCat("s", i - i % 3), 1 + i / 7);
    o.type = i % 2 == 0 ? model::ObservationType::kGeneration : model::ObservationType::kTool;
    o.input = model::Json{{"prompt", absl::StrCat("question ", i)}};
    o.output = "answer";
    o.attributes = model::Json{{"i", i}};
    o.usage = model::Usage{.input_tokens = i, .output_tokens = 1, .total_tokens = i + 1};
    o.cost = model::Cost{.total = 0.001 * i, .source = model::CostSource::kProvided};
    if (o.type == model::ObservationType::kTool) o.tool = model::ToolRef{.name = "search", .call_id = "c"};
    if (o.type == model::ObservationType::kGeneration) o.completion_start_time_ns = o.start_time_ns + kMs;
    out.push_back(std::move(o));
  }
  std::shuffle(out.begin(), out.end(), std::mt19937(7));
  return out;
}

// Every page of `query` from the first; fails the test on an error.
std::vector<PagedObservation> AllPages(Store& store, ObservationQuery query, int* pages = nullptr) {
  std::vector<PagedObservation> out;
  int count = 0;
  do {
    absl::StatusOr<ObservationPage> page = store.ListTraceObservations(query);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    EXPECT_LE(static_cast<int>(page->observations.size()), query.limit);
    for (PagedObservation& item : page->observations) out.push_back(std::move(item));
    query.cursor = page->next_cursor;
    ++count;
  } while (!query.cursor.empty());
  if (pages != nullptr) *pages = count;
  return out;
}

// What a summary page keeps of a full observation (store.h ObservationQuery::summary_only).
Observation SummaryOf(Observation o) {
  o.input = nullptr;
  o.output = nullptr;
  o.metadata = model::Json::object();
  o.attributes = model::Json::object();
  o.events.clear();
  o.model_parameters = model::Json::object();
  o.status_message.clear();
  o.service_name.clear();
  if (o.tool) o.tool->call_id.clear();
  o.cost.price_id.clear();
  o.trace_hints = {};
  return o;
}

::testing::AssertionResult SameObservation(const Observation& actual, const Observation& expected) {
  if (actual == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\n  actual:   " << model::DumpJson(model::ToJson(actual))
                                       << "\n  expected: " << model::DumpJson(model::ToJson(expected));
}

TEST_P(StoreConformanceTest, ObservationPagesVisitEveryObservationOnceInOrder) {
  if (!HasObservationPages(*store_)) GTEST_SKIP() << "backend cannot page observations (ListTraceObservations is Unimplemented)";
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "p", .observations = ShuffledTrace(120)}).ok());
  absl::StatusOr<TraceDetail> whole = store_->GetTrace("p", "big");
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_EQ(whole->observations.size(), 121u);

  for (bool summary_only : {false, true}) {
    SCOPED_TRACE(summary_only ? "summary pages" : "full pages");
    int pages = 0;
    std::vector<PagedObservation> paged =
        AllPages(*store_, ObservationQuery{.project = "p", .trace_id = "big", .limit = 10, .summary_only = summary_only},
                 &pages);
    EXPECT_EQ(pages, 13);
    ASSERT_EQ(paged.size(), whole->observations.size());
    for (size_t i = 0; i < paged.size(); ++i) {
      const Observation& expected = whole->observations[i];
      EXPECT_TRUE(SameObservation(paged[i].observation, summary_only ? SummaryOf(expected) : expected)) << "#" << i;
      EXPECT_GT(paged[i].stored_bytes, 0) << "#" << i;
    }
  }
}

// A trace grown past a thousand observations over several writes, then with one span moved to
// its end and one to its start, pages every observation once in GetTrace's order. (The SQLite
// store pages traces from that size on through a start-order table it fills as they grow.)
TEST_P(StoreConformanceTest, ALargeTraceGrownInBatchesPagesInOrderAfterSpansMove) {
  if (!HasObservationPages(*store_)) GTEST_SKIP() << "backend cannot page observations (ListTraceObservations is Unimplemented)";
  const std::vector<Observation> trace = ShuffledTrace(1199);
  for (size_t first = 0; first < trace.size(); first += 400) {
    std::vector<Observation> batch(trace.begin() + first, trace.begin() + std::min(first + 400, trace.size()));
    ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "p", .observations = std::move(batch)}).ok());
  }
  Observation last = Step("s10", "root", 10'000);
  Observation first = Step("s1000", "root", -1);
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "p", .observations = {last, first}}).ok());

  absl::StatusOr<TraceDetail> whole = store_->GetTrace("p", "big");
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_EQ(whole->observations.size(), 1200u);
  EXPECT_EQ(whole->observations.front().id, "s1000");
  EXPECT_EQ(whole->observations.back().id, "s10");
  int pages = 0;
  std::vector<PagedObservation> paged = AllPages(
      *store_, ObservationQuery{.project = "p", .trace_id = "big", .limit = 100, .summary_only = true}, &pages);
  EXPECT_EQ(pages, 12);
  ASSERT_EQ(paged.size(), whole->observations.size());
  for (size_t i = 0; i < paged.size(); ++i) {
    EXPECT_EQ(paged[i].observation.id, whole->observations[i].id) << "#" << i;
    EXPECT_EQ(paged[i].observation.start_time_ns, whole->observations[i].start_time_ns) << "#" << i;
  }
}

TEST_P(StoreConformanceTest, ObservationPageCarriesTheTraceAndEndsWithoutCursor) {
  if (!HasObservationPages(*store_)) GTEST_SKIP() << "backend cannot page observations (ListTraceObservations is Unimplemented)";
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "p", .observations = ShuffledTrace(4)}).ok());
  absl::StatusOr<TraceDetail> whole = store_->GetTrace("p", "big");
  ASSERT_TRUE(whole.ok()) << whole.status();
  // Exactly one page's worth: the page is complete and says so.
  absl::StatusOr<ObservationPage> page =
      store_->ListTraceObservations(ObservationQuery{.project = "p", .trace_id = "big", .limit = 5});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->observations.size(), 5u);
  EXPECT_EQ(page->next_cursor, "");
  EXPECT_EQ(page->trace, whole->trace);
}

TEST_P(StoreConformanceTest, GetObservationReturnsEveryField) {
  std::vector<Observation> trace = ShuffledTrace(6);
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "p", .observations = trace}).ok());
  for (const Observation& written : trace) {
    absl::StatusOr<Observation> read = store_->GetObservation("p", "big", written.id);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_TRUE(SameObservation(*read, written));
  }
  EXPECT_EQ(store_->GetObservation("p", "big", "nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetObservation("p", "other-trace", "s1").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, ObservationPagesAreScopedToTheProject) {
  if (!HasObservationPages(*store_)) GTEST_SKIP() << "backend cannot page observations (ListTraceObservations is Unimplemented)";
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "A", .observations = ShuffledTrace(3)}).ok());
  EXPECT_EQ(store_->ListTraceObservations(ObservationQuery{.project = "B", .trace_id = "big"}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetObservation("B", "big", "root").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ListTraceObservations(ObservationQuery{.project = "A", .trace_id = "nope"}).status().code(),
            absl::StatusCode::kNotFound);

  // The same trace id in B is B's own.
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "B", .observations = {Step("b-only", "", 0)}}).ok());
  std::vector<PagedObservation> b = AllPages(*store_, ObservationQuery{.project = "B", .trace_id = "big"});
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].observation.id, "b-only");
  EXPECT_EQ(AllPages(*store_, ObservationQuery{.project = "A", .trace_id = "big"}).size(), 4u);
}

TEST_P(StoreConformanceTest, BadObservationPageArgumentsAreInvalidArgument) {
  if (!HasObservationPages(*store_)) GTEST_SKIP() << "backend cannot page observations (ListTraceObservations is Unimplemented)";
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "p", .observations = ShuffledTrace(1)}).ok());
  for (const ObservationQuery& query : {
           ObservationQuery{.project = "", .trace_id = "big"},
           ObservationQuery{.project = "p", .trace_id = ""},
           ObservationQuery{.project = "p", .trace_id = "big", .limit = 0},
           ObservationQuery{.project = "p", .trace_id = "big", .limit = kMaxListLimit + 1},
           ObservationQuery{.project = "p", .trace_id = "big", .cursor = "not a cursor"},
       }) {
    absl::StatusOr<ObservationPage> page = store_->ListTraceObservations(query);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument)
        << "limit " << query.limit << " cursor '" << query.cursor << "'";
  }
  EXPECT_THAT(AllPages(*store_, ObservationQuery{.project = "p", .trace_id = "big", .limit = kMaxListLimit}),
              ::testing::SizeIs(2));
}

}  // namespace
}  // namespace trackly::store::conformance
