// Users and roles through the assembled server (docs/api.md "Projects and members"): password
// sign-in, the project a user's session acts on, what each role may do, raw I/O withheld from a
// viewer, project creation and the owner rules.
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
constexpr char kSecretPrompt[] = "the prompt only members may read";

// A signed-in browser: its cookie and CSRF token.
struct Browser {
  std::string cookie;
  std::string csrf;
};

class UsersAppTest : public RunningAppTestBase {
 protected:
  UsersAppTest() : RunningAppTestBase(kNow) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    absl::StatusOr<std::string> hash = HashPassword(kPassword);
    ASSERT_TRUE(hash.ok()) << hash.status();
    for (const char* name : {"olga", "adam", "mia", "vera", "nora"}) {
      ASSERT_TRUE(catalog_->CreateUser(store::UserRecord{.name = name, .password_hash = *hash, .created_ns = kNow}).ok());
    }
    Grant("olga", "p1", store::Role::kOwner);
    Grant("adam", "p1", store::Role::kAdmin);
    Grant("mia", "p1", store::Role::kMember);
    Grant("vera", "p1", store::Role::kViewer, /*raw_io=*/false);
    key_ = AddKey("p1", store::kScopeIngest | store::kScopeRead | store::kScopeAdmin);
    StartApp(ServerOptions{});
  }

  void Grant(const std::string& user, const std::string& project, store::Role role, bool raw_io = true) {
    ASSERT_TRUE(catalog_->PutMembership(store::Membership{.user = user, .project = project, .role = role,
                                                          .raw_io = raw_io, .created_ns = kNow})
                    .ok());
  }

  HttpResponse Login(const std::string& user, const std::string& password) {
    return SendRequest(http::verb::post, "/api/v1/ui/login", {{"Content-Type", "application/json"}},
                       Json{{"user", user}, {"password", password}}.dump());
  }

  Browser SignIn(const std::string& user) {
    HttpResponse response = Login(user, kPassword);
    EXPECT_EQ(response.result(), http::status::ok) << response.body();
    std::string set_cookie(response[http::field::set_cookie]);
    std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
    return Browser{cookie, Json::parse(response.body())["csrf_token"].get<std::string>()};
  }

  // A request of `browser`, naming `project` when it is not empty.
  HttpResponse Send(const Browser& browser, http::verb method, const std::string& target,
                    const std::string& project = "", std::string body = "") {
    std::vector<std::pair<std::string, std::string>> headers = {{"Cookie", browser.cookie},
                                                                {std::string(kCsrfHeader), browser.csrf}};
    if (!project.empty()) headers.emplace_back("x-trackly-project", project);
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    return SendRequest(method, target, std::move(headers), std::move(body));
  }

  void IngestTraceWithPrompt() {
    Json attributes = {{{"key", "gen_ai.prompt"}, {"value", {{"stringValue", kSecretPrompt}}}},
                       {{"key", "input.value"}, {"value", {{"stringValue", kSecretPrompt}}}}};
    Json span = {{"traceId", "4bf92f3577b34da6a3ce929d0e0e4736"}, {"spanId", "00f067aa0ba902b7"},
                 {"name", "answer"}, {"startTimeUnixNano", std::to_string(kNow - 2'000'000'000)},
                 {"endTimeUnixNano", std::to_string(kNow - 1'000'000'000)}, {"attributes", attributes}};
    Json body = {{"resourceSpans", {{{"scopeSpans", {{{"spans", {span}}}}}}}}};
    ASSERT_EQ(SendWithKey(http::verb::post, "/v1/traces", key_, body.dump()).result(), http::status::ok);
  }

  std::string key_;
};

TEST_F(UsersAppTest, PasswordSignInOpensASessionOfTheUser) {
  HttpResponse wrong = Login("olga", "not the password");
  EXPECT_EQ(wrong.result(), http::status::unauthorized);
  HttpResponse unknown = Login("nobody", kPassword);
  EXPECT_EQ(unknown.result(), http::status::unauthorized);
  EXPECT_EQ(Json::parse(wrong.body())["error"], Json::parse(unknown.body())["error"]);

  Browser olga = SignIn("olga");
  HttpResponse session = Send(olga, http::verb::get, "/api/v1/ui/session");
  ASSERT_EQ(session.result(), http::status::ok) << session.body();
  Json info = Json::parse(session.body());
  EXPECT_EQ(info["user"], "olga");
  EXPECT_EQ(info["project"], "p1");
  EXPECT_EQ(info["role"], "owner");
  EXPECT_EQ(info["raw_io"], true);
}

TEST_F(UsersAppTest, AUserReachesOnlyProjectsTheyHaveARoleIn) {
  Browser mia = SignIn("mia");
  EXPECT_EQ(Send(mia, http::verb::get, "/api/v1/traces", "p1").result(), http::status::ok);
  HttpResponse other = Send(mia, http::verb::get, "/api/v1/traces", "p2");
  EXPECT_EQ(other.result(), http::status::forbidden);
  HttpResponse missing = Send(mia, http::verb::get, "/api/v1/traces", "p9");
  // The same answer whether or not the project exists.
  EXPECT_EQ(Json::parse(other.body())["error"]["message"].get<std::string>().find("p2") != std::string::npos, true);
  EXPECT_EQ(missing.result(), http::status::forbidden);

  // Taking the role away ends access at once.
  ASSERT_TRUE(catalog_->RemoveMembership("mia", "p1").ok());
  EXPECT_EQ(Send(mia, http::verb::get, "/api/v1/traces", "p1").result(), http::status::forbidden);
  // A key cannot be pointed at another project by the header either.
  EXPECT_EQ(SendRequest(http::verb::get, "/api/v1/traces", {{"Authorization", "Bearer " + key_}, {"x-trackly-project", "p2"}})
                .result(),
            http::status::forbidden);
}

TEST_F(UsersAppTest, EachRoleHoldsItsScopes) {
  const std::string new_key = Json{{"name", "ci"}}.dump();
  for (const auto& [user, can_admin, can_ingest] :
       std::vector<std::tuple<std::string, bool, bool>>{{"olga", true, true}, {"adam", true, true},
                                                        {"mia", false, true}, {"vera", false, false}}) {
    SCOPED_TRACE(user);
    Browser browser = SignIn(user);
    EXPECT_EQ(Send(browser, http::verb::get, "/api/v1/traces").result(), http::status::ok);
    EXPECT_EQ(Send(browser, http::verb::post, "/api/v1/keys", "", new_key).result(),
              can_admin ? http::status::created : http::status::forbidden);
    EXPECT_EQ(Send(browser, http::verb::get, "/api/v1/members").result(),
              can_admin ? http::status::ok : http::status::forbidden);
    HttpResponse ingest = Send(browser, http::verb::post, "/v1/traces", "", R"({"resourceSpans":[]})");
    EXPECT_EQ(ingest.result(), can_ingest ? http::status::ok : http::status::forbidden) << ingest.body();
  }
}

TEST_F(UsersAppTest, AViewerWithoutRawIoSeesNoInputsOrOutputs) {
  IngestTraceWithPrompt();
  const std::string trace = "/api/v1/traces/4bf92f3577b34da6a3ce929d0e0e4736";
  Browser mia = SignIn("mia");
  HttpResponse full = Send(mia, http::verb::get, trace);
  ASSERT_EQ(full.result(), http::status::ok);
  EXPECT_NE(std::string(full.body()).find(kSecretPrompt), std::string::npos) << "the test's span carries no prompt";

  Browser vera = SignIn("vera");
  for (const std::string& target : {trace, absl::StrCat(trace, "/observations"),
                                   absl::StrCat(trace, "/observations/00f067aa0ba902b7"), std::string("/api/v1/traces")}) {
    HttpResponse response = Send(vera, http::verb::get, target);
    ASSERT_EQ(response.result(), http::status::ok) << target << ": " << response.body();
    EXPECT_EQ(std::string(response.body()).find(kSecretPrompt), std::string::npos) << target << ": " << response.body();
    EXPECT_EQ(Json::parse(response.body())["raw_io_withheld"], true) << target;
  }
  HttpResponse search = Send(vera, http::verb::get, "/api/v1/traces?q=prompt");
  EXPECT_EQ(search.result(), http::status::forbidden) << search.body();
  EXPECT_EQ(Send(vera, http::verb::get, "/api/v1/export?format=jsonl").result(), http::status::forbidden);
  EXPECT_EQ(Send(mia, http::verb::get, "/api/v1/export?format=jsonl").result(), http::status::ok);
  EXPECT_EQ(Json::parse(Send(vera, http::verb::get, "/api/v1/ui/session").body())["raw_io"], false);
}

TEST_F(UsersAppTest, AUserCreatesAProjectAndOwnsIt) {
  Browser nora = SignIn("nora");  // no role anywhere yet
  EXPECT_EQ(Json::parse(Send(nora, http::verb::get, "/api/v1/projects").body())["data"].size(), 0u);
  EXPECT_EQ(Send(nora, http::verb::get, "/api/v1/traces").result(), http::status::forbidden);
  HttpResponse created = Send(nora, http::verb::post, "/api/v1/projects", "", Json{{"name", "nora-app"}}.dump());
  ASSERT_EQ(created.result(), http::status::created) << created.body();
  EXPECT_EQ(Json::parse(created.body())["role"], "owner");
  EXPECT_EQ(Send(nora, http::verb::post, "/api/v1/projects", "", Json{{"name", "nora-app"}}.dump()).result(),
            http::status::conflict);
  Json projects = Json::parse(Send(nora, http::verb::get, "/api/v1/projects").body())["data"];
  ASSERT_EQ(projects.size(), 1u);
  EXPECT_EQ(projects[0]["name"], "nora-app");
  EXPECT_EQ(Send(nora, http::verb::get, "/api/v1/traces", "nora-app").result(), http::status::ok);
  // A key acts on its own project and cannot create others.
  EXPECT_EQ(SendWithKey(http::verb::post, "/api/v1/projects", key_, Json{{"name", "x"}}.dump()).result(),
            http::status::forbidden);
  Json key_projects = Json::parse(SendWithKey(http::verb::get, "/api/v1/projects", key_).body())["data"];
  ASSERT_EQ(key_projects.size(), 1u);
  EXPECT_EQ(key_projects[0]["name"], "p1");
}

TEST_F(UsersAppTest, OnlyOwnersMakeOwnersAndAProjectKeepsOne) {
  Browser adam = SignIn("adam");
  const std::string owner = Json{{"role", "owner"}}.dump();
  EXPECT_EQ(Send(adam, http::verb::put, "/api/v1/members/nora", "", owner).result(), http::status::forbidden);
  EXPECT_EQ(Send(adam, http::verb::delete_, "/api/v1/members/olga").result(), http::status::forbidden);
  HttpResponse viewer = Send(adam, http::verb::put, "/api/v1/members/nora", "", Json{{"role", "viewer"}, {"raw_io", false}}.dump());
  ASSERT_EQ(viewer.result(), http::status::ok) << viewer.body();
  EXPECT_EQ(Json::parse(viewer.body())["raw_io"], false);
  EXPECT_EQ(Send(adam, http::verb::put, "/api/v1/members/nobody", "", Json{{"role", "viewer"}}.dump()).result(),
            http::status::not_found);

  Browser olga = SignIn("olga");
  EXPECT_EQ(Send(olga, http::verb::delete_, "/api/v1/members/olga").result(), http::status::conflict);
  ASSERT_EQ(Send(olga, http::verb::put, "/api/v1/members/adam", "", owner).result(), http::status::ok);
  EXPECT_EQ(Send(olga, http::verb::delete_, "/api/v1/members/olga").result(), http::status::ok);
  EXPECT_EQ(Send(olga, http::verb::get, "/api/v1/traces").result(), http::status::forbidden);
}

TEST_F(UsersAppTest, ChangingThePasswordEndsSessions) {
  Browser mia = SignIn("mia");
  absl::StatusOr<std::string> hash = HashPassword("another long password");
  ASSERT_TRUE(hash.ok());
  ASSERT_TRUE(catalog_->SetUserPassword("mia", *hash).ok());
  EXPECT_EQ(Send(mia, http::verb::get, "/api/v1/traces").result(), http::status::unauthorized);
  EXPECT_EQ(Login("mia", kPassword).result(), http::status::unauthorized);
  EXPECT_EQ(Login("mia", "another long password").result(), http::status::ok);
}

}  // namespace
}  // namespace trackly::server
