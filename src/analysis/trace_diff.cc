#include "analysis/trace_diff.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <type_traits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "analysis/span_tree.h"
#include "analysis/tool_calls.h"
#include "base/status.h"
#include "model/summary.h"

namespace trackly::analysis {
namespace {

using model::Json;
using model::Observation;
using Index = SpanTree::Index;
using Key = int32_t;
using Match = std::pair<int32_t, int32_t>;

constexpr std::array<std::pair<DiffKind, std::string_view>, 4> kDiffKindNames = {{
    {DiffKind::kSame, "same"},
    {DiffKind::kChanged, "changed"},
    {DiffKind::kAdded, "added"},
    {DiffKind::kRemoved, "removed"},
}};

// Rounds of anchoring on unique keys a stretch too long for the LCS table goes through before it
// is aligned window by window. Each round is linear in the stretches it splits.
constexpr int kMaxAnchorRounds = 4;

// Nodes one comparison of two payloads visits at most: payloads were capped at ingest, but a diff
// must stay cheap on whatever it is given. Past it the rest is taken as equal.
constexpr size_t kMaxCompareNodes = 200'000;

// Interns strings as dense keys, so alignments compare integers.
class KeyTable {
 public:
  Key Intern(std::string key) {
    auto [it, inserted] = ids_.try_emplace(key, static_cast<Key>(names_.size()));
    if (inserted) names_.push_back(std::move(key));
    return it->second;
  }
  const std::string& Name(Key key) const { return names_[static_cast<size_t>(key)]; }

 private:
  absl::flat_hash_map<std::string, Key> ids_;
  std::vector<std::string> names_;
};

// Pairs (i, j) with a[i] == b[j], increasing in both: a longest common subsequence where that is
// affordable, bounded work where it is not (docs/insight.md "Trace diff", "Alignment"). Of equally
// long subsequences it prefers the one pairing the most elements whose neighbours (the keys
// before and after them) are equal too, then the earliest matches, so the first retry pairs with
// the first retry and a loop's final step with the final step. Thread-compatible; reuses its
// buffers across calls, so aligning the many short child lists of a trace allocates little.
class SequenceAligner {
 public:
  explicit SequenceAligner(size_t max_cells)
      // Capped so that the table's scores (at most about its cell count) fit in 32 bits.
      : max_cells_(std::clamp<size_t>(max_cells, 1, size_t{1} << 30)),
        window_(std::max<int32_t>(1, static_cast<int32_t>(std::sqrt(static_cast<double>(max_cells_))))) {}

  // Valid until the next call.
  const std::vector<Match>& Align(std::span<const Key> a, std::span<const Key> b) {
    a_ = a;
    b_ = b;
    Neighbours(a, a_around_);
    Neighbours(b, b_around_);
    matches_.clear();
    gaps_.clear();
    gaps_.push_back({0, static_cast<int32_t>(a.size()), 0, static_cast<int32_t>(b.size()), 0});
    while (!gaps_.empty()) {
      Gap g = gaps_.back();
      gaps_.pop_back();
      // A common prefix or suffix of elements equal with their neighbours is part of some best
      // alignment, and it is all identical or nearly identical lists need.
      while (g.a0 < g.a1 && g.b0 < g.b1 && Bonus(g.a0, g.b0) > 0) matches_.push_back({g.a0++, g.b0++});
      while (g.a0 < g.a1 && g.b0 < g.b1 && Bonus(g.a1 - 1, g.b1 - 1) > 0) matches_.push_back({--g.a1, --g.b1});
      if (g.a0 == g.a1 || g.b0 == g.b1) continue;
      const uint64_t cells = static_cast<uint64_t>(g.a1 - g.a0) * static_cast<uint64_t>(g.b1 - g.b0);
      if (cells <= max_cells_) {
        Lcs(g.a0, g.a1, g.b0, g.b1, std::numeric_limits<int64_t>::max());
      } else if (g.rounds >= kMaxAnchorRounds || !AnchorOnUniqueKeys(g)) {
        Windowed(g);
      }
    }
    std::sort(matches_.begin(), matches_.end());
    return matches_;
  }

 private:
  struct Gap {
    int32_t a0, a1, b0, b1;
    int rounds;
  };
  // Occurrences of a key in the two stretches being anchored, and its last position in b.
  struct Seen {
    int32_t in_a = 0, in_b = 0, b_at = -1;
  };

  // The keys before and after each element (-1 past either end).
  static void Neighbours(std::span<const Key> keys, std::vector<std::pair<Key, Key>>& out) {
    out.resize(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      out[i] = {i > 0 ? keys[i - 1] : -1, i + 1 < keys.size() ? keys[i + 1] : -1};
    }
  }

