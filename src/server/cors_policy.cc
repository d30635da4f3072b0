#include "server/cors_policy.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status.h"

namespace trackly::server {
namespace {

// What a cross-origin API client may send. No x-trackly-csrf: that header only matters with the
// session cookie, which is never sent cross-origin.
constexpr char kAllowedMethods[] = "GET, POST, PATCH, DELETE";
constexpr char kAllowedHeaders[] = "Authorization, Content-Type, Content-Encoding, x-api-key";
// Lets a browser client read how long to back off after a 429 or 503.
constexpr char kExposedHeaders[] = "Retry-After";
constexpr char kPreflightMaxAgeSeconds[] = "600";

// scheme://host[:port] as browsers serialize an origin (lower case, no path, no trailing slash).
bool IsOrigin(std::string_view text) {
  absl::string_view rest = Sv(text);
  if (!absl::ConsumePrefix(&rest, "https://") && !absl::ConsumePrefix(&rest, "http://")) {
    return false;
  }
  if (rest.empty()) return false;
  return std::all_of(rest.begin(), rest.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
  });
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseCorsOrigins(std::string_view list) {
  std::vector<std::string> origins;
  for (absl::string_view entry : absl::StrSplit(Sv(list), ',', absl::SkipWhitespace())) {
    std::string origin = absl::AsciiStrToLower(absl::StripAsciiWhitespace(entry));
    if (!IsOrigin(origin)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", origin,
          "' is not an origin such as https://app.example.com or http://localhost:5173 "
          "(scheme://host[:port], no path; '*' is not accepted)"));
    }
    origins.push_back(std::move(origin));
  }
  return origins;
}

CorsPolicy::CorsPolicy(std::vector<std::string> allowed_origins)
    : allowed_origins_(std::move(allowed_origins)) {}

std::optional<std::string> CorsPolicy::AllowedOrigin(const HttpRequest& request) const {
  if (allowed_origins_.empty()) return std::nullopt;
  std::string_view origin = HeaderValue(request, http::field::origin);
  if (origin.empty()) return std::nullopt;
  for (const std::string& allowed : allowed_origins_) {
    if (allowed == origin) return allowed;
  }
  return std::nullopt;
}

std::optional<HttpResponse> CorsPolicy::AnswerPreflight(const HttpRequest& request) const {
  if (request.method() != http::verb::options ||
      HeaderValue(request, http::field::access_control_request_method).empty()) {
    return std::nullopt;
  }
  std::optional<std::string> origin = AllowedOrigin(request);
  if (!origin) return std::nullopt;
  HttpResponse response{http::status::no_content, 11};
  AddHeaders(origin, response);
  response.set(http::field::access_control_allow_methods, kAllowedMethods);
  response.set(http::field::access_control_allow_headers, kAllowedHeaders);
  response.set(http::field::access_control_max_age, kPreflightMaxAgeSeconds);
  return response;
}

void CorsPolicy::AddHeaders(const std::optional<std::string>& allowed_origin,
                            HttpResponse& response) const {
  if (allowed_origins_.empty()) return;
  // Answers differ by Origin, so caches must keep them apart.
  response.set(http::field::vary, "Origin");
  if (!allowed_origin) return;
  response.set(http::field::access_control_allow_origin, *allowed_origin);
  response.set(http::field::access_control_expose_headers, kExposedHeaders);
}

}  // namespace trackly::server
