// A decoder turns one request body in one wire format into the model's batch type. Decoders are
// the only code that knows a wire format; everything downstream sees model::SpanBatch.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/raw_span.h"

namespace trackly::ingest {

// Per-request and per-span limits. Exceeding a per-span limit truncates (counted in the span's
// dropped_* and truncated_by_server), never fails the request.
struct DecodeLimits {
  int max_nesting_depth = 64;             // JSON / AnyValue nesting; deeper → InvalidArgument
  int max_attributes_per_span = 256;      // further attributes dropped
  int64_t max_attribute_value_bytes = 1 << 20;  // longer strings cut to this many bytes (UTF-8 safe)
  int max_events_per_span = 1024;         // further events dropped
  int max_links_per_span = 128;           // further links dropped
};

// Thread-safe (stateless after construction).
class Decoder {
 public:
  virtual ~Decoder() = default;
  // A short name for logs and metrics, e.g. "otlp-json".
  virtual std::string_view name() const = 0;
  // Decodes an already-decompressed body. Undecodable input → InvalidArgument whose message
  // names the problem (and the field where known). Spans that are individually invalid (all-zero
  // or malformed ids) are left out and counted in SpanBatch::rejected_spans with a reason.
  virtual absl::StatusOr<model::SpanBatch> Decode(std::string_view body,
                                                  const DecodeLimits& limits) const = 0;
};

}  // namespace trackly::ingest
