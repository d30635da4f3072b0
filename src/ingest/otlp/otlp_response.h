// Reply bodies of the OTLP/HTTP traces endpoint (shared/reference/wire-formats.md §1.2), in the
// request's encoding. Send them with Content-Type ContentTypeOf(encoding).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "ingest/media_type.h"

namespace trackly::ingest {

// ExportTraceServiceResponse for a 200. With rejected_spans == 0 and no message the body is the
// empty message (empty protobuf, `{}` in JSON); otherwise partial_success carries both (JSON:
// {"partialSuccess":{"rejectedSpans":2,"errorMessage":"..."}}, rejectedSpans as a number, which
// proto3 JSON readers accept as well as the string form).
std::string EncodeExportResponse(int64_t rejected_spans, std::string_view error_message,
                                 WireEncoding encoding);

// google.rpc.Status for an error reply (400, 413, 415, 429, 503 ...): `code` is the status's
// canonical (gRPC) code number, `message` its message. JSON: {"code":3,"message":"..."}.
std::string EncodeErrorStatus(const absl::Status& status, WireEncoding encoding);

}  // namespace trackly::ingest
