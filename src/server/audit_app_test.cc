// The audit log through the assembled server (docs/api.md "Audit log"): admin changes and trace
// views are recorded with the right actor, sign-ins instance-wide, nothing secret in any event,
// and a project's audit shows its own events only.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/json.h"
#include "server/password.h"
#include "server/running_app_test_base.h"
#include "server/ui_login.h"

namespace trackly::server {
namespace {

using model::Json;

constexpr int64_t kNow = 1'795'314'529'000'000'000;  // 2026-11-22
constexpr char kPassword[] = "correct horse battery";
constexpr char kWrongPassword[] = "wrong-password-canary";
constexpr char kTraceP1[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kSpanP1[] = "00f067aa0ba902b7";
constexpr char kTraceP2[] = "5bf92f3577b34da6a3ce929d0e0e4737";
constexpr char kSession[] = "chat-1";

class AuditAppTest : public RunningAppTestBase {
 protected:
  AuditAppTest() : RunningAppTestBase(kNow) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    absl::StatusOr<std::string> hash = HashPassword(kPassword);
    ASSERT_TRUE(hash.ok()) << hash.status();
    for (const char* name : {"olga", "adam"}) {
      ASSERT_TRUE(catalog_->CreateUser(store::UserRecord{.name = name, .password_hash = *hash, .created_ns = kNow}).ok());
    }
    ASSERT_TRUE(catalog_->PutMembership(store::Membership{.user = "olga", .project = "p1", .role = store::Role::kOwner})
                    .ok());
    p1_key_ = AddAdminKey("p1", &p1_key_id_);
    p2_key_ = AddAdminKey("p2", &p2_key_id_);
    StartApp(ServerOptions{});
    Ingest(p1_key_, kTraceP1);
    Ingest(p2_key_, kTraceP2);
  }

  std::string AddAdminKey(const std::string& project, std::string* id) {
    absl::StatusOr<GeneratedKey> key =
        GenerateApiKey(project, store::kScopeIngest | store::kScopeRead | store::kScopeAdmin, 1);
    EXPECT_TRUE(key.ok());
    EXPECT_TRUE(catalog_->InsertKey(key->record).ok());
    *id = key->record.id;
    return key->key;
  }

  void Ingest(const std::string& key, const std::string& trace_id) {
    Json span = {{"traceId", trace_id}, {"spanId", kSpanP1}, {"name", "answer"},
                 {"startTimeUnixNano", std::to_string(kNow - 2'000'000'000)},
                 {"endTimeUnixNano", std::to_string(kNow - 1'000'000'000)},
                 {"attributes", {{{"key", "session.id"}, {"value", {{"stringValue", kSession}}}}}}};
    Json body = {{"resourceSpans", {{{"scopeSpans", {{{"spans", {span}}}}}}}}};
    ASSERT_EQ(SendWithKey(http::verb::post, "/v1/traces", key, body.dump()).result(), http::status::ok);
  }

  HttpResponse Login(Json body) {
    return SendRequest(http::verb::post, "/api/v1/ui/login", {{"Content-Type", "application/json"}}, body.dump());
  }

  // The cookie and CSRF headers of a successful sign-in.
  std::vector<std::pair<std::string, std::string>> SessionHeaders(const HttpResponse& login) {
    EXPECT_EQ(login.result(), http::status::ok) << login.body();
    std::string set_cookie(login[http::field::set_cookie]);
    return {{"Cookie", set_cookie.substr(0, set_cookie.find(';'))},
            {std::string(kCsrfHeader), Json::parse(login.body())["csrf_token"].get<std::string>()},
            {"Content-Type", "application/json"}};
  }

  Json Audit(const std::string& key, const std::string& query = "") {
    HttpResponse response = SendWithKey(http::verb::get, "/api/v1/audit" + query, key);
    EXPECT_EQ(response.result(), http::status::ok) << response.body();
    return Json::parse(response.body(), nullptr, false);
  }

  // The events of the whole instance, as `trackly audit` lists them.
  std::vector<store::AuditEvent> InstanceEvents() {
    absl::StatusOr<store::AuditPage> page = catalog_->ListAudit(store::AuditQuery{.project = "", .limit = 1000});
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->events : std::vector<store::AuditEvent>{};
  }

  std::string p1_key_, p1_key_id_, p2_key_, p2_key_id_;
};

// The one event of `events` with this action and target; fails the test unless there is exactly one.
Json Find(const Json& events, const std::string& action, const std::string& target) {
  Json found;
  int count = 0;
  for (const Json& event : events) {
    if (event["action"] == action && event["target"] == target) {
      found = event;
      ++count;
    }
  }
  EXPECT_EQ(count, 1) << action << " " << target << " in " << events.dump();
  return found;
}

TEST_F(AuditAppTest, RecordsChangesAndViewsWithTheirActors) {
  // A failed and a good password sign-in of olga; her session creates a key.
  EXPECT_EQ(Login({{"user", "olga"}, {"password", kWrongPassword}}).result(), http::status::unauthorized);
  // The queued failure is written after the success, yet listed by the time it happened.
  clock_.Advance(1'000);
  auto olga = SessionHeaders(Login({{"user", "olga"}, {"password", kPassword}}));
  HttpResponse created = SendRequest(http::verb::post, "/api/v1/keys", olga, Json{{"name", "ci"}}.dump());
  ASSERT_EQ(created.result(), http::status::created) << created.body();
  const Json created_key = Json::parse(created.body());
  const std::string new_key_id = created_key["id"];
  // p1's key revokes it and changes adam's role.
  ASSERT_EQ(SendWithKey(http::verb::delete_, "/api/v1/keys/" + new_key_id, p1_key_).result(), http::status::ok);
  ASSERT_EQ(SendWithKey(http::verb::put, "/api/v1/members/adam", p1_key_, Json{{"role", "viewer"}}.dump()).result(),
            http::status::ok);
  ASSERT_EQ(SendWithKey(http::verb::delete_, "/api/v1/members/adam", p1_key_).result(), http::status::ok);
  // olga views the trace three ways and its session; a missing trace is no view.
  const std::string trace = absl::StrCat("/api/v1/traces/", kTraceP1);
  for (const std::string& target :
       {trace, trace + "/observations", absl::StrCat(trace, "/observations/", kSpanP1),
        absl::StrCat("/api/v1/sessions/", kSession)}) {
    ASSERT_EQ(SendRequest(http::verb::get, target, olga).result(), http::status::ok) << target;
  }
  EXPECT_EQ(SendWithKey(http::verb::get, "/api/v1/traces/ffffffffffffffffffffffffffffffff", p1_key_).result(),
            http::status::not_found);
  // p2's own events.
  ASSERT_EQ(SendWithKey(http::verb::post, "/api/v1/keys", p2_key_, "{}").result(), http::status::created);
  ASSERT_EQ(SendWithKey(http::verb::get, absl::StrCat("/api/v1/traces/", kTraceP2), p2_key_).result(), http::status::ok);

  const Json events = Audit(p1_key_, "?limit=1000")["data"];
  const std::string olga_actor = "user:olga";
  const std::string p1_actor = "key:" + p1_key_id_;
  Json key_create = Find(events, "key.create", new_key_id);
  EXPECT_EQ(key_create["actor"], olga_actor);
  EXPECT_EQ(key_create["details"], (Json{{"name", "ci"}, {"scopes", "ingest,read"}}));
  EXPECT_EQ(Find(events, "key.revoke", new_key_id)["actor"], p1_actor);
  Json member_put = Find(events, "member.put", "adam");
  EXPECT_EQ(member_put["actor"], p1_actor);
  EXPECT_EQ(member_put["details"]["role"], "viewer");
  EXPECT_EQ(Find(events, "member.remove", "adam")["actor"], p1_actor);
  EXPECT_EQ(Find(events, "session.view", kSession)["actor"], olga_actor);
  std::vector<std::string> views;
  for (const Json& event : events) {
    EXPECT_EQ(event["project"], "p1") << event.dump();
    if (event["action"] != "trace.view") continue;
    EXPECT_EQ(event["target"], kTraceP1);
    EXPECT_EQ(event["actor"], olga_actor);
    views.push_back(event["details"]["via"]);
  }
  EXPECT_EQ(views, (std::vector<std::string>{"observation", "observations", "trace"}));  // newest first
  // p2's key and views are not in p1's audit, nor anything secret.
  const std::string dump = events.dump();
  for (const std::string& hidden : {p2_key_id_, std::string(kTraceP2), created_key["key"].get<std::string>(),
                                    created_key["secret_key"].get<std::string>(), std::string("ffffffffffff")}) {
    EXPECT_EQ(dump.find(hidden), std::string::npos) << hidden << " in p1's audit: " << dump;
  }
  // p2's audit has p2's events only.
  const Json p2_events = Audit(p2_key_)["data"];
  EXPECT_EQ(Find(p2_events, "trace.view", kTraceP2)["actor"], "key:" + p2_key_id_);
  for (const Json& event : p2_events) EXPECT_EQ(event["project"], "p2") << event.dump();

  // Sign-ins are instance-wide: not in any project's audit, listed by `trackly audit`.
  std::vector<std::string> signins;
  for (const store::AuditEvent& event : InstanceEvents()) {
    signins.push_back(absl::StrCat(event.action, " ", event.actor, " ", event.details_json));
    EXPECT_EQ(event.details_json.find(kWrongPassword), std::string::npos);
    EXPECT_EQ(event.actor.find(kWrongPassword), std::string::npos);
  }
  EXPECT_EQ(signins, (std::vector<std::string>{R"(signin.success user:olga {"method":"password"})",
                                               R"(signin.failure user:olga {"method":"password"})"}));
}

TEST_F(AuditAppTest, FiltersAndPagesAProjectsAudit) {
  for (const char* role : {"viewer", "member", "admin"}) {
    ASSERT_EQ(SendWithKey(http::verb::put, "/api/v1/members/adam", p1_key_, Json{{"role", role}}.dump()).result(),
              http::status::ok);
  }
  ASSERT_EQ(SendWithKey(http::verb::get, absl::StrCat("/api/v1/traces/", kTraceP1), p1_key_).result(), http::status::ok);
  const Json views = Audit(p1_key_, "?action=trace.view")["data"];
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0]["target"], kTraceP1);
  EXPECT_EQ(Audit(p1_key_, "?actor=user:nobody")["data"].size(), 0u);

  std::vector<std::string> roles;
  std::string query = "?action=member.put&limit=2";
  for (int page = 0; page < 3; ++page) {
    const Json answer = Audit(p1_key_, query);
    for (const Json& event : answer["data"]) roles.push_back(event["details"]["role"]);
    if (answer["next_cursor"].is_null()) break;
    query = "?action=member.put&limit=2&cursor=" + answer["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(roles, (std::vector<std::string>{"admin", "member", "viewer"}));

  for (const std::string bad : {"?limit=0", "?from=yesterday", "?project=p2"}) {
    HttpResponse response = SendWithKey(http::verb::get, "/api/v1/audit" + bad, p1_key_);
    EXPECT_EQ(response.result(), http::status::bad_request) << bad << ": " << response.body();
  }
}

TEST_F(AuditAppTest, ReadingTheAuditNeedsTheAdminScope) {
  const std::string reader = AddKey("p1", store::kScopeRead);
  EXPECT_EQ(SendWithKey(http::verb::get, "/api/v1/audit", reader).result(), http::status::forbidden);
}

TEST_F(AuditAppTest, ALoginLinkSessionActsAsTheLink) {
  absl::StatusOr<std::string> link = CreateLoginLink(*catalog_, "p1", "http://x", kNow);
  ASSERT_TRUE(link.ok()) << link.status();
  const std::string token = link->substr(link->find("#login=") + 7);
  auto session = SessionHeaders(Login({{"token", token}}));
  EXPECT_EQ(Login({{"token", token}}).result(), http::status::unauthorized);  // used up
  ASSERT_EQ(SendRequest(http::verb::get, absl::StrCat("/api/v1/traces/", kTraceP1), session).result(), http::status::ok);

  const Json events = Audit(p1_key_)["data"];
  EXPECT_EQ(Find(events, "signin.success", "")["actor"], "link:p1");
  EXPECT_EQ(Find(events, "trace.view", kTraceP1)["actor"], "link:p1");
  const std::vector<store::AuditEvent> instance = InstanceEvents();
  ASSERT_EQ(instance.size(), 1u);
  EXPECT_EQ(instance[0].action, "signin.failure");
  EXPECT_EQ(instance[0].actor, "anonymous");
  EXPECT_EQ(instance[0].details_json.find(token), std::string::npos);
}

TEST_F(AuditAppTest, QueuedViewsAreWrittenWhenTheServerStops) {
  ASSERT_EQ(SendWithKey(http::verb::get, absl::StrCat("/api/v1/traces/", kTraceP1), p1_key_).result(), http::status::ok);
  app_->BeginShutdown();
  app_->Wait();
  app_.reset();
  absl::StatusOr<store::AuditPage> page =
      catalog_->ListAudit(store::AuditQuery{.project = "p1", .action = "trace.view"});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].actor, "key:" + p1_key_id_);
}

}  // namespace
}  // namespace trackly::server
