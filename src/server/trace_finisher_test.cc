// TraceFinisher over a real embedded store with a fake clock: a trace is evaluated once quiet, its
// stop reason and findings stored as scores the trace list filters on; a late span makes it due
// again; a trace gone meanwhile is dropped; tail sampling keeps what its policy says and drops the
// rest after their workflow runs are recorded.
#include "server/trace_finisher.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "analysis/sampling.h"
#include "analysis/test_trace.h"
#include "analysis/workflow_graph.h"
#include "model/summary.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/write_watching_store.h"
#include "store/forwarding_store.h"
#include "store/sqlite/sqlite_store.h"

namespace trackly::server {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using namespace analysis::testing;  // NOLINT: the synthetic trace builders

constexpr int64_t kSecond = 1'000'000'000;

// An agent that calls the same search three times with the same arguments, then answers.
std::vector<model::Observation> LoopingTrace(const std::string& trace_id) {
  std::vector<model::Observation> trace = {
      Obs("root", "", 0, 900, model::ObservationType::kAgent),
      Gen("plan", "root", 10, 100, 50),
      Tool("s1", "root", 110, 200, "search", {{"q", "weather in Paris"}}),
      Tool("s2", "root", 210, 300, "search", {{"q", "weather in Paris"}}),
      Tool("s3", "root", 310, 400, "search", {{"q", "weather in Paris"}}),
      Gen("answer", "root", 410, 800, 80, "It is sunny.", "stop"),
  };
  for (model::Observation& o : trace) o.trace_id = trace_id;
  return trace;
}

// Score names of a trace, as "name=value".
std::vector<std::string> ScoresOf(store::Store& store, const std::string& trace_id) {
  absl::StatusOr<store::ScorePage> page =
      store.ListScores(store::ScoreQuery{.project = "p", .trace_id = trace_id, .limit = 100});
  EXPECT_TRUE(page.ok()) << page.status();
  std::vector<std::string> out;
  if (!page.ok()) return out;
  for (const model::Score& score : page->scores) {
    EXPECT_EQ(score.source, kEvaluationSource);
    out.push_back(absl::StrCat(score.name, "=", score.value.dump()));
  }
  return out;
}

class TraceFinisherTest : public testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = (std::filesystem::temp_directory_path() / absl::StrCat("trackly-finisher-test-", getpid(), "-", counter++))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    absl::StatusOr<std::unique_ptr<store::SqliteStore>> opened = store::SqliteStore::Open({.dir = dir_, .sync_full = false});
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = *std::move(opened);
    finisher_ = std::make_unique<TraceFinisher>(*store_, clock_, TraceFinisherOptions{.quiet = absl::Seconds(30)});
    watched_ = std::make_unique<WriteWatchingStore>(
        *store_, [this](std::string_view project, std::string_view trace_id) { finisher_->Touch(project, trace_id); });
  }
  void TearDown() override {
    watched_.reset();
    finisher_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  absl::Status Ingest(std::vector<model::Observation> observations) {
    return store::WriteAndWait(*watched_, store::WriteBatch{.project = "p", .observations = std::move(observations)});
  }

  std::string dir_;
  FakeClock clock_{Ns(0)};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<TraceFinisher> finisher_;
  std::unique_ptr<WriteWatchingStore> watched_;
};

TEST_F(TraceFinisherTest, EvaluatesATraceOnceQuietAndStoresItsStopReasonAndFindingsAsScores) {
  ASSERT_TRUE(Ingest(LoopingTrace("t1")).ok());
  EXPECT_EQ(finisher_->pending(), 1u);
  clock_.Advance(29 * kSecond);
  EXPECT_EQ(finisher_->FinishDue(), 0);  // still within the quiet delay
  clock_.Advance(2 * kSecond);
  EXPECT_EQ(finisher_->FinishDue(), 1);
  EXPECT_EQ(finisher_->pending(), 0u);
  EXPECT_THAT(ScoresOf(*store_, "t1"), UnorderedElementsAre("trackly.stop_reason=\"final_answer\"",
                                                            "trackly.finding.repeated_tool_call=true"));
  // The trace list filters on them.
  absl::StatusOr<store::TracePage> looping =
      store_->ListTraces(store::TraceQuery{.project = "p", .score_name = "trackly.finding.repeated_tool_call"});
  ASSERT_TRUE(looping.ok()) << looping.status();
  ASSERT_EQ(looping->traces.size(), 1u);
  EXPECT_EQ(looping->traces[0].id, "t1");
  absl::StatusOr<store::TracePage> errored = store_->ListTraces(
      store::TraceQuery{.project = "p", .score_name = "trackly.stop_reason", .score_value = "error"});
  ASSERT_TRUE(errored.ok()) << errored.status();
  EXPECT_TRUE(errored->traces.empty());
}

