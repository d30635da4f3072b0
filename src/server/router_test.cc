#include "server/router.h"

#include "gtest/gtest.h"
#include "server/http_status.h"
#include "store/catalog.h"

namespace trackly::server {
namespace {

Handler Named(std::string name, std::string* called) {
  return [name = std::move(name), called](RequestContext, Responder) { *called = name; };
}

class RouterTest : public testing::Test {
 protected:
  RouterTest() {
    router_.Add(http::verb::post, "/v1/traces", store::kScopeIngest, Named("ingest", &called_));
    router_.Add(http::verb::get, "/api/v1/traces", store::kScopeRead, Named("list", &called_));
    router_.Add(http::verb::get, "/api/v1/traces/{id}", store::kScopeRead, Named("get", &called_));
    router_.Add(http::verb::get, "/api/v1/health", 0, Named("health", &called_));
  }

  std::string Call(http::verb method, std::string_view path) {
    absl::StatusOr<Router::Match> match = router_.Find(method, path);
    if (!match.ok()) return std::string(match.status().message());
    match->route->handler(RequestContext{}, nullptr);
    return called_;
  }

  Router router_;
  std::string called_;
};

TEST_F(RouterTest, MatchesLiteralPaths) {
  EXPECT_EQ(Call(http::verb::post, "/v1/traces"), "ingest");
  EXPECT_EQ(Call(http::verb::get, "/api/v1/traces"), "list");
  EXPECT_EQ(Call(http::verb::get, "/api/v1/health"), "health");
}

TEST_F(RouterTest, CapturesDecodedSegment) {
  absl::StatusOr<Router::Match> match = router_.Find(http::verb::get, "/api/v1/traces/a%2Fb%20c");
  ASSERT_TRUE(match.ok()) << match.status();
  EXPECT_EQ(match->route->pattern, "/api/v1/traces/{id}");
  EXPECT_EQ(match->path_params, std::vector<std::string>{"a/b c"});
  EXPECT_EQ(match->route->required_scope, store::kScopeRead);
}

TEST_F(RouterTest, UnknownPathIsNotFound) {
  for (std::string_view path : {"/", "/v1/traces/", "/api/v1/traces/x/y", "/api/v1/trace",
                                "/api/v1/traces/"}) {
    EXPECT_EQ(router_.Find(http::verb::get, path).status().code(), absl::StatusCode::kNotFound)
        << path;
  }
}

TEST_F(RouterTest, WrongMethodIsMethodNotAllowedWithAllowList) {
  absl::StatusOr<Router::Match> match = router_.Find(http::verb::get, "/v1/traces");
  HttpResponse response = ErrorResponse(match.status());
  EXPECT_EQ(response.result(), http::status::method_not_allowed);
  EXPECT_EQ(response[http::field::allow], "POST");
}

TEST_F(RouterTest, BadEscapeInCaptureIsInvalidArgument) {
  EXPECT_EQ(router_.Find(http::verb::get, "/api/v1/traces/%zz").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RouterTest, FallbackTakesUnmatchedPathsOfItsMethodOnly) {
  router_.SetFallback(http::verb::get, Named("ui", &called_));
  EXPECT_EQ(Call(http::verb::get, "/traces/abc"), "ui");
  EXPECT_EQ(Call(http::verb::get, "/api/v1/traces"), "list");
  EXPECT_EQ(router_.Find(http::verb::get, "/v1/traces").status().code(),
            absl::StatusCode::kInvalidArgument);  // 405: the path is known, the method is not
  EXPECT_EQ(router_.Find(http::verb::post, "/traces/abc").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(router_.Find(http::verb::get, "/x")->route->required_scope, 0u);
}

}  // namespace
}  // namespace trackly::server
