// Turns token usage into cost at ingest (docs/cost.md "How cost is computed").
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "model/observation.h"
#include "normalize/cost/price_catalog.h"

namespace trackly::cost {

// More tokens than any single model call can have: a count above this is a client bug.
inline constexpr int64_t kMaxTokensPerCall = 1'000'000'000;

// cost.note of a cost computed from estimated usage (model::Usage::estimated).
inline constexpr std::string_view kEstimatedUsageNote = "computed from estimated usage";

// What Apply did to an observation (metrics count kUnpriced calls).
enum class CostOutcome {
  kSkipped,   // not a generation or embedding, or no usage: cost untouched
  kProvided,  // the client sent a cost: kept as is
  kComputed,  // cost computed from usage; cost.price_id says with which price
  kUnpriced,  // usage but no price for the model: no cost, cost.note says why
};

// Stateless; thread-safe.
class CostEngine {
 public:
  // OK, or InvalidArgument naming the field ("usage.input_tokens: -3 is negative") when a count
  // is negative or above kMaxTokensPerCall. The ingest path rejects such a span on its own
  // (OTLP partial_success) and keeps the rest of the batch.
  static absl::Status ValidateUsage(const model::Usage& usage);

  // Prices a generation or embedding that carries usage, unless its cost was provided:
  //   input  = (input - cache_read - cache_write) x input price + cache_read x cache read price
  //            + cache_write x cache write price
  //   output = (output - reasoning) x output price + reasoning x reasoning price
  // with the prices of the tier chosen by the prompt size (usage.input_tokens), from the entry
  // catalog.Find(project, model, provider, start time) returns (start time 0 = the newest
  // prices). Sets cost.source = computed, cost.price_id and cost.cache_savings, and cost.note =
  // kEstimatedUsageNote when usage.estimated (the client sent no usage). A previously
  // computed cost is replaced, so re-applying after a price change re-prices. Without a price,
  // the cost is cleared and cost.note = "no price for model \"X\"". Call after ValidateUsage.
  static CostOutcome Apply(const PriceCatalog& catalog, std::string_view project,
                           model::Observation& observation);
};

}  // namespace trackly::cost
