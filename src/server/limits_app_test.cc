// Limits and hygiene of the assembled server (docs/api.md "Limits", "CORS"): rate limits, the
// failed-authentication block, slow-client timeouts, security and CORS headers, and what the log
// must never contain. In-process on port 0 with the real SQLite store; time is the fake clock.
#include <string>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/running_app_test_base.h"
#include "server/ui_login.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using model::Json;

constexpr int64_t kSecond = 1'000'000'000;
constexpr char kUnknownKey[] = "tk-0123456789abcdef-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";

class LimitsAppTest : public RunningAppTestBase {
 protected:
  LimitsAppTest() : RunningAppTestBase(1'700'000'000'000'000'000) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    key_ = AddKey("p1", store::kScopeIngest | store::kScopeRead);
    other_key_ = AddKey("p2", store::kScopeIngest | store::kScopeRead);
  }


  HttpResponse Get(const std::string& target, const std::string& key,
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
    if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
    return SendRequest(http::verb::get, target, std::move(headers));
  }

  static Json Body(const HttpResponse& response) {
    return Json::parse(response.body(), nullptr, /*allow_exceptions=*/false);
  }

  static void ExpectRateLimited(const HttpResponse& response, const std::string& retry_after,
                                const std::string& message_part) {
    EXPECT_EQ(response.result(), http::status::too_many_requests) << response.body();
    EXPECT_EQ(response[http::field::retry_after], retry_after);
    EXPECT_EQ(Body(response)["error"]["code"], "rate_limited") << response.body();
    EXPECT_THAT(Body(response)["error"]["message"].get<std::string>(), HasSubstr(message_part));
  }

  std::string key_, other_key_;
};

TEST_F(LimitsAppTest, KeyOverItsRateGets429WithRetryAfterUntilATokenIsBack) {
  ServerOptions options;
  options.rate_limit.key_requests_per_second = 1;
  options.rate_limit.key_burst = 2;
  StartApp(options);
  EXPECT_EQ(Get("/api/v1/traces", key_).result(), http::status::ok);
  EXPECT_EQ(Get("/api/v1/traces", key_).result(), http::status::ok);
  ExpectRateLimited(Get("/api/v1/traces", key_), "1", "too many requests with this API key");
  EXPECT_EQ(Get("/api/v1/traces", other_key_).result(), http::status::ok);  // its own bucket
  clock_.Advance(kSecond);
  EXPECT_EQ(Get("/api/v1/traces", key_).result(), http::status::ok);
  ExpectRateLimited(Get("/api/v1/traces", key_), "1", "API key");
}

TEST_F(LimitsAppTest, AddressOverItsRateGets429OnEveryRoute) {
  ServerOptions options;
  options.rate_limit.address_requests_per_second = 2;
  options.rate_limit.address_burst = 3;
  StartApp(options);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Get("/api/v1/health", "").result(), http::status::ok);
  ExpectRateLimited(Get("/api/v1/health", ""), "1", "too many requests from this address");
  ExpectRateLimited(Get("/api/v1/traces", key_), "1", "address");
  clock_.Advance(kSecond / 2);
  EXPECT_EQ(Get("/api/v1/health", "").result(), http::status::ok);
}

TEST_F(LimitsAppTest, FailedAuthenticationsBlockTheAddressForCredentialedRequests) {
  ServerOptions options;
  options.rate_limit.failed_auth_per_minute = 10;
  options.rate_limit.failed_auth_burst = 3;
  StartApp(options);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Get("/api/v1/traces", kUnknownKey).result(), http::status::unauthorized) << i;
  }
  // Refused before the key is even looked at: 10 per minute is one every 6 s.
  ExpectRateLimited(Get("/api/v1/traces", kUnknownKey), "6", "failed authentications");
  ExpectRateLimited(Get("/api/v1/traces", key_), "6", "failed authentications");
  // Public reads (health, the UI's files) still work from the blocked address.
  EXPECT_EQ(Get("/api/v1/health", "").result(), http::status::ok);
  clock_.Advance(6 * kSecond);
  EXPECT_EQ(Get("/api/v1/traces", key_).result(), http::status::ok);
}

TEST_F(LimitsAppTest, ValidKeysAndMissingCredentialsNeverWearTheFailedAuthBucket) {
  ServerOptions options;
  options.rate_limit.failed_auth_per_minute = 1;
  options.rate_limit.failed_auth_burst = 1;
  StartApp(options);
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(Get("/api/v1/traces", key_).result(), http::status::ok) << i;
    // No credential at all is how the UI asks whether it is signed in; it guesses nothing.
    ASSERT_EQ(Get("/api/v1/ui/session", "").result(), http::status::unauthorized) << i;
  }
  // A key without the scope is no failed authentication either.
  std::string read_only = AddKey("p1", store::kScopeRead);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(SendRequest(http::verb::post, "/v1/traces",
                   {{"Authorization", "Bearer " + read_only}, {"Content-Type", "application/json"}},
                   "{}")
                  .result(),
              http::status::forbidden);
  }
  EXPECT_EQ(Get("/api/v1/traces", kUnknownKey).result(), http::status::unauthorized);
  ExpectRateLimited(Get("/api/v1/traces", kUnknownKey), "60", "failed authentications");
}

