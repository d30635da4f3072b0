#include "server/router.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status.h"
#include "server/http_status.h"
#include "server/request_target.h"

namespace trackly::server {
namespace {

bool IsCapture(absl::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// Matches `path` against `pattern` segment by segment; captured segments are appended to
// `captures` still encoded.
bool MatchPattern(std::string_view pattern, std::string_view path,
                  std::vector<std::string_view>* captures) {
  std::vector<absl::string_view> want = absl::StrSplit(Sv(pattern), '/');
  std::vector<absl::string_view> got = absl::StrSplit(Sv(path), '/');
  if (want.size() != got.size()) return false;
  captures->clear();
  for (size_t i = 0; i < want.size(); ++i) {
    if (IsCapture(want[i])) {
      if (got[i].empty()) return false;
      captures->emplace_back(got[i].data(), got[i].size());
    } else if (want[i] != got[i]) {
      return false;
    }
  }
  return true;
}

std::string VerbName(http::verb method) {
  auto name = http::to_string(method);
  return std::string(name.data(), name.size());
}

}  // namespace

void Router::Add(http::verb method, std::string pattern, uint32_t required_scope,
                 Handler handler) {
  routes_.push_back(Route{method, std::move(pattern), required_scope, std::move(handler)});
}

void Router::SetFallback(http::verb method, Handler handler) {
  fallbacks_.push_back(Route{method, "", 0, std::move(handler)});
}

absl::StatusOr<Router::Match> Router::Find(http::verb method, std::string_view path) const {
  std::vector<std::string> allowed;
  std::vector<std::string_view> captures;
  for (const Route& route : routes_) {
    if (!MatchPattern(route.pattern, path, &captures)) continue;
    if (route.method != method) {
      std::string name = VerbName(route.method);
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        allowed.push_back(std::move(name));
      }
      continue;
    }
    Match match;
    match.route = &route;
    for (std::string_view capture : captures) {
      TRACKLY_ASSIGN_OR_RETURN(std::string decoded, PercentDecode(capture, false));
      match.path_params.push_back(std::move(decoded));
    }
    return match;
  }
  if (!allowed.empty()) {
    std::string allow = absl::StrJoin(allowed, ", ");
    return MethodNotAllowedError(
        absl::StrCat("method ", VerbName(method), " is not allowed here; use ", allow),
        allow);
  }
  for (const Route& fallback : fallbacks_) {
    if (fallback.method == method) return Match{&fallback, {}};
  }
  return absl::NotFoundError(absl::StrCat("no such endpoint: ", Sv(path.substr(0, 200))));
}

}  // namespace trackly::server
