// OTLP/protobuf trace requests (POST /v1/traces, Content-Type application/x-protobuf) through the decoder
// the server picks, then the normalizer and the redactor (fuzz_pipeline.h).
#include <cstddef>
#include <cstdint>

#include "fuzz_pipeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trackly::fuzz::DecodeAndNormalizeOtlp("application/x-protobuf", data, size);
  return 0;
}
