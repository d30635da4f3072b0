#include "server/api_routes.h"

#include "server/cost_handlers.h"
#include "server/query_handlers.h"
#include "store/catalog.h"

namespace trackly::server {

void AddApiRoutes(Router& router, const OtlpIngestHandler& otlp, query::QueryService& queries,
                  store::Store& store) {
  Handler ingest = [&otlp](RequestContext context, Responder respond) {
    otlp.Handle(std::move(context), std::move(respond));
  };
  for (const char* path : {"/v1/traces", "/api/public/otel/v1/traces", "/otel/v1/traces"}) {
    router.Add(http::verb::post, path, store::kScopeIngest, ingest);
  }
  router.Add(http::verb::get, "/api/v1/health", 0, HealthHandler(store));
  router.Add(http::verb::get, "/api/v1/traces", store::kScopeRead, ListTracesHandler(queries));
  router.Add(http::verb::get, "/api/v1/traces/{id}", store::kScopeRead, GetTraceHandler(queries));
  router.Add(http::verb::get, "/api/v1/sessions", store::kScopeRead, ListSessionsHandler(queries));
  router.Add(http::verb::get, "/api/v1/sessions/{id}", store::kScopeRead,
             GetSessionHandler(queries));
}

void AddCostApiRoutes(Router& router, store::Store& store, store::Catalog& catalog,
                      const CatalogPriceSource& prices, const Clock& clock) {
  router.Add(http::verb::get, "/api/v1/models", store::kScopeRead, ListModelsHandler(catalog, prices));
  router.Add(http::verb::post, "/api/v1/models", store::kScopeAdmin, AddModelHandler(catalog, prices, clock));
  router.Add(http::verb::delete_, "/api/v1/models/{id}", store::kScopeAdmin, RemoveModelHandler(catalog, prices));
  router.Add(http::verb::post, "/api/v1/cost/recompute", store::kScopeAdmin, RecomputeCostHandler(store, prices));
}

}  // namespace trackly::server
