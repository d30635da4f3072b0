// OTLP/HTTP protobuf bodies (Content-Type application/x-protobuf): ExportTraceServiceRequest,
// shared/reference/wire-formats.md §1.4.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "ingest/decoder.h"
#include "model/raw_span.h"

namespace trackly::ingest {

// Thread-safe (stateless).
//
// Beyond the Decoder contract:
// - Ids become lowercase hex. A span whose trace_id / span_id is not 16 / 8 bytes or is all zero,
//   or whose parent_span_id is neither empty nor 8 bytes, is rejected; an all-zero parent_span_id
//   means "root". A link with malformed ids is dropped and counted in dropped_links_count.
// - Text that is not valid UTF-8 is repaired (U+FFFD), never a reason to fail.
// - DecodeLimits apply to resource, scope, event and link attributes as well as span attributes;
//   cuts under a span are counted on that span.
// - The pre-0.15 field ResourceSpans.instrumentation_library_spans (1000) is read like scope_spans.
class OtlpProtoDecoder final : public Decoder {
 public:
  std::string_view name() const override { return "otlp-proto"; }
  absl::StatusOr<model::SpanBatch> Decode(std::string_view body,
                                          const DecodeLimits& limits) const override;
};

}  // namespace trackly::ingest
