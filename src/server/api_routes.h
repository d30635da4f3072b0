// Every endpoint of the server, in one place (DESIGN.md "Endpoints", docs/api.md).
#pragma once

#include "base/clock.h"
#include "server/alert_handlers.h"
#include "query/query_service.h"
#include "server/audit_log.h"
#include "server/catalog_price_source.h"
#include "server/catalog_redaction_source.h"
#include "server/langfuse_ingest_handler.h"
#include "server/langsmith_handler.h"
#include "server/live_tail.h"
#include "server/otlp_ingest_handler.h"
#include "server/retention_expirer.h"
#include "server/retention_policy.h"
#include "server/router.h"
#include "server/score_handler.h"
#include "store/catalog.h"
#include "store/store.h"

namespace trackly::server {

// Adds every route to `router`. The handlers borrow the arguments, which must outlive it.
void AddApiRoutes(Router& router, const OtlpIngestHandler& otlp, query::QueryService& queries,
                  store::Store& store, AuditLog& audit);

// Adds the cost routes (/api/v1/models, /api/v1/cost/recompute; server/cost_handlers.h). The
// handlers borrow the arguments, which must outlive `router`.
void AddCostApiRoutes(Router& router, store::Store& store, store::Catalog& catalog,
                      const CatalogPriceSource& prices, const Clock& clock, AuditLog& audit);

// Adds the LangSmith runs and feedback API under /langsmith (server/langsmith_handler.h). The
// handlers borrow `langsmith`, which must outlive `router`.
void AddLangsmithRoutes(Router& router, const LangsmithHandler& langsmith);

// Adds Langfuse batch ingestion, POST /api/public/ingestion (server/langfuse_ingest_handler.h).
// The handler borrows `langfuse`, which must outlive `router`.
void AddLangfuseRoutes(Router& router, const LangfuseIngestHandler& langfuse);

// Adds POST /api/v1/scores (server/score_handler.h). The handler borrows `scores`, which must
// outlive `router`.
void AddScoreRoutes(Router& router, const ScoreHandler& scores);

// Adds the metrics routes (/api/v1/metrics, /api/v1/metrics/what-if; server/metrics_handlers.h).
// The handlers borrow the arguments, which must outlive `router`.
void AddMetricsApiRoutes(Router& router, query::QueryService& queries, const CatalogPriceSource& prices);

// Adds GET /api/v1/tail, the live tail (server/tail_handler.h). The handler borrows `tail`, which
// must outlive `router`.
void AddTailApiRoutes(Router& router, LiveTail& tail);

// Adds the UI sign-in and settings routes (/api/v1/ui/*, /api/v1/keys, /api/v1/projects,
// /api/v1/members, /api/v1/audit; server/admin_handlers.h). The handlers borrow the arguments,
// which must outlive `router`.
void AddAdminApiRoutes(Router& router, store::Catalog& catalog, const Clock& clock, AuditLog& audit);

// Adds GET and PUT /api/v1/redaction (server/redaction_handlers.h). The handlers borrow the
// arguments, which must outlive `router`.
void AddRedactionApiRoutes(Router& router, store::Catalog& catalog, const CatalogRedactionSource& redaction,
                           const Clock& clock, AuditLog& audit);

// Adds GET and PUT /api/v1/rules (server/process_rules_handlers.h). The handlers borrow the
// arguments, which must outlive `router`.
void AddProcessRulesApiRoutes(Router& router, store::Catalog& catalog, const Clock& clock, AuditLog& audit);

// Adds GET and PUT /api/v1/sampling (server/sampling_handlers.h). The handlers borrow the
// arguments, which must outlive `router`.
void AddSamplingApiRoutes(Router& router, store::Catalog& catalog, const Clock& clock, AuditLog& audit);

// Adds GET and PUT /api/v1/alerts, GET /api/v1/alerts/events and POST /api/v1/alerts/test
// (server/alert_handlers.h). The handlers borrow what `api` refers to, which must outlive `router`.
void AddAlertApiRoutes(Router& router, const AlertApi& api);

// Adds GET, PUT and DELETE /api/v1/retention and POST /api/v1/retention/run
// (server/retention_handlers.h); `defaults` is what projects without their own follow. The
// handlers borrow `catalog`, `expirer` and `audit`, which must outlive `router`.
void AddRetentionApiRoutes(Router& router, store::Catalog& catalog, const RetentionDefaults& defaults,
                           RetentionExpirer& expirer, AuditLog& audit);

}  // namespace trackly::server
