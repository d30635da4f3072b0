#include "normalize/cost/cost_engine.h"

#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/status.h"

namespace trackly::cost {
namespace {

constexpr double kTokensPerPriceUnit = 1'000'000;  // prices are per 1M tokens

absl::Status CheckCount(std::string_view field, int64_t count) {
  if (count < 0) {
    return absl::InvalidArgumentError(absl::StrCat("usage.", Sv(field), ": ", count, " is negative"));
  }
  if (count > kMaxTokensPerCall) {
    return absl::InvalidArgumentError(absl::StrCat("usage.", Sv(field), ": ", count,
                                                   " is more than ", kMaxTokensPerCall, " tokens"));
  }
  return absl::OkStatus();
}

double Usd(int64_t tokens, double price_per_million) {
  return static_cast<double>(tokens) * price_per_million / kTokensPerPriceUnit;
}

}  // namespace

absl::Status CostEngine::ValidateUsage(const model::Usage& u) {
  TRACKLY_RETURN_IF_ERROR(CheckCount("input_tokens", u.input_tokens));
  TRACKLY_RETURN_IF_ERROR(CheckCount("output_tokens", u.output_tokens));
  TRACKLY_RETURN_IF_ERROR(CheckCount("total_tokens", u.total_tokens));
  TRACKLY_RETURN_IF_ERROR(CheckCount("cache_read_tokens", u.cache_read_tokens));
  TRACKLY_RETURN_IF_ERROR(CheckCount("cache_write_tokens", u.cache_write_tokens));
  return CheckCount("reasoning_tokens", u.reasoning_tokens);
}

CostOutcome CostEngine::Apply(const PriceCatalog& catalog, std::string_view project,
                              model::Observation& o) {
  // Only model calls are priced: a parent span that reports its children's summed usage would
  // otherwise be paid twice.
  if (o.type != model::ObservationType::kGeneration && o.type != model::ObservationType::kEmbedding) {
    return CostOutcome::kSkipped;
  }
  if (o.cost.source == model::CostSource::kProvided) return CostOutcome::kProvided;
  if (o.usage.empty()) return CostOutcome::kSkipped;

  int64_t at_ns = o.start_time_ns != 0 ? o.start_time_ns : std::numeric_limits<int64_t>::max();
  const PriceEntry* entry = catalog.Find(project, o.model, o.provider, at_ns);
  if (entry == nullptr) {
    o.cost = model::Cost{};
    o.cost.note = o.model.empty() ? "no model name to price"
                                  : absl::StrCat("no price for model \"", o.model, "\"");
    return CostOutcome::kUnpriced;
  }

  const model::Usage& u = o.usage;
  const Prices& p = entry->PricesFor(u.input_tokens);
  // The counts are subsets by contract (model::Usage); clamping keeps a client that reports
  // more cached than total input from producing a negative charge.
  int64_t cache_read = std::min(u.cache_read_tokens, u.input_tokens);
  int64_t cache_write = std::min(u.cache_write_tokens, u.input_tokens - cache_read);
  int64_t uncached = u.input_tokens - cache_read - cache_write;
  int64_t reasoning = std::min(u.reasoning_tokens, u.output_tokens);

  model::Cost c;
  c.input = Usd(uncached, p.input) + Usd(cache_read, p.cache_read_or_input()) +
            Usd(cache_write, p.cache_write_or_input());
  c.output = Usd(u.output_tokens - reasoning, p.output) + Usd(reasoning, p.reasoning_or_output());
  c.total = c.input + c.output;
  c.source = model::CostSource::kComputed;
  c.price_id = entry->id;
  c.cache_savings = std::max(0.0, Usd(cache_read, p.input - p.cache_read_or_input()));
  if (u.estimated) c.note = std::string(kEstimatedUsageNote);
  o.cost = std::move(c);
  return CostOutcome::kComputed;
}

}  // namespace trackly::cost
