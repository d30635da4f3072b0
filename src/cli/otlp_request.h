// Encodes spans as an OTLP ExportTraceServiceRequest, the body an OTel exporter POSTs to
// /v1/traces (shared/reference/wire-formats.md §1): the client side of what ingest/otlp decodes.
// Spans are grouped by resource, then by scope, in order of first appearance.
//
// Attribute values map from JSON as the decoders map them back (model/raw_span.h): string, bool,
// integer, double → the same AnyValue; array → arrayValue; object → kvlistValue; null → empty.
#pragma once

#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "model/json.h"
#include "model/raw_span.h"

namespace trackly::cli {

// OTLP/JSON (§1.3): hex ids, integer enums, 64-bit integers as decimal strings, camelCase keys.
// Every span must have a scope.
model::Json EncodeOtlpJson(std::span<const model::RawSpan> spans);

// OTLP protobuf (§1.4). InvalidArgument when an id is not even-length hex; Internal if
// serialization fails.
absl::StatusOr<std::string> EncodeOtlpProtobuf(std::span<const model::RawSpan> spans);

}  // namespace trackly::cli