  // -1: a[i] and b[j] cannot be matched; 0: equal keys; 1: equal keys and neighbours.
  int Bonus(int32_t i, int32_t j) const {
    if (a_[static_cast<size_t>(i)] != b_[static_cast<size_t>(j)]) return -1;
    return a_around_[static_cast<size_t>(i)] == b_around_[static_cast<size_t>(j)] ? 1 : 0;
  }

  // The best alignment of a[a0, a1) and b[b0, b1) by the quadratic table of suffix scores: a
  // match scores `big` (more than all bonuses together, so the count of matches comes first) plus
  // its bonus. Read forwards, preferring a match, then skipping a's element, so of equal
  // alignments the earliest is taken. The walk stops after the last match, or once it has moved
  // `stop` steps (one element of a side, or one of each for a match); returns how far it got in a
  // and in b.
  std::pair<int32_t, int32_t> Lcs(int32_t a0, int32_t a1, int32_t b0, int32_t b1, int64_t stop) {
    FillTable(a0, a1, b0, b1);
    return Walk(a0, a1, b0, b1, stop);
  }

  // Fills table_ for Lcs; returns the best score (0: no key in common).
  int32_t FillTable(int32_t a0, int32_t a1, int32_t b0, int32_t b1) {
    const size_t m = static_cast<size_t>(a1 - a0);
    const size_t n = static_cast<size_t>(b1 - b0);
    const int32_t big = static_cast<int32_t>(std::min(m, n)) + 1;
    const size_t w = n + 1;
    table_.assign((m + 1) * w, 0);
    for (size_t i = m; i-- > 0;) {
      for (size_t j = n; j-- > 0;) {
        int32_t best = std::max(table_[(i + 1) * w + j], table_[i * w + j + 1]);
        const int bonus = Bonus(a0 + static_cast<int32_t>(i), b0 + static_cast<int32_t>(j));
        if (bonus >= 0) best = std::max(best, table_[(i + 1) * w + j + 1] + big + bonus);
        table_[i * w + j] = best;
      }
    }
    return table_[0];
  }

  std::pair<int32_t, int32_t> Walk(int32_t a0, int32_t a1, int32_t b0, int32_t b1, int64_t stop) {
    const size_t m = static_cast<size_t>(a1 - a0);
    const size_t n = static_cast<size_t>(b1 - b0);
    const int32_t big = static_cast<int32_t>(std::min(m, n)) + 1;
    const size_t w = n + 1;
    size_t i = 0;
    size_t j = 0;
    // Past the last match of the window nothing is decided: what follows may match beyond it.
    while (i < m && j < n && static_cast<int64_t>(i + j) < stop && table_[i * w + j] > 0) {
      const int bonus = Bonus(a0 + static_cast<int32_t>(i), b0 + static_cast<int32_t>(j));
      if (bonus >= 0 && table_[i * w + j] == table_[(i + 1) * w + j + 1] + big + bonus) {
        matches_.push_back({a0 + static_cast<int32_t>(i), b0 + static_cast<int32_t>(j)});
        ++i;
        ++j;
      } else if (table_[(i + 1) * w + j] >= table_[i * w + j + 1]) {
        ++i;
      } else {
        ++j;
      }
    }
    return {static_cast<int32_t>(i), static_cast<int32_t>(j)};
  }

  // Patience-style anchoring: the keys occurring exactly once in each side's stretch are paired,
  // the longest chain of pairs increasing in both sides becomes matches, and the stretches between
  // them are aligned again. Returns false (nothing done) when no key is unique on both sides.
  bool AnchorOnUniqueKeys(const Gap& g) {
    seen_.clear();
    for (int32_t i = g.a0; i < g.a1; ++i) ++seen_[a_[static_cast<size_t>(i)]].in_a;
    for (int32_t j = g.b0; j < g.b1; ++j) {
      auto it = seen_.find(b_[static_cast<size_t>(j)]);
      if (it == seen_.end()) continue;
      ++it->second.in_b;
      it->second.b_at = j;
    }
    pairs_.clear();
    for (int32_t i = g.a0; i < g.a1; ++i) {
      const Seen& s = seen_[a_[static_cast<size_t>(i)]];
      if (s.in_a == 1 && s.in_b == 1) pairs_.push_back({i, s.b_at});
    }
    if (pairs_.empty()) return false;
    // Longest chain of pairs increasing in b (they are in increasing a): patience sorting, with a
    // link from each pair to its predecessor in the best chain ending at it.
    tails_.clear();
    links_.assign(pairs_.size(), -1);
    for (size_t p = 0; p < pairs_.size(); ++p) {
      auto at = std::lower_bound(tails_.begin(), tails_.end(), pairs_[p].second,
                                 [&](int32_t q, int32_t j) { return pairs_[static_cast<size_t>(q)].second < j; });
      if (at != tails_.begin()) links_[p] = *(at - 1);
      if (at == tails_.end()) {
        tails_.push_back(static_cast<int32_t>(p));
      } else {
        *at = static_cast<int32_t>(p);
      }
    }
    int32_t a1 = g.a1;
    int32_t b1 = g.b1;
    for (int32_t p = tails_.back(); p >= 0; p = links_[static_cast<size_t>(p)]) {  // last anchor first
      const Match anchor = pairs_[static_cast<size_t>(p)];
      gaps_.push_back({anchor.first + 1, a1, anchor.second + 1, b1, g.rounds + 1});
      matches_.push_back(anchor);
      a1 = anchor.first;
      b1 = anchor.second;
    }
    gaps_.push_back({g.a0, a1, g.b0, b1, g.rounds + 1});
    return true;
  }

