#include "server/request_dispatcher.h"

#include <boost/beast/http/field.hpp>

#include "server/http_status.h"
#include "server/request_target.h"

namespace trackly::server {
void RequestDispatcher::Dispatch(HttpRequest request, Responder respond) const {
  auto target_text = request.target();
  absl::StatusOr<RequestTarget> target =
      ParseRequestTarget(std::string_view(target_text.data(), target_text.size()));
  if (!target.ok()) return respond(ErrorResponse(target.status()));

  absl::StatusOr<Router::Match> match = router_.Find(request.method(), target->path);
  if (!match.ok()) return respond(ErrorResponse(match.status()));

  RequestContext context;
  if (match->route->required_scope != 0) {
    absl::StatusOr<Principal> principal =
        authenticator_.AuthenticateRequest(request, match->route->required_scope);
    if (!principal.ok()) return respond(ErrorResponse(principal.status()));
    context.project = std::move(principal->project);
    context.csrf_token = std::move(principal->csrf_token);
  }
  context.path_params = std::move(match->path_params);
  context.query = std::move(target->params);
  context.request = std::move(request);
  match->route->handler(std::move(context), std::move(respond));
}

}  // namespace trackly::server
