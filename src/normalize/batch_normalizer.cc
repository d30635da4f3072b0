#include "normalize/batch_normalizer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "normalize/cost/cost_engine.h"

namespace trackly::normalize {

BatchNormalizer::BatchNormalizer(const cost::PriceSource& prices) : prices_(prices) {}

NormalizedBatch BatchNormalizer::Normalize(model::SpanBatch&& batch, std::string_view project) const {
  NormalizedBatch out;
  out.rejected_spans = batch.rejected_spans;
  out.rejection_message = std::move(batch.rejection_message);
  out.observations.reserve(batch.spans.size());
  const std::shared_ptr<const cost::PriceCatalog> prices = prices_.Current();
  int64_t rejected_here = 0;
  for (const model::RawSpan& span : batch.spans) {
    model::Observation observation = normalizer_.Normalize(span);
    if (absl::Status usage = cost::CostEngine::ValidateUsage(observation.usage); !usage.ok()) {
      // Only the first reason is spelled out; the count says how many more there were.
      if (out.rejection_message.empty()) {
        out.rejection_message = absl::StrCat("span ", observation.id, ": ", usage.message());
      }
      ++rejected_here;
      continue;
    }
    cost::CostEngine::Apply(*prices, project, observation);
    out.observations.push_back(std::move(observation));
  }
  if (rejected_here > 0) {
    out.rejected_spans += rejected_here;
    if (out.rejected_spans > 1) {
      absl::StrAppend(&out.rejection_message, " (", out.rejected_spans, " spans rejected in all)");
    }
  }
  return out;
}

}  // namespace trackly::normalize