  // Too long for the table and nothing left to anchor on: the best alignment of the next
  // window_ × window_ elements is followed up to its last match, for at most half its length
  // (window_ steps), and the next window starts where that left off. A window with nothing in common jumps to the nearest pair
  // of equal keys ahead (fewest elements skipped on both sides), so a long run of inserted or
  // removed elements does not throw the rest off. Exact for edits closer than about window_ / 2
  // to each other; costs O((m + n) · window_).
  void Windowed(const Gap& g) {
    positions_.clear();
    for (int32_t j = g.b0; j < g.b1; ++j) positions_[b_[static_cast<size_t>(j)]].push_back(j);
    int32_t i = g.a0;
    int32_t j = g.b0;
    while (i < g.a1 && j < g.b1) {
      const int32_t wa = std::min(window_, g.a1 - i);
      const int32_t wb = std::min(window_, g.b1 - j);
      const bool last = i + wa == g.a1 && j + wb == g.b1;
      if (FillTable(i, i + wa, j, j + wb) == 0) {
        if (last || !JumpToNextPair(g, i, j)) break;
        continue;
      }
      const int64_t stop = last ? std::numeric_limits<int64_t>::max() : std::max<int64_t>(1, (wa + wb) / 2);
      const auto [di, dj] = Walk(i, i + wa, j, j + wb, stop);
      i += di;
      j += dj;
      if (last) break;
    }
  }

  // Moves (i, j) to the pair a[i'] == b[j'] with i' >= i, j' >= j and the fewest elements skipped
  // (i' - i + j' - j); false when there is none. Scans a only as far as the best pair found so
  // far, so the work is about the number of elements skipped, times a binary search.
  bool JumpToNextPair(const Gap& g, int32_t& i, int32_t& j) {
    int64_t best = std::numeric_limits<int64_t>::max();
    int32_t best_i = -1;
    int32_t best_j = -1;
    for (int32_t k = i; k < g.a1 && k - i < best; ++k) {
      auto it = positions_.find(a_[static_cast<size_t>(k)]);
      if (it == positions_.end()) continue;
      auto at = std::lower_bound(it->second.begin(), it->second.end(), j);
      if (at == it->second.end()) continue;
      const int64_t skipped = static_cast<int64_t>(k - i) + (*at - j);
      if (skipped < best) {
        best = skipped;
        best_i = k;
        best_j = *at;
      }
    }
    if (best_i < 0) return false;
    i = best_i;
    j = best_j;
    return true;
  }

