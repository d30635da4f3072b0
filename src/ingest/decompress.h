// Content-Encoding decoding for request bodies, with the size cap enforced while inflating.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace trackly::ingest {

// Decodes `body` per the HTTP Content-Encoding header value `content_encoding` and returns the
// decoded bytes. Supported codings (case-insensitive): "" / "identity", "gzip" / "x-gzip"
// (concatenated members too), "deflate" (zlib-wrapped as HTTP specifies, or raw as some clients
// send), "zstd" (concatenated frames too). A list ("gzip, identity") is undone right to left.
//
// Errors:
//   ResourceExhausted  the decoded size would exceed `max_bytes` ("body exceeds N bytes after
//                      decompression"); found while streaming, so a bomb never inflates past the cap
//   InvalidArgument    corrupt or truncated data
//   InvalidArgument + IsUnsupportedMediaType()  an unknown coding, named in the message (415)
// `body` is a sink: with no coding (or "identity") it is returned as is, without a copy (still
// subject to `max_bytes`).
absl::StatusOr<std::string> Decompress(std::string body, std::string_view content_encoding,
                                       int64_t max_bytes);

}  // namespace trackly::ingest
