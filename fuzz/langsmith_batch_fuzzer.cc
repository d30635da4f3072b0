// LangSmith JSON bodies through RunDecoder: the same bytes as POST /runs/batch, POST /runs,
// PATCH /runs/{id} and POST /feedback, then normalization, merge and pricing of the runs.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_pipeline.h"
#include "ingest/langsmith/run_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trackly;
  using ingest::langsmith::RunBatch;
  using ingest::langsmith::RunOperation;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const ingest::langsmith::RunDecoder decoder;
  std::vector<model::Score> scores;
  absl::StatusOr<model::Score> feedback = decoder.DecodeFeedbackBody(body);
  if (feedback.ok()) scores.push_back(*std::move(feedback));
  for (absl::StatusOr<RunBatch> runs :
       {decoder.DecodeBatch(body), decoder.DecodeOne(body, RunOperation::kPost, ""),
        decoder.DecodeOne(body, RunOperation::kPatch, "0192f3a4-5b6c-7d8e-9f00-112233445566")}) {
    if (!runs.ok()) continue;
    for (model::Score& score : runs->scores) scores.push_back(std::move(score));
    fuzz::NormalizeFragmentsAndScores(std::move(runs->fragments), {});
  }
  fuzz::NormalizeFragmentsAndScores({}, std::move(scores));
  return 0;
}
