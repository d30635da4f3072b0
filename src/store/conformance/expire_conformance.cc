// Conformance of Store::Expire (store/store.h): a project's payloads older than a day go and
// their summaries stay; its traces older than another day go entirely; other projects and newer
// data are untouched; durable, idempotent, and a late write into an expired day is expired again.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "model/observation_fragment.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using model::Observation;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kDayNs = int64_t{86'400} * 1'000 * kMs;
// Noon (UTC) of a day, so a trace never straddles midnight.
constexpr int64_t kDay0Noon = (1'795'314'529'000'000'000 / kDayNs) * kDayNs + kDayNs / 2;
const int64_t kDay0 = DayOf(kDay0Noon);

// A trace of `day` (days after day 0): a root with input, output, metadata and an attribute, and
// a generation with tokens, cost and its own prompt and completion.
std::vector<Observation> TraceOnDay(const std::string& trace_id, int day) {
  Observation root;
  root.trace_id = trace_id;
  root.id = absl::StrCat(trace_id, "-root");
  root.name = "agent run";
  root.start_time_ns = kDay0Noon + day * kDayNs;
  root.end_time_ns = root.start_time_ns + 500 * kMs;
  root.status = model::Status::kOk;
  root.input = absl::StrCat("secret question ", trace_id);
  root.output = absl::StrCat("secret answer ", trace_id);
  root.metadata = {{"customer", absl::StrCat("acme-", trace_id)}};
  root.attributes = {{"app.note", "confidential"}};
  root.trace_hints.session_id = "s1";
  root.trace_hints.user_id = "ann";
  root.trace_hints.tags = {"prod"};
  root.trace_hints.trace_input = root.input;
  root.trace_hints.trace_output = root.output;
  root.trace_hints.trace_metadata = root.metadata;
  Observation generation;
  generation.trace_id = trace_id;
  generation.id = absl::StrCat(trace_id, "-gen");
  generation.parent_id = root.id;
  generation.type = model::ObservationType::kGeneration;
  generation.name = "chat";
  generation.model = "gpt-4o";
  generation.start_time_ns = root.start_time_ns + 10 * kMs;
  generation.end_time_ns = root.start_time_ns + 400 * kMs;
  generation.status = model::Status::kOk;
  generation.input = model::Json::array({{{"role", "user"}, {"content", absl::StrCat("prompt of ", trace_id)}}});
  generation.output = absl::StrCat("completion of ", trace_id);
  generation.model_parameters = {{"temperature", 0.2}};
  generation.events = {model::Event{.name = "token", .time_ns = generation.start_time_ns + kMs,
                                    .attributes = {{"text", "leaky"}}}};
  generation.usage = model::Usage{.input_tokens = 100, .output_tokens = 10, .total_tokens = 110};
  generation.cost = model::Cost{.input = 0.5, .output = 0.25, .total = 0.75, .source = model::CostSource::kProvided};
  return {root, generation};
}

// A span of `trace_id` on `day` written as a fragment, carrying text of its own.
model::ObservationFragment FragmentOnDay(const std::string& trace_id, int day) {
  Observation o;
  o.id = absl::StrCat(trace_id, "-frag");
  o.trace_id = trace_id;
  o.parent_id = absl::StrCat(trace_id, "-root");
  o.name = "retrieve";
  o.start_time_ns = kDay0Noon + day * kDayNs + 20 * kMs;
  o.end_time_ns = o.start_time_ns + kMs;
  o.input = absl::StrCat("fragment query of ", trace_id);
  return model::ObservationFragment{
      .observation = o,
      .fields = model::kFieldName | model::kFieldParent | model::kFieldStartTime | model::kFieldEndTime |
                model::kFieldInput,
      .kind = model::FragmentKind::kCreate,
      .event_time_ns = o.start_time_ns,
      .event_id = absl::StrCat("event-", o.id)};
}

// Project p: "old" on day 0 (with a fragment), "mid" on day 1, "new" on day 2. Project q: "old"
// on day 0, the same id as p's.
void WriteFixture(Store& store) {
  ASSERT_TRUE(WriteAndWait(store, WriteBatch{.project = "p", .observations = TraceOnDay("old", 0),
                                             .fragments = {FragmentOnDay("old", 0)}})
                  .ok());
  ASSERT_TRUE(WriteAndWait(store, WriteBatch{.project = "p", .observations = TraceOnDay("mid", 1)}).ok());
  ASSERT_TRUE(WriteAndWait(store, WriteBatch{.project = "p", .observations = TraceOnDay("new", 2)}).ok());
  ASSERT_TRUE(WriteAndWait(store, WriteBatch{.project = "q", .observations = TraceOnDay("old", 0)}).ok());
}

