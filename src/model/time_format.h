// Timestamps: the model keeps Unix nanoseconds; the API shows RFC 3339 UTC with microseconds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace trackly::model {

// 1795314529557000123 → "2026-11-22T03:04:05.557000Z".
std::string FormatRfc3339Micros(int64_t unix_ns);

// Parses RFC 3339 / ISO 8601 ("2026-11-22T03:04:05.557Z", offsets, fractional seconds up to ns)
// or a bare integer (Unix seconds if < 1e11, milliseconds if < 1e14, microseconds if < 1e17,
// otherwise nanoseconds). InvalidArgument naming the text otherwise, or for a bare integer past
// what int64 nanoseconds hold (the year 2262).
absl::StatusOr<int64_t> ParseTimestamp(std::string_view text);

}  // namespace trackly::model
