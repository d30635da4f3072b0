// OTLP/protobuf trace requests (POST /v1/traces, Content-Type application/x-protobuf) through the decoder
// the server picks (ingest::DecoderRegistry, default DecodeLimits), then the normalizer and the
// redactor (every redaction class on).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_pipeline.h"
#include "ingest/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trackly;
  static const ingest::DecoderRegistry* const registry = [] {
    auto* registry = new ingest::DecoderRegistry();
    ingest::RegisterDecoders(*registry);
    return registry;
  }();
  static const ingest::Decoder* const decoder = [] {
    absl::StatusOr<ingest::DecoderRoute> route = registry->Find(ingest::IngestProtocol::kOtlpTraces,
                                                                "application/x-protobuf");
    if (!route.ok()) std::abort();  // the route is ours: a bug, not an input
    return route->decoder;
  }();
  absl::StatusOr<model::SpanBatch> batch =
      decoder->Decode(std::string_view(reinterpret_cast<const char*>(data), size), ingest::DecodeLimits{});
  if (batch.ok()) fuzz::NormalizeSpans(*std::move(batch));
  return 0;
}
