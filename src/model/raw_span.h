// The batch type every OTel-shaped decoder produces: spans as the client sent them, before any
// semantic convention is applied. Nothing here knows protobuf or a vendor attribute name;
// normalize/ turns a RawSpan into a canonical Observation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/json.h"

namespace trackly::model {

// OTLP Span.SpanKind values.
enum class SpanKind { kUnspecified = 0, kInternal = 1, kServer = 2, kClient = 3, kProducer = 4, kConsumer = 5 };

// OTLP StatusCode values.
enum class StatusCode { kUnset = 0, kOk = 1, kError = 2 };

// Attributes as a JSON object: key → value. OTLP AnyValue maps to JSON as
// string/bool/int/double → the same JSON scalar, arrayValue → array, kvlistValue → object,
// bytesValue → base64 string, empty AnyValue → null. Keys are unique (last one wins).
using Attributes = Json;

struct RawEvent {
  std::string name;
  int64_t time_ns = 0;
  Attributes attributes = Json::object();
};

struct RawLink {
  std::string trace_id;  // lowercase hex
  std::string span_id;   // lowercase hex
  Attributes attributes = Json::object();
};

// What a resource and instrumentation scope say about the spans under them. Shared, immutable.
struct RawScope {
  Attributes resource_attributes = Json::object();
  std::string scope_name;
  std::string scope_version;
  Attributes scope_attributes = Json::object();
};

struct RawSpan {
  std::string trace_id;        // lowercase hex, 32 chars, not all zero
  std::string span_id;         // lowercase hex, 16 chars, not all zero
  std::string parent_span_id;  // lowercase hex or empty for a root
  std::string trace_state;
  std::string name;
  SpanKind kind = SpanKind::kUnspecified;
  int64_t start_time_ns = 0;
  int64_t end_time_ns = 0;
  StatusCode status_code = StatusCode::kUnset;
  std::string status_message;
  Attributes attributes = Json::object();
  std::vector<RawEvent> events;
  std::vector<RawLink> links;
  // Counts the client reported as dropped plus what our per-span limits truncated.
  uint32_t dropped_attributes_count = 0;
  uint32_t dropped_events_count = 0;
  uint32_t dropped_links_count = 0;
  // Attributes/values/events our limits cut (also included in the dropped counts above).
  uint32_t truncated_by_server = 0;
  std::shared_ptr<const RawScope> scope;  // never null after decoding
};

// One decoded request.
struct SpanBatch {
  std::vector<RawSpan> spans;
  // Spans present in the request but rejected (e.g. all-zero ids), and why, for partial_success.
  int64_t rejected_spans = 0;
  std::string rejection_message;
};

}  // namespace trackly::model
