// UI sign-in and the keys API through the assembled server (real catalog, real HTTP): a login
// link works once and expires, the session cookie authenticates, changes need the CSRF token, and
// one project's session or key can never touch another project's keys.
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "base/status.h"
#include "server/running_app_test_base.h"
#include "server/ui_login.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;
using model::Json;

constexpr int64_t kNow = 1'800'000'000LL * 1'000'000'000;

class AdminApiTest : public RunningAppTestBase {
 protected:
  AdminApiTest() : RunningAppTestBase(kNow) {}

  void SetUp() override {
    OpenStoreAndCatalog();
    StartApp(ServerOptions{});
  }

  std::string NewLoginToken(const std::string& project) {
    absl::StatusOr<std::string> link = CreateLoginLink(*catalog_, project, "http://x", clock_.NowNanos());
    EXPECT_TRUE(link.ok()) << link.status();
    return link->substr(link->find("#login=") + 7);
  }

  HttpResponse Send(http::verb method, const std::string& target, const std::string& body = "",
                    const std::string& cookie = "", const std::string& csrf = "", const std::string& key = "") {
    HttpRequest request(method, target, 11);
    if (!body.empty()) request.body() = body;
    if (!cookie.empty()) request.set(http::field::cookie, absl::StrCat("theme=dark; ", Sv(kSessionCookieName), "=", cookie));
    if (!csrf.empty()) request.set(std::string(kCsrfHeader), csrf);
    if (!key.empty()) request.set(http::field::authorization, "Bearer " + key);
    std::optional<HttpResponse> response = client_->Send(std::move(request));
    EXPECT_TRUE(response.has_value());
    return response.value_or(HttpResponse{});
  }

  struct Session {
    std::string cookie;
    std::string csrf;
  };

  Session Login(const std::string& project) {
    HttpResponse response = Send(http::verb::post, "/api/v1/ui/login", Json{{"token", NewLoginToken(project)}}.dump());
    EXPECT_EQ(response.result(), http::status::ok) << response.body();
    std::string set_cookie(response[http::field::set_cookie]);
    EXPECT_THAT(set_cookie, HasSubstr("HttpOnly"));
    EXPECT_THAT(set_cookie, HasSubstr("SameSite=Strict"));
    std::string value = set_cookie.substr(set_cookie.find('=') + 1);
    value = value.substr(0, value.find(';'));
    return Session{value, Json::parse(response.body())["csrf_token"].get<std::string>()};
  }
};

TEST_F(AdminApiTest, LoginTokenWorksOnceAndSessionReadsItsProject) {
  std::string token = NewLoginToken("p1");
  HttpResponse first = Send(http::verb::post, "/api/v1/ui/login", Json{{"token", token}}.dump());
  ASSERT_EQ(first.result(), http::status::ok) << first.body();
  EXPECT_EQ(Json::parse(first.body())["project"], "p1");
  HttpResponse again = Send(http::verb::post, "/api/v1/ui/login", Json{{"token", token}}.dump());
  EXPECT_EQ(again.result(), http::status::unauthorized);
  EXPECT_THAT(again.body(), HasSubstr("already used"));

  Session session = Login("p1");
  HttpResponse who = Send(http::verb::get, "/api/v1/ui/session", "", session.cookie);
  ASSERT_EQ(who.result(), http::status::ok) << who.body();
  EXPECT_EQ(Json::parse(who.body()),
            (Json{{"project", "p1"}, {"auth", "session"}, {"csrf_token", session.csrf}, {"raw_io", true}}));
  EXPECT_EQ(Send(http::verb::get, "/api/v1/traces", "", session.cookie).result(), http::status::ok);
}

TEST_F(AdminApiTest, ExpiredLoginTokenIsRefused) {
  std::string token = NewLoginToken("p1");
  clock_.Advance(kLoginTokenTtlNs);
  EXPECT_EQ(Send(http::verb::post, "/api/v1/ui/login", Json{{"token", token}}.dump()).result(),
            http::status::unauthorized);
}

TEST_F(AdminApiTest, ChangesThroughASessionNeedTheCsrfToken) {
  Session session = Login("p1");
  HttpResponse without = Send(http::verb::post, "/api/v1/keys", R"({"name":"ci"})", session.cookie);
  EXPECT_EQ(without.result(), http::status::forbidden);
  EXPECT_THAT(without.body(), HasSubstr("CSRF"));
  HttpResponse wrong = Send(http::verb::post, "/api/v1/keys", R"({"name":"ci"})", session.cookie, "nope");
  EXPECT_EQ(wrong.result(), http::status::forbidden);
  HttpResponse created = Send(http::verb::post, "/api/v1/keys", R"({"name":"ci","scopes":"ingest"})",
                              session.cookie, session.csrf);
  ASSERT_EQ(created.result(), http::status::created) << created.body();
  Json key = Json::parse(created.body());
  EXPECT_EQ(key["scopes"], "ingest");
  EXPECT_THAT(key["key"].get<std::string>(), testing::StartsWith("tk-"));

  // The new key works, and the list never shows a secret.
  HttpResponse listed = Send(http::verb::get, "/api/v1/keys", "", session.cookie);
  ASSERT_EQ(listed.result(), http::status::ok);
  EXPECT_THAT(listed.body(), HasSubstr(key["id"].get<std::string>()));
  EXPECT_THAT(listed.body(), testing::Not(HasSubstr(key["key"].get<std::string>())));
}

TEST_F(AdminApiTest, LogoutEndsTheSession) {
  Session session = Login("p1");
  HttpResponse out = Send(http::verb::post, "/api/v1/ui/logout", "", session.cookie, session.csrf);
  ASSERT_EQ(out.result(), http::status::ok);
  EXPECT_THAT(std::string(out[http::field::set_cookie]), HasSubstr("Max-Age=0"));
  EXPECT_EQ(Send(http::verb::get, "/api/v1/traces", "", session.cookie).result(), http::status::unauthorized);
}

TEST_F(AdminApiTest, AnotherProjectsKeyLooksMissing) {
  std::string p2_key = AddKey("p2", store::kScopeRead);
  std::string p2_id = p2_key.substr(3, 16);
  Session session = Login("p1");
  HttpResponse revoke = Send(http::verb::delete_, "/api/v1/keys/" + p2_id, "", session.cookie, session.csrf);
  EXPECT_EQ(revoke.result(), http::status::not_found);
  EXPECT_EQ(Send(http::verb::get, "/api/v1/traces", "", "", "", p2_key).result(), http::status::ok);

  std::string p1_admin = AddKey("p1", store::kScopeAdmin);
  EXPECT_EQ(Send(http::verb::delete_, "/api/v1/keys/" + p2_id, "", "", "", p1_admin).result(), http::status::not_found);
  HttpResponse own = Send(http::verb::delete_, "/api/v1/keys/" + p1_admin.substr(3, 16), "", "", "", p1_admin);
  ASSERT_EQ(own.result(), http::status::ok) << own.body();
  EXPECT_FALSE(Json::parse(own.body())["revoked_at"].is_null());
}

TEST_F(AdminApiTest, UnauthorizedAnswersNeverAskForBasicAuth) {
  HttpResponse response = Send(http::verb::get, "/api/v1/traces");
  ASSERT_EQ(response.result(), http::status::unauthorized);
  // A Basic challenge would make a browser pop up its own password dialog over the UI.
  EXPECT_THAT(std::string(response[http::field::www_authenticate]), testing::Not(HasSubstr("Basic")));
}

}  // namespace
}  // namespace trackly::server
