#include "server/api_routes.h"

#include "server/admin_handlers.h"
#include "server/authenticator.h"
#include "server/cost_handlers.h"
#include "server/metrics_handlers.h"
#include "server/process_rules_handlers.h"
#include "server/redaction_handlers.h"
#include "server/query_handlers.h"
#include "server/retention_handlers.h"
#include "server/sampling_handlers.h"
#include "server/tail_handler.h"
#include "store/catalog.h"

namespace trackly::server {

void AddApiRoutes(Router& router, const OtlpIngestHandler& otlp, query::QueryService& queries,
                  store::Store& store, AuditLog& audit) {
  Handler ingest = [&otlp](RequestContext context, Responder respond) {
    otlp.Handle(std::move(context), std::move(respond));
  };
  for (const char* path : {"/v1/traces", "/api/public/otel/v1/traces", "/otel/v1/traces"}) {
    router.Add(http::verb::post, path, store::kScopeIngest, ingest);
  }
  router.Add(http::verb::get, "/api/v1/health", 0, HealthHandler(store));
  router.Add(http::verb::get, "/api/v1/traces", store::kScopeRead, ListTracesHandler(queries));
  router.Add(http::verb::get, "/api/v1/export", store::kScopeRead, ExportHandler(queries, audit));
  router.Add(http::verb::get, "/api/v1/traces/{id}", store::kScopeRead, GetTraceHandler(queries, audit));
  router.Add(http::verb::get, "/api/v1/traces/{id}/insight", store::kScopeRead,
             GetTraceInsightHandler(queries, audit));
  router.Add(http::verb::get, "/api/v1/traces/{id}/diff", store::kScopeRead, DiffTraceHandler(queries, audit));
  router.Add(http::verb::get, "/api/v1/traces/{id}/observations", store::kScopeRead,
             ListTraceObservationsHandler(queries, audit));
  router.Add(http::verb::get, "/api/v1/traces/{id}/observations/{observation_id}", store::kScopeRead,
             GetObservationHandler(queries, audit));
  router.Add(http::verb::get, "/api/v1/scores", store::kScopeRead, ListScoresHandler(queries));
  router.Add(http::verb::get, "/api/v1/workflow", store::kScopeRead, WorkflowGraphHandler(store));
  router.Add(http::verb::get, "/api/v1/workflow/diff", store::kScopeRead, WorkflowDiffHandler(store));
  router.Add(http::verb::get, "/api/v1/sessions", store::kScopeRead, ListSessionsHandler(queries));
  router.Add(http::verb::get, "/api/v1/sessions/{id}", store::kScopeRead,
             GetSessionHandler(queries, audit));
  router.Add(http::verb::delete_, "/api/v1/traces/{id}", store::kScopeAdmin, EraseTraceHandler(store, audit));
  router.Add(http::verb::delete_, "/api/v1/sessions/{id}", store::kScopeAdmin, EraseSessionHandler(store, audit));
  router.Add(http::verb::post, "/api/v1/erase", store::kScopeAdmin, EraseHandler(store, audit));
}

void AddCostApiRoutes(Router& router, store::Store& store, store::Catalog& catalog,
                      const CatalogPriceSource& prices, const Clock& clock, AuditLog& audit) {
  router.Add(http::verb::get, "/api/v1/models", store::kScopeRead, ListModelsHandler(catalog, prices));
  router.Add(http::verb::post, "/api/v1/models", store::kScopeAdmin, AddModelHandler(catalog, prices, clock, audit));
  router.Add(http::verb::delete_, "/api/v1/models/{id}", store::kScopeAdmin, RemoveModelHandler(catalog, prices, audit));
  router.Add(http::verb::post, "/api/v1/cost/recompute", store::kScopeAdmin, RecomputeCostHandler(store, prices, audit));
}

void AddRedactionApiRoutes(Router& router, store::Catalog& catalog, const CatalogRedactionSource& redaction,
                           const Clock& clock, AuditLog& audit) {
  router.Add(http::verb::get, "/api/v1/redaction", store::kScopeAdmin, GetRedactionHandler(catalog, redaction));
  router.Add(http::verb::put, "/api/v1/redaction", store::kScopeAdmin,
             PutRedactionHandler(catalog, redaction, clock, audit));
}

void AddProcessRulesApiRoutes(Router& router, store::Catalog& catalog, const Clock& clock, AuditLog& audit) {
  router.Add(http::verb::get, "/api/v1/rules", store::kScopeRead, GetProcessRulesHandler(catalog));
  router.Add(http::verb::put, "/api/v1/rules", store::kScopeAdmin, PutProcessRulesHandler(catalog, clock, audit));
}

void AddSamplingApiRoutes(Router& router, store::Catalog& catalog, const Clock& clock, AuditLog& audit) {
  router.Add(http::verb::get, "/api/v1/sampling", store::kScopeRead, GetSamplingHandler(catalog, clock));
  router.Add(http::verb::put, "/api/v1/sampling", store::kScopeAdmin, PutSamplingHandler(catalog, clock, audit));
}

void AddAlertApiRoutes(Router& router, const AlertApi& api) {
  router.Add(http::verb::get, "/api/v1/alerts", store::kScopeRead, GetAlertsHandler(api));
  router.Add(http::verb::put, "/api/v1/alerts", store::kScopeAdmin, PutAlertsHandler(api));
  router.Add(http::verb::get, "/api/v1/alerts/events", store::kScopeRead, ListAlertEventsHandler(api));
  router.Add(http::verb::post, "/api/v1/alerts/test", store::kScopeAdmin, TestAlertHandler(api));
}

void AddRetentionApiRoutes(Router& router, store::Catalog& catalog, const RetentionDefaults& defaults,
                           RetentionExpirer& expirer, AuditLog& audit) {
  router.Add(http::verb::get, "/api/v1/retention", store::kScopeAdmin, GetRetentionHandler(catalog, defaults));
  router.Add(http::verb::put, "/api/v1/retention", store::kScopeAdmin, PutRetentionHandler(catalog, expirer, audit));
  router.Add(http::verb::delete_, "/api/v1/retention", store::kScopeAdmin,
             DeleteRetentionHandler(catalog, defaults, expirer, audit));
  router.Add(http::verb::post, "/api/v1/retention/run", store::kScopeAdmin, RunRetentionHandler(expirer, audit));
}

void AddLangsmithRoutes(Router& router, const LangsmithHandler& langsmith) {
  // /info is public, as LangSmith's own: clients fetch it before their first batch and it says
  // nothing about any project.
  router.Add(http::verb::get, "/langsmith/info", 0, [&langsmith](RequestContext c, Responder r) {
    langsmith.Info(std::move(c), std::move(r));
  });
  router.Add(http::verb::post, "/langsmith/runs/batch", store::kScopeIngest,
             [&langsmith](RequestContext c, Responder r) { langsmith.PostBatch(std::move(c), std::move(r)); });
  router.Add(http::verb::post, "/langsmith/runs/multipart", store::kScopeIngest,
             [&langsmith](RequestContext c, Responder r) { langsmith.PostMultipart(std::move(c), std::move(r)); });
  router.Add(http::verb::post, "/langsmith/runs", store::kScopeIngest,
             [&langsmith](RequestContext c, Responder r) { langsmith.PostRun(std::move(c), std::move(r)); });
  router.Add(http::verb::patch, "/langsmith/runs/{id}", store::kScopeIngest,
             [&langsmith](RequestContext c, Responder r) { langsmith.PatchRun(std::move(c), std::move(r)); });
  router.Add(http::verb::post, "/langsmith/feedback", store::kScopeIngest,
             [&langsmith](RequestContext c, Responder r) { langsmith.PostFeedback(std::move(c), std::move(r)); });
}

void AddLangfuseRoutes(Router& router, const LangfuseIngestHandler& langfuse) {
  router.Add(http::verb::post, "/api/public/ingestion", store::kScopeIngest,
             [&langfuse](RequestContext c, Responder r) { langfuse.Handle(std::move(c), std::move(r)); });
}

void AddScoreRoutes(Router& router, const ScoreHandler& scores) {
  router.Add(http::verb::post, "/api/v1/scores", store::kScopeIngest,
             [&scores](RequestContext c, Responder r) { scores.Post(std::move(c), std::move(r)); });
}

void AddMetricsApiRoutes(Router& router, query::QueryService& queries, const CatalogPriceSource& prices) {
  router.Add(http::verb::get, "/api/v1/metrics", store::kScopeRead, MetricsHandler(queries));
  router.Add(http::verb::get, "/api/v1/metrics/what-if", store::kScopeRead, WhatIfHandler(queries, prices));
  router.Add(http::verb::get, "/api/v1/metrics/scores", store::kScopeRead, ScoreMetricsHandler(queries));
}

void AddTailApiRoutes(Router& router, LiveTail& tail) {
  router.Add(http::verb::get, "/api/v1/tail", store::kScopeRead, TailHandler(tail));
}

void AddAdminApiRoutes(Router& router, store::Catalog& catalog, const Clock& clock, AuditLog& audit) {
  router.Add(http::verb::post, "/api/v1/ui/login", 0, UiLoginHandler(catalog, clock, audit));
  router.Add(http::verb::get, "/api/v1/ui/session", kAnyCredential, UiSessionHandler());
  router.Add(http::verb::post, "/api/v1/ui/logout", kAnyCredential, UiLogoutHandler(catalog));
  router.Add(http::verb::get, "/api/v1/projects", kAnyCredential, ListProjectsHandler(catalog));
  router.Add(http::verb::post, "/api/v1/projects", kAnyCredential, CreateProjectHandler(catalog, clock, audit));
  router.Add(http::verb::get, "/api/v1/members", store::kScopeAdmin, ListMembersHandler(catalog));
  router.Add(http::verb::put, "/api/v1/members/{id}", store::kScopeAdmin, PutMemberHandler(catalog, clock, audit));
  router.Add(http::verb::delete_, "/api/v1/members/{id}", store::kScopeAdmin, RemoveMemberHandler(catalog, audit));
  router.Add(http::verb::get, "/api/v1/keys", store::kScopeAdmin, ListKeysHandler(catalog));
  router.Add(http::verb::post, "/api/v1/keys", store::kScopeAdmin, CreateKeyHandler(catalog, clock, audit));
  router.Add(http::verb::delete_, "/api/v1/keys/{id}", store::kScopeAdmin, RevokeKeyHandler(catalog, clock, audit));
  router.Add(http::verb::get, "/api/v1/audit", store::kScopeAdmin, ListAuditHandler(catalog, audit));
}

}  // namespace trackly::server
