#include "normalize/tokens/pre_tokenizer.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "normalize/tokens/tokenizer_data.h"

namespace trackly::tokens {
namespace {

// Class bits of a code point, as data/tokenizers/convert_ranks.mjs writes them.
enum ClassBit : uint8_t {
  kLetter = 1,     // \p{L}
  kNumber = 2,     // \p{N}
  kUpperish = 4,   // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
  kLowerish = 8,   // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
  kSpace = 16,     // \s
};

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr uint32_t kBlockBits = 8;
constexpr uint32_t kBlockSize = 1u << kBlockBits;
constexpr uint32_t kNotACodePoint = 0xFFFFFFFF;  // an invalid UTF-8 byte

// Code point → class bits, as a two-level table of 256-code-point blocks; identical blocks are
// stored once (most of the 4352 blocks are all-zero or all-letters), so it is ~100 KB.
class UnicodeClasses {
 public:
  // Built on first use from the embedded runs; immutable afterwards.
  static const UnicodeClasses& Get() {
    static const UnicodeClasses* const kClasses = new UnicodeClasses(UnicodeClassRuns());
    return *kClasses;
  }

  uint8_t Of(uint32_t cp) const {
    return blocks_[(static_cast<size_t>(block_of_[cp >> kBlockBits]) << kBlockBits) | (cp & (kBlockSize - 1))];
  }

 private:
  explicit UnicodeClasses(std::string_view runs) {
    std::vector<uint8_t> all(kMaxCodePoint + 1, 0);
    constexpr size_t kRunBytes = 5;
    // Each run lasts until the next one starts (or the last code point).
    auto first_of = [&](size_t at) {
      uint32_t first = 0;
      for (int b = 3; b >= 0; --b) first = (first << 8) | static_cast<uint8_t>(runs[at + b]);
      return std::min(first, kMaxCodePoint + 1);
    };
    for (size_t at = 0; at + kRunBytes <= runs.size(); at += kRunBytes) {
      uint32_t end = at + 2 * kRunBytes <= runs.size() ? first_of(at + kRunBytes) : kMaxCodePoint + 1;
      std::fill(all.begin() + first_of(at), all.begin() + std::max(end, first_of(at)),
                static_cast<uint8_t>(runs[at + 4]));
    }
    absl::flat_hash_map<std::string, uint16_t> seen;
    block_of_.resize((kMaxCodePoint + 1) >> kBlockBits);
    for (size_t block = 0; block < block_of_.size(); ++block) {
      std::string bytes(reinterpret_cast<const char*>(all.data() + (block << kBlockBits)), kBlockSize);
      auto [it, inserted] = seen.try_emplace(bytes, static_cast<uint16_t>(seen.size()));
      if (inserted) blocks_.insert(blocks_.end(), bytes.begin(), bytes.end());
      block_of_[block] = it->second;
    }
  }

  std::vector<uint16_t> block_of_;
  std::vector<uint8_t> blocks_;
};

struct Char {
  uint32_t cp;
  uint8_t bits;
  uint8_t bytes;  // its length in the UTF-8 text
};

// Decodes one UTF-8 sequence at the start of `s` (non-empty). Overlong forms, surrogates and
// values above U+10FFFF are invalid: the first byte then stands alone.
Char Decode(std::string_view s, const UnicodeClasses& classes) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  uint8_t b0 = byte(0);
  if (b0 < 0x80) return Char{b0, classes.Of(b0), 1};
  size_t length = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
  Char invalid{kNotACodePoint, 0, 1};
  if (length == 0 || length > s.size()) return invalid;
  uint32_t cp = b0 & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return invalid;
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[length] || cp > kMaxCodePoint || (cp >= 0xD800 && cp <= 0xDFFF)) return invalid;
  return Char{cp, classes.Of(cp), static_cast<uint8_t>(length)};
}

bool IsCrLf(const Char& c) { return c.cp == '\r' || c.cp == '\n'; }
bool IsLetter(const Char& c) { return c.bits & kLetter; }
bool IsNumber(const Char& c) { return c.bits & kNumber; }
bool IsUpperish(const Char& c) { return c.bits & kUpperish; }
bool IsLowerish(const Char& c) { return c.bits & kLowerish; }
bool IsSpace(const Char& c) { return c.bits & kSpace; }
// [^\r\n\p{L}\p{N}]: the one character allowed in front of a word.
bool IsWordPrefix(const Char& c) { return !IsCrLf(c) && !(c.bits & (kLetter | kNumber)); }
// [^\s\p{L}\p{N}]: punctuation and symbols.
bool IsSymbol(const Char& c) { return !(c.bits & (kSpace | kLetter | kNumber)); }

uint32_t AsciiLower(uint32_t cp) { return cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp; }

// Matches one piece at a time over decoded characters. Each method returns the end (exclusive
// index) of the match starting at `i`, or kNoMatch; a match always ends after its start, so 0
// cannot be one.
class Matcher {
 public:
  static constexpr size_t kNoMatch = 0;

  explicit Matcher(std::span<const Char> chars) : c_(chars), n_(chars.size()) {}