  size_t max_cells_;
  int32_t window_;
  std::span<const Key> a_, b_;
  std::vector<std::pair<Key, Key>> a_around_, b_around_;
  std::vector<Match> matches_;
  std::vector<Gap> gaps_;
  std::vector<int32_t> table_;
  absl::flat_hash_map<Key, Seen> seen_;
  absl::flat_hash_map<Key, std::vector<int32_t>> positions_;  // of each key in b's stretch
  std::vector<Match> pairs_;
  std::vector<int32_t> tails_;
  std::vector<int32_t> links_;
};

// Calls emit(i, j) for the merged order of two aligned sequences of lengths m and n: i or j is -1
// for an element of one side only; between two matches, a's elements come before b's.
template <typename Emit>
void Interleave(const std::vector<Match>& matches, int32_t m, int32_t n, Emit emit) {
  int32_t i = 0;
  int32_t j = 0;
  for (const Match& match : matches) {
    while (i < match.first) emit(i++, -1);
    while (j < match.second) emit(-1, j++);
    emit(i++, j++);
  }
  while (i < m) emit(i++, -1);
  while (j < n) emit(-1, j++);
}

// One step of the merged tree: indexes into the two trees (kNone on a side without it).
struct MergedStep {
  Index a = SpanTree::kNone;
  Index b = SpanTree::kNone;
  int32_t depth = 0;
  int32_t parent = -1;
};

// The merged tree of a and b in pre-order: roots aligned like siblings, then the children of each
// aligned pair. An explicit stack, so depth costs memory, not call stack.
std::vector<MergedStep> MergeTrees(const SpanTree& a, const std::vector<Key>& a_keys, const SpanTree& b,
                                   const std::vector<Key>& b_keys, SequenceAligner& aligner) {
  constexpr Index kNone = SpanTree::kNone;
  struct Pending {
    Index a, b;
    int32_t parent;
  };
  std::vector<MergedStep> merged;
  merged.reserve(static_cast<size_t>(std::max(a.size(), b.size())));
  std::vector<Pending> stack;
  std::vector<Pending> row;
  std::vector<Key> ka;
  std::vector<Key> kb;
  auto push_aligned = [&](std::span<const Index> xs, std::span<const Index> ys, int32_t parent) {
    ka.clear();
    kb.clear();
    for (Index x : xs) ka.push_back(a_keys[static_cast<size_t>(x)]);
    for (Index y : ys) kb.push_back(b_keys[static_cast<size_t>(y)]);
    row.clear();
    Interleave(aligner.Align(ka, kb), static_cast<int32_t>(xs.size()), static_cast<int32_t>(ys.size()),
               [&](int32_t i, int32_t j) {
                 row.push_back({i < 0 ? kNone : xs[static_cast<size_t>(i)], j < 0 ? kNone : ys[static_cast<size_t>(j)],
                                parent});
               });
    stack.insert(stack.end(), row.rbegin(), row.rend());
  };
  push_aligned(a.roots(), b.roots(), -1);
  while (!stack.empty()) {
    const Pending p = stack.back();
    stack.pop_back();
    const int32_t self = static_cast<int32_t>(merged.size());
    const int32_t depth = p.parent < 0 ? 1 : merged[static_cast<size_t>(p.parent)].depth + 1;
    merged.push_back({p.a, p.b, depth, p.parent});
    if (p.a != kNone && p.b != kNone) {
      push_aligned(a.children(p.a), b.children(p.b), self);
    } else if (p.a != kNone) {
      std::span<const Index> kids = a.children(p.a);
      for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.push_back({*it, kNone, self});
    } else {
      std::span<const Index> kids = b.children(p.b);
      for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.push_back({kNone, *it, self});
    }
  }
  return merged;
}

// Removes `model` from a generation's name and the separators it leaves at the ends, so "chat
// gpt-4o" and "chat gpt-4o-mini" share a key while their models differ.
std::string NameWithoutModel(const Observation& o) {
  std::string name = o.name;
  std::string_view candidates[2] = {o.model, ""};
  auto it = o.attributes.is_object() ? o.attributes.find("gen_ai.request.model") : o.attributes.end();
  if (it != o.attributes.end() && it->is_string()) candidates[1] = it->get_ref<const std::string&>();
  for (std::string_view model : candidates) {
    if (model.empty()) continue;
    const size_t at = name.find(model);
    if (at == std::string::npos) continue;
    name.erase(at, model.size());
    const auto separator = [](char c) {
      return absl::ascii_isspace(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' || c == '/' ||
             c == '.';
    };
    while (!name.empty() && separator(name.back())) name.pop_back();
    size_t lead = 0;
    while (lead < name.size() && separator(name[lead])) ++lead;
    name.erase(0, lead);
    break;
  }
  return name;
}

// Whether two strings are equal once runs of whitespace are one space and the ends are trimmed
// (CanonicalJson's rule), without building either.
bool CollapsedEqual(std::string_view x, std::string_view y) {
  if (x == y) return true;
  const auto space = [](char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); };
  size_t i = 0;
  size_t j = 0;
  while (true) {
    while (i < x.size() && space(x[i])) ++i;
    while (j < y.size() && space(y[j])) ++j;
    if (i == x.size() || j == y.size()) return i == x.size() && j == y.size();
    while (i < x.size() && !space(x[i])) {
      if (j == y.size() || space(y[j]) || x[i] != y[j]) return false;
      ++i;
      ++j;
    }
    if (j < y.size() && !space(y[j])) return false;
  }
}

bool NumbersEqual(const Json& x, const Json& y) {
  if (x.is_number_integer() && y.is_number_integer()) {
    const bool x_unsigned = x.is_number_unsigned();
    const bool y_unsigned = y.is_number_unsigned();
    if (x_unsigned == y_unsigned) {
      return x_unsigned ? x.get<uint64_t>() == y.get<uint64_t>() : x.get<int64_t>() == y.get<int64_t>();
    }
    const int64_t s = x_unsigned ? y.get<int64_t>() : x.get<int64_t>();
    const uint64_t u = x_unsigned ? x.get<uint64_t>() : y.get<uint64_t>();
    return s >= 0 && static_cast<uint64_t>(s) == u;
  }
  return x.get<double>() == y.get<double>();
}

// Equality of two payloads as their CanonicalJson texts would compare (key order, whitespace runs
// in strings, 1 vs 1.0), walked iteratively side by side and stopping at the first difference.
bool CanonicallyEqual(const Json& x, const Json& y) {
  std::vector<std::pair<const Json*, const Json*>> stack = {{&x, &y}};
  size_t visited = 0;
  while (!stack.empty()) {
    if (++visited > kMaxCompareNodes) return true;
    const auto [p, q] = stack.back();
    stack.pop_back();
    if (p->is_number() && q->is_number()) {
      if (!NumbersEqual(*p, *q)) return false;
      continue;
    }
    if (p->type() != q->type()) return false;
    switch (p->type()) {
      case Json::value_t::object: {
        if (p->size() != q->size()) return false;
        // Objects iterate in key order (model/json.h), so equal maps walk in step.
        for (auto it = p->begin(), jt = q->begin(); it != p->end(); ++it, ++jt) {
          if (it.key() != jt.key()) return false;
          stack.emplace_back(&*it, &*jt);
        }
        break;
      }
      case Json::value_t::array:
        if (p->size() != q->size()) return false;
        for (size_t k = 0; k < p->size(); ++k) stack.emplace_back(&(*p)[k], &(*q)[k]);
        break;
      case Json::value_t::string:
        if (!CollapsedEqual(p->get_ref<const std::string&>(), q->get_ref<const std::string&>())) return false;
        break;
      case Json::value_t::boolean:
        if (p->get<bool>() != q->get<bool>()) return false;
        break;
      case Json::value_t::binary:
        if (p->get_binary() != q->get_binary()) return false;
        break;
      default:  // null, discarded
        break;
    }
  }
  return true;
}

double DurationMs(const SpanTree& tree, Index i) {
  return static_cast<double>(tree.end_ns(i) - tree.start_ns(i)) / 1e6;
}

DiffTotals TotalsOf(const SpanTree& tree, std::span<const Observation> observations) {
  const model::Trace trace = model::SummarizeTrace(observations);
  DiffTotals t;
  t.steps = tree.size();
  t.latency_ms = static_cast<double>(tree.trace_end_ns() - tree.trace_start_ns()) / 1e6;
  t.input_tokens = trace.usage.input_tokens;
  t.output_tokens = trace.usage.output_tokens;
  t.total_tokens = trace.usage.total_tokens;
  t.cost_usd = trace.cost.total;
  t.errors = trace.counts.errors;
  return t;
}

std::vector<Key> KeysOf(const SpanTree& tree, KeyTable& table) {
  std::vector<Key> keys;
  keys.reserve(static_cast<size_t>(tree.size()));
  for (Index i = 0; i < tree.size(); ++i) keys.push_back(table.Intern(StepKey(tree.at(i))));
  return keys;
}

// The median of `values` (reordered); the mean of the middle two for an even count.
template <typename T>
T Median(std::vector<T>& values) {
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(mid), values.end());
  const T upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const T lower = *std::max_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(mid));
  if constexpr (std::is_integral_v<T>) {
    return lower + (upper - lower) / 2;
  } else {
    return (lower + upper) / 2;
  }
}

