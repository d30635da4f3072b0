// OTLP/HTTP JSON bodies (Content-Type application/json): ExportTraceServiceRequest in the proto3
// JSON mapping with OTLP's changes, shared/reference/wire-formats.md §1.3.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "ingest/decoder.h"
#include "model/raw_span.h"

namespace trackly::ingest {

// Thread-safe (each thread reuses its own parser buffers).
//
// Accepts what real senders write, not only the strict form:
// - ids are hex of either case; an empty or all-zero parentSpanId means "root";
// - enums as integers or as names ("SPAN_KIND_CLIENT", "CLIENT", "STATUS_CODE_ERROR");
// - 64-bit integers as strings or numbers; doubles also as "NaN" / "Infinity" / "-Infinity";
// - lowerCamelCase keys and their snake_case spellings; unknown keys and `null` values ignored;
// - the pre-0.15 instrumentationLibrarySpans / instrumentationLibrary keys.
// AnyValue bytesValue is passed through as the base64 text the client sent.
//
// Errors (InvalidArgument) name the field in OTLP/JSON spelling, e.g.
// "resourceSpans[0].scopeSpans[1].spans[4].name: expected a string, got number"; malformed JSON
// gives "invalid JSON at byte N: ...". Id problems reject only their span ("...traceId: expected
// 32 hex characters, got 30"), as the Decoder contract says. Limits as in OtlpProtoDecoder.
class OtlpJsonDecoder final : public Decoder {
 public:
  std::string_view name() const override { return "otlp-json"; }
  absl::StatusOr<model::SpanBatch> Decode(std::string_view body,
                                          const DecodeLimits& limits) const override;
};

}  // namespace trackly::ingest
