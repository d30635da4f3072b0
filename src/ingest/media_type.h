// Request media types (Content-Type) and how an unsupported one is reported.
//
// Unsupported media type (an unknown Content-Type or Content-Encoding) is an InvalidArgument
// status — a client error that is never retried — carrying a payload that marks it as such. The
// server's status → HTTP mapping checks IsUnsupportedMediaType() first and answers 415 instead of
// 400. A payload (rather than a separate absl code) survives TRACKLY_RETURN_IF_ERROR unchanged
// and keeps the code's meaning ("bad input") right for callers that do not care.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace trackly::ingest {

// How a request body (and therefore its reply) is encoded.
enum class WireEncoding { kProtobuf, kJson };

// The Content-Type to send a reply in `encoding` with: "application/x-protobuf" or
// "application/json".
std::string_view ContentTypeOf(WireEncoding encoding);

// The bare media type of a Content-Type header value: parameters (";charset=utf-8") and
// surrounding whitespace removed, lowercased. "Application/JSON; charset=UTF-8" → "application/json".
std::string BareMediaType(std::string_view content_type);

// InvalidArgument(message) marked as "unsupported media type" (HTTP 415).
absl::Status UnsupportedMediaTypeError(std::string_view message);

// True for statuses made by UnsupportedMediaTypeError().
bool IsUnsupportedMediaType(const absl::Status& status);

}  // namespace trackly::ingest
