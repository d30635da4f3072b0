// What the fuzzers run after a decoder: the server's path from a decoded request to what is
// written (normalize::BatchNormalizer with every redaction class on, and for formats that arrive
// in pieces, the store's merge and the pricing of the merged observation). Each fuzzer feeds its
// decoder's output here, so the normalizer and the redactor see fuzzed input of every format.
// Thread-safe (the normalizer is immutable once built); libFuzzer calls one input at a time anyway.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "ingest/registry.h"
#include "model/observation_fragment.h"
#include "model/raw_span.h"
#include "normalize/batch_normalizer.h"
#include "normalize/cost/price_source.h"

namespace trackly::fuzz {

inline constexpr char kProject[] = "fuzz";

// The normalizer of the fuzzers: the built-in price catalog, all redaction classes enabled.
inline const normalize::BatchNormalizer& Normalizer() {
  static const normalize::BatchNormalizer* const normalizer = [] {
    absl::StatusOr<std::shared_ptr<const cost::PriceCatalog>> catalog = cost::PriceCatalog::Builtin();
    if (!catalog.ok()) std::abort();  // the embedded catalog is ours: a bug, not an input
    auto* prices = new cost::FixedPriceSource(*std::move(catalog));
    return new normalize::BatchNormalizer(
        *prices, normalize::RedactionClasses{.secrets = true, .cards = true, .emails = true, .phones = true});
  }();
  return *normalizer;
}

// Normalize() of a decoded span batch, as the OTLP handler does.
inline void NormalizeSpans(model::SpanBatch&& batch) { Normalizer().Normalize(std::move(batch), kProject); }

// NormalizeFragments(), then per observation id what the store does when it writes: the merge
// of its fragments (model::MergeFragments) finished by MergedPricer; and the scores redacted.
inline void NormalizeFragmentsAndScores(std::vector<model::ObservationFragment>&& fragments,
                                        std::vector<model::Score>&& scores) {
  const normalize::BatchNormalizer& normalizer = Normalizer();
  normalize::NormalizedFragments normalized = normalizer.NormalizeFragments(std::move(fragments), kProject);
  absl::flat_hash_map<std::string, std::vector<model::ObservationFragment>> by_id;
  for (model::ObservationFragment& fragment : normalized.fragments) {
    by_id[fragment.observation.id].push_back(std::move(fragment));
  }
  auto price = normalizer.MergedPricer(kProject);
  for (auto& [id, pieces] : by_id) {
    model::Observation merged = model::MergeFragments(pieces);
    price(merged);
  }
  normalizer.RedactScores(scores, kProject);
}

// One OTLP trace request body of `content_type` through the decoder the server picks for it
// (ingest::DecoderRegistry, default DecodeLimits), then NormalizeSpans.
inline void DecodeAndNormalizeOtlp(std::string_view content_type, const uint8_t* data, size_t size) {
  static const ingest::DecoderRegistry* const registry = [] {
    auto* registry = new ingest::DecoderRegistry();
    ingest::RegisterDecoders(*registry);
    return registry;
  }();
  absl::StatusOr<ingest::DecoderRoute> route = registry->Find(ingest::IngestProtocol::kOtlpTraces, content_type);
  if (!route.ok()) std::abort();  // the route is ours: a bug, not an input
  absl::StatusOr<model::SpanBatch> batch =
      route->decoder->Decode(std::string_view(reinterpret_cast<const char*>(data), size), ingest::DecodeLimits{});
  if (batch.ok()) NormalizeSpans(*std::move(batch));
}

}  // namespace trackly::fuzz
