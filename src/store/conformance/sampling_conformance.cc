// Conformance of tail sampling's storage (docs/insight.md "Tail sampling"): Store::DropSampledOut
// removes the named traces from every read but keeps the metrics and workflow rollups, in their
// project only (an erasure of a dropped trace's id still takes its share); Catalog keeps each project's policy (normalized, validated) and its daily counts.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using model::Observation;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kBase = 1'795'314'529'000'000'000;

bool HasDropSampledOut(Store& store) {
  return !absl::IsUnimplemented(store.DropSampledOut("", {}).status());
}

bool HasSamplingPolicies(Catalog& catalog) {
  return catalog.ListSamplingPolicies().status().code() != absl::StatusCode::kUnimplemented;
}

// A root and a generation with tokens, in `session`, its root's input searchable as `word`.
std::vector<Observation> Trace(const std::string& trace_id, int64_t start_ms, const std::string& session,
                               const std::string& word) {
  Observation root;
  root.trace_id = trace_id;
  root.id = absl::StrCat(trace_id, "-root");
  root.name = "agent run";
  root.start_time_ns = kBase + start_ms * kMs;
  root.end_time_ns = root.start_time_ns + 500 * kMs;
  root.status = model::Status::kOk;
  root.input = absl::StrCat("question about ", word);
  root.trace_hints.user_id = "ada";
  root.trace_hints.session_id = session;
  Observation generation = root;
  generation.id = absl::StrCat(trace_id, "-gen");
  generation.parent_id = root.id;
  generation.type = model::ObservationType::kGeneration;
  generation.name = "chat";
  generation.model = "gpt-4o";
  generation.usage = model::Usage{.input_tokens = 100, .output_tokens = 10, .total_tokens = 110};
  generation.trace_hints = {};
  return {root, generation};
}

model::Score ScoreOn(const std::string& trace_id) {
  return model::Score{.id = absl::StrCat("score-", trace_id), .trace_id = trace_id, .name = "quality",
                      .value = 1, .source = "API", .time_ns = kBase};
}

// Every figure of the rollups a dashboard reads, as text: runs, errors and tokens per model,
// per user and per trace name.
std::string Metrics(Store& store, const std::string& project) {
  std::string out;
  for (auto [level, dimension, measure] :
       {std::tuple{MetricsLevel::kTrace, model::MetricsDimension::kUserId, Measure::kCount},
        std::tuple{MetricsLevel::kTrace, model::MetricsDimension::kName, Measure::kCount},
        std::tuple{MetricsLevel::kObservation, model::MetricsDimension::kModel, Measure::kInputTokens}}) {
    absl::StatusOr<MetricsResult> result = store.QueryMetrics(
        MetricsQuery{.project = project, .level = level, .measures = {measure}, .group_by = {dimension}});
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) continue;
    for (const MetricsRow& row : result->rows) absl::StrAppend(&out, row.group[0], "=", *row.values[0], ";");
  }
  return out;
}

