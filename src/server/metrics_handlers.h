// Handlers of the metrics API (docs/api.md "Metrics"): aggregates read from the store's rollups,
// and of scores. Reads run on the I/O thread that received the request (a query reads rollup rows
// or scores, not spans).
#pragma once

#include "query/query_service.h"
#include "server/catalog_price_source.h"
#include "server/router.h"

namespace trackly::server {

// GET /api/v1/metrics → QueryService::Metrics.
Handler MetricsHandler(query::QueryService& queries);
// GET /api/v1/metrics/scores → QueryService::ScoreMetrics.
Handler ScoreMetricsHandler(query::QueryService& queries);
// GET /api/v1/metrics/what-if → QueryService::WhatIf with the project's current prices.
Handler WhatIfHandler(query::QueryService& queries, const CatalogPriceSource& prices);

}  // namespace trackly::server
