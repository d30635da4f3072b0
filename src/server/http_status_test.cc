#include "server/http_status.h"

#include "gtest/gtest.h"
#include "ingest/media_type.h"

namespace trackly::server {
namespace {

TEST(HttpStatusTest, MapsEveryCodeWeUse) {
  struct Case {
    absl::Status status;
    http::status http_status;
    std::string code;
  };
  const Case cases[] = {
      {absl::InvalidArgumentError("bad"), http::status::bad_request, "invalid_argument"},
      {ingest::UnsupportedMediaTypeError("text/plain"), http::status::unsupported_media_type,
       "unsupported_media_type"},
      {MethodNotAllowedError("no", "GET"), http::status::method_not_allowed, "method_not_allowed"},
      {absl::UnauthenticatedError("who"), http::status::unauthorized, "unauthenticated"},
      {absl::PermissionDeniedError("no"), http::status::forbidden, "permission_denied"},
      {absl::NotFoundError("gone"), http::status::not_found, "not_found"},
      {absl::AlreadyExistsError("dup"), http::status::conflict, "already_exists"},
      {absl::FailedPreconditionError("state"), http::status::conflict, "conflict"},
      {absl::ResourceExhaustedError("big"), http::status::payload_too_large, "payload_too_large"},
      {RateLimitedError("slow down"), http::status::too_many_requests, "rate_limited"},
      {HeadersTooLargeError("headers"), http::status::request_header_fields_too_large,
       "headers_too_large"},
      {absl::UnavailableError("busy"), http::status::service_unavailable, "unavailable"},
      {absl::DeadlineExceededError("late"), http::status::gateway_timeout, "deadline_exceeded"},
      {absl::UnimplementedError("later"), http::status::not_implemented, "unimplemented"},
      {absl::InternalError("bug"), http::status::internal_server_error, "internal"},
      {absl::DataLossError("disk"), http::status::internal_server_error, "internal"},
  };
  for (const Case& c : cases) {
    HttpError error = HttpErrorOf(c.status);
    EXPECT_EQ(error.status, c.http_status) << c.status;
    EXPECT_EQ(error.code, c.code) << c.status;
  }
}

TEST(HttpStatusTest, ErrorBodyCarriesCodeAndMessage) {
  EXPECT_EQ(ErrorBody(absl::InvalidArgumentError("parameter 'limit' must be 1..1000")),
            (model::Json{{"error",
                          {{"code", "invalid_argument"},
                           {"message", "parameter 'limit' must be 1..1000"}}}}));
}

TEST(HttpStatusTest, InternalMessagesAreNotShownToClients) {
  EXPECT_EQ(ErrorBody(absl::InternalError("sqlite: disk I/O error at /secret/path"))["error"]
                     ["message"],
            "internal error");
}

TEST(HttpStatusTest, RetryableErrorsCarryRetryAfter) {
  for (const absl::Status& status : {absl::UnavailableError("queue full"),
                                     RateLimitedError("too fast")}) {
    HttpResponse response = ErrorResponse(status);
    EXPECT_EQ(response[http::field::retry_after], "1") << status;
  }
  EXPECT_EQ(ErrorResponse(absl::ResourceExhaustedError("big")).count(http::field::retry_after),
            0u);
}

TEST(HttpStatusTest, RateLimitedCarriesItsOwnRetryAfter) {
  HttpResponse response = ErrorResponse(RateLimitedError("too many requests", 7));
  EXPECT_EQ(response.result(), http::status::too_many_requests);
  EXPECT_EQ(response[http::field::retry_after], "7");
  EXPECT_EQ(ErrorBody(RateLimitedError("too many requests", 7))["error"]["code"], "rate_limited");
  EXPECT_EQ(ErrorResponse(RateLimitedError("x", 0))[http::field::retry_after], "1");
}

TEST(HttpStatusTest, UnauthenticatedCarriesChallenge) {
  HttpResponse response = ErrorResponse(absl::UnauthenticatedError("missing API key"));
  EXPECT_EQ(response.result(), http::status::unauthorized);
  EXPECT_NE(response[http::field::www_authenticate].find("Bearer"), std::string::npos);
  EXPECT_EQ(response[http::field::content_type], "application/json");
}

TEST(HttpStatusTest, MethodNotAllowedCarriesAllow) {
  HttpResponse response = ErrorResponse(MethodNotAllowedError("use POST", "POST"));
  EXPECT_EQ(response.result(), http::status::method_not_allowed);
  EXPECT_EQ(response[http::field::allow], "POST");
}

}  // namespace
}  // namespace trackly::server
