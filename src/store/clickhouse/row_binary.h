// ClickHouse's RowBinary format (https://clickhouse.com/docs/en/interfaces/formats#rowbinary):
// rows one after another, each column in table order; integers and floats little-endian, a String
// as its LEB128 length then its bytes, an Array as its LEB128 element count then the elements,
// a Date as UInt16 days since 1970-01-01. Used for inserts (INSERT ... FORMAT RowBinary) and for
// reads (SELECT ... FORMAT RowBinary), so values round-trip exactly (doubles bit for bit, binary
// payloads untouched, 64-bit integers unquoted).
//
// Hand-written: neither Debian nor npm packages a RowBinary codec for C++, and the format is the
// few primitives below.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace trackly::store::clickhouse {

// Days since 1970-01-01 of `unix_ns`, clamped to Date's range (1970..2149): a row's `day`.
uint16_t DaysSinceEpoch(int64_t unix_ns);

// Not thread-safe. Appends values to a growing buffer.
class RowBinaryWriter {
 public:
  void String(std::string_view value);
  void Int64(int64_t value);
  void UInt64(uint64_t value);
  void UInt8(uint8_t value);
  void UInt16(uint16_t value);
  void Float64(double value);
  void DateOfNanos(int64_t unix_ns);  // a Date: DaysSinceEpoch(unix_ns)
  void StringArray(std::span<const std::string> values);
  void Int64Array(std::span<const int64_t> values);

  // Makes room for `bytes` in all, so that writing up to that many copies nothing (a buffer grown
  // by doubling to 100 MB copies and page-faults all of it along the way). An empty buffer holding
  // over four times that (kept from a larger insert, Clear()) gives its memory back first.
  void Reserve(size_t bytes);
  // Empties the buffer but keeps its memory, so that a writer reused for a like insert neither
  // allocates nor page-faults again.
  void Clear() { data_.clear(); }
  // Empties the buffer and gives its memory back.
  void Free() { std::string().swap(data_); }
  // Whether the buffer holds memory of its own (Free() would give some back).
  bool allocated() const { return data_.capacity() > std::string().capacity(); }
  const std::string& data() const { return data_; }

 private:
  void Raw(const void* bytes, size_t size) { data_.append(static_cast<const char*>(bytes), size); }
  void Leb128(uint64_t value);

  std::string data_;
};

// Not thread-safe. Reads values in order from a buffer it borrows (which must outlive it). A read
// past the end, or a length that overruns the buffer, makes every later read return a default
// value and status() an Internal error naming `what`.
class RowBinaryReader {
 public:
  RowBinaryReader(std::string_view data, std::string what) : data_(data), what_(std::move(what)) {}

  bool AtEnd() const { return data_.empty(); }
  std::string String();
  std::string_view StringView();  // points into the borrowed buffer
  int64_t Int64();
  uint64_t UInt64();
  uint8_t UInt8();
  uint16_t UInt16();
  double Float64();
  std::vector<std::string> StringArray();
  std::vector<int64_t> Int64Array();

  absl::Status status() const;

 private:
  bool Take(size_t size, const char** bytes);
  uint64_t Leb128();

  std::string_view data_;
  std::string what_;
  bool failed_ = false;
};

}  // namespace trackly::store::clickhouse
