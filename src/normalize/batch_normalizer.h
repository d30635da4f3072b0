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
#include "normalize/cost/price_source.h"
#include "normalize/normalizer.h"

namespace trackly::normalize {

struct NormalizedBatch {
  std::vector<model::Observation> observations;
  // Spans the decoder rejected plus spans rejected here (e.g. negative token counts), and why.
  int64_t rejected_spans = 0;
  std::string rejection_message;
};

// Thread-safe (immutable after construction; `prices` is thread-safe).
class BatchNormalizer {
 public:
  // Borrows `prices`, which must outlive this. Each Normalize() prices its whole batch with one
  // snapshot, prices.Current(), so a price change applies from the next batch on.
  explicit BatchNormalizer(const cost::PriceSource& prices);

  // Normalizes and prices every span of `batch` for `project`. A span whose usage is invalid
  // (negative or absurd token counts) is left out and counted in rejected_spans with a reason
  // naming the span and the field; the rest is kept. The decoder's own rejections carry over.
  NormalizedBatch Normalize(model::SpanBatch&& batch, std::string_view project) const;

 private:
  Normalizer normalizer_;
  const cost::PriceSource& prices_;
};

}  // namespace trackly::normalize
