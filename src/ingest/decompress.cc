#include "ingest/decompress.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status.h"
#include "ingest/media_type.h"

namespace trackly::ingest {
namespace {

// Output grows in steps of at most this much, so the buffer never runs far ahead of the data.
constexpr size_t kMaxGrowthBytes = size_t{16} << 20;

absl::Status TooLarge(int64_t max_bytes) {
  return absl::ResourceExhaustedError(
      absl::StrCat("body exceeds ", max_bytes, " bytes after decompression"));
}

// An output buffer that refuses to grow past max_bytes. Decoders write into Free() and report
// how much they wrote with Commit().
class CappedOutput {
 public:
  CappedOutput(size_t input_bytes, int64_t max_bytes)
      : max_bytes_(static_cast<size_t>(std::max<int64_t>(max_bytes, 0))) {
    // Compressed bodies usually expand 3-10x; start there and double.
    data_.resize(std::min(std::max<size_t>(input_bytes * 4, 4096), max_bytes_ + 1));
  }

  // Room to write into. Empty only when max_bytes + 1 bytes are already written, i.e. the cap
  // has been exceeded.
  absl::Status Reserve() {
    if (size_ < data_.size()) return absl::OkStatus();
    if (size_ > max_bytes_) return TooLarge(static_cast<int64_t>(max_bytes_));
    // One byte beyond the cap lets us tell "exactly max_bytes" from "more than max_bytes".
    data_.resize(std::min(size_ + std::min(size_, kMaxGrowthBytes), max_bytes_ + 1));
    return absl::OkStatus();
  }
  char* free_data() { return data_.data() + size_; }
  size_t free_size() const { return data_.size() - size_; }
  absl::Status Commit(size_t written) {
    size_ += written;
    return size_ > max_bytes_ ? TooLarge(static_cast<int64_t>(max_bytes_)) : absl::OkStatus();
  }
  std::string Take() && {
    data_.resize(size_);
    return std::move(data_);
  }

