// Conformance of Store::Erase (store/store.h): a trace, a session or a user's traces removed with
// everything stored of them — observations, fragments, scores, sessions, metrics — in their
// project only, durably, and ordered with writes.
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
using ::testing::UnorderedElementsAre;
using model::Observation;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kBase = 1'795'314'529'000'000'000;

// A two-span trace (a root and a generation with tokens) of `user` in `session`.
std::vector<Observation> UserTrace(const std::string& trace_id, int64_t start_ms, const std::string& user,
                                   const std::string& session) {
  Observation root;
  root.trace_id = trace_id;
  root.id = absl::StrCat(trace_id, "-root");
  root.name = "agent run";
  root.start_time_ns = kBase + start_ms * kMs;
  root.end_time_ns = root.start_time_ns + 500 * kMs;
  root.status = model::Status::kOk;
  root.input = absl::StrCat("question of ", user);
  root.trace_hints.user_id = user;
  root.trace_hints.session_id = session;
  root.trace_hints.tags = {absl::StrCat("tag-", trace_id)};
  Observation generation = root;
  generation.id = absl::StrCat(trace_id, "-gen");
  generation.parent_id = root.id;
  generation.type = model::ObservationType::kGeneration;
  generation.name = "chat";
  generation.model = absl::StrCat("model-", trace_id);
  generation.usage = model::Usage{.input_tokens = 100, .output_tokens = 10, .total_tokens = 110};
  generation.trace_hints = {};
  return {root, generation};
}

model::Score ScoreOn(const std::string& id, const std::string& trace_id) {
  return model::Score{.id = id, .trace_id = trace_id, .name = "quality", .value = 1, .source = "API",
                      .time_ns = kBase};
}

// An observation of `trace_id` written as a fragment (how Langfuse and LangSmith clients send).
model::ObservationFragment FragmentOf(const std::string& trace_id, const std::string& id, int64_t start_ms) {
  Observation o;
  o.id = id;
  o.trace_id = trace_id;
  o.parent_id = absl::StrCat(trace_id, "-root");
  o.name = "retrieve";
  o.start_time_ns = kBase + start_ms * kMs;
  o.end_time_ns = o.start_time_ns + kMs;
  return model::ObservationFragment{
      .observation = o,
      .fields = model::kFieldName | model::kFieldParent | model::kFieldStartTime | model::kFieldEndTime,
      .kind = model::FragmentKind::kCreate,
      .event_time_ns = o.start_time_ns,
      .event_id = absl::StrCat("event-", id)};
}

absl::Status WriteTrace(Store& store, const std::string& project, std::vector<Observation> observations,
                        std::vector<model::Score> scores = {}, std::vector<model::ObservationFragment> fragments = {}) {
  return WriteAndWait(store, WriteBatch{.project = project,
                                        .observations = std::move(observations),
                                        .fragments = std::move(fragments),
                                        .scores = std::move(scores)});
}

// Runs per user id of `project` (the kTraceByUser rollup), as "user=count".
std::vector<std::string> RunsPerUser(Store& store, const std::string& project) {
  absl::StatusOr<MetricsResult> result = store.QueryMetrics(
      MetricsQuery{.project = project, .level = MetricsLevel::kTrace, .measures = {Measure::kCount},
                   .group_by = {model::MetricsDimension::kUserId}});
  EXPECT_TRUE(result.ok()) << result.status();
  std::vector<std::string> rows;
  if (result.ok()) {
    for (const MetricsRow& row : result->rows) rows.push_back(absl::StrCat(row.group[0], "=", *row.values[0]));
  }
  return rows;
}

// Input tokens of `project` per model (the observation rollup), as "model=tokens".
std::vector<std::string> TokensPerModel(Store& store, const std::string& project) {
  absl::StatusOr<MetricsResult> result = store.QueryMetrics(
      MetricsQuery{.project = project, .measures = {Measure::kInputTokens},
                   .group_by = {model::MetricsDimension::kModel}});
  EXPECT_TRUE(result.ok()) << result.status();
  std::vector<std::string> rows;
  if (result.ok()) {
    for (const MetricsRow& row : result->rows) rows.push_back(absl::StrCat(row.group[0], "=", *row.values[0]));
  }
  return rows;
}

