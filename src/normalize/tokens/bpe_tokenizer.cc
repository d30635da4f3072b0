#include "normalize/tokens/bpe_tokenizer.h"

#include <cstdint>
#include <functional>
#include <queue>
#include <tuple>
#include <vector>

#include "normalize/tokens/tokenizer_data.h"

namespace trackly::tokens {

BpeTokenizer::BpeTokenizer(Encoding encoding, std::string_view ranks) : pre_tokenizer_(encoding) {
  // Records "<length byte><token bytes>" in rank order (data/tokenizers/convert_ranks.mjs).
  uint32_t rank = 0;
  for (size_t at = 0; at < ranks.size();) {
    size_t length = static_cast<uint8_t>(ranks[at]);
    ranks_.emplace(ranks.substr(at + 1, length), rank++);
    at += 1 + length;
  }
}

const BpeTokenizer& BpeTokenizer::Get(Encoding encoding) {
  // Built on first use, never destroyed: shared by every thread for the life of the process.
  switch (encoding) {
    case Encoding::kCl100kBase: {
      static const BpeTokenizer* const kCl100k = new BpeTokenizer(encoding, Cl100kBaseRanks());
      return *kCl100k;
    }
    case Encoding::kO200kBase: break;
  }
  static const BpeTokenizer* const kO200k = new BpeTokenizer(Encoding::kO200kBase, O200kBaseRanks());
  return *kO200k;
}

int64_t BpeTokenizer::CountTokens(std::string_view text) const {
  int64_t tokens = 0;
  pre_tokenizer_.Split(text, [&](std::string_view piece) { tokens += CountPieceTokens(piece); });
  return tokens;
}

int64_t BpeTokenizer::CountPieceTokens(std::string_view piece) const {
  // Most pieces are one token (a word with its leading space).
  if (piece.size() <= 1 || ranks_.contains(piece)) return 1;

  // Parts are byte ranges [start, next start); next_/prev_ link the live ones by their start.
  // A candidate merge (rank, left start, right end) goes on a min-heap; one whose parts have
  // since changed is recognized by its right end and skipped. Popping (rank, start) order is
  // exactly "lowest rank, then leftmost" of the straightforward rescan, in O(n log n).
  const uint32_t n = static_cast<uint32_t>(piece.size());
  std::vector<uint32_t> next(n), prev(n);
  std::vector<bool> live(n, true);
  for (uint32_t i = 0; i < n; ++i) {
    next[i] = i + 1;
    prev[i] = i - 1;  // wraps for 0; never read there
  }
  using Candidate = std::tuple<uint32_t, uint32_t, uint32_t>;  // rank, left start, right end
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto consider = [&](uint32_t left) {
    if (left >= n || next[left] >= n) return;
    uint32_t end = next[next[left]];
    auto it = ranks_.find(piece.substr(left, end - left));
    if (it != ranks_.end()) heap.emplace(it->second, left, end);
  };
  for (uint32_t i = 0; i + 1 < n; ++i) consider(i);

  int64_t parts = n;
  while (!heap.empty()) {
    auto [rank, left, end] = heap.top();
    heap.pop();
    if (!live[left] || next[left] >= n || next[next[left]] != end) continue;
    uint32_t right = next[left];
    live[right] = false;
    next[left] = end;
    if (end < n) prev[end] = left;
    --parts;
    consider(left);
    if (left > 0) consider(prev[left]);
  }
  return parts;
}

}  // namespace trackly::tokens
