// OTLP trace and span ids: 16 and 8 bytes on the wire, lowercase hex in the model.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace trackly::ingest::otlp {

inline constexpr size_t kTraceIdBytes = 16;
inline constexpr size_t kSpanIdBytes = 8;

// Protobuf form: `bytes` must be exactly `width_bytes` long; writes lowercase hex to *hex.
// Otherwise InvalidArgument("expected 16 bytes, got 3").
absl::Status HexIdFromBytes(std::string_view bytes, size_t width_bytes, std::string* hex);

// OTLP/JSON form: `text` must be 2 * width_bytes hex digits of either case; writes lowercase hex
// to *hex. Otherwise InvalidArgument("expected 32 hex characters, got 30" or
// "expected 32 hex characters, found 'x'").
absl::Status HexIdFromText(std::string_view text, size_t width_bytes, std::string* hex);

// True if `hex` (as written by the functions above) is all zeros, which OTLP defines as invalid.
bool IsZeroId(std::string_view hex);

}  // namespace trackly::ingest::otlp
