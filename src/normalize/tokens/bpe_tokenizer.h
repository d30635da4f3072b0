// Counts tokens exactly as OpenAI's tiktoken encodings do (js-tiktoken's encode(text, [], []):
// special-token text such as "<|endoftext|>" is counted as ordinary text).
//
// Hand-written: no Debian C++ package provides tiktoken or a BPE tokenizer that reads its ranks.
// The ranks are js-tiktoken's, embedded at build time (tokenizer_data.h); the tests compare
// counts with js-tiktoken itself.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "normalize/tokens/encoding.h"
#include "normalize/tokens/pre_tokenizer.h"

namespace trackly::tokens {

// Thread-safe (immutable).
class BpeTokenizer {
 public:
  // The tokenizer of `encoding`, built from the embedded ranks on first use (tens of
  // milliseconds) and kept for the life of the process.
  static const BpeTokenizer& Get(Encoding encoding);

  // The number of tokens `text` encodes to: the pieces of the encoding's pattern
  // (PreTokenizer), each merged by byte-pair rank (lowest rank first, leftmost on a tie) until
  // no adjacent pair is a token. Linear-logarithmic in the length of a piece, so a megabyte
  // without spaces costs no more than a megabyte of prose.
  int64_t CountTokens(std::string_view text) const;

  BpeTokenizer(const BpeTokenizer&) = delete;
  BpeTokenizer& operator=(const BpeTokenizer&) = delete;

 private:
  BpeTokenizer(Encoding encoding, std::string_view ranks);

  int64_t CountPieceTokens(std::string_view piece) const;

  PreTokenizer pre_tokenizer_;
  // Token bytes (views into the embedded data) → rank.
  absl::flat_hash_map<std::string_view, uint32_t> ranks_;
};

}  // namespace trackly::tokens