// The size of the symmetric difference of two sorted multisets.
int64_t MultisetDistance(const std::vector<Key>& x, const std::vector<Key>& y) {
  int64_t common = 0;
  auto i = x.begin();
  auto j = y.begin();
  while (i != x.end() && j != y.end()) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      ++common;
      ++i;
      ++j;
    }
  }
  return static_cast<int64_t>(x.size() + y.size()) - 2 * common;
}

// The lines of `text` within the caps, and how many lines were left out.
struct CappedLines {
  std::vector<std::string_view> lines;
  size_t omitted = 0;
};

CappedLines SplitLines(std::string_view text, const TextDiffOptions& options) {
  CappedLines out;
  size_t pos = 0;
  size_t used = 0;
  while (pos < text.size()) {
    const size_t newline = text.find('\n', pos);
    const size_t end = newline == std::string_view::npos ? text.size() : newline;
    const size_t next = newline == std::string_view::npos ? text.size() : newline + 1;
    std::string_view line = text.substr(pos, end - pos);
    if (out.lines.size() >= options.max_lines) break;
    if (used + (next - pos) > options.max_bytes) {
      // A first line longer than the cap is cut, so a huge one-line text still shows something.
      if (!out.lines.empty() || options.max_bytes == 0) break;
      line = line.substr(0, options.max_bytes);
      pos += line.size();
      out.lines.push_back(line);
      break;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.lines.push_back(line);
    used += next - pos;
    pos = next;
  }
  if (pos < text.size()) {
    const std::string_view rest = text.substr(pos);
    out.omitted = static_cast<size_t>(std::count(rest.begin(), rest.end(), '\n')) + (rest.back() != '\n' ? 1 : 0);
  }
  return out;
}

std::string NumberText(const Json& value) {
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.0e15) {
      return std::to_string(static_cast<int64_t>(d));
    }
  }
  return model::DumpJson(value);
}

