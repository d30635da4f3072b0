// Conformance of scores (store/store.h WriteBatch::scores, Store::ListScores) and of
// Store::FindTraceIdOfObservation: durable idempotent upserts by score id, newest-first keyset
// pages, every filter, and project isolation.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "model/observation.h"
#include "gmock/gmock.h"
#include "model/codec.h"
#include "model/observation_fragment.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using model::Json;
using model::Score;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kBase = 1'795'314'529'000'000'000;

Score MakeScore(std::string id, std::string trace_id, int64_t time_ms, Json value = 0.5) {
  return Score{.id = std::move(id),
               .trace_id = std::move(trace_id),
               .name = "quality",
               .value = std::move(value),
               .source = "API",
               .time_ns = kBase + time_ms * kMs};
}

absl::Status WriteScores(Store& store, const std::string& project, std::vector<Score> scores) {
  return WriteAndWait(store, WriteBatch{.project = project, .scores = std::move(scores)});
}

std::vector<std::string> ScoreIds(Store& store, const ScoreQuery& query) {
  absl::StatusOr<ScorePage> page = store.ListScores(query);
  EXPECT_TRUE(page.ok()) << page.status();
  std::vector<std::string> ids;
  if (page.ok()) {
    for (const Score& score : page->scores) ids.push_back(score.id);
  }
  return ids;
}

::testing::AssertionResult SameScore(const Score& actual, const Score& expected) {
  if (actual == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\n  actual:   " << model::DumpJson(model::ToJson(actual))
                                       << "\n  expected: " << model::DumpJson(model::ToJson(expected));
}

TEST_P(StoreConformanceTest, RoundTripsEveryScoreFieldAndValueType) {
  Score numeric = MakeScore("s-num", "t1", 3, 0.875);
  numeric.observation_id = "gen-1";
  numeric.comment = "mostly right";
  numeric.source = "EVAL";
  Score categorical = MakeScore("s-cat", "t1", 2, "needs work");
  Score boolean = MakeScore("s-bool", "t1", 1, true);
  Score integer = MakeScore("s-int", "t1", 0, 3);
  ASSERT_TRUE(WriteScores(*store_, "p", {numeric, categorical, boolean, integer}).ok());

  absl::StatusOr<ScorePage> page = store_->ListScores(ScoreQuery{.project = "p"});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->scores.size(), 4u);
  EXPECT_TRUE(SameScore(page->scores[0], numeric));
  EXPECT_TRUE(SameScore(page->scores[1], categorical));
  EXPECT_TRUE(SameScore(page->scores[2], boolean));
  EXPECT_TRUE(SameScore(page->scores[3], integer));
  EXPECT_TRUE(page->scores[2].value.is_boolean());
  EXPECT_TRUE(page->scores[3].value.is_number_integer());
  EXPECT_EQ(page->next_cursor, "");
}

TEST_P(StoreConformanceTest, ScoreTimesAreFlooredToTheMicrosecond) {
  Score score = MakeScore("s", "t", 0);
  score.time_ns += 1'999;
  ASSERT_TRUE(WriteScores(*store_, "p", {score}).ok());
  absl::StatusOr<ScorePage> page = store_->ListScores(ScoreQuery{.project = "p"});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->scores.size(), 1u);
  EXPECT_EQ(page->scores[0].time_ns, kBase + 1'000);
}

TEST_P(StoreConformanceTest, RetriedScoreIsOneRowAndALaterWriteOfItsIdReplacesIt) {
  Score first = MakeScore("s1", "t1", 0, 0.1);
  ASSERT_TRUE(WriteScores(*store_, "p", {first, MakeScore("s2", "t1", 1)}).ok());
  ASSERT_TRUE(WriteScores(*store_, "p", {first}).ok());  // a client retry
  EXPECT_THAT(ScoreIds(*store_, ScoreQuery{.project = "p"}), ElementsAre("s2", "s1"));

  Score corrected = MakeScore("s1", "t2", 5, "fixed");
  corrected.comment = "re-graded";
  ASSERT_TRUE(WriteScores(*store_, "p", {corrected}).ok());
  absl::StatusOr<ScorePage> page = store_->ListScores(ScoreQuery{.project = "p"});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->scores.size(), 2u);
  EXPECT_TRUE(SameScore(page->scores[0], corrected));

  // Within one batch the later one wins too.
  ASSERT_TRUE(WriteScores(*store_, "p", {MakeScore("s3", "t1", 9, 1), MakeScore("s3", "t1", 9, 2)}).ok());
  absl::StatusOr<ScorePage> s3 = store_->ListScores(ScoreQuery{.project = "p", .limit = 1});
  ASSERT_TRUE(s3.ok()) << s3.status();
  ASSERT_EQ(s3->scores.size(), 1u);
  EXPECT_EQ(s3->scores[0].value, Json(2));
}

