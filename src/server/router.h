// Maps (method, path) to a handler. Patterns are literal segments and "{name}" segments that
// capture one percent-decoded path segment: "/api/v1/traces/{id}".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "query/query_params.h"
#include "server/http_message.h"
#include "store/catalog.h"

namespace trackly::server {

// What a handler gets: the request (owned, so a handler may drop the body early) and what
// routing and auth found out.
struct RequestContext {
  HttpRequest request;
  std::vector<std::string> path_params;  // captured "{...}" segments, in pattern order
  query::QueryParams query;              // decoded query string
  std::string project;                   // from the credential (empty for public routes)
  std::string csrf_token;                // set when authenticated by a UI session cookie
  std::string key_id;                    // set when authenticated by an API key
  std::string user;                      // set for a signed-in user's session
  std::optional<store::Role> role;       // the user's role in `project`, when it has one
  uint32_t scopes = 0;                   // store::Scope bits the caller holds in `project`
  bool raw_io = true;                    // false: hide inputs, outputs and messages (server/roles.h)
};

// Answers a request by calling `respond` exactly once, now or later, from any thread.
using Handler = std::function<void(RequestContext context, Responder respond)>;

struct Route {
  http::verb method;
  std::string pattern;
  // A store::Scope bit, kAnyCredential (server/authenticator.h), or 0 = public, no credential.
  uint32_t required_scope = 0;
  Handler handler;
};

// Thread-compatible: Add() every route before serving, then Find() from any thread.
class Router {
 public:
  void Add(http::verb method, std::string pattern, uint32_t required_scope, Handler handler);

  struct Match {
    const Route* route = nullptr;
    std::vector<std::string> path_params;
  };
  // The handler (public: no credential) for a `method` request whose path matches no pattern at
  // all, such as the web UI's files. Set at most once per method.
  void SetFallback(http::verb method, Handler handler);

  // The fallback for `method` when no pattern matches the path, else NotFound;
  // MethodNotAllowedError (with the Allow list) when some do but not for `method`;
  // InvalidArgument for a bad escape in a captured segment.
  absl::StatusOr<Match> Find(http::verb method, std::string_view path) const;

  // Every route added, in the order added (tests walk the whole table).
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  std::vector<Route> fallbacks_;
};

}  // namespace trackly::server
