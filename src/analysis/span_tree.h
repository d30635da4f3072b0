// The observations of ONE trace as a forest, built once and shared by the analyses of this folder
// (run_profile.h, critical_path.h, pathologies.h; docs/insight.md "The tree").
//
// Input may be in any order and hostile: a parent that has not arrived, a parent id naming the
// span itself, a cycle of parent ids, an end before the start, a span still open (end 0). The
// result does not depend on the input order, and building it is O(n log n) and iterative, so a
// 100k-deep chain cannot overflow the stack.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "model/observation.h"

namespace trackly::analysis {

// Thread-compatible: immutable once built. Borrows the observations, which must outlive it and
// should be unique by id (of duplicates, the first given is the one children attach to).
class SpanTree {
 public:
  // An index into the observations as given; kNone means "no such observation".
  using Index = int32_t;
  static constexpr Index kNone = -1;

  explicit SpanTree(std::span<const model::Observation> observations);

  SpanTree(const SpanTree&) = delete;
  SpanTree& operator=(const SpanTree&) = delete;

  Index size() const { return static_cast<Index>(observations_.size()); }
  const model::Observation& at(Index i) const { return observations_[static_cast<size_t>(i)]; }
  // The index of the observation with this id, or kNone.
  Index Find(std::string_view id) const;

  // The parent's index, or kNone for a root of the forest: a span without a parent id, an orphan
  // (its parent is not among the observations), a span naming itself as parent, and in each cycle
  // of parent ids the member that sorts first (its parent link is the one cut).
  Index parent(Index i) const { return parents_[static_cast<size_t>(i)]; }
  // Ordered by (start, end, id) of the effective interval below.
  std::span<const Index> children(Index i) const;
  // Every root of the forest, ordered by (start, end, id).
  const std::vector<Index>& roots() const { return roots_; }
  // Every observation, each parent before its children; roots and children in their order.
  const std::vector<Index>& preorder() const { return preorder_; }

  // 1 for a root, its parent's + 1 below it.
  int32_t depth(Index i) const { return depths_[static_cast<size_t>(i)]; }
  // The agent loop the observation is a step of: its nearest ancestor of type agent, else the root
  // of its tree. Model and tool calls with the same loop belong to one plan → act loop.
  Index loop(Index i) const { return loops_[static_cast<size_t>(i)]; }

  // The effective interval used for timing. start: start_time_ns; when 0 (unknown), the end, or
  // the trace start when that is 0 too. end: end_time_ns; when 0 (still open), the trace's last
  // time (trace_end_ns); never before the start (an end before the start becomes the start).
  int64_t start_ns(Index i) const { return starts_[static_cast<size_t>(i)]; }
  int64_t end_ns(Index i) const { return ends_[static_cast<size_t>(i)]; }
  // Whether end_time_ns is 0: the span has not reported its end.
  bool open(Index i) const { return at(i).end_time_ns == 0; }

  // Earliest non-zero start (else earliest non-zero end, else 0) and latest start or end over
  // every observation; 0 for an empty trace.
  int64_t trace_start_ns() const { return trace_start_ns_; }
  int64_t trace_end_ns() const { return trace_end_ns_; }

  // Orders two observations by effective (start, end), then id, then input position.
  bool Before(Index a, Index b) const;

 private:
  void LinkParents();
  void CutCycles();
  void BuildChildren();
  void WalkPreorder();

  std::span<const model::Observation> observations_;
  absl::flat_hash_map<std::string_view, Index> by_id_;
  std::vector<Index> parents_;
  std::vector<int64_t> starts_;
  std::vector<int64_t> ends_;
  std::vector<size_t> child_offsets_;  // children of i: child_list_[offsets[i], offsets[i + 1])
  std::vector<Index> child_list_;
  std::vector<Index> roots_;
  std::vector<Index> preorder_;
  std::vector<int32_t> depths_;
  std::vector<Index> loops_;
  int64_t trace_start_ns_ = 0;
  int64_t trace_end_ns_ = 0;
};

// The model call (generation) that ends last, of two ending together the later in Before order:
// a run's final answer. kNone when the tree has no model call.
SpanTree::Index LastModelCall(const SpanTree& tree);

}  // namespace trackly::analysis
