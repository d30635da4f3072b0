// Cross-project isolation through the assembled server: project p1's key walks every route of the
// route table against project p2's ids and gets exactly what it gets for ids that exist nowhere,
// sees none of p2's ids in any list, and changes nothing of p2's. A route with path parameters
// missing from kIdsByPattern fails the test, so a new route cannot skip this check. A project's
// audit log shows none of the other project's events.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "model/json.h"
#include "server/running_app_test_base.h"

namespace trackly::server {
namespace {

using model::Json;

constexpr int64_t kNow = 1'795'314'529'000'000'000;  // 2026-11-22
constexpr uint32_t kAllScopes = store::kScopeIngest | store::kScopeRead | store::kScopeAdmin;

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kRootId[] = "00f067aa0ba902b7";
constexpr char kChildId[] = "00f067aa0ba902b8";
constexpr char kSessionId[] = "p2-session";
constexpr char kUserId[] = "p2-user";
constexpr char kScoreId[] = "p2-score";
constexpr char kRunId[] = "8d6f2c5a-3b1e-4f7a-9c2d-1e5b7a9c3f10";
constexpr char kTraceName[] = "p2-only-trace";
constexpr char kMember[] = "p2-member";

Json Attribute(const std::string& key, const std::string& value) {
  return {{"key", key}, {"value", {{"stringValue", value}}}};
}

std::string OtlpTrace(const std::string& name) {
  const std::string start = std::to_string(kNow - 10'000'000'000);
  const std::string end = std::to_string(kNow - 9'000'000'000);
  Json spans = {{{"traceId", kTraceId}, {"spanId", kRootId}, {"name", name}, {"startTimeUnixNano", start},
                 {"endTimeUnixNano", end},
                 {"attributes", {Attribute("session.id", kSessionId), Attribute("user.id", kUserId)}}},
                {{"traceId", kTraceId}, {"spanId", kChildId}, {"parentSpanId", kRootId}, {"name", "step"},
                 {"startTimeUnixNano", start}, {"endTimeUnixNano", end}}};
  return Json{{"resourceSpans", {{{"scopeSpans", {{{"spans", spans}}}}}}}}.dump();
}

class IsolationTest : public RunningAppTestBase {
 protected:
  IsolationTest() : RunningAppTestBase(kNow) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    a_ = AddKey("p1", kAllScopes);
    b_ = AddKey("p2", kAllScopes);
    StartApp(ServerOptions{});
  }

  Json Get(const std::string& target, const std::string& key) {
    HttpResponse response = SendWithKey(http::verb::get, target, key);
    EXPECT_EQ(response.result(), http::status::ok) << target << ": " << response.body();
    return Json::parse(response.body(), nullptr, false);
  }

  // p2's data: a trace with a session and user, a score, a LangSmith run, a model price; and the
  // id of p2's key. Returns every id of p2's that p1 must never see.
  std::vector<std::string> SeedProjectB() {
    EXPECT_EQ(SendWithKey(http::verb::post, "/v1/traces", b_, OtlpTrace(kTraceName)).result(), http::status::ok);
    Json score_event = {{"id", "e1"}, {"type", "score-create"}, {"timestamp", "2026-11-22T03:00:00Z"},
                        {"body", {{"id", kScoreId}, {"traceId", kTraceId}, {"name", "quality"}, {"value", 1}}}};
    HttpResponse scored = SendWithKey(http::verb::post, "/api/public/ingestion", b_, Json{{"batch", {score_event}}}.dump());
    EXPECT_EQ(scored.result(), http::status::multi_status) << scored.body();
    Json run = {{"id", kRunId}, {"trace_id", kRunId}, {"name", "p2-run"}, {"run_type", "chain"},
                {"start_time", "2026-11-22T03:00:00Z"}, {"dotted_order", absl::StrCat("20261122T030000000000Z", kRunId)}};
    HttpResponse posted = SendWithKey(http::verb::post, "/langsmith/runs", b_, run.dump());
    EXPECT_LT(static_cast<int>(posted.result()), 300) << posted.body();
    Json price = {{"provider", "acme"}, {"model", "p2-model"}, {"match", "p2-model"}, {"valid_from", "2026-01-01"},
                  {"prices", {{"input", 1}, {"output", 2}}}};
    HttpResponse added = SendWithKey(http::verb::post, "/api/v1/models", b_, price.dump());
    EXPECT_EQ(added.result(), http::status::created) << added.body();
    model_id_ = Json::parse(added.body(), nullptr, false)["id"].get<std::string>();
    const Json keys = Get("/api/v1/keys", b_);
    EXPECT_EQ(keys["data"].size(), 1u) << keys.dump();
    key_id_ = keys["data"][0]["id"].get<std::string>();
    EXPECT_TRUE(catalog_->CreateUser(store::UserRecord{.name = kMember, .password_hash = "h", .created_ns = 1}).ok());
    EXPECT_TRUE(catalog_->PutMembership(store::Membership{.user = kMember, .project = "p2", .role = store::Role::kViewer})
                    .ok());
    return {kTraceId, kRootId, kChildId, kSessionId, kUserId, kScoreId, kRunId, kTraceName, model_id_, key_id_, kMember};
  }

  // Everything p2 can read, to compare before and after p1's requests.
  std::string SnapshotOfB() {
    std::string out;
    for (const std::string& target :
         {absl::StrCat("/api/v1/traces/", kTraceId), std::string("/api/v1/traces"), std::string("/api/v1/sessions"),
          absl::StrCat("/api/v1/sessions/", kSessionId), std::string("/api/v1/scores"), std::string("/api/v1/keys"),
          std::string("/api/v1/models"), absl::StrCat("/api/v1/traces/", kRunId), std::string("/api/v1/members"),
          std::string("/api/v1/projects")}) {
      absl::StrAppend(&out, target, " ", Get(target, b_).dump(), "\n");
    }
    return out;
  }

  std::string a_, b_, model_id_, key_id_;
};

// A response reduced to what must not differ between p2's ids and ids that exist nowhere: the
// status and the error body with the id itself replaced.
std::string Outcome(const HttpResponse& response, const std::vector<std::string>& ids) {
  std::string body(response.body());
  for (const std::string& id : ids) absl::StrReplaceAll({{id, "<id>"}}, &body);
  return absl::StrCat(static_cast<int>(response.result()), " ", body);
}

TEST_F(IsolationTest, AnotherProjectsIdsAnswerAsMissingOnEveryRouteAndChangeNothing) {
  const std::vector<std::string> b_ids = SeedProjectB();
  const std::string before = SnapshotOfB();
  const std::string trace_b = kTraceId;
  const std::string trace_missing = "ffffffffffffffffffffffffffffffff";
  // For each route with path parameters: p2's values and values that exist in no project.
  const std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> kIdsByPattern = {
      {"/api/v1/traces/{id}", {{trace_b}, {trace_missing}}},
      {"/api/v1/traces/{id}/observations", {{trace_b}, {trace_missing}}},
      {"/api/v1/traces/{id}/insight", {{trace_b}, {trace_missing}}},
      {"/api/v1/traces/{id}/diff", {{trace_b}, {trace_missing}}},
      {"/api/v1/traces/{id}/observations/{observation_id}", {{trace_b, kChildId}, {trace_missing, "ffffffffffffffff"}}},
      {"/api/v1/sessions/{id}", {{kSessionId}, {"missing-session"}}},
      {"/api/v1/models/{id}", {{model_id_}, {"custom:acme/missing@2026-01-01"}}},
      {"/api/v1/keys/{id}", {{key_id_}, {"missing-key-id"}}},
      {"/api/v1/members/{id}", {{kMember}, {"missing-user"}}},
      {"/langsmith/runs/{id}", {{kRunId}, {"0d6f2c5a-3b1e-4f7a-9c2d-1e5b7a9c3f10"}}},
  };
  int walked = 0;
  for (const Route& route : app_->router().routes()) {
    if (route.required_scope == 0) continue;  // public: health, login, LangSmith info
    SCOPED_TRACE(absl::StrCat(std::string(http::to_string(route.method)), " ", route.pattern));
    const bool has_params = route.pattern.find('{') != std::string::npos;
    if (!has_params) {
      if (route.method != http::verb::get) continue;  // takes no ids of p2 (ingest, create, recompute)
      // Lists and metrics, plain and filtered by p2's ids: none of p2's ids in the answer.
      for (const std::string& query :
           {std::string(""), absl::StrCat("?session_id=", kSessionId), absl::StrCat("?user_id=", kUserId),
            absl::StrCat("?trace_id=", kTraceId), std::string("?group_by=user_id,session_id")}) {
        // The live tail would wait for spans to arrive (the fake clock never ends the wait).
        const std::string no_wait = route.pattern != "/api/v1/tail" ? "" : query.empty() ? "?wait_ms=0" : "&wait_ms=0";
        HttpResponse response = SendWithKey(http::verb::get, route.pattern + query + no_wait, a_);
        for (const std::string& id : b_ids) {
          EXPECT_EQ(std::string(response.body()).find(id), std::string::npos)
              << route.pattern << query << " shows p2's " << id << ": " << response.body();
        }
      }
      ++walked;
      continue;
    }
    auto ids = kIdsByPattern.find(route.pattern);
    ASSERT_NE(ids, kIdsByPattern.end()) << "add this route's ids to kIdsByPattern";
    auto target = [&](const std::vector<std::string>& values) {
      std::string path = route.pattern;
      for (const std::string& value : values) {
        const size_t open = path.find('{');
        path.replace(open, path.find('}', open) - open + 1, value);
      }
      return path;
    };
    const std::string body = route.method == http::verb::patch ? Json{{"end_time", "2026-11-22T03:00:01Z"}}.dump() : "";
    const HttpResponse for_b = SendWithKey(route.method, target(ids->second.first), a_, body);
    const HttpResponse for_missing = SendWithKey(route.method, target(ids->second.second), a_, body);
    std::vector<std::string> all_ids = ids->second.first;
    all_ids.insert(all_ids.end(), ids->second.second.begin(), ids->second.second.end());
    EXPECT_EQ(Outcome(for_b, all_ids), Outcome(for_missing, all_ids));
    if (route.method == http::verb::get) {
      EXPECT_EQ(for_b.result(), http::status::not_found) << for_b.body();
    }
    ++walked;
  }
  EXPECT_GE(walked, 15);
  // Erasure naming p2's ids in the body (not the path) erases nothing of p2.
  for (const Json& request :
       {Json{{"user_id", kUserId}}, Json{{"session_id", kSessionId}}, Json{{"trace_id", kTraceId}}}) {
    const HttpResponse erased = SendWithKey(http::verb::post, "/api/v1/erase", a_, request.dump());
    EXPECT_EQ(erased.result(), http::status::ok) << erased.body();
    EXPECT_EQ(std::string(erased.body()), R"({"erased":{"observations":0,"scores":0,"traces":0}})");
  }
  EXPECT_EQ(SnapshotOfB(), before) << "p1's requests changed p2's data";
  // The audit log: p2's events (its price, its views of its trace) are in p2's audit; p1's shows
  // none of them, and p1's probes of p2's ids recorded no view anywhere.
  const Json audit_b = Get("/api/v1/audit?limit=1000", b_)["data"];
  EXPECT_FALSE(audit_b.empty());
  for (const Json& event : audit_b) {
    EXPECT_EQ(event["project"], "p2") << event.dump();
    EXPECT_EQ(event["actor"], "key:" + key_id_) << "an event of p1's caller in p2's audit: " << event.dump();
  }
  // p1's erasure requests are recorded in p1's audit even when they matched nothing (proof that
  // an erasure request was handled); their targets are the ids p1's caller sent, erased counts 0.
  Json audit_a = Json::array();
  // A copy: Get()'s answer is a temporary, so a range-for over its ["data"] would read freed nodes.
  const Json events_a = Get("/api/v1/audit?limit=1000", a_)["data"];
  for (const Json& event : events_a) {
    EXPECT_EQ(event["project"], "p1") << event.dump();
    if (absl::EndsWith(event["action"].get<std::string>(), ".delete")) {
      EXPECT_EQ(event["details"], (Json{{"observations", 0}, {"scores", 0}, {"traces", 0}})) << event.dump();
      continue;
    }
    audit_a.push_back(event);
  }
  for (const std::string& id : b_ids) {
    EXPECT_EQ(audit_a.dump().find(id), std::string::npos) << "p1's audit shows p2's " << id << ": " << audit_a.dump();
  }
}

TEST_F(IsolationTest, OneTraceIdInTwoProjectsStaysTwoTraces) {
  SeedProjectB();
  ASSERT_EQ(SendWithKey(http::verb::post, "/v1/traces", a_, OtlpTrace("p1-version")).result(), http::status::ok);
  EXPECT_EQ(Get(absl::StrCat("/api/v1/traces/", kTraceId), a_)["trace"]["name"], "p1-version");
  EXPECT_EQ(Get(absl::StrCat("/api/v1/traces/", kTraceId), b_)["trace"]["name"], kTraceName);
  const Json sessions_a = Get("/api/v1/sessions", a_)["data"];
  ASSERT_EQ(sessions_a.size(), 1u);
  EXPECT_EQ(sessions_a[0]["trace_count"], 1);
}

}  // namespace
}  // namespace trackly::server