// What a trace keeps once its payload has expired: the summary.
void ExpectOnlySummary(const Observation& o) {
  SCOPED_TRACE(o.id);
  EXPECT_TRUE(o.payload_expired);
  EXPECT_TRUE(o.input.is_null());
  EXPECT_TRUE(o.output.is_null());
  EXPECT_TRUE(o.metadata.empty());
  EXPECT_TRUE(o.attributes.empty());
  EXPECT_TRUE(o.model_parameters.empty());
  EXPECT_THAT(o.events, IsEmpty());
  EXPECT_TRUE(o.trace_hints.trace_input.is_null());
  EXPECT_TRUE(o.trace_hints.trace_output.is_null());
  EXPECT_TRUE(o.trace_hints.trace_metadata.empty());
  EXPECT_FALSE(o.name.empty());
  EXPECT_NE(o.start_time_ns, 0);
  EXPECT_NE(o.end_time_ns, 0);
}

// The full trace, as WriteFixture wrote it.
void ExpectWhole(Store& store, const std::string& project, const std::string& trace_id) {
  SCOPED_TRACE(absl::StrCat(project, "/", trace_id));
  absl::StatusOr<TraceDetail> detail = store.GetTrace(project, trace_id);
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->trace.input, model::Json(absl::StrCat("secret question ", trace_id)));
  for (const Observation& o : detail->observations) {
    EXPECT_FALSE(o.payload_expired) << o.id;
    if (o.id == absl::StrCat(trace_id, "-gen")) {
      EXPECT_EQ(o.output, model::Json(absl::StrCat("completion of ", trace_id)));
      EXPECT_EQ(o.events.size(), 1u);
    }
  }
}

std::vector<std::string> Search(Store& store, const std::string& project, const std::string& text) {
  absl::StatusOr<TracePage> page = store.ListTraces(TraceQuery{.project = project, .text = text});
  EXPECT_TRUE(page.ok()) << page.status();
  std::vector<std::string> ids;
  if (page.ok()) {
    for (const model::Trace& trace : page->traces) ids.push_back(trace.id);
  }
  return ids;
}

#define EXPIRE_TEST_SETUP()                                                                         \
  if (!HasExpire(*store_)) GTEST_SKIP() << "backend cannot expire (Expire is Unimplemented)";       \
  ASSERT_NO_FATAL_FAILURE(WriteFixture(*store_))

TEST_P(StoreConformanceTest, ExpirePayloadsKeepsTheSummaryOfOlderTraces) {
  EXPIRE_TEST_SETUP();
  absl::StatusOr<ExpireStats> stats =
      store_->Expire(ExpireRequest{.project = "p", .payload_before_day = kDay0 + 2});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GE(stats->partitions_dropped, 1);
  EXPECT_EQ(stats->traces_removed, 0);

  for (const std::string trace_id : {"old", "mid"}) {
    SCOPED_TRACE(trace_id);
    absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", trace_id);
    ASSERT_TRUE(detail.ok()) << detail.status();
    // The summary outlives the payload: names, timing, tokens, cost, status, session and user.
    EXPECT_EQ(detail->trace.name, "agent run");
    EXPECT_EQ(detail->trace.usage.input_tokens, 100);
    EXPECT_DOUBLE_EQ(detail->trace.cost.total, 0.75);
    EXPECT_EQ(detail->trace.status, model::Status::kOk);
    EXPECT_EQ(detail->trace.session_id, "s1");
    EXPECT_EQ(detail->trace.user_id, "ann");
    EXPECT_THAT(detail->trace.tags, ElementsAre("prod"));
    EXPECT_TRUE(detail->trace.input.is_null());
    EXPECT_TRUE(detail->trace.output.is_null());
    EXPECT_TRUE(detail->trace.metadata.empty());
    ASSERT_GE(detail->observations.size(), 2u);
    for (const Observation& o : detail->observations) ExpectOnlySummary(o);
    const std::string gen_id = absl::StrCat(trace_id, "-gen");
    absl::StatusOr<Observation> gen = store_->GetObservation("p", trace_id, gen_id);
    if (!absl::IsUnimplemented(gen.status())) {
      ASSERT_TRUE(gen.ok()) << gen.status();
      ExpectOnlySummary(*gen);
      EXPECT_EQ(gen->model, "gpt-4o");
      EXPECT_EQ(gen->usage.total_tokens, 110);
      EXPECT_DOUBLE_EQ(gen->cost.total, 0.75);
      EXPECT_EQ(gen->type, model::ObservationType::kGeneration);
    }
    if (HasObservationPages(*store_)) {
      for (bool summary_only : {false, true}) {
        absl::StatusOr<ObservationPage> page = store_->ListTraceObservations(
            ObservationQuery{.project = "p", .trace_id = trace_id, .summary_only = summary_only});
        ASSERT_TRUE(page.ok()) << page.status();
        ASSERT_GE(page->observations.size(), 2u);
        for (const PagedObservation& paged : page->observations) ExpectOnlySummary(paged.observation);
      }
    }
  }
  ExpectWhole(*store_, "p", "new");
  ExpectWhole(*store_, "q", "old");

  absl::StatusOr<TracePage> listed = store_->ListTraces(TraceQuery{.project = "p"});
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->traces.size(), 3u);
  for (const model::Trace& trace : listed->traces) {
    EXPECT_EQ(trace.usage.total_tokens, 110) << trace.id;
    EXPECT_EQ(trace.input.is_null(), trace.id != "new") << trace.id;
  }
  if (store_->capabilities().full_text_search) {
    EXPECT_THAT(Search(*store_, "p", "secret"), ElementsAre("new"));
    EXPECT_THAT(Search(*store_, "q", "secret"), ElementsAre("old"));
  }
  absl::StatusOr<SessionDetail> session = store_->GetSession("p", "s1");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->session.trace_count, 3);
  if (HasMetrics(*store_)) {
    absl::StatusOr<MetricsResult> tokens = store_->QueryMetrics(
        MetricsQuery{.project = "p", .measures = {Measure::kInputTokens}, .group_by = {model::MetricsDimension::kModel}});
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    ASSERT_EQ(tokens->rows.size(), 2u);  // the roots (no model) and gpt-4o: 3 traces' worth, expired or not
    EXPECT_EQ(tokens->rows[1].group[0], "gpt-4o");
    EXPECT_EQ(*tokens->rows[1].values[0], 300);
  }
}