TEST_P(StoreConformanceTest, DropSampledOutRemovesTracesFromEveryReadButKeepsTheMetrics) {
  if (!HasDropSampledOut(*store_)) GTEST_SKIP() << "backend cannot drop sampled-out traces";
  // alpha: t1 and t2 in session s, t3 alone; beta has a trace with t1's id.
  for (const auto& [id, start, session, word] :
       {std::tuple{"t1", 0, "s", "apples"}, std::tuple{"t2", 1000, "s", "pears"}, std::tuple{"t3", 2000, "", "plums"}}) {
    ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "alpha",
                                                 .observations = Trace(id, start, session, word),
                                                 .scores = {ScoreOn(id)}})
                    .ok());
  }
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "beta", .observations = Trace("t1", 0, "s", "apples"),
                                               .scores = {ScoreOn("t1")}})
                  .ok());
  const std::string alpha_metrics = Metrics(*store_, "alpha");
  const std::string beta_metrics = Metrics(*store_, "beta");
  ASSERT_THAT(alpha_metrics, HasSubstr("ada=3"));

  absl::StatusOr<EraseStats> dropped = store_->DropSampledOut("alpha", {"t1", "t3", "never-stored"});
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(dropped->traces, 2);
  EXPECT_EQ(dropped->observations, 4);
  EXPECT_EQ(dropped->scores, 2);

  EXPECT_THAT(StoredTraceIds(*store_, "alpha"), ElementsAre("t2"));
  EXPECT_TRUE(absl::IsNotFound(store_->GetTrace("alpha", "t1").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetTrace("alpha", "t3").status()));
  EXPECT_THAT(StoredScoreIds(*store_, "alpha"), ElementsAre("score-t2"));
  if (store_->capabilities().full_text_search) {
    EXPECT_THAT(StoredTraceIds(*store_, "alpha", "apples"), IsEmpty());
    EXPECT_THAT(StoredTraceIds(*store_, "alpha", "pears"), ElementsAre("t2"));
  }
  // The session keeps only what is left of it.
  absl::StatusOr<SessionDetail> session = store_->GetSession("alpha", "s");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->session.trace_count, 1);
  // The rollups still count every run.
  EXPECT_EQ(Metrics(*store_, "alpha"), alpha_metrics);
  // The other project is untouched.
  EXPECT_THAT(StoredTraceIds(*store_, "beta"), ElementsAre("t1"));
  EXPECT_THAT(StoredScoreIds(*store_, "beta"), ElementsAre("score-t1"));
  EXPECT_EQ(Metrics(*store_, "beta"), beta_metrics);

  // Durable, and dropping again finds nothing.
  Reopen();
  EXPECT_THAT(StoredTraceIds(*store_, "alpha"), ElementsAre("t2"));
  EXPECT_EQ(Metrics(*store_, "alpha"), alpha_metrics);
  absl::StatusOr<EraseStats> again = store_->DropSampledOut("alpha", {"t1", "t3"});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->traces, 0);
}

TEST_P(StoreConformanceTest, ErasingADroppedTracesIdTakesItsShareOutOfTheMetrics) {
  if (!HasDropSampledOut(*store_) || !HasErase(*store_)) GTEST_SKIP() << "backend cannot drop or erase traces";
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "alpha", .observations = Trace("t1", 0, "", "x")}).ok());
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "alpha", .observations = Trace("t2", 10, "", "y")}).ok());
  ASSERT_TRUE(store_->DropSampledOut("alpha", {"t1"}).ok());
  ASSERT_THAT(Metrics(*store_, "alpha"), HasSubstr("ada=2"));
  ASSERT_TRUE(store_->Erase(EraseRequest{.project = "alpha", .trace_id = "t1"}).ok());
  EXPECT_THAT(Metrics(*store_, "alpha"), HasSubstr("ada=1;"));
  EXPECT_THAT(StoredTraceIds(*store_, "alpha"), ElementsAre("t2"));
}

TEST_P(StoreConformanceTest, ErasingAUserTakesTheShareOfTheirDroppedTracesOutOfTheMetrics) {
  if (!HasDropSampledOut(*store_) || !HasErase(*store_)) GTEST_SKIP() << "backend cannot drop or erase traces";
  std::vector<Observation> bob = Trace("t2", 10, "s2", "y");
  bob[0].trace_hints.user_id = "bob";
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "alpha", .observations = Trace("t1", 0, "s1", "x")}).ok());
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "alpha", .observations = bob}).ok());
  ASSERT_TRUE(store_->DropSampledOut("alpha", {"t1"}).ok());
  ASSERT_THAT(Metrics(*store_, "alpha"), HasSubstr("ada=1;"));
  ASSERT_TRUE(store_->Erase(EraseRequest{.project = "alpha", .user_id = "ada"}).ok());
  // Not even a row naming the user is left.
  EXPECT_THAT(Metrics(*store_, "alpha"), ::testing::Not(HasSubstr("ada")));
  EXPECT_THAT(Metrics(*store_, "alpha"), HasSubstr("bob=1;"));
}

