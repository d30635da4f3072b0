#include "store/clickhouse/row_binary.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace trackly::store::clickhouse {
namespace {

static_assert(std::endian::native == std::endian::little, "RowBinary is little-endian; so is every target we build");

constexpr int64_t kNanosPerDay = int64_t{86'400} * 1'000'000'000;

}  // namespace

void RowBinaryWriter::Leb128(uint64_t value) {
  do {
    uint8_t byte = value & 0x7f;
    value >>= 7;
    if (value != 0) byte |= 0x80;
    data_.push_back(static_cast<char>(byte));
  } while (value != 0);
}

void RowBinaryWriter::Reserve(size_t bytes) {
  if (data_.empty() && data_.capacity() / 4 > bytes) Free();
  data_.reserve(bytes);
}

void RowBinaryWriter::String(std::string_view value) {
  Leb128(value.size());
  data_.append(value);
}

void RowBinaryWriter::Int64(int64_t value) { Raw(&value, sizeof(value)); }
void RowBinaryWriter::UInt64(uint64_t value) { Raw(&value, sizeof(value)); }
void RowBinaryWriter::UInt8(uint8_t value) { Raw(&value, sizeof(value)); }
void RowBinaryWriter::UInt16(uint16_t value) { Raw(&value, sizeof(value)); }
void RowBinaryWriter::Float64(double value) { Raw(&value, sizeof(value)); }

uint16_t DaysSinceEpoch(int64_t unix_ns) {
  int64_t days = unix_ns < 0 ? 0 : unix_ns / kNanosPerDay;
  return static_cast<uint16_t>(std::min<int64_t>(days, 0xffff));
}

void RowBinaryWriter::DateOfNanos(int64_t unix_ns) {
  uint16_t date = DaysSinceEpoch(unix_ns);
  Raw(&date, sizeof(date));
}

void RowBinaryWriter::StringArray(std::span<const std::string> values) {
  Leb128(values.size());
  for (const std::string& value : values) String(value);
}

void RowBinaryWriter::Int64Array(std::span<const int64_t> values) {
  Leb128(values.size());
  for (int64_t value : values) Int64(value);
}

bool RowBinaryReader::Take(size_t size, const char** bytes) {
  if (failed_ || data_.size() < size) {
    failed_ = true;
    return false;
  }
  *bytes = data_.data();
  data_.remove_prefix(size);
  return true;
}

uint64_t RowBinaryReader::Leb128() {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    const char* byte = nullptr;
    if (!Take(1, &byte)) return 0;
    value |= uint64_t{static_cast<uint8_t>(*byte) & 0x7fu} << shift;
    if ((static_cast<uint8_t>(*byte) & 0x80) == 0) return value;
  }
  failed_ = true;
  return 0;
}

std::string_view RowBinaryReader::StringView() {
  uint64_t size = Leb128();
  const char* bytes = nullptr;
  if (!Take(size, &bytes)) return {};
  return std::string_view(bytes, size);
}

std::string RowBinaryReader::String() { return std::string(StringView()); }

int64_t RowBinaryReader::Int64() {
  const char* bytes = nullptr;
  int64_t value = 0;
  if (Take(sizeof(value), &bytes)) std::memcpy(&value, bytes, sizeof(value));
  return value;
}

uint64_t RowBinaryReader::UInt64() { return static_cast<uint64_t>(Int64()); }

uint8_t RowBinaryReader::UInt8() {
  const char* bytes = nullptr;
  return Take(1, &bytes) ? static_cast<uint8_t>(*bytes) : 0;
}

uint16_t RowBinaryReader::UInt16() {
  const char* bytes = nullptr;
  uint16_t value = 0;
  if (Take(sizeof(value), &bytes)) std::memcpy(&value, bytes, sizeof(value));
  return value;
}

double RowBinaryReader::Float64() {
  const char* bytes = nullptr;
  double value = 0;
  if (Take(sizeof(value), &bytes)) std::memcpy(&value, bytes, sizeof(value));
  return value;
}

std::vector<std::string> RowBinaryReader::StringArray() {
  uint64_t count = Leb128();
  std::vector<std::string> values;
  for (uint64_t i = 0; i < count && !failed_; ++i) values.push_back(String());
  return values;
}

std::vector<int64_t> RowBinaryReader::Int64Array() {
  uint64_t count = Leb128();
  std::vector<int64_t> values;
  for (uint64_t i = 0; i < count && !failed_; ++i) values.push_back(Int64());
  return values;
}

absl::Status RowBinaryReader::status() const {
  if (!failed_) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("ClickHouse result of ", what_, ": truncated or malformed RowBinary"));
}

}  // namespace trackly::store::clickhouse
