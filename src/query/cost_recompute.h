// Re-pricing stored observations after a price change (`trackly cost recompute`,
// POST /api/v1/cost/recompute; docs/cost.md "Re-pricing stored observations").
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "model/json.h"
#include "normalize/cost/price_catalog.h"
#include "store/store.h"

namespace trackly::query {

// What a recompute changed. Amounts are USD sums of cost.total over the observations visited.
struct RecomputeReport {
  int64_t observations_visited = 0;   // stored observations in the range
  int64_t observations_repriced = 0;  // whose cost changed
  int64_t traces_changed = 0;         // traces whose totals were recomputed
  int64_t unpriced_observations = 0;  // with usage but no price for their model
  double cost_before = 0;
  double cost_after = 0;
};

// {"observations_visited", "observations_repriced", "traces_changed", "unpriced_observations",
//  "cost_before", "cost_after", "cost_change"}
model::Json ToJson(const RecomputeReport& report);

// Re-applies cost::CostEngine with `prices` to every stored observation of range.project whose
// start time is in the range (provided costs stay as sent), storing the changed ones with their
// trace and session totals recomputed (Store::RewriteObservations). Idempotent. Blocks until done.
absl::StatusOr<RecomputeReport> RecomputeCosts(store::Store& store, const cost::PriceCatalog& prices,
                                               const store::RewriteRange& range);

}  // namespace trackly::query