 private:
  size_t max_bytes_;
  std::string data_;
  size_t size_ = 0;
};

// windowBits for inflateInit2: 15 + 16 = gzip only, 15 = zlib wrapper, -15 = raw deflate.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kZlibWindowBits = 15;
constexpr int kRawDeflateWindowBits = -15;

absl::StatusOr<std::string> Inflate(std::string_view body, int window_bits, std::string_view coding,
                                    int64_t max_bytes) {
  z_stream stream{};
  if (inflateInit2(&stream, window_bits) != Z_OK) {
    return absl::InternalError("zlib inflateInit2 failed");
  }
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&stream, &inflateEnd);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  CappedOutput out(body.size(), max_bytes);
  size_t remaining_in = body.size();
  while (true) {
    TRACKLY_RETURN_IF_ERROR(out.Reserve());
    // zlib counts in uInt; feed huge inputs in slices.
    const uInt in_slice = static_cast<uInt>(std::min<size_t>(remaining_in, 1u << 30));
    const uInt out_slice = static_cast<uInt>(std::min<size_t>(out.free_size(), 1u << 30));
    stream.avail_in = in_slice;
    stream.next_out = reinterpret_cast<Bytef*>(out.free_data());
    stream.avail_out = out_slice;
    const int rc = inflate(&stream, Z_NO_FLUSH);
    remaining_in -= in_slice - stream.avail_in;
    TRACKLY_RETURN_IF_ERROR(out.Commit(out_slice - stream.avail_out));
    if (rc == Z_STREAM_END) {
      if (remaining_in == 0) break;
      // gzip allows several members back to back (RFC 1952 §2.2); decode the next one.
      if (window_bits != kGzipWindowBits) {
        return absl::InvalidArgumentError(
            absl::StrCat("corrupt ", Sv(coding), " body: data after the end of the stream"));
      }
      if (inflateReset(&stream) != Z_OK) return absl::InternalError("zlib inflateReset failed");
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && stream.avail_out != 0 && remaining_in == 0) {
      return absl::InvalidArgumentError(absl::StrCat("corrupt ", Sv(coding), " body: truncated"));
    }
    if (rc == Z_BUF_ERROR) continue;  // out of room; Reserve() grows or reports the cap
    return absl::InvalidArgumentError(absl::StrCat(
        "corrupt ", Sv(coding), " body: ", stream.msg != nullptr ? stream.msg : zError(rc)));
  }
  return std::move(out).Take();
}

absl::StatusOr<std::string> InflateDeflate(std::string_view body, int64_t max_bytes) {
  // HTTP "deflate" is the zlib format (RFC 9110 §8.4.1.2), but some clients send raw deflate.
  // A zlib stream starts with a header whose 16-bit big-endian value is a multiple of 31.
  const bool zlib_wrapped =
      body.size() >= 2 && (static_cast<unsigned char>(body[0]) & 0x0F) == 8 &&
      ((static_cast<unsigned char>(body[0]) << 8) | static_cast<unsigned char>(body[1])) % 31 == 0;
  return Inflate(body, zlib_wrapped ? kZlibWindowBits : kRawDeflateWindowBits, "deflate",
                 max_bytes);
}

absl::StatusOr<std::string> DecompressZstd(std::string_view body, int64_t max_bytes) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  if (context == nullptr) return absl::ResourceExhaustedError("cannot allocate a zstd context");
  ZSTD_inBuffer in{body.data(), body.size(), 0};
  CappedOutput out(body.size(), max_bytes);
  size_t hint = 1;  // 0 once the last frame is complete
  while (in.pos < in.size) {
    TRACKLY_RETURN_IF_ERROR(out.Reserve());
    ZSTD_outBuffer chunk{out.free_data(), out.free_size(), 0};
    hint = ZSTD_decompressStream(context.get(), &chunk, &in);
    if (ZSTD_isError(hint)) {
      return absl::InvalidArgumentError(
          absl::StrCat("corrupt zstd body: ", ZSTD_getErrorName(hint)));
    }
    TRACKLY_RETURN_IF_ERROR(out.Commit(chunk.pos));
  }
  // All input consumed, but the decoder may still hold output (it stops when `chunk` is full).
  while (hint != 0) {
    TRACKLY_RETURN_IF_ERROR(out.Reserve());
    ZSTD_outBuffer chunk{out.free_data(), out.free_size(), 0};
    hint = ZSTD_decompressStream(context.get(), &chunk, &in);
    if (ZSTD_isError(hint)) {
      return absl::InvalidArgumentError(
          absl::StrCat("corrupt zstd body: ", ZSTD_getErrorName(hint)));
    }
    TRACKLY_RETURN_IF_ERROR(out.Commit(chunk.pos));
    if (hint != 0 && chunk.pos < chunk.size) {
      return absl::InvalidArgumentError("corrupt zstd body: truncated");
    }
  }
  return std::move(out).Take();
}

absl::StatusOr<std::string> DecodeOne(std::string_view body, std::string_view coding,
                                      int64_t max_bytes) {
  if (coding == "gzip" || coding == "x-gzip") {
    return Inflate(body, kGzipWindowBits, "gzip", max_bytes);
  }
  if (coding == "deflate") return InflateDeflate(body, max_bytes);
  if (coding == "zstd") return DecompressZstd(body, max_bytes);
  return UnsupportedMediaTypeError(absl::StrCat(
      "unsupported Content-Encoding \"", Sv(coding), "\"; supported: gzip, deflate, zstd, identity"));
}

}  // namespace

absl::StatusOr<std::string> Decompress(std::string body, std::string_view content_encoding,
                                       int64_t max_bytes) {
  std::vector<std::string> codings;
  for (absl::string_view token : absl::StrSplit(Sv(content_encoding), ',')) {
    std::string coding = absl::AsciiStrToLower(absl::StripAsciiWhitespace(token));
    if (!coding.empty() && coding != "identity") codings.push_back(std::move(coding));
  }
  if (codings.empty()) {
    if (static_cast<int64_t>(body.size()) > max_bytes) return TooLarge(max_bytes);
    return body;
  }
  // Codings are listed in the order they were applied; undo the last one first.
  TRACKLY_ASSIGN_OR_RETURN(std::string decoded, DecodeOne(body, codings.back(), max_bytes));
  for (auto it = codings.rbegin() + 1; it != codings.rend(); ++it) {
    TRACKLY_ASSIGN_OR_RETURN(decoded, DecodeOne(decoded, *it, max_bytes));
  }
  return decoded;
}

}  // namespace trackly::ingest
