// Cross-origin (CORS) access for browser clients (docs/api.md "CORS"). Closed by default: with no
// allowed origins no CORS header is ever sent and browsers refuse cross-origin reads. With an
// allow-list, a request whose Origin is on it gets Access-Control-Allow-Origin naming that origin,
// and its preflight (OPTIONS with Access-Control-Request-Method) is answered 204 with the methods
// and headers an API client needs. Credentials (cookies) are never allowed cross-origin: the UI
// session stays same-site, so a cross-origin client authenticates with an API key header.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/http_message.h"

namespace trackly::server {

// "https://a.example, http://localhost:5173" → each origin, checked to be scheme://host[:port]
// (http or https, no path, no "*"); "" → none. InvalidArgument names the bad entry.
absl::StatusOr<std::vector<std::string>> ParseCorsOrigins(std::string_view list);

// Thread-compatible: immutable after construction.
class CorsPolicy {
 public:
  // `allowed_origins` as ParseCorsOrigins returns them; empty = closed.
  explicit CorsPolicy(std::vector<std::string> allowed_origins);

  // The request's Origin when it is allowed, else nullopt.
  std::optional<std::string> AllowedOrigin(const HttpRequest& request) const;

  // The 204 answer to a preflight from an allowed origin; nullopt for anything else (not a
  // preflight, or an origin not allowed: such requests go on to routing like any other).
  std::optional<HttpResponse> AnswerPreflight(const HttpRequest& request) const;

  // Adds the CORS headers for a response to a request from `allowed_origin` (as AllowedOrigin
  // returned; nullopt adds only "Vary: Origin" when an allow-list is configured).
  void AddHeaders(const std::optional<std::string>& allowed_origin, HttpResponse& response) const;

 private:
  const std::vector<std::string> allowed_origins_;
};

}  // namespace trackly::server
