// Semantic conventions → canonical model. Knows OTel GenAI (current and deprecated), OpenInference,
// OpenLLMetry, Vercel AI SDK and Langfuse attribute names, with the priorities of
// shared/reference/wire-formats.md §8.1. The mapping is documented in docs/conventions.md.
#pragma once

#include "model/observation.h"
#include "model/raw_span.h"

namespace trackly::normalize {

// Thread-safe (stateless).
class Normalizer {
 public:
  // Maps one decoded span onto an Observation. Never fails: anything it cannot interpret stays
  // in Observation::attributes (attributes no mapped field took), so nothing the client sent is
  // lost. Malformed JSON strings inside attributes are kept as strings.
  model::Observation Normalize(const model::RawSpan& span) const;
};

}  // namespace trackly::normalize
