// The read side of Query API v1 (docs/api.md): validates parameters, asks the Store, and shapes
// the JSON answer. Every call is scoped to one project, which the caller took from the
// credential.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "model/json.h"
#include "normalize/cost/price_catalog.h"
#include "query/query_params.h"
#include "store/store.h"

namespace trackly::query {

// Thread-safe (the Store is). Reads run on the calling thread.
class QueryService {
 public:
  explicit QueryService(store::Store& store) : store_(store) {}

  // {"data":[Trace], "next_cursor": string|null}. InvalidArgument names a bad parameter.
  absl::StatusOr<model::Json> ListTraces(std::string_view project, const QueryParams& params);
  // {"trace": Trace, "observations": [Observation]}. NotFound when not in `project`.
  absl::StatusOr<model::Json> GetTrace(std::string_view project, std::string_view trace_id);
  // {"data":[Session], "next_cursor": string|null}.
  absl::StatusOr<model::Json> ListSessions(std::string_view project, const QueryParams& params);
  // {"session": Session, "traces": [Trace]}. NotFound when not in `project`.
  absl::StatusOr<model::Json> GetSession(std::string_view project, std::string_view session_id);
  // GET /api/v1/metrics → {"level", "granularity", "data":[{"time"?, <dimension>..., <measure>...}]}
  // (docs/api.md "Metrics"); a measure without a value (a rate of nothing) is null.
  absl::StatusOr<model::Json> Metrics(std::string_view project, const QueryParams& params);
  // GET /api/v1/metrics/what-if → the stored usage of model A over [from, to) priced at B's
  // current prices in `prices`, the difference to what it cost, and a 30-day projection. The
  // calls are priced as `calls` calls of their average usage, so a price with prompt-size tiers
  // is applied at the average prompt size. InvalidArgument naming 'as' when B has no price.
  absl::StatusOr<model::Json> WhatIf(std::string_view project, const QueryParams& params,
                                     const cost::PriceCatalog& prices);

 private:
  store::Store& store_;
};

}  // namespace trackly::query