TEST_F(TraceFinisherTest, ALateSpanMakesTheTraceDueAgainAndItsScoresAreReplaced) {
  ASSERT_TRUE(Ingest(LoopingTrace("t1")).ok());
  clock_.Advance(31 * kSecond);
  ASSERT_EQ(finisher_->FinishDue(), 1);
  // The run turns out to have failed after all.
  model::Observation failure = Obs("crash", "root", 850, 890);
  failure.trace_id = "t1";
  failure.status = model::Status::kError;
  model::Observation root = LoopingTrace("t1")[0];
  root.status = model::Status::kError;
  ASSERT_TRUE(Ingest({root, failure}).ok());
  clock_.Advance(31 * kSecond);
  ASSERT_EQ(finisher_->FinishDue(), 1);
  EXPECT_THAT(ScoresOf(*store_, "t1"), UnorderedElementsAre("trackly.stop_reason=\"error\"",
                                                            "trackly.finding.repeated_tool_call=true"));
}

TEST_F(TraceFinisherTest, ScoresAloneDoNotTouchATraceAndAnErasedTraceIsDropped) {
  ASSERT_TRUE(store::WriteAndWait(*watched_, store::WriteBatch{.project = "p",
                                                               .scores = {model::Score{.id = "s", .trace_id = "t9",
                                                                                       .name = "quality", .value = 1}}})
                  .ok());
  EXPECT_EQ(finisher_->pending(), 0u);
  ASSERT_TRUE(Ingest(LoopingTrace("t2")).ok());
  ASSERT_TRUE(store_->Erase(store::EraseRequest{.project = "p", .trace_id = "t2"}).ok());
  clock_.Advance(31 * kSecond);
  EXPECT_EQ(finisher_->FinishDue(), 1);
  EXPECT_THAT(ScoresOf(*store_, "t2"), ElementsAre());
}

TEST_F(TraceFinisherTest, ChecksTheProjectsProcessRulesAndStoresEachResultAsAScore) {
  int reads = 0;
  finisher_ = std::make_unique<TraceFinisher>(
      *store_, clock_, TraceFinisherOptions{.quiet = absl::Seconds(30)},
      [&reads](std::string_view project) -> absl::StatusOr<std::vector<analysis::ProcessRule>> {
        ++reads;
        EXPECT_EQ(project, "p");
        return analysis::ParseProcessRulesText(R"({"rules": [
            {"name": "few tools", "kind": "max_tool_calls", "max": 2},
            {"name": "search first", "kind": "tool_before_answer", "tool": "search"},
            {"name": "other agents only", "kind": "max_model_calls", "max": 0, "trace_name": "other"}]})");
      });
  ASSERT_TRUE(Ingest(LoopingTrace("t1")).ok());
  ASSERT_TRUE(Ingest(LoopingTrace("t2")).ok());
  clock_.Advance(31 * kSecond);
  ASSERT_EQ(finisher_->FinishDue(), 2);
  EXPECT_EQ(reads, 1);  // once per project per pass
  EXPECT_THAT(ScoresOf(*store_, "t1"),
              UnorderedElementsAre("trackly.stop_reason=\"final_answer\"", "trackly.finding.repeated_tool_call=true",
                                   "trackly.rule.few tools=false", "trackly.rule.search first=true"));
  absl::StatusOr<store::TracePage> violating = store_->ListTraces(
      store::TraceQuery{.project = "p", .score_name = "trackly.rule.few tools", .score_max = 0});
  ASSERT_TRUE(violating.ok()) << violating.status();
  EXPECT_EQ(violating->traces.size(), 2u);
}

TEST_F(TraceFinisherTest, BeyondMaxPendingTheLongestWaitingAreEvaluatedEarly) {
  finisher_ = std::make_unique<TraceFinisher>(*store_, clock_,
                                              TraceFinisherOptions{.quiet = absl::Seconds(30), .max_pending = 2});
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(Ingest(LoopingTrace(id)).ok());
    clock_.Advance(kSecond);
  }
  EXPECT_EQ(finisher_->FinishDue(), 1);
  EXPECT_EQ(finisher_->pending(), 2u);
  EXPECT_THAT(ScoresOf(*store_, "a"), testing::SizeIs(2));
  EXPECT_THAT(ScoresOf(*store_, "b"), ElementsAre());
}

