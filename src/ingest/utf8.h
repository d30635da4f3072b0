// UTF-8 helpers for text that comes from clients.
#pragma once

#include <cstddef>
#include <string>

namespace trackly::ingest {

// Shortens `text` to at most `max_bytes` bytes without splitting a UTF-8 sequence (the cut may
// land a few bytes earlier). Returns true if anything was removed.
bool CutUtf8(std::string& text, size_t max_bytes);

// Replaces every byte that is not part of a valid UTF-8 sequence with U+FFFD, so the text can
// be stored and serialized as JSON. Valid text (the common case) is left untouched and costs one
// SIMD validation pass.
void RepairUtf8(std::string& text);

}  // namespace trackly::ingest
