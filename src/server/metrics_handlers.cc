#include "server/metrics_handlers.h"

#include "server/http_status.h"

namespace trackly::server {
namespace {

HttpResponse JsonOrError(const absl::StatusOr<model::Json>& result) {
  if (!result.ok()) return ErrorResponse(result.status());
  return JsonResponse(http::status::ok, *result);
}

}  // namespace

Handler MetricsHandler(query::QueryService& queries) {
  return [&queries](RequestContext context, Responder respond) {
    respond(JsonOrError(queries.Metrics(context.project, context.query)));
  };
}

Handler ScoreMetricsHandler(query::QueryService& queries) {
  return [&queries](RequestContext context, Responder respond) {
    respond(JsonOrError(queries.ScoreMetrics(context.project, context.query)));
  };
}

Handler WhatIfHandler(query::QueryService& queries, const CatalogPriceSource& prices) {
  return [&queries, &prices](RequestContext context, Responder respond) {
    respond(JsonOrError(queries.WhatIf(context.project, context.query, *prices.Current())));
  };
}

}  // namespace trackly::server