TEST_P(StoreConformanceTest, ExpireSummariesRemovesOlderTracesEntirely) {
  EXPIRE_TEST_SETUP();
  absl::StatusOr<ExpireStats> stats =
      store_->Expire(ExpireRequest{.project = "p", .payload_before_day = kDay0 + 1, .summary_before_day = kDay0 + 1});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->traces_removed, 1);
  EXPECT_TRUE(absl::IsNotFound(store_->GetTrace("p", "old").status()));
  absl::StatusOr<TracePage> listed = store_->ListTraces(TraceQuery{.project = "p"});
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->traces.size(), 2u);
  EXPECT_EQ(listed->traces[0].id, "new");
  EXPECT_EQ(listed->traces[1].id, "mid");
  absl::StatusOr<SessionDetail> session = store_->GetSession("p", "s1");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->session.trace_count, 2);
  if (HasMetrics(*store_)) {
    absl::StatusOr<MetricsResult> runs = store_->QueryMetrics(
        MetricsQuery{.project = "p", .level = MetricsLevel::kTrace, .measures = {Measure::kCount}});
    ASSERT_TRUE(runs.ok()) << runs.status();
    ASSERT_EQ(runs->rows.size(), 1u);
    EXPECT_EQ(*runs->rows[0].values[0], 2);
  }
  ExpectWhole(*store_, "p", "mid");
  ExpectWhole(*store_, "q", "old");
}

TEST_P(StoreConformanceTest, ExpireIsDurableAndIdempotent) {
  EXPIRE_TEST_SETUP();
  const ExpireRequest request{.project = "p", .payload_before_day = kDay0 + 1};
  ASSERT_TRUE(store_->Expire(request).ok());
  absl::StatusOr<ExpireStats> again = store_->Expire(request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->partitions_dropped, 0);
  EXPECT_EQ(again->traces_cleared, 0);
  EXPECT_EQ(again->traces_removed, 0);
  Reopen();
  absl::StatusOr<TraceDetail> old = store_->GetTrace("p", "old");
  ASSERT_TRUE(old.ok()) << old.status();
  for (const Observation& o : old->observations) ExpectOnlySummary(o);
  ExpectWhole(*store_, "p", "mid");
}

TEST_P(StoreConformanceTest, ExpireRemovesALaterWriteIntoAnExpiredDayOnItsNextRun) {
  EXPIRE_TEST_SETUP();
  const ExpireRequest request{.project = "p", .payload_before_day = kDay0 + 1};
  ASSERT_TRUE(store_->Expire(request).ok());
  std::vector<Observation> late = TraceOnDay("late", 0);
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "p", .observations = late}).ok());
  ASSERT_TRUE(store_->Expire(request).ok());
  absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", "late");
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_TRUE(detail->trace.input.is_null());
  for (const Observation& o : detail->observations) ExpectOnlySummary(o);
  if (store_->capabilities().full_text_search) {
    EXPECT_THAT(Search(*store_, "p", "secret"), ElementsAre("new", "mid"));
  }
}

TEST_P(StoreConformanceTest, ExpireWithNothingSetChangesNothing) {
  EXPIRE_TEST_SETUP();
  absl::StatusOr<ExpireStats> stats = store_->Expire(ExpireRequest{.project = "p"});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->partitions_dropped, 0);
  EXPECT_EQ(stats->traces_cleared, 0);
  EXPECT_EQ(stats->traces_removed, 0);
  for (const std::string trace_id : {"old", "mid", "new"}) ExpectWhole(*store_, "p", trace_id);
}

TEST_P(StoreConformanceTest, ExpireRejectsAnInvalidRequest) {
  if (!HasExpire(*store_)) GTEST_SKIP() << "backend cannot expire (Expire is Unimplemented)";
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Expire(ExpireRequest{.payload_before_day = 5}).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(store_->Expire(ExpireRequest{.project = "p", .payload_before_day = -1}).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(store_->Expire(ExpireRequest{.project = "p", .summary_before_day = -1}).status()));
}

}  // namespace
}  // namespace trackly::store::conformance