TEST_F(LimitsAppTest, WrongLoginTokensAndSessionCookiesCountAsFailedAuthentication) {
  ServerOptions options;
  options.rate_limit.failed_auth_per_minute = 10;
  options.rate_limit.failed_auth_burst = 2;
  StartApp(options);
  HttpResponse login = SendRequest(http::verb::post, "/api/v1/ui/login",
                            {{"Content-Type", "application/json"}}, R"({"token":"guess-1"})");
  EXPECT_EQ(login.result(), http::status::unauthorized) << login.body();
  EXPECT_EQ(Get("/api/v1/traces", "",
                {{"Cookie", std::string(kSessionCookieName) + "=guessed-session"}})
                .result(),
            http::status::unauthorized);
  ExpectRateLimited(SendRequest(http::verb::post, "/api/v1/ui/login",
                         {{"Content-Type", "application/json"}}, R"({"token":"guess-2"})"),
                    "6", "failed authentications");
}

TEST_F(LimitsAppTest, DefaultLimitsLetABurstOfIngestThrough) {
  StartApp(ServerOptions());
  const std::string body =
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{)"
      R"("traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",)"
      R"("name":"s","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]})";
  for (int i = 0; i < 300; ++i) {  // no time passes on the fake clock: all of it is burst
    HttpResponse response = SendRequest(
        http::verb::post, "/v1/traces",
        {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}}, body);
    ASSERT_EQ(response.result(), http::status::ok) << i;
  }
}

