#include "server/cors_policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http_test_client.h"

namespace trackly::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

HttpRequest Preflight(std::string origin) {
  return MakeRequest(http::verb::options, "/v1/traces",
                     {{"Origin", std::move(origin)}, {"Access-Control-Request-Method", "POST"}});
}

TEST(CorsPolicyTest, ParsesAnOriginList) {
  absl::StatusOr<std::vector<std::string>> origins =
      ParseCorsOrigins(" https://App.example.com , http://localhost:5173,");
  ASSERT_TRUE(origins.ok()) << origins.status();
  EXPECT_THAT(*origins, ElementsAre("https://app.example.com", "http://localhost:5173"));
  EXPECT_TRUE(ParseCorsOrigins("")->empty());
}

TEST(CorsPolicyTest, RefusesWhatIsNotAnOrigin) {
  for (std::string bad : {"*", "app.example.com", "https://app.example.com/", "ftp://x",
                          "https://a.example/path", "https://"}) {
    absl::Status status = ParseCorsOrigins(bad).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("is not an origin")) << bad;
  }
}

TEST(CorsPolicyTest, ClosedPolicySendsNothingAndAnswersNoPreflight) {
  CorsPolicy closed({});
  EXPECT_FALSE(closed.AnswerPreflight(Preflight("https://app.example.com")).has_value());
  EXPECT_FALSE(closed.AllowedOrigin(Preflight("https://app.example.com")).has_value());
  HttpResponse response{http::status::ok, 11};
  closed.AddHeaders(std::nullopt, response);
  EXPECT_EQ(response.begin(), response.end());
}

TEST(CorsPolicyTest, AnswersPreflightOnlyForAnAllowedOrigin) {
  CorsPolicy policy({"https://app.example.com"});
  std::optional<HttpResponse> answer = policy.AnswerPreflight(Preflight("https://app.example.com"));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->result(), http::status::no_content);
  EXPECT_EQ((*answer)[http::field::access_control_allow_origin], "https://app.example.com");
  EXPECT_THAT(std::string((*answer)[http::field::access_control_allow_headers]),
              HasSubstr("Authorization"));
  EXPECT_THAT(std::string((*answer)[http::field::access_control_allow_methods]), HasSubstr("POST"));
  EXPECT_EQ(answer->count(http::field::access_control_allow_credentials), 0u);

  EXPECT_FALSE(policy.AnswerPreflight(Preflight("https://evil.example")).has_value());
  EXPECT_FALSE(
      policy.AnswerPreflight(Preflight("https://app.example.com.evil.example")).has_value());
  // An OPTIONS request that is not a preflight goes on to routing.
  EXPECT_FALSE(policy.AnswerPreflight(MakeRequest(http::verb::options, "/v1/traces",
                                                  {{"Origin", "https://app.example.com"}}))
                   .has_value());
}

TEST(CorsPolicyTest, AllowedOriginIsEchoedOthersOnlyVary) {
  CorsPolicy policy({"https://app.example.com"});
  HttpResponse allowed{http::status::ok, 11};
  policy.AddHeaders(policy.AllowedOrigin(MakeRequest(http::verb::get, "/",
                                                     {{"Origin", "https://app.example.com"}})),
                    allowed);
  EXPECT_EQ(allowed[http::field::access_control_allow_origin], "https://app.example.com");
  EXPECT_EQ(allowed[http::field::access_control_expose_headers], "Retry-After");
  EXPECT_EQ(allowed[http::field::vary], "Origin");

  HttpResponse other{http::status::ok, 11};
  policy.AddHeaders(
      policy.AllowedOrigin(MakeRequest(http::verb::get, "/", {{"Origin", "https://evil.example"}})),
      other);
  EXPECT_EQ(other.count(http::field::access_control_allow_origin), 0u);
  EXPECT_EQ(other[http::field::vary], "Origin");
}

}  // namespace
}  // namespace trackly::server
