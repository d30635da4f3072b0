// The part of OTLP decoding that does not depend on the encoding: DecodeLimits, cut counting and
// span rejection bookkeeping. Both OTLP decoders fill one BatchBuilder per request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "ingest/decoder.h"
#include "ingest/otlp/field_path.h"
#include "model/raw_span.h"

namespace trackly::ingest::otlp {

// What the limits cut from one span (its attributes, events and links, and values in them).
struct CutCounts {
  uint32_t attributes = 0;
  uint32_t events = 0;
  uint32_t links = 0;
  uint32_t values = 0;  // strings shortened
};

// Not thread-safe; one per Decode() call.
class BatchBuilder {
 public:
  explicit BatchBuilder(const DecodeLimits& limits) : limits_(limits) {}

  const DecodeLimits& limits() const { return limits_; }

  // InvalidArgument("<where>: value nested deeper than N levels") when `depth` (1 for an
  // attribute's own value, +1 per array/kvlist level) exceeds limits().max_nesting_depth.
  absl::Status CheckDepth(int depth, const FieldPath& where) const;

  // Shortens a string value to limits().max_attribute_value_bytes at a UTF-8 boundary.
  void LimitValue(std::string& value, CutCounts& cuts) const;

  // Whether the attribute at `index` (0-based, in wire order) is kept under
  // max_attributes_per_span; counts it in `cuts` if not. Same for events and links.
  bool KeepAttribute(int64_t index, CutCounts& cuts) const;
  bool KeepEvent(int64_t index, CutCounts& cuts) const;
  bool KeepLink(int64_t index, CutCounts& cuts) const;

  // Adds a decoded span whose dropped_*_count fields hold what the client reported; what `cuts`
  // counted is added to them and to truncated_by_server.
  void AddSpan(model::RawSpan span, const CutCounts& cuts);

  // Leaves a span out; `problem` at `where` becomes part of SpanBatch::rejection_message.
  void RejectSpan(const FieldPath& where, std::string_view problem);

  // The batch: kept spans in request order, rejected count and a message naming the first
  // rejection ("<path>: <problem>", plus "(and N more)" when there were several).
  model::SpanBatch Finish() &&;

 private:
  DecodeLimits limits_;
  model::SpanBatch batch_;
  std::string first_rejection_;
};

}  // namespace trackly::ingest::otlp