TEST_F(LimitsAppTest, SlowHeadersAreCutOffByTheReadTimeout) {
  ServerOptions options;
  options.read_timeout_ms = 50;
  options.idle_timeout_ms = 600'000;  // so it is the read timeout that closes
  StartApp(options);
  HttpTestClient slowloris(app_->endpoint());
  slowloris.SendRaw("POST /v1/traces HTTP/1.1\r\nHost: t\r\nX-Slow: 1\r\n");  // never finished
  EXPECT_TRUE(slowloris.WaitForClose());
  HttpTestClient slow_body(app_->endpoint());
  slow_body.SendRaw("POST /v1/traces HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"re");
  EXPECT_TRUE(slow_body.WaitForClose());
  // The server is still there for everyone else.
  EXPECT_EQ(Get("/api/v1/health", "").result(), http::status::ok);
}

TEST_F(LimitsAppTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions options;
  options.idle_timeout_ms = 50;
  StartApp(options);
  HttpResponse first = Get("/api/v1/health", "");
  ASSERT_EQ(first.result(), http::status::ok);
  EXPECT_TRUE(first.keep_alive());
  EXPECT_TRUE(client_->WaitForClose());
}

TEST_F(LimitsAppTest, EveryResponseCarriesTheSecurityHeaders) {
  ServerOptions options;
  options.rate_limit.key_requests_per_second = 1;
  options.rate_limit.key_burst = 1;
  StartApp(options);
  struct Case {
    std::string name;
    HttpResponse response;
  };
  std::vector<Case> cases;
  cases.push_back({"traces", Get("/api/v1/traces", key_)});
  cases.push_back({"429", Get("/api/v1/traces", key_)});
  cases.push_back({"401", Get("/api/v1/traces", kUnknownKey)});
  cases.push_back({"404", Get("/api/v1/nope", "")});
  cases.push_back({"ui", Get("/", "")});
  ASSERT_EQ(cases[1].response.result(), http::status::too_many_requests);
  for (const Case& c : cases) {
    const HttpResponse& r = c.response;
    EXPECT_EQ(r["X-Content-Type-Options"], "nosniff") << c.name;
    EXPECT_EQ(r["Referrer-Policy"], "no-referrer") << c.name;
    EXPECT_EQ(r["X-Frame-Options"], "DENY") << c.name;
    EXPECT_THAT(std::string(r["Content-Security-Policy"]), HasSubstr("frame-ancestors 'none'"))
        << c.name;
    EXPECT_EQ(r.count(http::field::access_control_allow_origin), 0u) << c.name;
    if (c.name != "ui") {
      EXPECT_EQ(r[http::field::cache_control], "no-store") << c.name;
    }
  }
}

TEST_F(LimitsAppTest, CorsIsClosedByDefault) {
  StartApp(ServerOptions());
  HttpResponse read = Get("/api/v1/traces", key_, {{"Origin", "https://app.example.com"}});
  EXPECT_EQ(read.result(), http::status::ok);
  EXPECT_EQ(read.count(http::field::access_control_allow_origin), 0u);
  EXPECT_EQ(read.count(http::field::vary), 0u);
  HttpResponse preflight =
      SendRequest(http::verb::options, "/v1/traces",
           {{"Origin", "https://app.example.com"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(preflight.result(), http::status::method_not_allowed);
  EXPECT_EQ(preflight.count(http::field::access_control_allow_origin), 0u);
}

TEST_F(LimitsAppTest, CorsAllowListOpensOnlyTheListedOrigins) {
  ServerOptions options;
  options.cors_allowed_origins = "https://app.example.com, http://localhost:5173";
  StartApp(options);
  HttpResponse preflight =
      SendRequest(http::verb::options, "/v1/traces",
           {{"Origin", "https://app.example.com"},
            {"Access-Control-Request-Method", "POST"},
            {"Access-Control-Request-Headers", "authorization, content-type"}});
  EXPECT_EQ(preflight.result(), http::status::no_content);
  EXPECT_EQ(preflight[http::field::access_control_allow_origin], "https://app.example.com");
  EXPECT_THAT(std::string(preflight[http::field::access_control_allow_headers]),
              HasSubstr("Authorization"));

  HttpResponse read = Get("/api/v1/traces", key_, {{"Origin", "http://localhost:5173"}});
  EXPECT_EQ(read.result(), http::status::ok);
  EXPECT_EQ(read[http::field::access_control_allow_origin], "http://localhost:5173");
  EXPECT_EQ(read[http::field::vary], "Origin");
  EXPECT_EQ(read.count(http::field::access_control_allow_credentials), 0u);
  HttpResponse refused =
      Get("/api/v1/traces", kUnknownKey, {{"Origin", "https://app.example.com"}});
  EXPECT_EQ(refused.result(), http::status::unauthorized);
  EXPECT_EQ(refused[http::field::access_control_allow_origin], "https://app.example.com");

  HttpResponse other_read = Get("/api/v1/traces", key_, {{"Origin", "https://evil.example"}});
  EXPECT_EQ(other_read.count(http::field::access_control_allow_origin), 0u);
  HttpResponse other_preflight =
      SendRequest(http::verb::options, "/v1/traces",
           {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(other_preflight.result(), http::status::method_not_allowed);
  EXPECT_EQ(other_preflight.count(http::field::access_control_allow_origin), 0u);
}

TEST_F(LimitsAppTest, RefusesABadCorsOrigin) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.cors_allowed_origins = "*";
  absl::Status status = App::Start(options, *store_, *catalog_, clock_).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("cors_allowed_origins"));
}

// Keys, Authorization headers, cookies, login tokens and request bodies never reach the log, not
// even at debug level.
TEST_F(LimitsAppTest, LogNeverShowsSecretsOrBodies) {
  ServerOptions options;
  options.rate_limit.failed_auth_burst = 2;  // the second failure logs the block warning
  StartApp(options);
  const std::string body_marker = "BODY-MARKER-7f3a9c";
  const std::string cookie_value = "COOKIE-MARKER-5d1e2b";
  const std::string login_token = "LOGIN-MARKER-9b8c7d";
  const std::string secret = key_.substr(key_.rfind('-') + 1);
  const std::string wrong_secret = std::string(kUnknownKey).substr(20);

  SetLogLevel(LogLevel::kDebug);
  testing::internal::CaptureStderr();
  HttpResponse bad_body = SendRequest(
      http::verb::post, "/v1/traces",
      {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}},
      absl::StrCat(R"({"resourceSpans":")", body_marker, R"("})"));
  HttpResponse bad_span = SendRequest(
      http::verb::post, "/v1/traces",
      {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}},
      absl::StrCat(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":")", body_marker,
                   R"(","spanId":5}]}]}]})"));
  HttpResponse bad_langfuse = SendRequest(
      http::verb::post, "/api/public/ingestion",
      {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}},
      absl::StrCat("{\"batch\": [", body_marker));
  HttpResponse login = SendRequest(http::verb::post, "/api/v1/ui/login",
                            {{"Content-Type", "application/json"}},
                            absl::StrCat(R"({"token":")", login_token, R"("})"));
  HttpResponse wrong_key = Get("/api/v1/traces", kUnknownKey,
                               {{"Cookie", std::string(kSessionCookieName) + "=" + cookie_value}});
  std::string log = testing::internal::GetCapturedStderr();
  SetLogLevel(LogLevel::kInfo);

  EXPECT_EQ(bad_body.result(), http::status::bad_request) << bad_body.body();
  EXPECT_THAT(bad_span.body(), HasSubstr("rejectedSpans"));  // partial success, 200
  EXPECT_EQ(bad_langfuse.result(), http::status::bad_request);
  EXPECT_EQ(login.result(), http::status::unauthorized);
  EXPECT_EQ(wrong_key.result(), http::status::unauthorized);
  // The capture works: the failed authentication was logged, by address only.
  EXPECT_THAT(log, HasSubstr("repeated failed authentication from 127.0.0.1"));
  for (const std::string& secret_text :
       {key_, secret, std::string(kUnknownKey), wrong_secret, body_marker, cookie_value,
        login_token, std::string("Bearer"), std::string("resourceSpans")}) {
    EXPECT_THAT(log, Not(HasSubstr(secret_text)));
  }
}

}  // namespace
}  // namespace trackly::server
