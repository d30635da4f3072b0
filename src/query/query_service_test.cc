#include "query/query_service.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace trackly::query {
namespace {

// Answers reads from fixed data and records the last query; writes are not used here.
class FakeStore final : public store::Store {
 public:
  store::Capabilities capabilities() const override { return capabilities_; }
  store::StoreStats stats() const override { return {}; }
  void Write(store::WriteBatch, store::WriteCallback done) override {
    done(absl::UnimplementedError("read-only fake"));
  }
  void Drain() override {}
  absl::StatusOr<store::TracePage> ListTraces(const store::TraceQuery& query) override {
    last_trace_query_ = query;
    return trace_page_;
  }
  absl::StatusOr<store::TraceDetail> GetTrace(std::string_view project,
                                              std::string_view trace_id) override {
    if (project != "p" || trace_id != "t1") return absl::NotFoundError("trace t1 not found");
    store::TraceDetail detail;
    detail.trace.id = "t1";
    detail.observations.resize(2);
    detail.observations[0].id = "o1";
    detail.observations[1].id = "o2";
    detail.observations[1].parent_id = "o1";
    detail.observations[1].cost.total = 0.5;
    return detail;
  }
  absl::StatusOr<store::SessionPage> ListSessions(const store::SessionQuery& query) override {
    last_session_query_ = query;
    store::SessionPage page;
    page.sessions.resize(1);
    page.sessions[0].id = "s1";
    return page;
  }
  absl::StatusOr<store::SessionDetail> GetSession(std::string_view project,
                                                  std::string_view session_id) override {
    if (project != "p" || session_id != "s1") return absl::NotFoundError("no session");
    store::SessionDetail detail;
    detail.session.id = "s1";
    detail.traces.resize(1);
    detail.traces[0].id = "t1";
    return detail;
  }

  // Pages through scores_ (ignoring the filters), the cursor being the index of the next one.
  absl::StatusOr<store::ScorePage> ListScores(const store::ScoreQuery& query) override {
    score_queries_.push_back(query);
    size_t begin = query.cursor.empty() ? 0 : std::stoul(query.cursor);
    store::ScorePage page;
    for (size_t i = begin; i < scores_.size(); ++i) {
      if (page.scores.size() == static_cast<size_t>(query.limit)) {
        page.next_cursor = std::to_string(i);
        break;
      }
      page.scores.push_back(scores_[i]);
    }
    return page;
  }
  absl::StatusOr<std::string> FindTraceIdOfObservation(std::string_view, std::string_view) override {
    return absl::NotFoundError("not used here");
  }