std::string Quote(std::string_view text) { return model::DumpJson(Json(std::string(text))); }

}  // namespace

std::string_view ToString(DiffKind kind) {
  for (const auto& [value, name] : kDiffKindNames) {
    if (value == kind) return name;
  }
  return "same";
}

bool ParseDiffKind(std::string_view text, DiffKind* out) {
  for (const auto& [value, name] : kDiffKindNames) {
    if (name == text) {
      *out = value;
      return true;
    }
  }
  return false;
}

std::string_view ToString(LineOp op) {
  switch (op) {
    case LineOp::kSame:
      return "same";
    case LineOp::kRemoved:
      return "removed";
    case LineOp::kAdded:
      return "added";
    case LineOp::kOmitted:
      return "omitted";
  }
  return "same";
}

std::string StepKey(const Observation& observation) {
  std::string label;
  if (observation.type == model::ObservationType::kTool) {
    label = ToolName(observation);
  } else if (observation.type == model::ObservationType::kGeneration) {
    label = NameWithoutModel(observation);
  } else {
    label = observation.name;
  }
  std::string key(model::ToString(observation.type));
  if (!label.empty()) absl::StrAppend(&key, ":", Sv(label));
  return key;
}

TraceDiff DiffTraces(std::span<const Observation> a, std::span<const Observation> b, const DiffOptions& options) {
  const SpanTree ta(a);
  const SpanTree tb(b);
  KeyTable table;
  const std::vector<Key> a_keys = KeysOf(ta, table);
  const std::vector<Key> b_keys = KeysOf(tb, table);
  SequenceAligner aligner(options.max_alignment_cells);
  const std::vector<MergedStep> merged = MergeTrees(ta, a_keys, tb, b_keys, aligner);

  TraceDiff diff;
  diff.steps.reserve(merged.size());
  for (const MergedStep& m : merged) {
    StepDiff s;
    s.depth = m.depth;
    s.parent_step = m.parent;
    double latency_a = 0;
    double latency_b = 0;
    model::Usage usage_a;
    model::Usage usage_b;
    double cost_a = 0;
    double cost_b = 0;
    if (m.a != SpanTree::kNone) {
      const Observation& o = ta.at(m.a);
      s.a_id = o.id;
      s.key = table.Name(a_keys[static_cast<size_t>(m.a)]);
      s.status_a = model::ToString(o.status);
      s.model_a = o.model;
      latency_a = DurationMs(ta, m.a);
      usage_a = o.usage;
      cost_a = o.cost.total;
    }
    if (m.b != SpanTree::kNone) {
      const Observation& o = tb.at(m.b);
      s.b_id = o.id;
      s.key = table.Name(b_keys[static_cast<size_t>(m.b)]);
      s.status_b = model::ToString(o.status);
      s.model_b = o.model;
      latency_b = DurationMs(tb, m.b);
      usage_b = o.usage;
      cost_b = o.cost.total;
    }
    s.latency_delta_ms = latency_b - latency_a;
    s.input_tokens_delta = usage_b.input_tokens - usage_a.input_tokens;
    s.output_tokens_delta = usage_b.output_tokens - usage_a.output_tokens;
    s.total_tokens_delta = usage_b.total_tokens - usage_a.total_tokens;
    s.cost_delta_usd = cost_b - cost_a;
    if (m.a == SpanTree::kNone) {
      s.kind = DiffKind::kAdded;
      ++diff.added;
    } else if (m.b == SpanTree::kNone) {
      s.kind = DiffKind::kRemoved;
      ++diff.removed;
    } else {
      const Observation& oa = ta.at(m.a);
      const Observation& ob = tb.at(m.b);
      const double moved = std::fabs(s.latency_delta_ms);
      s.latency_changed = moved >= options.latency_min_ms && moved >= options.latency_min_ratio * latency_a;
      s.tokens_changed = std::llabs(s.input_tokens_delta) > options.tokens_tolerance ||
                         std::llabs(s.output_tokens_delta) > options.tokens_tolerance ||
                         std::llabs(s.total_tokens_delta) > options.tokens_tolerance;
      s.cost_changed = std::fabs(s.cost_delta_usd) > options.cost_tolerance_usd;
      s.input_changed = !CanonicallyEqual(oa.input, ob.input);
      s.output_changed = !CanonicallyEqual(oa.output, ob.output);
      const bool changed = oa.status != ob.status || oa.model != ob.model || s.input_changed || s.output_changed ||
                           s.latency_changed || s.tokens_changed || s.cost_changed;
      s.kind = changed ? DiffKind::kChanged : DiffKind::kSame;
      ++(changed ? diff.changed : diff.same);
    }
    diff.steps.push_back(std::move(s));
  }
  diff.a_totals = TotalsOf(ta, a);
  diff.b_totals = TotalsOf(tb, b);
  return diff;
}