  // [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(contraction)?
  // |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(contraction)?
  // |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
  size_t O200k(size_t i) const {
    const bool prefixed = IsWordPrefix(c_[i]);
    if (prefixed) {
      if (size_t end = CasedWord(i + 1); end != kNoMatch) return end;
    }
    if (size_t end = CasedWord(i); end != kNoMatch) return end;
    if (prefixed) {
      if (size_t end = UpperWord(i + 1); end != kNoMatch) return end;
    }
    if (size_t end = UpperWord(i); end != kNoMatch) return end;
    if (size_t end = Digits(i); end != kNoMatch) return end;
    if (size_t end = Symbols(i, /*slash_in_tail=*/true); end != kNoMatch) return end;
    return Spaces(i);
  }

  // (contraction)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+
  // |\s+(?!\S)|\s+
  size_t Cl100k(size_t i) const {
    if (size_t end = Contraction(i); end != i) return end;
    if (IsWordPrefix(c_[i]) && i + 1 < n_ && IsLetter(c_[i + 1])) return Run(i + 1, IsLetter);
    if (IsLetter(c_[i])) return Run(i, IsLetter);
    if (size_t end = Digits(i); end != kNoMatch) return end;
    if (size_t end = Symbols(i, /*slash_in_tail=*/false); end != kNoMatch) return end;
    return Spaces(i);
  }

 private:
  template <typename Pred>
  size_t Run(size_t from, Pred pred) const {
    while (from < n_ && pred(c_[from])) ++from;
    return from;
  }

  // The end of ('s|'t|'re|'ve|'m|'ll|'d) at `e` in any ASCII case; `e` itself when none.
  size_t Contraction(size_t e) const {
    if (e + 1 >= n_ || c_[e].cp != '\'') return e;
    uint32_t a = AsciiLower(c_[e + 1].cp);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return e + 2;
    if (e + 2 >= n_) return e;
    uint32_t b = AsciiLower(c_[e + 2].cp);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return e + 3;
    return e;
  }

  // Upperish* Lowerish+ (contraction)? from `s`. The greedy Upperish* gives back characters
  // until a Lowerish one can start the Lowerish+ (only characters in both classes can).
  size_t CasedWord(size_t s) const {
    size_t upper_end = Run(s, IsUpperish);
    for (size_t k = upper_end + 1; k-- > s;) {
      if (k < n_ && IsLowerish(c_[k])) return Contraction(Run(k, IsLowerish));
    }
    return kNoMatch;
  }

  // Upperish+ Lowerish* (contraction)? from `s`: nothing after the first run can fail.
  size_t UpperWord(size_t s) const {
    if (s >= n_ || !IsUpperish(c_[s])) return kNoMatch;
    return Contraction(Run(Run(s, IsUpperish), IsLowerish));
  }

  size_t Digits(size_t i) const {
    size_t end = i;
    while (end < n_ && end < i + 3 && IsNumber(c_[end])) ++end;
    return end == i ? kNoMatch : end;
  }

  // ` ?[^\s\p{L}\p{N}]+` then `[\r\n/]*` (o200k) or `[\r\n]*` (cl100k).
  size_t Symbols(size_t i, bool slash_in_tail) const {
    size_t start = i;
    if (c_[i].cp == ' ' && i + 1 < n_ && IsSymbol(c_[i + 1])) {
      start = i + 1;
    } else if (!IsSymbol(c_[i])) {
      return kNoMatch;
    }
    size_t end = Run(start, IsSymbol);
    while (end < n_ && (IsCrLf(c_[end]) || (slash_in_tail && c_[end].cp == '/'))) ++end;
    return end;
  }

  // \s*[\r\n]+ | \s+(?!\S) | \s+. Every character is a letter, number, symbol or space, so this
  // last case always has a space at `i`.
  size_t Spaces(size_t i) const {
    size_t end = Run(i, IsSpace);
    // \s* gives back until [\r\n]+ can match: the piece ends after the run's last line break.
    for (size_t k = end; k-- > i;) {
      if (IsCrLf(c_[k])) return k + 1;
    }
    // \s+(?!\S) gives back one space so the next word keeps its leading space; a single space
    // before a non-space cannot, and \s+ takes it. (The max keeps a piece from being empty even
    // if the class table ever left a character in no class.)
    if (end == n_ || end <= i + 1) return std::max(end, i + 1);
    return end - 1;
  }

  std::span<const Char> c_;
  size_t n_;
};

}  // namespace

void PreTokenizer::Split(std::string_view text, absl::FunctionRef<void(std::string_view)> piece) const {
  const UnicodeClasses& classes = UnicodeClasses::Get();
  std::vector<Char> chars;
  chars.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    chars.push_back(Decode(text.substr(at), classes));
    at += chars.back().bytes;
  }
  Matcher matcher(chars);
  size_t byte_at = 0;
  for (size_t i = 0; i < chars.size();) {
    size_t end = encoding_ == Encoding::kO200kBase ? matcher.O200k(i) : matcher.Cl100k(i);
    size_t bytes = 0;
    for (size_t k = i; k < end; ++k) bytes += chars[k].bytes;
    piece(text.substr(byte_at, bytes));
    byte_at += bytes;
    i = end;
  }
}

}  // namespace trackly::tokens
