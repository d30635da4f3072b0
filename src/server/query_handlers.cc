#include "server/query_handlers.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/http_status.h"

namespace trackly::server {
namespace {

// The members of a trace, observation or session that carry what went into and came out of the
// application (prompts, messages, documents, tool arguments), which a viewer without raw I/O
// access must not see (server/roles.h). Names, timing, usage, cost and status stay.
// They are emptied rather than left out, so clients that expect them keep working.
void EraseRawIo(model::Json& item) {
  if (!item.is_object()) return;
  for (const char* key : {"input", "output"}) {
    if (item.contains(key)) item[key] = nullptr;
  }
  for (const char* key : {"metadata", "attributes"}) {
    if (item.contains(key)) item[key] = model::Json::object();
  }
  if (item.contains("events")) item["events"] = model::Json::array();
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

// Queues a view of `target` by the caller when the read found it. `via` names the endpoint.
void RecordView(AuditLog& audit, const RequestContext& context, const absl::StatusOr<model::Json>& result,
                std::string_view action, std::string_view target, model::Json details) {
  if (!result.ok()) return;
  if (!context.raw_io) details["raw_io"] = false;
  audit.RecordLater(RequestEvent(context, action, target, details));
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

Handler GetTraceHandler(query::QueryService& queries, AuditLog& audit) {
  return [&queries, &audit](RequestContext context, Responder respond) {
    if (absl::Status status = NoParameters(context.query); !status.ok()) {
      return respond(ErrorResponse(status));
    }
    const std::string& trace_id = context.path_params.at(0);
    absl::StatusOr<model::Json> result = queries.GetTrace(context.project, trace_id);
    RecordView(audit, context, result, audit_action::kTraceView, trace_id, {{"via", "trace"}});
    respond(JsonOrError(std::move(result), context));
  };
}

Handler GetTraceInsightHandler(query::QueryService& queries, AuditLog& audit) {
  return [&queries, &audit](RequestContext context, Responder respond) {
    if (absl::Status status = NoParameters(context.query); !status.ok()) {
      return respond(ErrorResponse(status));
    }
    const std::string& trace_id = context.path_params.at(0);
    absl::StatusOr<model::Json> result = queries.GetTraceInsight(context.project, trace_id);
    RecordView(audit, context, result, audit_action::kTraceView, trace_id, {{"via", "insight"}});
    respond(JsonOrError(std::move(result), context));
  };
}

Handler DiffTraceHandler(query::QueryService& queries, AuditLog& audit) {
  return [&queries, &audit](RequestContext context, Responder respond) {
    const std::string& trace_id = context.path_params.at(0);
    absl::StatusOr<model::Json> result = queries.DiffTrace(context.project, trace_id, context.query, context.raw_io);
    RecordView(audit, context, result, audit_action::kTraceView, trace_id, {{"via", "diff"}});
    if (result.ok() && !(*result)["a"].contains("typical_of")) {
      RecordView(audit, context, result, audit_action::kTraceView, (*result)["a"]["trace_id"].get<std::string>(),
                 {{"via", "diff"}});
    }
    respond(JsonOrError(std::move(result), context));
  };
}

Handler ListTraceObservationsHandler(query::QueryService& queries, AuditLog& audit) {
  return [&queries, &audit](RequestContext context, Responder respond) {
    const std::string& trace_id = context.path_params.at(0);
    absl::StatusOr<model::Json> result = queries.ListTraceObservations(context.project, trace_id, context.query);
    RecordView(audit, context, result, audit_action::kTraceView, trace_id, {{"via", "observations"}});
    respond(JsonOrError(std::move(result), context));
  };
}

Handler GetObservationHandler(query::QueryService& queries, AuditLog& audit) {
  return [&queries, &audit](RequestContext context, Responder respond) {
    if (absl::Status status = NoParameters(context.query); !status.ok()) {
      return respond(ErrorResponse(status));
    }
    const std::string& trace_id = context.path_params.at(0);
    const std::string& observation_id = context.path_params.at(1);
    absl::StatusOr<model::Json> result = queries.GetObservation(context.project, trace_id, observation_id);
    RecordView(audit, context, result, audit_action::kTraceView, trace_id,
               {{"via", "observation"}, {"observation_id", observation_id}});
    respond(JsonOrError(std::move(result), context));
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

Handler GetSessionHandler(query::QueryService& queries, AuditLog& audit) {
  return [&queries, &audit](RequestContext context, Responder respond) {
    if (absl::Status status = NoParameters(context.query); !status.ok()) {
      return respond(ErrorResponse(status));
    }
    const std::string& session_id = context.path_params.at(0);
    absl::StatusOr<model::Json> result = queries.GetSession(context.project, session_id);
    RecordView(audit, context, result, audit_action::kSessionView, session_id, {{"via", "session"}});
    respond(JsonOrError(std::move(result), context));
  };
}

Handler WorkflowGraphHandler(store::Store& store) {
  return [&store](RequestContext context, Responder respond) {
    respond(JsonOrError(query::WorkflowGraphJson(store, context.project, context.query), context));
  };
}

Handler WorkflowDiffHandler(store::Store& store) {
  return [&store](RequestContext context, Responder respond) {
    respond(JsonOrError(query::WorkflowDiffJson(store, context.project, context.query), context));
  };
}

Handler HealthHandler(store::Store& store) {
  return [&store](RequestContext, Responder respond) {
    const store::StoreStats stats = store.stats();
    model::Json body{{"status", "ok"},
                     {"version", kTracklyVersion},
                     {"store",
                      {{"queued_batches", stats.queued_batches},
                       {"queued_observations", stats.queued_observations},
                       {"committed_observations", stats.committed_observations},
                       {"commits", stats.commits}}}};
    if (stats.spool.enabled) {
      body["spool"] = {{"bytes", stats.spool.bytes},
                       {"max_bytes", stats.spool.max_bytes},
                       {"records_waiting", stats.spool.records_waiting},
                       {"ship_lag_ms", stats.spool.ship_lag_ms},
                       {"consecutive_failures", stats.spool.consecutive_failures},
                       {"last_error", stats.spool.last_error},
                       {"shipped_records", stats.spool.shipped_records}};
    }
    respond(JsonResponse(http::status::ok, body));
  };
}

Handler ExportHandler(query::QueryService& queries, AuditLog& audit) {
  return [&queries, &audit](RequestContext context, Responder respond) {
    if (!context.raw_io) {
      return respond(ErrorResponse(absl::PermissionDeniedError(
          "exporting traces needs access to inputs and outputs, which your role does not have")));
    }
    absl::StatusOr<query::ExportResult> exported = queries.Export(context.project, context.query);
    if (!exported.ok()) return respond(ErrorResponse(exported.status()));
    const bool jsonl = exported->format == query::ExportFormat::kJsonLines;
    HttpResponse response = BodyResponse(http::status::ok, jsonl ? "application/x-ndjson" : "application/json",
                                         std::move(exported->body));
    response.set(http::field::content_disposition,
                 absl::StrCat("attachment; filename=\"trackly-export.", jsonl ? "jsonl" : "json", "\""));
    if (!exported->next_cursor.empty()) response.set("X-Trackly-Next-Cursor", exported->next_cursor);
    model::Json filters = model::Json::object();
    // The search text may be anything a user typed: recorded as present, not copied.
    for (const auto& [name, value] : context.query) filters[name] = name == "q" ? "<search text>" : value;
    respond(RecordedOr(audit,
                       RequestEvent(context, audit_action::kExport, "",
                                    {{"filters", filters}, {"traces", exported->traces},
                                     {"observations", exported->observations}}),
                       std::move(response)));
  };
}

}  // namespace trackly::server