TEST_F(TraceFinisherTest, DrainEvaluatesEveryPendingTraceBeforeItsQuietDelayWithinTheBudget) {
  ASSERT_TRUE(Ingest(LoopingTrace("a")).ok());
  ASSERT_TRUE(Ingest(LoopingTrace("b")).ok());
  EXPECT_EQ(finisher_->Drain(absl::Seconds(10)), 2);  // the fake clock stands still: within budget
  EXPECT_EQ(finisher_->pending(), 0u);
  EXPECT_THAT(ScoresOf(*store_, "a"), testing::SizeIs(2));
  EXPECT_THAT(ScoresOf(*store_, "b"), testing::SizeIs(2));
}

TEST_F(TraceFinisherTest, DrainStopsAtItsBudgetAndDropsTheRest) {
  ASSERT_TRUE(Ingest(LoopingTrace("a")).ok());
  EXPECT_EQ(finisher_->Drain(absl::ZeroDuration()), 0);
  EXPECT_EQ(finisher_->pending(), 0u);
  EXPECT_THAT(ScoresOf(*store_, "a"), ElementsAre());
}

// The embedded store, reporting a spool whose figures the test sets: what a store that
// acknowledges before its writes are readable (spool/spooled_store.h) tells the finisher.
class SpoolReportingStore final : public store::ForwardingStore {
 public:
  explicit SpoolReportingStore(store::Store& backing) : ForwardingStore(backing) {}
  store::StoreStats stats() const override {
    store::StoreStats stats = ForwardingStore::stats();
    stats.spool = spool;
    return stats;
  }
  store::SpoolFigures spool{.enabled = true};
};

