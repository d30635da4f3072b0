// multipart/form-data request bodies (RFC 7578 over RFC 2046 §5.1), as the LangSmith clients send
// to POST /runs/multipart (shared/reference/wire-formats.md §7).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace trackly::ingest::langsmith {

struct MultipartLimits {
  int64_t max_parts = 100'000;          // more parts → ResourceExhausted (413)
  int64_t max_part_header_bytes = 16 * 1024;  // one part's header block; longer → InvalidArgument
};

// One part. The views point into the body given to ParseMultipartFormData and are valid while it
// lives and is unchanged.
struct FormPart {
  std::string_view name;          // from Content-Disposition: form-data; name="..."
  std::string_view content_type;  // the part's Content-Type value as sent; empty when absent
  std::string_view body;          // the part's bytes, without the CRLF before the next delimiter
};

// The boundary parameter of a "multipart/form-data; boundary=..." Content-Type value (quotes
// removed). InvalidArgument when the media type is not multipart/form-data or the boundary is
// missing, empty or longer than RFC 2046's 70 characters.
absl::StatusOr<std::string_view> MultipartBoundary(std::string_view content_type);

// Splits `body` into its parts, in order. The body is already decompressed and size-capped by
// the caller. InvalidArgument naming the problem (and the part's position) when the body does not
// start with the boundary, has no closing delimiter, a part has no name, no blank line after
// its headers, or a per-part Content-Encoding (the format forbids it); ResourceExhausted beyond
// limits.max_parts. The preamble and epilogue are ignored, as RFC 2046 says.
absl::StatusOr<std::vector<FormPart>> ParseMultipartFormData(std::string_view body,
                                                             std::string_view boundary,
                                                             const MultipartLimits& limits = {});

}  // namespace trackly::ingest::langsmith
