#include "ingest/utf8.h"

#include <simdjson.h>

namespace trackly::ingest {
namespace {

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Length of the well-formed UTF-8 sequence starting at text[i] (Unicode 15, table 3-7), or 0 if
// there is none. Hand-written: neither simdjson nor absl exposes a repairing decoder, and the
// table is short.
size_t ValidSequenceLength(const std::string& text, size_t i) {
  const auto byte = [&](size_t k) -> unsigned char {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
  };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return IsContinuation(byte(1)) ? 2 : 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  size_t length = 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) lo = 0x90;  // no overlong forms
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (byte(1) < lo || byte(1) > hi) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (!IsContinuation(byte(k))) return 0;
  }
  return length;
}

}  // namespace

bool CutUtf8(std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return false;
  size_t cut = max_bytes;
  // Step back over at most three continuation bytes to the start of the straddling character.
  for (int steps = 0; steps < 3 && cut > 0 && IsContinuation(text[cut]); ++steps) --cut;
  text.resize(cut);
  return true;
}

void RepairUtf8(std::string& text) {
  if (simdjson::validate_utf8(text.data(), text.size())) return;
  std::string repaired;
  repaired.reserve(text.size() + 16);
  for (size_t i = 0; i < text.size();) {
    if (size_t length = ValidSequenceLength(text, i); length > 0) {
      repaired.append(text, i, length);
      i += length;
    } else {
      repaired.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  text = std::move(repaired);
}

}  // namespace trackly::ingest
