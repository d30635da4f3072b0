#include "query/query_service.h"

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

  store::Capabilities capabilities_;
  store::TracePage trace_page_;
  store::TraceQuery last_trace_query_;
  store::SessionQuery last_session_query_;
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

}  // namespace
}  // namespace trackly::query