  store::Capabilities capabilities_;
  store::TracePage trace_page_;
  store::TraceQuery last_trace_query_;
  store::SessionQuery last_session_query_;
  std::vector<model::Score> scores_;
  std::vector<store::ScoreQuery> score_queries_;
};

TEST(QueryServiceTest, ListTracesShapesPageAndScopesProject) {
  FakeStore store;
  store.trace_page_.traces.resize(2);
  store.trace_page_.traces[0].id = "a";
  store.trace_page_.traces[1].id = "b";
  store.trace_page_.next_cursor = "next";
  QueryService service(store);
  absl::StatusOr<model::Json> json = service.ListTraces("p", {{"user_id", "u"}});
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(store.last_trace_query_.project, "p");
  EXPECT_EQ(store.last_trace_query_.user_id, "u");
  ASSERT_EQ((*json)["data"].size(), 2u);
  EXPECT_EQ((*json)["data"][0]["id"], "a");
  EXPECT_EQ((*json)["next_cursor"], "next");
}

TEST(QueryServiceTest, LastPageHasNullCursor) {
  FakeStore store;
  QueryService service(store);
  absl::StatusOr<model::Json> json = service.ListTraces("p", {});
  ASSERT_TRUE(json.ok());
  EXPECT_TRUE((*json)["next_cursor"].is_null());
  EXPECT_TRUE((*json)["data"].is_array());
}

TEST(QueryServiceTest, RefusesTextSearchWithoutCapability) {
  FakeStore store;
  QueryService service(store);
  EXPECT_EQ(service.ListTraces("p", {{"q", "x"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  store.capabilities_.full_text_search = true;
  EXPECT_TRUE(service.ListTraces("p", {{"q", "x"}}).ok());
}

TEST(QueryServiceTest, GetTraceShapesDetail) {
  FakeStore store;
  QueryService service(store);
  absl::StatusOr<model::Json> json = service.GetTrace("p", "t1");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ((*json)["trace"]["id"], "t1");
  ASSERT_EQ((*json)["observations"].size(), 2u);
  EXPECT_EQ((*json)["observations"][1]["id"], "o2");
  // o1's subtree holds its child's cost and counts both.
  EXPECT_EQ((*json)["observations"][0]["subtree"]["cost"]["total"], 0.5);
  EXPECT_EQ((*json)["observations"][0]["subtree"]["counts"]["observations"], 2);
  EXPECT_EQ((*json)["observations"][1]["subtree"]["counts"]["observations"], 1);
  EXPECT_EQ(service.GetTrace("other", "t1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(service.GetTrace("p", "").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(QueryServiceTest, SessionsListAndDetail) {
  FakeStore store;
  QueryService service(store);
  absl::StatusOr<model::Json> list = service.ListSessions("p", {{"limit", "3"}});
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(store.last_session_query_.limit, 3);
  EXPECT_EQ((*list)["data"][0]["id"], "s1");
  absl::StatusOr<model::Json> detail = service.GetSession("p", "s1");
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ((*detail)["session"]["id"], "s1");
  EXPECT_EQ((*detail)["traces"][0]["id"], "t1");
}

TEST(QueryServiceTest, ListScoresParsesFiltersAndShapesPage) {
  FakeStore store;
  store.scores_ = {model::Score{.id = "s1", .trace_id = "t1", .name = "q", .value = true}};
  QueryService service(store);
  absl::StatusOr<model::Json> json =
      service.ListScores("p", {{"trace_id", "t1"}, {"observation_id", "o"}, {"name", "q"}, {"source", "API"},
                               {"from", "2026-01-01T00:00:00Z"}, {"limit", "7"}});
  ASSERT_TRUE(json.ok()) << json.status();
  ASSERT_EQ(store.score_queries_.size(), 1u);
  const store::ScoreQuery& query = store.score_queries_[0];
  EXPECT_EQ(query.project, "p");
  EXPECT_EQ(query.trace_id, "t1");
  EXPECT_EQ(query.observation_id, "o");
  EXPECT_EQ(query.name, "q");
  EXPECT_EQ(query.source, "API");
  EXPECT_GT(query.from_ns, 0);
  EXPECT_EQ(query.limit, 7);
  ASSERT_EQ((*json)["data"].size(), 1u);
  EXPECT_EQ((*json)["data"][0]["value"], true);
  EXPECT_TRUE((*json)["next_cursor"].is_null());

  EXPECT_EQ(service.ListScores("p", {{"user_id", "u"}}).status().message(), "unknown parameter 'user_id'");
  EXPECT_EQ(service.ListScores("p", {{"limit", "0"}}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(QueryServiceTest, GetTraceIncludesEveryPageOfTheTracesScores) {
  FakeStore store;
  for (int i = 0; i < store::kMaxListLimit + 3; ++i) {
    store.scores_.push_back(model::Score{.id = absl::StrCat("s", i), .trace_id = "t1", .value = i});
  }
  QueryService service(store);
  absl::StatusOr<model::Json> json = service.GetTrace("p", "t1");
  ASSERT_TRUE(json.ok()) << json.status();
  ASSERT_EQ((*json)["scores"].size(), store.scores_.size());
  EXPECT_EQ((*json)["scores"].back()["id"], absl::StrCat("s", store::kMaxListLimit + 2));
  ASSERT_EQ(store.score_queries_.size(), 2u);
  EXPECT_EQ(store.score_queries_[0].project, "p");
  EXPECT_EQ(store.score_queries_[0].trace_id, "t1");
}

}  // namespace
}  // namespace trackly::query
