// ingest::Decompress, the Content-Encoding layer in front of every decoder. The first input byte
// picks the coding, the rest is the body. The cap is small (64 KiB) so that bombs and concatenated
// members run into it; a result over the cap is a bug (the contract says ResourceExhausted).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>

#include "ingest/decompress.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr int64_t kMaxBytes = 64 * 1024;
  static constexpr std::string_view kCodings[] = {
      "identity", "gzip", "x-gzip", "deflate", "zstd", "", "gzip, identity", "zstd, gzip",
      "deflate, zstd", "br"};
  if (size == 0) return 0;
  const std::string_view coding = kCodings[data[0] % std::size(kCodings)];
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  absl::StatusOr<std::string> decoded = trackly::ingest::Decompress(body, coding, kMaxBytes);
  if (decoded.ok() && static_cast<int64_t>(decoded->size()) > kMaxBytes) std::abort();
  return 0;
}
