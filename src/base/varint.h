// LEB128 varints and zigzag signed integers, for compact byte encodings of counters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trackly {

inline void AppendVarint(uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Reads one varint from the front of `in` and advances it; false when `in` ends first.
inline bool ReadVarint(std::string_view& in, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    const auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

inline uint64_t ZigZag(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
}
inline int64_t UnZigZag(uint64_t value) { return static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1); }

inline void AppendSigned(int64_t value, std::string& out) { AppendVarint(ZigZag(value), out); }
inline bool ReadSigned(std::string_view& in, int64_t& value) {
  uint64_t raw = 0;
  if (!ReadVarint(in, raw)) return false;
  value = UnZigZag(raw);
  return true;
}

}  // namespace trackly
