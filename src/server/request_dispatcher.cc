#include "server/request_dispatcher.h"

#include <boost/beast/http/field.hpp>

#include <optional>

#include "server/http_status.h"
#include "server/request_target.h"

namespace trackly::server {

void RequestDispatcher::Dispatch(HttpRequest request, const boost::asio::ip::address& client,
                                 Responder respond) const {
  // CORS headers go on errors too, so a browser client can read why it was refused.
  const std::optional<std::string> origin = cors_.AllowedOrigin(request);
  auto fail = [&](const absl::Status& status) {
    HttpResponse response = ErrorResponse(status);
    cors_.AddHeaders(origin, response);
    respond(std::move(response));
  };
  if (absl::Status allowed = limits_.CheckAddress(client); !allowed.ok()) return fail(allowed);
  if (std::optional<HttpResponse> preflight = cors_.AnswerPreflight(request)) {
    return respond(*std::move(preflight));
  }

  auto target_text = request.target();
  absl::StatusOr<RequestTarget> target =
      ParseRequestTarget(std::string_view(target_text.data(), target_text.size()));
  if (!target.ok()) return fail(target.status());

  absl::StatusOr<Router::Match> match = router_.Find(request.method(), target->path);
  if (!match.ok()) return fail(match.status());
  const Route& route = *match->route;

  // Every authenticated route needs a credential, and so does a public one that changes
  // something (signing in with a login token); public reads (the UI's files, health) do not.
  const bool safe_method =
      request.method() == http::verb::get || request.method() == http::verb::head;
  if (route.required_scope != 0 || !safe_method) {
    if (absl::Status blocked = limits_.CheckNotBlocked(client); !blocked.ok()) return fail(blocked);
  }
  RequestContext context;
  if (route.required_scope != 0) {
    absl::StatusOr<Principal> principal =
        authenticator_.AuthenticateRequest(request, route.required_scope);
    if (!principal.ok()) {
      // No credential at all is not a guess (the UI asks whether it is signed in that way).
      if (absl::IsUnauthenticated(principal.status()) && PresentsCredential(request)) {
        limits_.RecordFailedAuth(client);
      }
      return fail(principal.status());
    }
    if (!principal->key_id.empty()) {
      if (absl::Status limited = limits_.CheckKey(principal->key_id); !limited.ok()) {
        return fail(limited);
      }
    }
    context.project = std::move(principal->project);
    context.csrf_token = std::move(principal->csrf_token);
    context.key_id = principal->key_id;
    context.user = std::move(principal->user);
    context.role = principal->role;
    context.scopes = principal->scopes;
    context.raw_io = principal->raw_io;
  }
  context.path_params = std::move(match->path_params);
  context.query = std::move(target->params);
  context.request = std::move(request);
  route.handler(std::move(context),
                [this, client, origin, respond = std::move(respond)](HttpResponse response) {
                  // A handler answers 401 only for a credential it checked itself (a login token).
                  if (response.result() == http::status::unauthorized) {
                    limits_.RecordFailedAuth(client);
                  }
                  cors_.AddHeaders(origin, response);
                  respond(std::move(response));
                });
}

}  // namespace trackly::server
