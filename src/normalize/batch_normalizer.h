// Everything between decoding and the store for one request: each decoded span is normalized onto
// the canonical model, its usage is checked, and its cost is computed from the price catalog where
// the client sent usage but no cost. Every ingest endpoint goes through this, so all wire formats
// get the same treatment.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/observation.h"
#include "model/raw_span.h"
#include "normalize/cost/price_catalog.h"
#include "normalize/normalizer.h"

namespace trackly::normalize {

struct NormalizedBatch {
  std::vector<model::Observation> observations;
  // Spans the decoder rejected plus spans rejected here (e.g. negative token counts), and why.
  int64_t rejected_spans = 0;
  std::string rejection_message;
};

// Thread-safe (immutable after construction).
class BatchNormalizer {
 public:
  // `prices` is shared and immutable; a price change swaps in a new BatchNormalizer's catalog.
  explicit BatchNormalizer(std::shared_ptr<const cost::PriceCatalog> prices);

  // Normalizes and prices every span of `batch` for `project`. A span whose usage is invalid
  // (negative or absurd token counts) is left out and counted in rejected_spans with a reason
  // naming the span and the field; the rest is kept. The decoder's own rejections carry over.
  NormalizedBatch Normalize(model::SpanBatch&& batch, std::string_view project) const;

 private:
  Normalizer normalizer_;
  std::shared_ptr<const cost::PriceCatalog> prices_;
};

}  // namespace trackly::normalize
