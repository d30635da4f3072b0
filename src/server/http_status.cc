#include "server/http_status.h"

#include <boost/beast/http/field.hpp>

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status.h"
#include "ingest/media_type.h"

namespace trackly::server {
namespace {

// Payload keys marking statuses whose HTTP meaning differs from their code's usual one. A payload
// survives TRACKLY_RETURN_IF_ERROR and keeps the code right for callers that ignore HTTP.
constexpr char kRateLimitedUrl[] = "trackly.dev/server/rate-limited";
constexpr char kMethodNotAllowedUrl[] = "trackly.dev/server/method-not-allowed";
constexpr char kHeadersTooLargeUrl[] = "trackly.dev/server/headers-too-large";

bool Has(const absl::Status& status, absl::StatusCode code, const char* url) {
  return status.code() == code && status.GetPayload(url).has_value();
}

}  // namespace

absl::Status RateLimitedError(std::string_view message, int retry_after_seconds) {
  absl::Status status = absl::ResourceExhaustedError(Sv(message));
  status.SetPayload(kRateLimitedUrl, absl::Cord(absl::StrCat(std::max(retry_after_seconds, 1))));
  return status;
}

absl::Status MethodNotAllowedError(std::string_view message, std::string_view allow) {
  absl::Status status = absl::InvalidArgumentError(Sv(message));
  status.SetPayload(kMethodNotAllowedUrl, absl::Cord(Sv(allow)));
  return status;
}

absl::Status HeadersTooLargeError(std::string_view message) {
  absl::Status status = absl::ResourceExhaustedError(Sv(message));
  status.SetPayload(kHeadersTooLargeUrl, absl::Cord());
  return status;
}

HttpError HttpErrorOf(const absl::Status& status) {
  using absl::StatusCode;
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      if (ingest::IsUnsupportedMediaType(status)) {
        return {http::status::unsupported_media_type, "unsupported_media_type"};
      }
      if (Has(status, StatusCode::kInvalidArgument, kMethodNotAllowedUrl)) {
        return {http::status::method_not_allowed, "method_not_allowed"};
      }
      return {http::status::bad_request, "invalid_argument"};
    case StatusCode::kUnauthenticated:
      return {http::status::unauthorized, "unauthenticated"};
    case StatusCode::kPermissionDenied:
      return {http::status::forbidden, "permission_denied"};
    case StatusCode::kNotFound:
      return {http::status::not_found, "not_found"};
    case StatusCode::kAlreadyExists:
      return {http::status::conflict, "already_exists"};
    case StatusCode::kFailedPrecondition:  // the request conflicts with the current state
      return {http::status::conflict, "conflict"};
    case StatusCode::kResourceExhausted:
      if (absl::optional<absl::Cord> seconds = status.GetPayload(kRateLimitedUrl)) {
        int retry_after = kRetryAfterSeconds;
        (void)absl::SimpleAtoi(std::string(*seconds), &retry_after);
        return {http::status::too_many_requests, "rate_limited", retry_after};
      }
      if (Has(status, StatusCode::kResourceExhausted, kHeadersTooLargeUrl)) {
        return {http::status::request_header_fields_too_large, "headers_too_large"};
      }
      return {http::status::payload_too_large, "payload_too_large"};
    case StatusCode::kUnavailable:
      return {http::status::service_unavailable, "unavailable", kRetryAfterSeconds};
    case StatusCode::kDeadlineExceeded:
      return {http::status::gateway_timeout, "deadline_exceeded"};
    case StatusCode::kUnimplemented:
      return {http::status::not_implemented, "unimplemented"};
    default:
      return {http::status::internal_server_error, "internal"};
  }
}

std::string_view ClientMessageOf(const absl::Status& status) {
  if (HttpErrorOf(status).status == http::status::internal_server_error) {
    return "internal error";
  }
  return std::string_view(status.message().data(), status.message().size());
}

model::Json ErrorBody(const absl::Status& status) {
  return model::Json{{"error",
                      {{"code", HttpErrorOf(status).code}, {"message", ClientMessageOf(status)}}}};
}

void AddErrorHeaders(const absl::Status& status, HttpResponse& response) {
  HttpError error = HttpErrorOf(status);
  if (error.retry_after_seconds) {
    response.set(http::field::retry_after, std::to_string(*error.retry_after_seconds));
  }
  if (error.status == http::status::unauthorized) {
    // No Basic challenge, though Basic credentials are accepted: a browser answers one with its
    // own password dialog, which would pop up over the web UI. Clients send Basic unasked.
    response.set(http::field::www_authenticate, R"(Bearer realm="trackly")");
  }
  if (error.status == http::status::method_not_allowed) {
    absl::optional<absl::Cord> allow = status.GetPayload(kMethodNotAllowedUrl);
    if (allow) response.set(http::field::allow, std::string(*allow));
  }
}

HttpResponse ErrorResponse(const absl::Status& status) {
  HttpError error = HttpErrorOf(status);
  if (error.status == http::status::internal_server_error) {
    LogError("internal error: ", status.ToString());
  }
  HttpResponse response = JsonResponse(error.status, ErrorBody(status));
  AddErrorHeaders(status, response);
  return response;
}

}  // namespace trackly::server
