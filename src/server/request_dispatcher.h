// The path of every request from the connection to a handler: parse the target, route, check
// the credential for the route's scope, call the handler. Errors on the way are JSON errors
// (server/http_status.h).
#pragma once

#include "server/authenticator.h"
#include "server/http_message.h"
#include "server/router.h"

namespace trackly::server {

// Thread-safe once the router is filled; borrows both for its lifetime.
class RequestDispatcher {
 public:
  RequestDispatcher(const Router& router, Authenticator& authenticator)
      : router_(router), authenticator_(authenticator) {}

  // Answers `request` through `respond` (exactly once, possibly later and on another thread).
  void Dispatch(HttpRequest request, Responder respond) const;

 private:
  const Router& router_;
  Authenticator& authenticator_;
};

}  // namespace trackly::server
