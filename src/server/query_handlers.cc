#include "server/query_handlers.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/http_status.h"

namespace trackly::server {
namespace {

// The members of a trace, observation or session that carry what went into and came out of the
// application (prompts, messages, documents, tool arguments), which a viewer without raw I/O
// access must not see (server/roles.h). Names, timing, usage, cost and status stay.
void EraseRawIo(model::Json& item) {
  if (!item.is_object()) return;
  for (const char* key : {"input", "output", "metadata", "attributes", "events"}) item.erase(key);
}

// Removes raw I/O from a query answer in any of its shapes: one observation, a list ("data"), a
// trace detail ("trace", "observations") or a session ("session", "traces").
void WithholdRawIo(model::Json& answer) {
  EraseRawIo(answer);
  for (const char* one : {"trace", "session"}) {
    if (answer.contains(one)) EraseRawIo(answer[one]);
  }
  for (const char* many : {"data", "observations", "traces"}) {
    if (!answer.contains(many) || !answer[many].is_array()) continue;
    for (model::Json& item : answer[many]) EraseRawIo(item);
  }
  answer["raw_io_withheld"] = true;
}

// The answer, without raw I/O for a caller who may not see it.
HttpResponse JsonOrError(absl::StatusOr<model::Json> result, const RequestContext& context) {
  if (!result.ok()) return ErrorResponse(result.status());
  if (!context.raw_io) WithholdRawIo(*result);
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
    // Search results would reveal what the inputs and outputs say.
    if (!context.raw_io && std::any_of(context.query.begin(), context.query.end(),
                                       [](const auto& param) { return param.first == "q"; })) {
      return respond(ErrorResponse(absl::PermissionDeniedError(
          "parameter 'q': full-text search needs access to inputs and outputs, which your role does not have")));
    }
    respond(JsonOrError(queries.ListTraces(context.project, context.query), context));
  };
}

Handler GetTraceHandler(query::QueryService& queries) {
  return [&queries](RequestContext context, Responder respond) {
    if (absl::Status status = NoParameters(context.query); !status.ok()) {
      return respond(ErrorResponse(status));
    }
    respond(JsonOrError(queries.GetTrace(context.project, context.path_params.at(0)), context));
  };
}

Handler ListTraceObservationsHandler(query::QueryService& queries) {
  return [&queries](RequestContext context, Responder respond) {
    respond(JsonOrError(
        queries.ListTraceObservations(context.project, context.path_params.at(0), context.query), context));
  };
}

Handler GetObservationHandler(query::QueryService& queries) {
  return [&queries](RequestContext context, Responder respond) {
    if (absl::Status status = NoParameters(context.query); !status.ok()) {
      return respond(ErrorResponse(status));
    }
    respond(JsonOrError(
        queries.GetObservation(context.project, context.path_params.at(0), context.path_params.at(1)), context));
  };
}

Handler ListScoresHandler(query::QueryService& queries) {
  return [&queries](RequestContext context, Responder respond) {
    respond(JsonOrError(queries.ListScores(context.project, context.query), context));
  };
}

Handler ListSessionsHandler(query::QueryService& queries) {
  return [&queries](RequestContext context, Responder respond) {
    respond(JsonOrError(queries.ListSessions(context.project, context.query), context));
  };
}

Handler GetSessionHandler(query::QueryService& queries) {
  return [&queries](RequestContext context, Responder respond) {
    if (absl::Status status = NoParameters(context.query); !status.ok()) {
      return respond(ErrorResponse(status));
    }
    respond(JsonOrError(queries.GetSession(context.project, context.path_params.at(0)), context));
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
