// TraceFinisher over a real embedded store with a fake clock: a trace is evaluated once quiet, its
// stop reason and findings stored as scores the trace list filters on; a late span makes it due
// again; a trace gone meanwhile is dropped.
#include "server/trace_finisher.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "analysis/test_trace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/write_watching_store.h"
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

}  // namespace
}  // namespace trackly::server
