// LangSmith multipart bodies (POST /runs/multipart) through RunDecoder::DecodeMultipart, then
// normalization, merge and pricing of the runs and redaction of the feedback scores. The boundary
// of the Content-Type comes from the input itself: the first line, less its leading "--", as a
// well-formed body starts with "--<boundary>\r\n". So seeds are plain multipart bodies.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "fuzz_pipeline.h"
#include "ingest/langsmith/run_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trackly;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  std::string_view boundary = body.substr(0, body.find("\r\n"));
  if (boundary.starts_with("--")) boundary.remove_prefix(2);
  const std::string content_type = "multipart/form-data; boundary=\"" + std::string(boundary) + "\"";
  absl::StatusOr<ingest::langsmith::RunBatch> runs =
      ingest::langsmith::RunDecoder().DecodeMultipart(body, content_type);
  if (runs.ok()) fuzz::NormalizeFragmentsAndScores(std::move(runs->fragments), std::move(runs->scores));
  return 0;
}