TEST_P(StoreConformanceTest, SummaryExpiryTakesTheShareOfDroppedTracesOutOfTheMetrics) {
  if (!HasDropSampledOut(*store_) || !HasExpire(*store_) || !HasMetrics(*store_)) {
    GTEST_SKIP() << "backend cannot drop or expire traces";
  }
  const int64_t day = DayOf(kBase);
  std::vector<Observation> later = Trace("t2", 0, "", "y");
  for (Observation& o : later) {
    o.start_time_ns += 2 * kNanosPerDay;
    o.end_time_ns += 2 * kNanosPerDay;
  }
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "alpha", .observations = Trace("t1", 0, "", "x")}).ok());
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "alpha", .observations = later}).ok());
  ASSERT_TRUE(store_->DropSampledOut("alpha", {"t1", "t2"}).ok());
  ASSERT_THAT(Metrics(*store_, "alpha"), HasSubstr("ada=2;"));
  ASSERT_TRUE(store_->Expire(ExpireRequest{.project = "alpha", .summary_before_day = day + 1}).ok());
  EXPECT_THAT(Metrics(*store_, "alpha"), HasSubstr("ada=1;"));  // the later run still counts
}

TEST_P(StoreConformanceTest, DropSampledOutKeepsTheWorkflowRollups) {
  if (!HasDropSampledOut(*store_)) GTEST_SKIP() << "backend cannot drop sampled-out traces";
  if (absl::IsUnimplemented(store_->QueryWorkflowRollup(WorkflowRollupQuery{}).status())) {
    GTEST_SKIP() << "backend has no workflow rollups";
  }
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "alpha", .observations = Trace("t1", 0, "", "x")}).ok());
  model::WorkflowRollup rollup;
  const int32_t root = rollup.FindOrAddNode(-1, "agent:agent run");
  rollup.mutable_node(root).runs = 1;
  rollup.mutable_node(root).calls = 1;
  rollup.mutable_totals().runs = 1;
  rollup.mutable_totals().spans = 2;
  ASSERT_TRUE(store_
                  ->RecordWorkflowRuns("alpha", {WorkflowRun{.trace_id = "t1", .name = "agent run",
                                                             .start_ns = kBase, .rollup = rollup}})
                  .ok());
  const WorkflowRollupQuery query{.project = "alpha", .name = "agent run"};
  absl::StatusOr<model::WorkflowRollup> before = store_->QueryWorkflowRollup(query);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->totals().runs, 1);
  ASSERT_TRUE(store_->DropSampledOut("alpha", {"t1"}).ok());
  EXPECT_THAT(StoredTraceIds(*store_, "alpha"), IsEmpty());
  absl::StatusOr<model::WorkflowRollup> after = store_->QueryWorkflowRollup(query);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, *before);
}

TEST_P(StoreConformanceTest, ASpanAfterTheDropStartsTheTraceAnew) {
  if (!HasDropSampledOut(*store_)) GTEST_SKIP() << "backend cannot drop sampled-out traces";
  std::vector<Observation> trace = Trace("t1", 0, "", "x");
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "alpha", .observations = {trace[0]}}).ok());
  ASSERT_TRUE(store_->DropSampledOut("alpha", {"t1"}).ok());
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "alpha", .observations = {trace[1]}}).ok());
  absl::StatusOr<TraceDetail> detail = store_->GetTrace("alpha", "t1");
  ASSERT_TRUE(detail.ok()) << detail.status();
  ASSERT_EQ(detail->observations.size(), 1u);
  EXPECT_EQ(detail->observations[0].id, "t1-gen");
}

