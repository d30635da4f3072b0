// Every endpoint of the server, in one place (DESIGN.md "Endpoints", docs/api.md).
#pragma once

#include "base/clock.h"
#include "query/query_service.h"
#include "server/catalog_price_source.h"
#include "server/otlp_ingest_handler.h"
#include "server/router.h"
#include "store/catalog.h"
#include "store/store.h"

namespace trackly::server {

// Adds every route to `router`. The handlers borrow the arguments, which must outlive it.
void AddApiRoutes(Router& router, const OtlpIngestHandler& otlp, query::QueryService& queries,
                  store::Store& store);

// Adds the cost routes (/api/v1/models, /api/v1/cost/recompute; server/cost_handlers.h). The
// handlers borrow the arguments, which must outlive `router`.
void AddCostApiRoutes(Router& router, store::Store& store, store::Catalog& catalog,
                      const CatalogPriceSource& prices, const Clock& clock);

}  // namespace trackly::server
