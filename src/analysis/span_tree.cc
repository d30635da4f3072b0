#include "analysis/span_tree.h"

#include <algorithm>
#include <limits>

namespace trackly::analysis {

SpanTree::SpanTree(std::span<const model::Observation> observations) : observations_(observations) {
  const size_t n = observations.size();
  // Index is 32 bits to halve the per-span arrays; no trace comes near 2^31 spans.
  if (n > static_cast<size_t>(std::numeric_limits<Index>::max())) {
    observations_ = observations.first(static_cast<size_t>(std::numeric_limits<Index>::max()));
  }
  for (const model::Observation& o : observations_) {
    if (o.start_time_ns != 0 && (trace_start_ns_ == 0 || o.start_time_ns < trace_start_ns_)) {
      trace_start_ns_ = o.start_time_ns;
    }
    trace_end_ns_ = std::max({trace_end_ns_, o.start_time_ns, o.end_time_ns});
  }
  if (trace_start_ns_ == 0) {
    for (const model::Observation& o : observations_) {
      if (o.end_time_ns != 0 && (trace_start_ns_ == 0 || o.end_time_ns < trace_start_ns_)) {
        trace_start_ns_ = o.end_time_ns;
      }
    }
  }
  starts_.reserve(observations_.size());
  ends_.reserve(observations_.size());
  for (const model::Observation& o : observations_) {
    int64_t start = o.start_time_ns;
    if (start == 0) start = o.end_time_ns != 0 ? o.end_time_ns : trace_start_ns_;
    const int64_t end = o.end_time_ns == 0 ? trace_end_ns_ : o.end_time_ns;
    starts_.push_back(start);
    ends_.push_back(std::max(start, end));
  }
  LinkParents();
  CutCycles();
  BuildChildren();
  WalkPreorder();
}

SpanTree::Index SpanTree::Find(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? kNone : it->second;
}

std::span<const SpanTree::Index> SpanTree::children(Index i) const {
  const size_t begin = child_offsets_[static_cast<size_t>(i)];
  const size_t end = child_offsets_[static_cast<size_t>(i) + 1];
  return std::span<const Index>(child_list_).subspan(begin, end - begin);
}

bool SpanTree::Before(Index a, Index b) const {
  const size_t x = static_cast<size_t>(a);
  const size_t y = static_cast<size_t>(b);
  if (starts_[x] != starts_[y]) return starts_[x] < starts_[y];
  if (ends_[x] != ends_[y]) return ends_[x] < ends_[y];
  const std::string& id_a = observations_[x].id;
  const std::string& id_b = observations_[y].id;
  if (id_a != id_b) return id_a < id_b;
  return a < b;
}

void SpanTree::LinkParents() {
  const Index n = size();
  by_id_.reserve(static_cast<size_t>(n));
  for (Index i = 0; i < n; ++i) by_id_.emplace(at(i).id, i);
  parents_.assign(static_cast<size_t>(n), kNone);
  for (Index i = 0; i < n; ++i) {
    if (at(i).parent_id.empty()) continue;
    const Index p = Find(at(i).parent_id);
    if (p != i) parents_[static_cast<size_t>(i)] = p;
  }
}

// Follows parent links from every unvisited span, marking the walk; meeting a span of the current
// walk again means a cycle, which is cut at its first member by Before(). Each span is walked
// once, so this is linear however long the chains are.
void SpanTree::CutCycles() {
  enum : uint8_t { kUnseen, kOnWalk, kDone };
  const size_t n = parents_.size();
  std::vector<uint8_t> state(n, kUnseen);
  std::vector<Index> walk;
  for (size_t start = 0; start < n; ++start) {
    if (state[start] != kUnseen) continue;
    walk.clear();
    Index cur = static_cast<Index>(start);
    while (cur != kNone && state[static_cast<size_t>(cur)] == kUnseen) {
      state[static_cast<size_t>(cur)] = kOnWalk;
      walk.push_back(cur);
      cur = parents_[static_cast<size_t>(cur)];
    }
    if (cur != kNone && state[static_cast<size_t>(cur)] == kOnWalk) {
      // The cycle is the tail of the walk from `cur`.
      auto first = std::find(walk.begin(), walk.end(), cur);
      Index cut = cur;
      for (auto it = first; it != walk.end(); ++it) {
        if (Before(*it, cut)) cut = *it;
      }
      parents_[static_cast<size_t>(cut)] = kNone;
    }
    for (Index i : walk) state[static_cast<size_t>(i)] = kDone;
  }
}

void SpanTree::BuildChildren() {
  const size_t n = parents_.size();
  child_offsets_.assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    if (parents_[i] != kNone) ++child_offsets_[static_cast<size_t>(parents_[i]) + 1];
  }
  for (size_t i = 0; i < n; ++i) child_offsets_[i + 1] += child_offsets_[i];
  child_list_.assign(child_offsets_[n], kNone);
  std::vector<size_t> fill(child_offsets_.begin(), child_offsets_.end() - 1);
  for (size_t i = 0; i < n; ++i) {
    if (parents_[i] == kNone) {
      roots_.push_back(static_cast<Index>(i));
    } else {
      child_list_[fill[static_cast<size_t>(parents_[i])]++] = static_cast<Index>(i);
    }
  }
  auto before = [this](Index a, Index b) { return Before(a, b); };
  std::sort(roots_.begin(), roots_.end(), before);
  for (size_t i = 0; i < n; ++i) {
    std::sort(child_list_.begin() + static_cast<ptrdiff_t>(child_offsets_[i]),
              child_list_.begin() + static_cast<ptrdiff_t>(child_offsets_[i + 1]), before);
  }
}

// Iterative depth-first walk, so depth is bounded by memory rather than by the call stack.
void SpanTree::WalkPreorder() {
  const size_t n = parents_.size();
  depths_.assign(n, 0);
  loops_.assign(n, kNone);
  preorder_.reserve(n);
  std::vector<Index> stack(roots_.rbegin(), roots_.rend());
  while (!stack.empty()) {
    const Index i = stack.back();
    stack.pop_back();
    preorder_.push_back(i);
    const Index p = parents_[static_cast<size_t>(i)];
    if (p == kNone) {
      depths_[static_cast<size_t>(i)] = 1;
      loops_[static_cast<size_t>(i)] = i;
    } else {
      depths_[static_cast<size_t>(i)] = depths_[static_cast<size_t>(p)] + 1;
      loops_[static_cast<size_t>(i)] =
          at(p).type == model::ObservationType::kAgent ? p : loops_[static_cast<size_t>(p)];
    }
    std::span<const Index> kids = children(i);
    stack.insert(stack.end(), kids.rbegin(), kids.rend());
  }
}

SpanTree::Index LastModelCall(const SpanTree& tree) {
  SpanTree::Index last = SpanTree::kNone;
  for (SpanTree::Index i = 0; i < tree.size(); ++i) {
    if (tree.at(i).type != model::ObservationType::kGeneration) continue;
    if (last == SpanTree::kNone || tree.end_ns(i) > tree.end_ns(last) ||
        (tree.end_ns(i) == tree.end_ns(last) && tree.Before(last, i))) {
      last = i;
    }
  }
  return last;
}

}  // namespace trackly::analysis
