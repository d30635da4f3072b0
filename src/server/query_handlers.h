// Handlers of Query API v1 (docs/api.md) and of GET /api/v1/health. Reads run on the I/O thread
// that received the request (the store's reads are index seeks on their own connections).
#pragma once

#include <string_view>

#include "query/query_service.h"
#include "query/workflow.h"
#include "server/audit_log.h"
#include "server/router.h"
#include "store/store.h"

namespace trackly::server {

// The version reported by /api/v1/health.
inline constexpr std::string_view kTracklyVersion = "0.1.0";

// GET /api/v1/traces → {"data":[Trace], "next_cursor"}.
Handler ListTracesHandler(query::QueryService& queries);
// The reads of one trace or session below queue a view event (trace.view, session.view) in the
// audit log when they answer 200 (server/audit_log.h: queued, not written on the request path).
// GET /api/v1/traces/{id} → {"trace", "observations", "scores"}.
Handler GetTraceHandler(query::QueryService& queries, AuditLog& audit);
// GET /api/v1/traces/{id}/insight → query::TraceInsightJson (a trace.view, via "insight").
Handler GetTraceInsightHandler(query::QueryService& queries, AuditLog& audit);
// GET /api/v1/traces/{id}/diff?against=… → query::TraceDiffJson (a trace.view of both traces,
// via "diff").
Handler DiffTraceHandler(query::QueryService& queries, AuditLog& audit);
// GET /api/v1/traces/{id}/observations → {"data":[Observation], "next_cursor", "trace"?}.
Handler ListTraceObservationsHandler(query::QueryService& queries, AuditLog& audit);
// GET /api/v1/traces/{id}/observations/{observation_id} → Observation.
Handler GetObservationHandler(query::QueryService& queries, AuditLog& audit);
// GET /api/v1/scores → {"data":[Score], "next_cursor"}.
Handler ListScoresHandler(query::QueryService& queries);
// GET /api/v1/sessions → {"data":[Session], "next_cursor"}.
Handler ListSessionsHandler(query::QueryService& queries);
// GET /api/v1/sessions/{id} → {"session", "traces"}.
Handler GetSessionHandler(query::QueryService& queries, AuditLog& audit);
// GET /api/v1/workflow and /api/v1/workflow/diff → query::WorkflowGraphJson / WorkflowDiffJson.
Handler WorkflowGraphHandler(store::Store& store);
Handler WorkflowDiffHandler(store::Store& store);
// GET /api/v1/health → {"status":"ok", "version", "store":{queued_batches, ...}}; no auth.
Handler HealthHandler(store::Store& store);
// GET /api/v1/export?format=jsonl|otlp&<trace list filters>: a page of whole traces as a download
// (query/export.h), the next page's cursor in X-Trackly-Next-Cursor. Needs raw I/O access (403
// otherwise); recorded in the audit log before the answer.
Handler ExportHandler(query::QueryService& queries, AuditLog& audit);

}  // namespace trackly::server
