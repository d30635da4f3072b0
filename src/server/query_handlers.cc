#include "server/query_handlers.h"

#include "absl/strings/str_cat.h"
#include "server/http_status.h"

namespace trackly::server {
namespace {

HttpResponse JsonOrError(const absl::StatusOr<model::Json>& result) {
  if (!result.ok()) return ErrorResponse(result.status());
  return JsonResponse(http::status::ok, *result);
}

// Endpoints that take no parameters still refuse unknown ones, as the list endpoints do.
absl::Status NoParameters(const query::QueryParams& params) {
  if (params.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", params[0].first, "'"));
}

}  // namespace

Handler ListTracesHandler(query::QueryService& queries) {
  return [&queries](RequestContext context, Responder respond) {
    respond(JsonOrError(queries.ListTraces(context.project, context.query)));
  };
}

Handler GetTraceHandler(query::QueryService& queries) {
  return [&queries](RequestContext context, Responder respond) {
    if (absl::Status status = NoParameters(context.query); !status.ok()) {
      return respond(ErrorResponse(status));
    }
    respond(JsonOrError(queries.GetTrace(context.project, context.path_params.at(0))));
  };
}

Handler ListTraceObservationsHandler(query::QueryService& queries) {
  return [&queries](RequestContext context, Responder respond) {
    respond(JsonOrError(queries.ListTraceObservations(context.project, context.path_params.at(0), context.query)));
  };
}

Handler GetObservationHandler(query::QueryService& queries) {
  return [&queries](RequestContext context, Responder respond) {
    if (absl::Status status = NoParameters(context.query); !status.ok()) {
      return respond(ErrorResponse(status));
    }
    respond(JsonOrError(
        queries.GetObservation(context.project, context.path_params.at(0), context.path_params.at(1))));
  };
}

Handler ListScoresHandler(query::QueryService& queries) {
  return [&queries](RequestContext context, Responder respond) {
    respond(JsonOrError(queries.ListScores(context.project, context.query)));
  };
}

Handler ListSessionsHandler(query::QueryService& queries) {
  return [&queries](RequestContext context, Responder respond) {
    respond(JsonOrError(queries.ListSessions(context.project, context.query)));
  };
}

Handler GetSessionHandler(query::QueryService& queries) {
  return [&queries](RequestContext context, Responder respond) {
    if (absl::Status status = NoParameters(context.query); !status.ok()) {
      return respond(ErrorResponse(status));
    }
    respond(JsonOrError(queries.GetSession(context.project, context.path_params.at(0))));
  };
}

Handler HealthHandler(store::Store& store) {
  return [&store](RequestContext, Responder respond) {
    const store::StoreStats stats = store.stats();
    respond(JsonResponse(http::status::ok,
                         model::Json{{"status", "ok"},
                                     {"version", kTracklyVersion},
                                     {"store",
                                      {{"queued_batches", stats.queued_batches},
                                       {"queued_observations", stats.queued_observations},
                                       {"committed_observations", stats.committed_observations},
                                       {"commits", stats.commits}}}}));
  };
}

}  // namespace trackly::server
