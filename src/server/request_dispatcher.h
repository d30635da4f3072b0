// The path of every request from the connection to a handler: rate limits, CORS, parse the
// target, route, check the credential for the route's scope, call the handler. Errors on the way
// are JSON errors (server/http_status.h).
#pragma once

#include <boost/asio/ip/address.hpp>

#include "server/authenticator.h"
#include "server/client_rate_limits.h"
#include "server/cors_policy.h"
#include "server/http_message.h"
#include "server/router.h"

namespace trackly::server {

// Thread-safe once the router is filled; borrows everything for its lifetime.
class RequestDispatcher {
 public:
  RequestDispatcher(const Router& router, Authenticator& authenticator, ClientRateLimits& limits,
                    const CorsPolicy& cors)
      : router_(router), authenticator_(authenticator), limits_(limits), cors_(cors) {}

  // Answers `request` from `client` (the peer's address) through `respond` (exactly once,
  // possibly later and on another thread). Order: the client address's rate limit; a CORS
  // preflight; routing; for a request that needs a credential, the failed-authentication block,
  // the credential (a presented one that fails counts against the address) and the key's rate
  // limit; the handler (a 401 from it, the UI sign-in refusing a token, also counts).
  void Dispatch(HttpRequest request, const boost::asio::ip::address& client,
                Responder respond) const;

 private:
  const Router& router_;
  Authenticator& authenticator_;
  ClientRateLimits& limits_;
  const CorsPolicy& cors_;
};

}  // namespace trackly::server
