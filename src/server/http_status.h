// The one place where a status becomes an HTTP status code, an error code name, extra headers
// and the API's JSON error body {"error":{"code":"invalid_argument","message":"..."}}.
//
//   InvalidArgument                      400 invalid_argument
//     + ingest::IsUnsupportedMediaType   415 unsupported_media_type
//     + MethodNotAllowedError            405 method_not_allowed (+ Allow)
//   Unauthenticated                      401 unauthenticated (+ WWW-Authenticate)
//   PermissionDenied                     403 permission_denied
//   NotFound                             404 not_found
//   AlreadyExists                        409 already_exists
//   ResourceExhausted                    413 payload_too_large (a size cap; never retried)
//     + RateLimitedError                 429 rate_limited (+ Retry-After: its seconds)
//   Unavailable                          503 unavailable (+ Retry-After)
//   DeadlineExceeded                     504 deadline_exceeded
//   Unimplemented                        501 unimplemented
//   anything else                        500 internal (the message is not shown to clients)
#pragma once

#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "model/json.h"
#include "server/http_message.h"

namespace trackly::server {

// Seconds a client is asked to wait before retrying a 503, or a 429 that names none.
inline constexpr int kRetryAfterSeconds = 1;

// ResourceExhausted(message) marked as a rate limit (429) rather than a size cap (413), asking
// the client to wait `retry_after_seconds` (at least 1) before retrying.
absl::Status RateLimitedError(std::string_view message, int retry_after_seconds = kRetryAfterSeconds);
// InvalidArgument(message) marked as 405; `allow` is the Allow header value ("GET, POST").
absl::Status MethodNotAllowedError(std::string_view message, std::string_view allow);
// Request headers larger than the limit (431).
absl::Status HeadersTooLargeError(std::string_view message);

struct HttpError {
  http::status status = http::status::internal_server_error;
  std::string_view code;                  // "invalid_argument", ...
  std::optional<int> retry_after_seconds;  // set for 429 and 503
};

// Mapping of a non-OK status.
HttpError HttpErrorOf(const absl::Status& status);

// The message a client may see: the status message, except for 500s (logged, not shown).
std::string_view ClientMessageOf(const absl::Status& status);

// {"error":{"code":..., "message":...}}
model::Json ErrorBody(const absl::Status& status);

// Adds the headers the status calls for (Retry-After, WWW-Authenticate, Allow) to `response`.
void AddErrorHeaders(const absl::Status& status, HttpResponse& response);

// A complete JSON error response: HttpErrorOf status, ErrorBody, AddErrorHeaders. Logs 500s.
HttpResponse ErrorResponse(const absl::Status& status);

}  // namespace trackly::server