// Project p: ann has t1 and t2 in session s1; bob has t3 in s1 and t4 in s2. Project q has a
// trace with the same id as t1, of a user with the same name.
void WriteFixture(Store& store) {
  ASSERT_TRUE(WriteTrace(store, "p", UserTrace("t1", 0, "ann", "s1"), {ScoreOn("sc1", "t1")},
                         {FragmentOf("t1", "t1-frag", 5)})
                  .ok());
  ASSERT_TRUE(WriteTrace(store, "p", UserTrace("t2", 1000, "ann", "s1"), {ScoreOn("sc2", "t2")}).ok());
  ASSERT_TRUE(WriteTrace(store, "p", UserTrace("t3", 2000, "bob", "s1"), {ScoreOn("sc3", "t3")}).ok());
  ASSERT_TRUE(WriteTrace(store, "p", UserTrace("t4", 3000, "bob", "s2")).ok());
  ASSERT_TRUE(WriteTrace(store, "q", UserTrace("t1", 0, "ann", "s1"), {ScoreOn("sc1", "t1")}).ok());
}

// Project q is exactly as WriteFixture left it.
void ExpectOtherProjectUntouched(Store& store) {
  EXPECT_THAT(StoredTraceIds(store, "q"), ElementsAre("t1"));
  EXPECT_THAT(StoredScoreIds(store, "q"), ElementsAre("sc1"));
  absl::StatusOr<TraceDetail> detail = store.GetTrace("q", "t1");
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->observations.size(), 2u);
  EXPECT_TRUE(store.GetSession("q", "s1").ok());
  if (HasMetrics(store)) {
    EXPECT_THAT(RunsPerUser(store, "q"), ElementsAre("ann=1"));
  }
}

#define ERASE_TEST_SETUP()                                                                          \
  if (!HasErase(*store_)) GTEST_SKIP() << "backend cannot erase (Erase is Unimplemented)";          \
  ASSERT_NO_FATAL_FAILURE(WriteFixture(*store_))

TEST_P(StoreConformanceTest, EraseRemovesOneTraceWithItsObservationsFragmentsAndScores) {
  ERASE_TEST_SETUP();
  absl::StatusOr<EraseStats> stats = store_->Erase(EraseRequest{.project = "p", .trace_id = "t1"});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->traces, 1);
  EXPECT_EQ(stats->observations, 3);  // root, generation and the merged fragment
  EXPECT_EQ(stats->scores, 1);

  EXPECT_TRUE(absl::IsNotFound(store_->GetTrace("p", "t1").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetObservation("p", "t1", "t1-gen").status()) ||
              absl::IsUnimplemented(store_->GetObservation("p", "t1", "t1-gen").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->FindTraceIdOfObservation("p", "t1-frag").status()));
  EXPECT_THAT(StoredTraceIds(*store_, "p"), ElementsAre("t4", "t3", "t2"));
  EXPECT_THAT(StoredScoreIds(*store_, "p"), UnorderedElementsAre("sc2", "sc3"));
  absl::StatusOr<TracePage> tagged = store_->ListTraces(TraceQuery{.project = "p", .tag = "tag-t1"});
  ASSERT_TRUE(tagged.ok()) << tagged.status();
  EXPECT_THAT(tagged->traces, IsEmpty());
  absl::StatusOr<TracePage> by_model = store_->ListTraces(TraceQuery{.project = "p", .model = "model-t1"});
  ASSERT_TRUE(by_model.ok()) << by_model.status();
  EXPECT_THAT(by_model->traces, IsEmpty());
  if (store_->capabilities().full_text_search) {
    absl::StatusOr<TracePage> found = store_->ListTraces(TraceQuery{.project = "p", .text = "ann"});
    ASSERT_TRUE(found.ok()) << found.status();
    ASSERT_EQ(found->traces.size(), 1u);
    EXPECT_EQ(found->traces[0].id, "t2");
  }
  // The session keeps its other traces, recomputed without this one.
  absl::StatusOr<SessionDetail> session = store_->GetSession("p", "s1");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->session.trace_count, 2);
  EXPECT_EQ(session->session.usage.input_tokens, 200);
  if (HasMetrics(*store_)) {
    EXPECT_THAT(RunsPerUser(*store_, "p"), ElementsAre("ann=1", "bob=2"));
    EXPECT_THAT(TokensPerModel(*store_, "p"), ElementsAre("=0", "model-t2=100", "model-t3=100", "model-t4=100"));
  }
  ExpectOtherProjectUntouched(*store_);
}

TEST_P(StoreConformanceTest, EraseRemovesEveryTraceOfASessionAndTheSession) {
  ERASE_TEST_SETUP();
  absl::StatusOr<EraseStats> stats = store_->Erase(EraseRequest{.project = "p", .session_id = "s1"});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->traces, 3);
  EXPECT_EQ(stats->scores, 3);
  EXPECT_THAT(StoredTraceIds(*store_, "p"), ElementsAre("t4"));
  EXPECT_TRUE(absl::IsNotFound(store_->GetSession("p", "s1").status()));
  absl::StatusOr<SessionPage> sessions = store_->ListSessions(SessionQuery{.project = "p"});
  ASSERT_TRUE(sessions.ok()) << sessions.status();
  ASSERT_EQ(sessions->sessions.size(), 1u);
  EXPECT_EQ(sessions->sessions[0].id, "s2");
  ExpectOtherProjectUntouched(*store_);
}

