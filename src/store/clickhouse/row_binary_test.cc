#include "store/clickhouse/row_binary.h"

#include <limits>

#include "gtest/gtest.h"

namespace trackly::store::clickhouse {
namespace {

TEST(RowBinaryTest, RoundTripsEveryType) {
  RowBinaryWriter out;
  out.String("");
  out.String(std::string(300, 'x'));  // a two-byte length
  out.String(std::string("a\0b", 3));
  out.Int64(std::numeric_limits<int64_t>::min());
  out.UInt64(std::numeric_limits<uint64_t>::max());
  out.UInt8(7);
  out.UInt16(65535);
  out.Float64(0.1 + 0.2);
  out.StringArray(std::vector<std::string>{"red", "blue"});
  out.Int64Array(std::vector<int64_t>{-1, 0, std::numeric_limits<int64_t>::max()});
  RowBinaryReader in(out.data(), "test");
  EXPECT_EQ(in.String(), "");
  EXPECT_EQ(in.String(), std::string(300, 'x'));
  EXPECT_EQ(in.String(), std::string("a\0b", 3));
  EXPECT_EQ(in.Int64(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(in.UInt64(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(in.UInt8(), 7);
  EXPECT_EQ(in.UInt16(), 65535);
  EXPECT_EQ(in.Float64(), 0.1 + 0.2);
  EXPECT_EQ(in.StringArray(), (std::vector<std::string>{"red", "blue"}));
  EXPECT_EQ(in.Int64Array(), (std::vector<int64_t>{-1, 0, std::numeric_limits<int64_t>::max()}));
  EXPECT_TRUE(in.AtEnd());
  EXPECT_TRUE(in.status().ok()) << in.status();
}

TEST(RowBinaryTest, EncodesLengthsAsLeb128AndIntegersLittleEndian) {
  RowBinaryWriter out;
  out.String(std::string(300, 'x'));
  EXPECT_EQ(out.data().substr(0, 2), "\xAC\x02");
  RowBinaryWriter number;
  number.Int64(0x0102);
  EXPECT_EQ(number.data(), std::string("\x02\x01\0\0\0\0\0\0", 8));
}

TEST(RowBinaryTest, DateIsDaysSinceEpochClampedToItsRange) {
  for (const auto& [ns, days] : std::vector<std::pair<int64_t, uint16_t>>{
           {0, 0}, {-1, 0}, {86'400'000'000'000 * 3 + 5, 3}, {std::numeric_limits<int64_t>::max(), 0xffff}}) {
    RowBinaryWriter out;
    out.DateOfNanos(ns);
    ASSERT_EQ(out.data().size(), 2u);
    EXPECT_EQ(static_cast<uint8_t>(out.data()[0]) | (static_cast<uint8_t>(out.data()[1]) << 8), days) << ns;
  }
}

TEST(RowBinaryTest, AClearedBufferKeepsItsMemoryUntilFreedOrReservedFarSmaller) {
  RowBinaryWriter out;
  EXPECT_FALSE(out.allocated());
  out.Reserve(1 << 20);
  out.String(std::string(1000, 'x'));
  const char* memory = out.data().data();
  out.Clear();
  EXPECT_TRUE(out.data().empty());
  EXPECT_TRUE(out.allocated());
  out.Reserve(1 << 19);  // half of what it holds: kept
  out.Int64(7);
  EXPECT_EQ(out.data().data(), memory);
  EXPECT_EQ(out.data(), std::string("\x07\0\0\0\0\0\0\0", 8));

  out.Reserve(1 << 10);  // not empty: kept whatever the size asked for
  EXPECT_EQ(out.data().data(), memory);
  out.Clear();
  out.Reserve(1 << 10);  // empty and holding over four times that: given back, then reserved
  EXPECT_TRUE(out.allocated());
  EXPECT_LT(out.data().capacity(), size_t{1} << 19);
  out.Free();
  EXPECT_FALSE(out.allocated());
  EXPECT_TRUE(out.data().empty());
}

TEST(RowBinaryTest, TruncatedInputIsInternalNamingTheRead) {
  RowBinaryWriter out;
  out.String("hello");
  std::string cut = out.data().substr(0, 3);
  RowBinaryReader in(cut, "listing traces");
  in.String();
  EXPECT_EQ(in.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(in.status().message().find("listing traces"), std::string::npos);
  EXPECT_EQ(in.Int64(), 0);  // later reads give defaults
}

}  // namespace
}  // namespace trackly::store::clickhouse
