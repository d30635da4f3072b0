// Langfuse batch ingestion bodies (POST /api/public/ingestion) through LangfuseBatchDecoder with
// default DecodeLimits, then what the handler and the store do with the events: normalization of
// the fragments, their merge and pricing, and redaction of the scores.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_pipeline.h"
#include "ingest/langfuse/langfuse_batch_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trackly;
  absl::StatusOr<ingest::langfuse::LangfuseBatch> batch = ingest::langfuse::LangfuseBatchDecoder().Decode(
      std::string_view(reinterpret_cast<const char*>(data), size), ingest::DecodeLimits{});
  if (!batch.ok()) return 0;
  std::vector<model::ObservationFragment> fragments;
  std::vector<model::Score> scores;
  for (ingest::langfuse::LangfuseEvent& event : batch->events) {
    if (event.fragment) fragments.push_back(*std::move(event.fragment));
    if (event.score) scores.push_back(*std::move(event.score));
  }
  fuzz::NormalizeFragmentsAndScores(std::move(fragments), std::move(scores));
  return 0;
}