std::vector<Observation> TypicalTrace(std::span<const std::vector<Observation>> traces, const DiffOptions& options) {
  if (traces.empty()) return {};
  KeyTable table;
  std::vector<std::vector<Key>> multisets;
  multisets.reserve(traces.size());
  for (const std::vector<Observation>& trace : traces) {
    std::vector<Key> keys;
    keys.reserve(trace.size());
    for (const Observation& o : trace) keys.push_back(table.Intern(StepKey(o)));
    std::sort(keys.begin(), keys.end());
    multisets.push_back(std::move(keys));
  }
  std::vector<int64_t> sums(traces.size(), 0);
  for (size_t i = 0; i < traces.size(); ++i) {
    for (size_t j = i + 1; j < traces.size(); ++j) {
      const int64_t d = MultisetDistance(multisets[i], multisets[j]);
      sums[i] += d;
      sums[j] += d;
    }
  }
  const size_t medoid = static_cast<size_t>(std::min_element(sums.begin(), sums.end()) - sums.begin());

  const SpanTree tm(traces[medoid]);
  const std::vector<Key> medoid_keys = KeysOf(tm, table);
  struct Samples {
    std::vector<int64_t> duration_ns, input_tokens, output_tokens, total_tokens;
    std::vector<double> cost_input, cost_output, cost_total;
  };
  std::vector<Samples> samples(static_cast<size_t>(tm.size()));
  auto add = [&](Index step, const SpanTree& tree, Index i) {
    const Observation& o = tree.at(i);
    Samples& s = samples[static_cast<size_t>(step)];
    s.duration_ns.push_back(tree.end_ns(i) - tree.start_ns(i));
    s.input_tokens.push_back(o.usage.input_tokens);
    s.output_tokens.push_back(o.usage.output_tokens);
    s.total_tokens.push_back(o.usage.total_tokens);
    s.cost_input.push_back(o.cost.input);
    s.cost_output.push_back(o.cost.output);
    s.cost_total.push_back(o.cost.total);
  };
  SequenceAligner aligner(options.max_alignment_cells);
  for (size_t t = 0; t < traces.size(); ++t) {
    if (t == medoid) {
      for (Index i = 0; i < tm.size(); ++i) add(i, tm, i);
      continue;
    }
    const SpanTree other(traces[t]);
    const std::vector<Key> other_keys = KeysOf(other, table);
    for (const MergedStep& m : MergeTrees(tm, medoid_keys, other, other_keys, aligner)) {
      if (m.a != SpanTree::kNone && m.b != SpanTree::kNone) add(m.a, other, m.b);
    }
  }

  std::vector<Observation> typical(traces[medoid].begin(),
                                   traces[medoid].begin() + static_cast<ptrdiff_t>(tm.size()));
  for (Index i = 0; i < tm.size(); ++i) {
    Observation& o = typical[static_cast<size_t>(i)];
    Samples& s = samples[static_cast<size_t>(i)];
    if (o.start_time_ns != 0 && o.end_time_ns != 0) {
      // Times are held at microsecond precision (model/observation.h).
      const int64_t duration_ns = (Median(s.duration_ns) + 500) / 1000 * 1000;
      o.end_time_ns = tm.start_ns(i) + duration_ns;
    }
    o.usage.input_tokens = Median(s.input_tokens);
    o.usage.output_tokens = Median(s.output_tokens);
    o.usage.total_tokens = Median(s.total_tokens);
    o.cost.input = Median(s.cost_input);
    o.cost.output = Median(s.cost_output);
    o.cost.total = Median(s.cost_total);
  }
  return typical;
}