TEST_P(StoreConformanceTest, ScoresAndObservationsOfOneBatchAreStoredTogether) {
  model::Observation root;
  root.id = "root";
  root.trace_id = "t";
  root.start_time_ns = kBase;
  root.end_time_ns = kBase + kMs;
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "p",
                                               .observations = {root},
                                               .scores = {MakeScore("s", "t", 0)}})
                  .ok());
  EXPECT_TRUE(store_->GetTrace("p", "t").ok());
  EXPECT_THAT(ScoreIds(*store_, ScoreQuery{.project = "p", .trace_id = "t"}), ElementsAre("s"));
}

TEST_P(StoreConformanceTest, ScoreWithoutIdOrTraceIdIsInvalidArgumentAndNothingIsWritten) {
  model::Observation root;
  root.id = "root";
  root.trace_id = "t";
  root.start_time_ns = kBase;
  for (Score bad : {MakeScore("", "t", 0), MakeScore("s", "", 0)}) {
    absl::Status status = WriteAndWait(
        *store_, WriteBatch{.project = "p", .observations = {root}, .scores = {MakeScore("good", "t", 0), bad}});
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  }
  EXPECT_EQ(store_->GetTrace("p", "t").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(ScoreIds(*store_, ScoreQuery{.project = "p"}), IsEmpty());
}

TEST_P(StoreConformanceTest, EveryScoreFilterSelectsTheMatchingScores) {
  Score a = MakeScore("a", "t1", 1000);
  a.observation_id = "o1";
  a.name = "helpfulness";
  Score b = MakeScore("b", "t1", 2000);
  b.name = "correctness";
  b.source = "ANNOTATION";
  Score c = MakeScore("c", "t2", 3000);
  c.observation_id = "o1";  // the same observation id in another trace
  c.name = "helpfulness";
  c.source = "EVAL";
  Score d = MakeScore("d", "t2", 4000);
  d.observation_id = "o2";
  d.name = "correctness";
  ASSERT_TRUE(WriteScores(*store_, "p", {a, b, c, d}).ok());
  ASSERT_TRUE(WriteScores(*store_, "other", {a, b, c, d}).ok());  // never listed in "p"

  struct Case {
    ScoreQuery query;
    std::vector<std::string> ids;
  };
  const std::vector<Case> cases = {
      {{.project = "p"}, {"d", "c", "b", "a"}},
      {{.project = "p", .trace_id = "t1"}, {"b", "a"}},
      {{.project = "p", .observation_id = "o1"}, {"c", "a"}},
      {{.project = "p", .trace_id = "t2", .observation_id = "o1"}, {"c"}},
      {{.project = "p", .name = "correctness"}, {"d", "b"}},
      {{.project = "p", .source = "API"}, {"d", "a"}},
      {{.project = "p", .name = "helpfulness", .source = "EVAL"}, {"c"}},
      {{.project = "p", .from_ns = kBase + 2000 * kMs}, {"d", "c", "b"}},
      {{.project = "p", .to_ns = kBase + 2000 * kMs}, {"a"}},
      {{.project = "p", .from_ns = kBase + 2000 * kMs, .to_ns = kBase + 4000 * kMs}, {"c", "b"}},
      {{.project = "p", .trace_id = "missing"}, {}},
      {{.project = "nobody"}, {}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ScoreIds(*store_, c.query), c.ids)
        << "trace_id=" << c.query.trace_id << " observation_id=" << c.query.observation_id
        << " name=" << c.query.name << " source=" << c.query.source << " from=" << c.query.from_ns
        << " to=" << c.query.to_ns;
  }
}

TEST_P(StoreConformanceTest, ScoreCursorPaginationVisitsEachScoreOnce) {
  std::vector<Score> scores;
  for (int i = 0; i < 23; ++i) {
    // Pairs share a time, so the id breaks ties across page boundaries.
    scores.push_back(MakeScore(absl::StrCat("s", i), i % 2 == 0 ? "even" : "odd", i / 2));
  }
  ASSERT_TRUE(WriteScores(*store_, "p", scores).ok());
  for (const std::string trace_id : {"", "even"}) {
    std::vector<std::string> seen;
    ScoreQuery query{.project = "p", .trace_id = trace_id, .limit = 4};
    for (int pages = 0; pages < 20; ++pages) {
      absl::StatusOr<ScorePage> page = store_->ListScores(query);
      ASSERT_TRUE(page.ok()) << page.status();
      for (const Score& score : page->scores) seen.push_back(score.id);
      if (page->next_cursor.empty()) break;
      query.cursor = page->next_cursor;
    }
    std::vector<std::string> expected = ScoreIds(*store_, ScoreQuery{.project = "p", .trace_id = trace_id, .limit = 100});
    EXPECT_EQ(seen, expected) << "trace_id=" << trace_id;
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), trace_id.empty() ? 23u : 12u);
  }
}