TEST_P(StoreConformanceTest, EraseRemovesEveryTraceOfAUserAndTheirMetrics) {
  ERASE_TEST_SETUP();
  absl::StatusOr<EraseStats> stats = store_->Erase(EraseRequest{.project = "p", .user_id = "ann"});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->traces, 2);
  EXPECT_EQ(stats->observations, 5);
  EXPECT_EQ(stats->scores, 2);
  EXPECT_THAT(StoredTraceIds(*store_, "p"), ElementsAre("t4", "t3"));
  absl::StatusOr<TracePage> ann = store_->ListTraces(TraceQuery{.project = "p", .user_id = "ann"});
  ASSERT_TRUE(ann.ok()) << ann.status();
  EXPECT_THAT(ann->traces, IsEmpty());
  absl::StatusOr<SessionDetail> session = store_->GetSession("p", "s1");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->session.trace_count, 1);
  EXPECT_EQ(session->session.user_id, "bob");
  if (HasMetrics(*store_)) {
    EXPECT_THAT(RunsPerUser(*store_, "p"), ElementsAre("bob=2"));
  }
  ExpectOtherProjectUntouched(*store_);
}

TEST_P(StoreConformanceTest, EraseIsDurable) {
  ERASE_TEST_SETUP();
  ASSERT_TRUE(store_->Erase(EraseRequest{.project = "p", .user_id = "bob"}).ok());
  Reopen();
  EXPECT_THAT(StoredTraceIds(*store_, "p"), ElementsAre("t2", "t1"));
  EXPECT_TRUE(absl::IsNotFound(store_->GetSession("p", "s2").status()));
  ExpectOtherProjectUntouched(*store_);
}

TEST_P(StoreConformanceTest, EraseOfWhatDoesNotExistChangesNothing) {
  ERASE_TEST_SETUP();
  for (const EraseRequest& request : {EraseRequest{.project = "p", .trace_id = "nope"},
                                      EraseRequest{.project = "p", .session_id = "nope"},
                                      EraseRequest{.project = "p", .user_id = "nope"},
                                      EraseRequest{.project = "nobody", .user_id = "ann"}}) {
    absl::StatusOr<EraseStats> stats = store_->Erase(request);
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(stats->traces + stats->observations + stats->scores, 0);
  }
  EXPECT_THAT(StoredTraceIds(*store_, "p"), ElementsAre("t4", "t3", "t2", "t1"));
  ExpectOtherProjectUntouched(*store_);
}

TEST_P(StoreConformanceTest, EraseRemovesTheScoresOfATraceThatHasNoObservations) {
  ERASE_TEST_SETUP();
  ASSERT_TRUE(WriteTrace(*store_, "p", {}, {ScoreOn("early", "t9")}).ok());
  absl::StatusOr<EraseStats> stats = store_->Erase(EraseRequest{.project = "p", .trace_id = "t9"});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->traces, 0);
  EXPECT_EQ(stats->scores, 1);
  EXPECT_THAT(StoredScoreIds(*store_, "p"), UnorderedElementsAre("sc1", "sc2", "sc3"));
}

TEST_P(StoreConformanceTest, EraseAWriteAfterTheErasureStartsTheTraceAnew) {
  ERASE_TEST_SETUP();
  ASSERT_TRUE(store_->Erase(EraseRequest{.project = "p", .trace_id = "t1"}).ok());
  std::vector<Observation> late = UserTrace("t1", 0, "ann", "s1");
  late.resize(1);  // only the root arrives again
  ASSERT_TRUE(WriteTrace(*store_, "p", late).ok());
  absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", "t1");
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->observations.size(), 1u);
  EXPECT_EQ(detail->trace.usage.input_tokens, 0);
}

TEST_P(StoreConformanceTest, EraseRejectsARequestWithoutExactlyOneSelector) {
  ERASE_TEST_SETUP();
  for (const EraseRequest& request : {EraseRequest{.project = "p"},
                                      EraseRequest{.project = "p", .trace_id = "t1", .user_id = "ann"},
                                      EraseRequest{.trace_id = "t1"}}) {
    absl::Status status = store_->Erase(request).status();
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  }
  EXPECT_THAT(StoredTraceIds(*store_, "p"), ElementsAre("t4", "t3", "t2", "t1"));
}

}  // namespace
}  // namespace trackly::store::conformance