std::vector<DiffLine> DiffText(std::string_view a, std::string_view b, const TextDiffOptions& options) {
  const CappedLines la = SplitLines(a, options);
  const CappedLines lb = SplitLines(b, options);
  absl::flat_hash_map<std::string_view, Key> ids;
  auto intern = [&](const CappedLines& lines) {
    std::vector<Key> keys;
    keys.reserve(lines.lines.size());
    for (std::string_view line : lines.lines) {
      keys.push_back(ids.try_emplace(line, static_cast<Key>(ids.size())).first->second);
    }
    return keys;
  };
  const std::vector<Key> ka = intern(la);
  const std::vector<Key> kb = intern(lb);
  SequenceAligner aligner(options.max_alignment_cells);
  std::vector<DiffLine> out;
  Interleave(aligner.Align(ka, kb), static_cast<int32_t>(ka.size()), static_cast<int32_t>(kb.size()),
             [&](int32_t i, int32_t j) {
               if (i >= 0 && j >= 0) {
                 out.push_back({LineOp::kSame, std::string(la.lines[static_cast<size_t>(i)])});
               } else if (i >= 0) {
                 out.push_back({LineOp::kRemoved, std::string(la.lines[static_cast<size_t>(i)])});
               } else {
                 out.push_back({LineOp::kAdded, std::string(lb.lines[static_cast<size_t>(j)])});
               }
             });
  if (la.omitted > 0 || lb.omitted > 0) {
    out.push_back({LineOp::kOmitted, absl::StrCat(la.omitted, la.omitted == 1 ? " more line" : " more lines",
                                                  " of a and ", lb.omitted, " of b not compared")});
  }
  return out;
}

std::string DiffableJson(const Json& value, size_t max_bytes) {
  constexpr size_t kMaxIndentLevels = 32;
  // Work items: a value to write on a new line after `prefix` and before `suffix`, or (value ==
  // nullptr) a closing line `prefix` + `suffix`.
  struct Item {
    const Json* value;
    std::string prefix;
    std::string suffix;
    size_t indent;
  };
  std::string out;
  auto line = [&](size_t indent, std::string_view text) {
    if (!out.empty()) out += '\n';
    // Indentation stops growing at some depth, so a deep value's text stays linear in its size.
    out.append(2 * std::min(indent, kMaxIndentLevels), ' ');
    out += text;
  };
  std::vector<Item> stack;
  stack.push_back({&value, "", "", 0});
  while (!stack.empty() && out.size() < max_bytes) {
    Item item = std::move(stack.back());
    stack.pop_back();
    if (item.value == nullptr) {
      line(item.indent, item.prefix + item.suffix);
      continue;
    }
    const Json& v = *item.value;
    if ((v.is_object() || v.is_array()) && !v.empty()) {
      const bool object = v.is_object();
      line(item.indent, item.prefix + (object ? "{" : "["));
      stack.push_back({nullptr, object ? "}" : "]", std::move(item.suffix), item.indent});
      const size_t first = stack.size();
      size_t k = 0;
      for (auto it = v.begin(); it != v.end(); ++it, ++k) {
        stack.push_back({&*it, object ? Quote(it.key()) + ": " : "", k + 1 < v.size() ? "," : "", item.indent + 1});
      }
      std::reverse(stack.begin() + static_cast<ptrdiff_t>(first), stack.end());
    } else if (v.is_string()) {
      // One piece per line of the string, each piece keeping its '\n', so a prompt diffs by line.
      const std::string& text = v.get_ref<const std::string&>();
      size_t pos = 0;
      bool first = true;
      do {
        const size_t newline = text.find('\n', pos);
        const size_t next = newline == std::string::npos ? text.size() : newline + 1;
        std::string piece = Quote(std::string_view(text).substr(pos, next - pos));
        if (next == text.size()) piece += item.suffix;
        line(first ? item.indent : item.indent + 1, first ? item.prefix + piece : piece);
        first = false;
        pos = next;
      } while (pos < text.size() && out.size() < max_bytes);
    } else {
      line(item.indent, item.prefix + (v.is_number() ? NumberText(v) : model::DumpJson(v)) + item.suffix);
    }
  }
  if (out.size() > max_bytes) out.resize(max_bytes);
  return out;
}

}  // namespace trackly::analysis