TEST_P(StoreConformanceTest, BadScoreListArgumentsAreInvalidArgument) {
  EXPECT_EQ(store_->ListScores(ScoreQuery{.project = ""}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListScores(ScoreQuery{.project = "p", .limit = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListScores(ScoreQuery{.project = "p", .limit = kMaxListLimit + 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListScores(ScoreQuery{.project = "p", .cursor = "%%%not a cursor"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, ScoresOfAnotherProjectAreNeverVisible) {
  Score mine = MakeScore("shared-id", "t", 0, "A's");
  mine.observation_id = "o";
  ASSERT_TRUE(WriteScores(*store_, "A", {mine, MakeScore("only-a", "t", 1)}).ok());
  for (const ScoreQuery& query : {ScoreQuery{.project = "B"}, ScoreQuery{.project = "B", .trace_id = "t"},
                                  ScoreQuery{.project = "B", .observation_id = "o"},
                                  ScoreQuery{.project = "B", .name = "quality"}}) {
    EXPECT_THAT(ScoreIds(*store_, query), IsEmpty());
  }
  // The same score id in B is B's own: writing it does not replace A's.
  ASSERT_TRUE(WriteScores(*store_, "B", {MakeScore("shared-id", "t", 2, "B's")}).ok());
  absl::StatusOr<ScorePage> a = store_->ListScores(ScoreQuery{.project = "A", .observation_id = "o"});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->scores.size(), 1u);
  EXPECT_EQ(a->scores[0].value, Json("A's"));
  EXPECT_THAT(ScoreIds(*store_, ScoreQuery{.project = "B"}), ElementsAre("shared-id"));
  EXPECT_THAT(ScoreIds(*store_, ScoreQuery{.project = "A"}), ElementsAre("only-a", "shared-id"));
}

TEST_P(StoreConformanceTest, AcknowledgedScoresSurviveReopen) {
  ASSERT_TRUE(WriteScores(*store_, "p", {MakeScore("s", "t", 0, false)}).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  absl::StatusOr<ScorePage> page = store_->ListScores(ScoreQuery{.project = "p"});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->scores.size(), 1u);
  EXPECT_TRUE(SameScore(page->scores[0], MakeScore("s", "t", 0, false)));
}

TEST_P(StoreConformanceTest, FindsTheTraceIdOfAnObservationWrittenAsFragments) {
  // A LangSmith-like run: created with its trace, then patched without repeating it.
  model::ObservationFragment create{.fields = model::kFieldStartTime,
                                    .kind = model::FragmentKind::kCreate,
                                    .event_time_ns = kBase,
                                    .event_id = "post"};
  create.observation.id = "run";
  create.observation.trace_id = "trace-of-run";
  create.observation.start_time_ns = kBase;
  model::ObservationFragment patch{.fields = model::kFieldEndTime,
                                   .kind = model::FragmentKind::kUpdate,
                                   .event_time_ns = kBase + kMs,
                                   .event_id = "patch"};
  patch.observation.id = "run";
  patch.observation.end_time_ns = kBase + kMs;
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "A", .fragments = {patch}}).ok());
  EXPECT_EQ(store_->FindTraceIdOfObservation("A", "run").status().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "A", .fragments = {create}}).ok());
  absl::StatusOr<std::string> trace_id = store_->FindTraceIdOfObservation("A", "run");
  ASSERT_TRUE(trace_id.ok()) << trace_id.status();
  EXPECT_EQ(*trace_id, "trace-of-run");
  EXPECT_EQ(store_->FindTraceIdOfObservation("A", "other-run").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->FindTraceIdOfObservation("B", "run").status().code(), absl::StatusCode::kNotFound);
}

// Traces t1..t4, each one root span, scored: t1 quality 0.9 and helpful true; t2 quality 0.2;
// t3 label "spam" and helpful false; t4 nothing. Project q has t1 with quality 0.9 too.
void WriteScoredTraces(Store& store) {
  std::vector<model::Observation> roots;
  for (int i = 1; i <= 4; ++i) {
    model::Observation root;
    root.trace_id = absl::StrCat("t", i);
    root.id = absl::StrCat("t", i, "-root");
    root.name = "run";
    root.start_time_ns = kBase + i * 1000 * kMs;
    root.end_time_ns = root.start_time_ns + 100 * kMs;
    roots.push_back(root);
  }
  ASSERT_TRUE(WriteAndWait(store, WriteBatch{.project = "p", .observations = roots}).ok());
  ASSERT_TRUE(WriteAndWait(store, WriteBatch{.project = "q", .observations = {roots[0]}}).ok());
  Score helpful = MakeScore("s2", "t1", 2, true);
  helpful.name = "helpful";
  Score label = MakeScore("s4", "t3", 4, "spam");
  label.name = "label";
  Score unhelpful = MakeScore("s5", "t3", 5, false);
  unhelpful.name = "helpful";
  ASSERT_TRUE(WriteScores(store, "p", {MakeScore("s1", "t1", 1, 0.9), helpful, MakeScore("s3", "t2", 3, 0.2), label,
                                       unhelpful})
                  .ok());
  ASSERT_TRUE(WriteScores(store, "q", {MakeScore("s1", "t1", 1, 0.9)}).ok());
}

std::vector<std::string> ScoredTraceIds(Store& store, TraceQuery query) {
  query.project = "p";
  absl::StatusOr<TracePage> page = store.ListTraces(query);
  EXPECT_TRUE(page.ok()) << page.status();
  std::vector<std::string> ids;
  if (page.ok()) {
    for (const model::Trace& trace : page->traces) ids.push_back(trace.id);
  }
  return ids;
}

TEST_P(StoreConformanceTest, TraceListFiltersByScoreNameBoundsAndCategory) {
  ASSERT_NO_FATAL_FAILURE(WriteScoredTraces(*store_));
  EXPECT_THAT(ScoredTraceIds(*store_, {.score_name = "quality"}), ElementsAre("t2", "t1"));
  EXPECT_THAT(ScoredTraceIds(*store_, {.score_name = "quality", .score_min = 0.5}), ElementsAre("t1"));
  EXPECT_THAT(ScoredTraceIds(*store_, {.score_name = "quality", .score_max = 0.5}), ElementsAre("t2"));
  EXPECT_THAT(ScoredTraceIds(*store_, {.score_name = "quality", .score_min = 0.1, .score_max = 0.3}), ElementsAre("t2"));
  EXPECT_THAT(ScoredTraceIds(*store_, {.score_name = "helpful", .score_max = 0}), ElementsAre("t3"));
  EXPECT_THAT(ScoredTraceIds(*store_, {.score_name = "helpful", .score_min = 1}), ElementsAre("t1"));
  EXPECT_THAT(ScoredTraceIds(*store_, {.score_name = "label", .score_value = "spam"}), ElementsAre("t3"));
  EXPECT_THAT(ScoredTraceIds(*store_, {.score_name = "label", .score_min = 0}), IsEmpty());
  EXPECT_THAT(ScoredTraceIds(*store_, {.score_name = "label", .score_value = "ham"}), IsEmpty());
  EXPECT_THAT(ScoredTraceIds(*store_, {.score_name = "missing"}), IsEmpty());
  // A score replaced with a new value is filtered on its latest value.
  ASSERT_TRUE(WriteScores(*store_, "p", {MakeScore("s3", "t2", 3, 0.95)}).ok());
  EXPECT_THAT(ScoredTraceIds(*store_, {.score_name = "quality", .score_min = 0.5}), ElementsAre("t2", "t1"));
  // Another project's scores never select this project's traces.
  absl::StatusOr<TracePage> other = store_->ListTraces(TraceQuery{.project = "q", .score_name = "quality", .score_max = 0.5});
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_THAT(other->traces, IsEmpty());
}

}  // namespace
}  // namespace trackly::store::conformance