TEST_P(StoreConformanceTest, DropSampledOutRejectsAMissingProjectOrAnEmptyId) {
  if (!HasDropSampledOut(*store_)) GTEST_SKIP() << "backend cannot drop sampled-out traces";
  EXPECT_EQ(store_->DropSampledOut("", {"t1"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->DropSampledOut("alpha", {"t1", ""}).status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<EraseStats> none = store_->DropSampledOut("alpha", {});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->traces, 0);
}

TEST_P(CatalogConformanceTest, PutsGetsAndListsASamplingPolicyNormalized) {
  if (!HasSamplingPolicies(*catalog_)) GTEST_SKIP() << "backend keeps no sampling policies";
  ASSERT_TRUE(catalog_->CreateProject("alpha", kBase).ok());
  ASSERT_TRUE(catalog_->CreateProject("beta", kBase).ok());
  absl::StatusOr<SamplingPolicyRecord> none = catalog_->GetSamplingPolicy("alpha");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->policy_json, R"({"enabled":false})");
  EXPECT_EQ(none->updated_ns, 0);
  EXPECT_TRUE(catalog_->ListSamplingPolicies()->empty());

  absl::StatusOr<SamplingPolicyRecord> put = catalog_->PutSamplingPolicy(
      "alpha", R"({"keep_fraction": 0.25, "enabled": true, "keep_latency_above_ms": 30000})", kBase + 1);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_THAT(put->policy_json, HasSubstr(R"("keep_fraction":0.25)"));
  EXPECT_THAT(put->policy_json, HasSubstr(R"("keep_errors":true)"));  // defaults spelled out
  absl::StatusOr<SamplingPolicyRecord> same =
      catalog_->PutSamplingPolicy("alpha", R"({"enabled":true,"keep_latency_above_ms":30000,"keep_fraction":0.25})",
                                  kBase + 2);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->policy_json, put->policy_json);
  absl::StatusOr<SamplingPolicyRecord> got = catalog_->GetSamplingPolicy("alpha");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->policy_json, put->policy_json);
  EXPECT_EQ(got->updated_ns, kBase + 2);
  EXPECT_EQ(catalog_->GetSamplingPolicy("beta")->updated_ns, 0);

  absl::StatusOr<SamplingPolicyRecord> bad = catalog_->PutSamplingPolicy("alpha", R"({"keep_fraction": 2})", kBase + 3);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("keep_fraction"));
  EXPECT_EQ(catalog_->GetSamplingPolicy("alpha")->updated_ns, kBase + 2);  // nothing changed
  EXPECT_TRUE(absl::IsNotFound(catalog_->PutSamplingPolicy("nope", "{}", kBase).status()));
  EXPECT_TRUE(absl::IsNotFound(catalog_->GetSamplingPolicy("nope").status()));

  absl::StatusOr<std::vector<SamplingPolicyRecord>> all = catalog_->ListSamplingPolicies();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].project, "alpha");
}

TEST_P(CatalogConformanceTest, AddsSamplingCountsPerProjectAndDay) {
  if (!HasSamplingPolicies(*catalog_)) GTEST_SKIP() << "backend keeps no sampling policies";
  ASSERT_TRUE(catalog_->CreateProject("alpha", kBase).ok());
  ASSERT_TRUE(catalog_->CreateProject("beta", kBase).ok());
  const SamplingTally first{.kept = 3, .dropped = 7, .kept_by_reason = {{"error", 2}, {"fraction", 1}}};
  const SamplingTally second{.kept = 1, .dropped = 2, .kept_by_reason = {{"error", 1}}};
  ASSERT_TRUE(catalog_->AddSamplingCounts("alpha", 100, first).ok());
  ASSERT_TRUE(catalog_->AddSamplingCounts("alpha", 100, second).ok());
  ASSERT_TRUE(catalog_->AddSamplingCounts("alpha", 102, second).ok());
  ASSERT_TRUE(catalog_->AddSamplingCounts("beta", 100, first).ok());
  ASSERT_TRUE(catalog_->AddSamplingCounts("alpha", 103, SamplingTally{}).ok());  // nothing to add
  EXPECT_TRUE(absl::IsNotFound(catalog_->AddSamplingCounts("nope", 100, first)));
  EXPECT_EQ(catalog_->AddSamplingCounts("alpha", 100, SamplingTally{.dropped = -1}).code(),
            absl::StatusCode::kInvalidArgument);

  absl::StatusOr<std::vector<SamplingDayCounts>> counts = catalog_->ListSamplingCounts("alpha", 0, 1000);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_THAT(*counts,
              ElementsAre(SamplingDayCounts{.day = 100,
                                            .tally = {.kept = 4, .dropped = 9,
                                                      .kept_by_reason = {{"error", 3}, {"fraction", 1}}}},
                          SamplingDayCounts{.day = 102, .tally = second}));
  absl::StatusOr<std::vector<SamplingDayCounts>> one_day = catalog_->ListSamplingCounts("alpha", 101, 102);
  ASSERT_TRUE(one_day.ok()) << one_day.status();
  EXPECT_THAT(*one_day, ElementsAre(SamplingDayCounts{.day = 102, .tally = second}));
  EXPECT_THAT(*catalog_->ListSamplingCounts("beta", 0, 1000),
              UnorderedElementsAre(SamplingDayCounts{.day = 100, .tally = first}));
  EXPECT_TRUE(absl::IsNotFound(catalog_->ListSamplingCounts("nope", 0, 1).status()));
}

}  // namespace
}  // namespace trackly::store::conformance
