#include "analysis/critical_path.h"

#include <algorithm>
#include <tuple>

#include "analysis/span_tree.h"

namespace trackly::analysis {
namespace {

using Index = SpanTree::Index;

struct Interval {
  int64_t start = 0;
  int64_t end = 0;
};

// Length of the union of `intervals` clipped to `bounds`; `intervals` sorted by start.
int64_t CoveredNs(const std::vector<Interval>& intervals, Interval bounds) {
  int64_t covered = 0;
  int64_t run_start = 0;
  int64_t run_end = 0;
  bool in_run = false;
  for (Interval iv : intervals) {
    iv.start = std::max(iv.start, bounds.start);
    iv.end = std::min(iv.end, bounds.end);
    if (iv.end <= iv.start) continue;
    if (in_run && iv.start <= run_end) {
      run_end = std::max(run_end, iv.end);
      continue;
    }
    if (in_run) covered += run_end - run_start;
    run_start = iv.start;
    run_end = iv.end;
    in_run = true;
  }
  if (in_run) covered += run_end - run_start;
  return covered;
}

}  // namespace

std::vector<SpanTiming> SelfTimes(std::span<const model::Observation> observations) {
  const SpanTree tree(observations);
  std::vector<SpanTiming> timings(observations.size());
  std::vector<Interval> kids;
  for (Index i = 0; i < tree.size(); ++i) {
    SpanTiming& t = timings[static_cast<size_t>(i)];
    t.observation_id = tree.at(i).id;
    t.start_ns = tree.start_ns(i);
    t.end_ns = tree.end_ns(i);
    t.open = tree.open(i);
    kids.clear();
    // Children come ordered by effective start (span_tree.h), as CoveredNs needs.
    for (Index c : tree.children(i)) kids.push_back({tree.start_ns(c), tree.end_ns(c)});
    t.self_ns = (t.end_ns - t.start_ns) - CoveredNs(kids, {t.start_ns, t.end_ns});
  }
  return timings;
}

std::vector<PathSegment> CriticalPath(std::span<const model::Observation> observations) {
  const SpanTree tree(observations);
  const Index n = tree.size();
  if (n == 0) return {};

  // A virtual root (index n) holds several roots, so the walk below has one place to start.
  const Index top = tree.roots().size() == 1 ? tree.roots().front() : n;

  // Intervals clipped to the parent's clipped interval, parents first. A child outside its parent
  // (clock skew between services) keeps only the part the parent waited through.
  std::vector<Interval> clipped(static_cast<size_t>(n) + 1);
  if (top == n) {
    Interval& all = clipped[static_cast<size_t>(n)];
    all = {tree.start_ns(tree.roots().front()), tree.end_ns(tree.roots().front())};
    for (Index r : tree.roots()) {
      all.start = std::min(all.start, tree.start_ns(r));
      all.end = std::max(all.end, tree.end_ns(r));
    }
  }
  for (Index i : tree.preorder()) {
    const Index p = tree.parent(i);
    Interval iv{tree.start_ns(i), tree.end_ns(i)};
    if (p != SpanTree::kNone) {
      const Interval& up = clipped[static_cast<size_t>(p)];
      iv.start = std::clamp(iv.start, up.start, up.end);
      iv.end = std::clamp(iv.end, iv.start, up.end);
    }
    clipped[static_cast<size_t>(i)] = iv;
  }

  // Each span's non-empty children by clipped end, latest last; `remaining[i]` counts the ones the
  // walk may still pick. The point the walk resumes a span at only moves back, so a child skipped
  // once (finished after the point) is never a candidate again: every child is looked at once.
  std::vector<std::vector<Index>> by_end(static_cast<size_t>(n));
  std::vector<size_t> remaining(static_cast<size_t>(n), 0);
  for (Index i = 0; i < n; ++i) {
    std::vector<Index>& list = by_end[static_cast<size_t>(i)];
    for (Index c : tree.children(i)) {
      const Interval& iv = clipped[static_cast<size_t>(c)];
      if (iv.end > iv.start) list.push_back(c);
    }
    // Equal ends: the longer child (earlier start) is taken first, then by tree order.
    std::sort(list.begin(), list.end(), [&](Index a, Index b) {
      const Interval& x = clipped[static_cast<size_t>(a)];
      const Interval& y = clipped[static_cast<size_t>(b)];
      if (x.end != y.end) return x.end < y.end;
      if (x.start != y.start) return x.start > y.start;
      return tree.Before(b, a);
    });
    remaining[static_cast<size_t>(i)] = list.size();
  }

  // With several roots, the virtual root hands the point to the root that ran latest before it:
  // among roots starting before the point, the one ending last (a root still running at the point
  // is cut there). The roots are in start order, so that root is a prefix maximum; each root is
  // entered once, as the point only moves back past its start.
  const std::vector<Index>& roots = tree.roots();
  std::vector<Index> latest_of_prefix(roots.size());
  for (size_t k = 0; k < roots.size(); ++k) {
    const bool later = k == 0 || clipped[static_cast<size_t>(roots[k])].end >
                                     clipped[static_cast<size_t>(latest_of_prefix[k - 1])].end;
    latest_of_prefix[k] = later ? roots[k] : latest_of_prefix[k - 1];
  }

  std::vector<PathSegment> path;  // built from the end backwards
  auto emit = [&](Index i, int64_t start, int64_t end) {
    if (end <= start) return;
    path.push_back({i == n ? std::string() : tree.at(i).id, start, end});
  };
  Index cur = top;
  int64_t point = clipped[static_cast<size_t>(top)].end;
  while (true) {
    if (cur == n) {
      const size_t started = static_cast<size_t>(
          std::partition_point(roots.begin(), roots.end(),
                               [&](Index r) { return clipped[static_cast<size_t>(r)].start < point; }) -
          roots.begin());
      if (started == 0) break;
      const Index root = latest_of_prefix[started - 1];
      const int64_t root_end = clipped[static_cast<size_t>(root)].end;
      emit(n, root_end, point);  // no root ran here
      point = std::min(point, root_end);
      cur = root;
      continue;
    }
    const std::vector<Index>& list = by_end[static_cast<size_t>(cur)];
    size_t& left = remaining[static_cast<size_t>(cur)];
    while (left > 0 && clipped[static_cast<size_t>(list[left - 1])].end > point) --left;
    if (left > 0) {
      const Index child = list[--left];
      const Interval& iv = clipped[static_cast<size_t>(child)];
      emit(cur, iv.end, point);
      cur = child;
      point = iv.end;
      continue;
    }
    const Interval& own = clipped[static_cast<size_t>(cur)];
    emit(cur, own.start, point);
    if (cur == top) break;
    point = own.start;
    cur = tree.parent(cur) != SpanTree::kNone ? tree.parent(cur) : n;
  }
  std::reverse(path.begin(), path.end());
  return path;
}

}  // namespace trackly::analysis
