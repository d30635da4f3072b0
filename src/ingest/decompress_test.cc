#include "ingest/decompress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <string>

#include "ingest/media_type.h"

namespace trackly::ingest {
namespace {

using ::testing::HasSubstr;

constexpr int kGzip = 15 + 16;
constexpr int kZlib = 15;
constexpr int kRawDeflate = -15;

// Compresses `repeat` copies of `chunk` with zlib in the given format, streaming, so a huge
// input never exists in memory.
std::string Deflate(std::string_view chunk, int64_t repeat, int window_bits, int level = 6) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out;
  char buffer[1 << 16];
  for (int64_t i = 0; i < repeat; ++i) {
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(chunk.data()));
    stream.avail_in = static_cast<uInt>(chunk.size());
    const int flush = i + 1 == repeat ? Z_FINISH : Z_NO_FLUSH;
    int rc;
    do {
      stream.next_out = reinterpret_cast<Bytef*>(buffer);
      stream.avail_out = sizeof(buffer);
      rc = deflate(&stream, flush);
      out.append(buffer, sizeof(buffer) - stream.avail_out);
    } while (stream.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  }
  deflateEnd(&stream);
  return out;
}

std::string Zstd(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t size = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  EXPECT_FALSE(ZSTD_isError(size));
  out.resize(size);
  return out;
}

const std::string kText = "{\"resourceSpans\":[]} and some more text to compress, twice. twice.";

TEST(DecompressTest, IdentityAndEmptyEncodingReturnTheBody) {
  for (std::string_view encoding : {"", "identity", " IDENTITY "}) {
    absl::StatusOr<std::string> out = Decompress(kText, encoding, 1 << 20);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(*out, kText);
  }
}

TEST(DecompressTest, RoundTripsEveryCoding) {
  const std::pair<std::string, std::string> cases[] = {
      {"gzip", Deflate(kText, 1, kGzip)},
      {"GZip", Deflate(kText, 1, kGzip)},
      {"x-gzip", Deflate(kText, 1, kGzip)},
      {"deflate", Deflate(kText, 1, kZlib)},
      {"deflate", Deflate(kText, 1, kRawDeflate)},
      {"zstd", Zstd(kText)},
      {"gzip, identity", Deflate(kText, 1, kGzip)},
      {"zstd, gzip", Deflate(Zstd(kText), 1, kGzip)},
  };
  for (const auto& [encoding, body] : cases) {
    absl::StatusOr<std::string> out = Decompress(body, encoding, 1 << 20);
    ASSERT_TRUE(out.ok()) << encoding << ": " << out.status();
    EXPECT_EQ(*out, kText) << encoding;
  }
}

TEST(DecompressTest, DecodesConcatenatedGzipMembersAndZstdFrames) {
  absl::StatusOr<std::string> gzip =
      Decompress(Deflate("abc", 1, kGzip) + Deflate("def", 1, kGzip), "gzip", 100);
  ASSERT_TRUE(gzip.ok()) << gzip.status();
  EXPECT_EQ(*gzip, "abcdef");
  absl::StatusOr<std::string> zstd = Decompress(Zstd("abc") + Zstd("def"), "zstd", 100);
  ASSERT_TRUE(zstd.ok()) << zstd.status();
  EXPECT_EQ(*zstd, "abcdef");
}

TEST(DecompressTest, AcceptsExactlyMaxBytesAndRejectsOneMore) {
  const std::string body = Deflate(kText, 1, kGzip);
  EXPECT_TRUE(Decompress(body, "gzip", static_cast<int64_t>(kText.size())).ok());
  absl::StatusOr<std::string> over = Decompress(body, "gzip", static_cast<int64_t>(kText.size()) - 1);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Decompress(kText, "identity", 10).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(DecompressTest, StopsGzipBombAtTheCap) {
  // 1 GiB of zeros compresses to about 1 MiB; decoding must stop at the cap, not inflate it all.
  const std::string zeros(1 << 20, '\0');
  const std::string bomb = Deflate(zeros, 1024, kGzip, /*level=*/1);
  ASSERT_LT(bomb.size(), size_t{8} << 20);
  absl::StatusOr<std::string> out = Decompress(bomb, "gzip", int64_t{64} << 20);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(out.status().message(),
              HasSubstr("body exceeds 67108864 bytes after decompression"));
}

TEST(DecompressTest, StopsZstdBombAtTheCap) {
  const std::string bomb = Zstd(std::string(size_t{64} << 20, '\0'));
  absl::StatusOr<std::string> out = Decompress(bomb, "zstd", 1 << 20);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(DecompressTest, RejectsCorruptAndTruncatedData) {
  const std::string gzip = Deflate(kText, 1, kGzip);
  std::string flipped = gzip;
  flipped[gzip.size() / 2] ^= 0x55;
  const std::string zstd = Zstd(kText);
  const std::pair<std::string, std::string> cases[] = {
      {"gzip", "definitely not gzip"},
      {"gzip", gzip.substr(0, gzip.size() - 6)},
      {"gzip", flipped},
      {"gzip", ""},
      {"gzip", gzip + "trailing junk"},
      {"deflate", "\xFF\xFF\xFF"},
      {"zstd", "not zstd at all"},
      {"zstd", zstd.substr(0, zstd.size() - 3)},
  };
  for (const auto& [encoding, body] : cases) {
    absl::StatusOr<std::string> out = Decompress(body, encoding, 1 << 20);
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << encoding;
    EXPECT_THAT(out.status().message(), HasSubstr("corrupt")) << encoding;
    EXPECT_FALSE(IsUnsupportedMediaType(out.status()));
  }
}

TEST(DecompressTest, UnknownCodingIsUnsupportedMediaTypeNamingIt) {
  absl::StatusOr<std::string> out = Decompress(kText, "br", 1 << 20);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsUnsupportedMediaType(out.status()));
  EXPECT_THAT(out.status().message(), HasSubstr("\"br\""));
}

}  // namespace
}  // namespace trackly::ingest
