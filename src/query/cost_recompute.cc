#include "query/cost_recompute.h"

#include "base/status.h"
#include "normalize/cost/cost_engine.h"

namespace trackly::query {

model::Json ToJson(const RecomputeReport& report) {
  return model::Json{{"observations_visited", report.observations_visited},
                     {"observations_repriced", report.observations_repriced},
                     {"traces_changed", report.traces_changed},
                     {"unpriced_observations", report.unpriced_observations},
                     {"cost_before", report.cost_before},
                     {"cost_after", report.cost_after},
                     {"cost_change", report.cost_after - report.cost_before}};
}

absl::StatusOr<RecomputeReport> RecomputeCosts(store::Store& store, const cost::PriceCatalog& prices,
                                               const store::RewriteRange& range) {
  RecomputeReport report;
  // RewriteObservations calls this on its own thread while this one waits, so the report needs
  // no lock.
  store::ObservationRewrite reprice = [&](model::Observation& observation) {
    const model::Cost before = observation.cost;
    if (cost::CostEngine::Apply(prices, range.project, observation) == cost::CostOutcome::kUnpriced) {
      ++report.unpriced_observations;
    }
    report.cost_before += before.total;
    report.cost_after += observation.cost.total;
    return !(observation.cost == before);
  };
  TRACKLY_ASSIGN_OR_RETURN(store::RewriteStats stats, store.RewriteObservations(range, reprice));
  report.observations_visited = stats.observations_visited;
  report.observations_repriced = stats.observations_rewritten;
  report.traces_changed = stats.traces_rewritten;
  return report;
}

}  // namespace trackly::query