// A trace is quiet once the writes acknowledged up to its last touch have been shipped, not
// before, however long ago it was touched.
TEST_F(TraceFinisherTest, ATraceWaitsUntilTheSpoolHasShippedItsWrites) {
  SpoolReportingStore spooled(*store_);
  finisher_ = std::make_unique<TraceFinisher>(spooled, clock_, TraceFinisherOptions{.quiet = absl::Seconds(30)});
  ASSERT_TRUE(Ingest(LoopingTrace("a")).ok());  // touched at 0 s
  clock_.Advance(40 * kSecond);
  struct Step {
    std::string name;
    int64_t records_waiting;
    int64_t ship_lag_ms;
    int64_t evaluated;
  };
  const std::vector<Step> steps = {
      {"its own record still waits (appended at 0 s)", 1, 40'000, 0},
      {"the oldest waiting record was appended with the touch, in the same millisecond", 1, 39'999, 0},
      {"the oldest waiting record came after it", 1, 39'000, 1},
  };
  for (const Step& step : steps) {
    SCOPED_TRACE(step.name);
    spooled.spool.records_waiting = step.records_waiting;
    spooled.spool.ship_lag_ms = step.ship_lag_ms;
    EXPECT_EQ(finisher_->FinishDue(), step.evaluated);
  }
  EXPECT_THAT(ScoresOf(*store_, "a"), testing::SizeIs(2));

  ASSERT_TRUE(Ingest(LoopingTrace("b")).ok());  // touched at 40 s
  clock_.Advance(40 * kSecond);
  spooled.spool = {.enabled = true, .records_waiting = 3, .ship_lag_ms = 40'000};
  EXPECT_EQ(finisher_->FinishDue(), 0);
  spooled.spool.records_waiting = 0;  // all shipped
  EXPECT_EQ(finisher_->FinishDue(), 1);
}

// A stopping server's finisher evaluates only what the spool has shipped: it waits for the spool
// within its budget and leaves the rest.
TEST_F(TraceFinisherTest, DrainEvaluatesOnlyTracesWhoseWritesWereShippedWithinTheBudget) {
  SpoolReportingStore spooled(*store_);
  finisher_ = std::make_unique<TraceFinisher>(spooled, clock_, TraceFinisherOptions{.quiet = absl::Seconds(30)});
  ASSERT_TRUE(Ingest(LoopingTrace("a")).ok());
  spooled.spool.records_waiting = 1;  // appended at 0 s, as the touch: never shipped
  EXPECT_EQ(finisher_->Drain(absl::Milliseconds(100)), 0);
  EXPECT_THAT(ScoresOf(*store_, "a"), ElementsAre());
}

TEST_F(TraceFinisherTest, DrainEvaluatesATraceOnceTheSpoolHasShippedIt) {
  SpoolReportingStore spooled(*store_);
  finisher_ = std::make_unique<TraceFinisher>(spooled, clock_, TraceFinisherOptions{.quiet = absl::Seconds(30)});
  ASSERT_TRUE(Ingest(LoopingTrace("a")).ok());
  spooled.spool.records_waiting = 0;
  EXPECT_EQ(finisher_->Drain(absl::Seconds(10)), 1);
  EXPECT_THAT(ScoresOf(*store_, "a"), testing::SizeIs(2));
}

// The workflow graph of trace name "root" (LoopingTrace's root span names the trace) as recorded.
analysis::WorkflowGraph RecordedGraph(store::Store& store, std::optional<std::string> release = std::nullopt) {
  absl::StatusOr<model::WorkflowRollup> rollup =
      store.QueryWorkflowRollup(store::WorkflowRollupQuery{.project = "p", .name = "root", .release = std::move(release)});
  EXPECT_TRUE(rollup.ok()) << rollup.status();
  return rollup.ok() ? analysis::WorkflowGraphOfRollup(*rollup) : analysis::WorkflowGraph{};
}

TEST_F(TraceFinisherTest, RecordsEachEvaluatedRunInItsAgentsWorkflowGraphOnce) {
  std::vector<model::Observation> t1 = LoopingTrace("t1");
  std::vector<model::Observation> t2 = LoopingTrace("t2");
  for (model::Observation& o : t1) o.release = "v1";
  for (model::Observation& o : t2) o.release = "v1";
  ASSERT_TRUE(Ingest(t1).ok());
  ASSERT_TRUE(Ingest(t2).ok());
  EXPECT_EQ(RecordedGraph(*store_).totals.runs, 0);  // not evaluated yet
  clock_.Advance(31 * kSecond);
  ASSERT_EQ(finisher_->FinishDue(), 2);
  // The runs as stored (the finisher reads them back from the store).
  model::WorkflowRollup want;
  for (const char* id : {"t1", "t2"}) {
    absl::StatusOr<store::TraceDetail> stored = store_->GetTrace("p", id);
    ASSERT_TRUE(stored.ok()) << stored.status();
    want.Add(analysis::WorkflowRollupOfRun(stored->observations));
  }
  EXPECT_EQ(RecordedGraph(*store_), analysis::WorkflowGraphOfRollup(want));
  EXPECT_EQ(RecordedGraph(*store_).totals.tool_calls_per_run, 3);

  // A late span with another release: the re-evaluation replaces t1's contribution.
  model::Observation extra = Tool("s4", "root", 810, 850, "search", {{"q", "weather in Lyon"}});
  extra.trace_id = "t1";
  extra.release = "v2";
  ASSERT_TRUE(Ingest({extra}).ok());
  clock_.Advance(31 * kSecond);
  ASSERT_EQ(finisher_->FinishDue(), 1);
  absl::StatusOr<store::TraceDetail> t1_now = store_->GetTrace("p", "t1");
  ASSERT_TRUE(t1_now.ok()) << t1_now.status();
  absl::StatusOr<store::TraceDetail> t2_now = store_->GetTrace("p", "t2");
  ASSERT_TRUE(t2_now.ok()) << t2_now.status();
  want = analysis::WorkflowRollupOfRun(t1_now->observations);
  want.Add(analysis::WorkflowRollupOfRun(t2_now->observations));
  EXPECT_EQ(RecordedGraph(*store_), analysis::WorkflowGraphOfRollup(want));
  EXPECT_EQ(RecordedGraph(*store_).totals.runs, 2);
  EXPECT_EQ(RecordedGraph(*store_, t1_now->trace.release).totals.runs, t1_now->trace.release == "v1" ? 2 : 1);
}

TEST(WorkflowRunOfTest, KeysTheRunByItsTraceAndSkipsATraceWithoutAName) {
  struct Case {
    const char* name;
    std::string trace_name;
    bool recorded;
  };
  const Case cases[] = {{"Named", "planner", true}, {"Unnamed", "", false}};
  for (const Case& c : cases) {
    store::TraceDetail detail;
    detail.observations = LoopingTrace("t1");
    detail.trace = model::SummarizeTrace(detail.observations);
    detail.trace.name = c.trace_name;
    detail.trace.environment = "prod";
    detail.trace.release = "v3";
    const std::optional<store::WorkflowRun> run = WorkflowRunOf(detail);
    ASSERT_EQ(run.has_value(), c.recorded) << c.name;
    if (!run) continue;
    EXPECT_EQ(run->trace_id, "t1");
    EXPECT_EQ(run->name, "planner");
    EXPECT_EQ(run->environment, "prod");
    EXPECT_EQ(run->release, "v3");
    EXPECT_EQ(run->start_ns, detail.trace.start_time_ns);
    EXPECT_EQ(run->rollup, analysis::WorkflowRollupOfRun(detail.observations));
  }
}

// A run that answers at once: no finding, status ok (or error).
std::vector<model::Observation> CleanTrace(const std::string& trace_id, bool failed = false) {
  std::vector<model::Observation> trace = {Obs("root", "", 0, 200, model::ObservationType::kAgent),
                                           Gen("answer", "root", 10, 150, 50, "Done.", "stop")};
  for (model::Observation& o : trace) {
    o.trace_id = trace_id;
    o.usage.output_tokens = 5;
  }
  if (failed) trace[1].status = model::Status::kError;
  return trace;
}

class TraceSamplingTest : public TraceFinisherTest {
 protected:
  // Replaces the finisher with one that samples with `policy` (JSON, or an error when it does not
  // parse) and records its counts in counts_.
  void UsePolicy(std::string policy) {
    finisher_ = std::make_unique<TraceFinisher>(
        *store_, clock_, TraceFinisherOptions{.quiet = absl::Seconds(30)}, nullptr,
        SamplingHooks{.policy = [this, policy](std::string_view) -> absl::StatusOr<analysis::SamplingPolicy> {
                        ++policy_reads_;
                        return analysis::ParseSamplingPolicyText(policy);
                      },
                      .record_counts = [this](std::string_view project, int64_t day,
                                              const store::SamplingTally& tally) -> absl::Status {
                        counts_.push_back({std::string(project), day, tally});
                        return absl::OkStatus();
                      }});
  }

  // Trace ids of project p, sorted.
  std::vector<std::string> Stored() {
    absl::StatusOr<store::TracePage> page = store_->ListTraces(store::TraceQuery{.project = "p", .limit = 100});
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> ids;
    if (page.ok()) {
      for (const model::Trace& trace : page->traces) ids.push_back(trace.id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  // Runs of project p as the metrics rollups count them.
  double RunsCounted() {
    absl::StatusOr<store::MetricsResult> result = store_->QueryMetrics(
        store::MetricsQuery{.project = "p", .level = store::MetricsLevel::kTrace, .measures = {store::Measure::kCount}});
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() && !result->rows.empty() ? result->rows[0].values[0].value_or(0) : 0;
  }

  struct Counted {
    std::string project;
    int64_t day = 0;
    store::SamplingTally tally;
  };
  int policy_reads_ = 0;
  std::vector<Counted> counts_;
};

TEST_F(TraceSamplingTest, KeepsErrorsAndFindingsDropsTheRestAndCountsBothButMetricsCountEveryRun) {
  UsePolicy(R"({"enabled": true, "keep_fraction": 0})");
  ASSERT_TRUE(Ingest(CleanTrace("ok1")).ok());
  ASSERT_TRUE(Ingest(CleanTrace("ok2")).ok());
  ASSERT_TRUE(Ingest(CleanTrace("err", /*failed=*/true)).ok());
  ASSERT_TRUE(Ingest(LoopingTrace("loop")).ok());
  clock_.Advance(31 * kSecond);
  ASSERT_EQ(finisher_->FinishDue(), 4);
  EXPECT_EQ(policy_reads_, 1);  // once per project per pass
  EXPECT_THAT(Stored(), ElementsAre("err", "loop"));
  EXPECT_TRUE(absl::IsNotFound(store_->GetTrace("p", "ok1").status()));
  EXPECT_THAT(ScoresOf(*store_, "ok1"), ElementsAre());  // not written just to be deleted
  EXPECT_THAT(ScoresOf(*store_, "err"), UnorderedElementsAre("trackly.stop_reason=\"error\""));
  // One record per project per pass, on the day of the pass.
  ASSERT_EQ(counts_.size(), 1u);
  EXPECT_EQ(counts_[0].project, "p");
  EXPECT_EQ(counts_[0].day, store::DayOf(clock_.NowNanos()));
  EXPECT_EQ(counts_[0].tally, (store::SamplingTally{.kept = 2, .dropped = 2,
                                                    .kept_by_reason = {{"error", 1}, {"finding", 1}}}));
  // Dashboards and workflow graphs still count all four runs.
  EXPECT_EQ(RunsCounted(), 4);
  if (!absl::IsUnimplemented(store_->QueryWorkflowRollup(store::WorkflowRollupQuery{.project = "p", .name = "root"})
                                 .status())) {
    EXPECT_EQ(RecordedGraph(*store_).totals.runs, 4);
  }
}

TEST_F(TraceSamplingTest, KeepsATraceWhoseFeedbackIsBelowTheFloor) {
  UsePolicy(R"({"enabled": true, "keep_fraction": 0, "keep_scores_below": [{"name": "user_feedback", "value": 0.5}]})");
  ASSERT_TRUE(Ingest(CleanTrace("liked")).ok());
  ASSERT_TRUE(Ingest(CleanTrace("disliked")).ok());
  for (const auto& [trace_id, value] : {std::pair{"liked", 1.0}, std::pair{"disliked", 0.0}}) {
    ASSERT_TRUE(store::WriteAndWait(*watched_, store::WriteBatch{.project = "p",
                                                                 .scores = {model::Score{.id = absl::StrCat("fb-", trace_id),
                                                                                         .trace_id = trace_id,
                                                                                         .name = "user_feedback",
                                                                                         .value = value}}})
                    .ok());
  }
  clock_.Advance(31 * kSecond);
  ASSERT_EQ(finisher_->FinishDue(), 2);
  EXPECT_THAT(Stored(), ElementsAre("disliked"));
  ASSERT_EQ(counts_.size(), 1u);
  EXPECT_EQ(counts_[0].tally, (store::SamplingTally{.kept = 1, .dropped = 1, .kept_by_reason = {{"low_score", 1}}}));
}

TEST_F(TraceSamplingTest, ADisabledOrUnreadablePolicyKeepsEveryTraceAndCountsNothing) {
  for (const char* policy : {R"({"enabled": false, "keep_fraction": 0})", "not json"}) {
    SCOPED_TRACE(policy);
    UsePolicy(policy);
    ASSERT_TRUE(Ingest(CleanTrace("a")).ok());
    clock_.Advance(31 * kSecond);
    ASSERT_EQ(finisher_->FinishDue(), 1);
    EXPECT_THAT(Stored(), ElementsAre("a"));
    EXPECT_THAT(counts_, testing::IsEmpty());
  }
}

TEST_F(TraceSamplingTest, ALateSpanOfADroppedTraceStartsItAnewAndItIsDecidedAgain) {
  UsePolicy(R"({"enabled": true, "keep_fraction": 0})");
  ASSERT_TRUE(Ingest(CleanTrace("t1")).ok());
  clock_.Advance(31 * kSecond);
  ASSERT_EQ(finisher_->FinishDue(), 1);
  ASSERT_THAT(Stored(), ElementsAre());
  // A failing span arrives afterwards: the trace is back, with that span alone, and kept as an error.
  model::Observation late = Obs("late", "root", 300, 400);
  late.trace_id = "t1";
  late.status = model::Status::kError;
  ASSERT_TRUE(Ingest({late}).ok());
  clock_.Advance(31 * kSecond);
  ASSERT_EQ(finisher_->FinishDue(), 1);
  EXPECT_THAT(Stored(), ElementsAre("t1"));
  ASSERT_EQ(counts_.size(), 2u);
  EXPECT_EQ(counts_[1].tally, (store::SamplingTally{.kept = 1, .kept_by_reason = {{"error", 1}}}));
}

TEST_F(TraceSamplingTest, ATraceTouchedAgainDuringItsPassIsLeftForItsNextEvaluation) {
  // The policy is read while the pass runs: a span of t1 acknowledged then is simulated there.
  finisher_ = std::make_unique<TraceFinisher>(
      *store_, clock_, TraceFinisherOptions{.quiet = absl::Seconds(30)}, nullptr,
      SamplingHooks{.policy = [this](std::string_view) -> absl::StatusOr<analysis::SamplingPolicy> {
        finisher_->Touch("p", "t1");
        return analysis::ParseSamplingPolicyText(R"({"enabled": true, "keep_fraction": 0})");
      }});
  ASSERT_TRUE(Ingest(CleanTrace("t1")).ok());
  clock_.Advance(31 * kSecond);
  ASSERT_EQ(finisher_->FinishDue(), 1);
  EXPECT_THAT(Stored(), ElementsAre("t1"));  // not dropped: it is pending again
  EXPECT_EQ(finisher_->pending(), 1u);
}

}  // namespace
}  // namespace trackly::server
