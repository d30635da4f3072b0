// Where a trace's time went: each span's self time, and the critical path — the chain of work the
// trace's latency waited on (docs/insight.md "Self time" and "Critical path").
//
// Both read the effective intervals of span_tree.h: a span still open (end 0) runs to the trace's
// last time, an end before the start is taken as the start. Input in any order; orphans are roots,
// parent-id cycles are cut. O(n log n), iterative at any depth.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/observation.h"

namespace trackly::analysis {

struct SpanTiming {
  std::string observation_id;
  int64_t start_ns = 0;  // the effective interval (span_tree.h)
  int64_t end_ns = 0;
  // end_ns - start_ns minus the union of its children's intervals clipped to [start_ns, end_ns]:
  // time the span spent outside every child. Parallel children overlapping count once.
  int64_t self_ns = 0;
  bool open = false;  // end_time_ns was 0: end_ns is the trace's last time
  bool operator==(const SpanTiming&) const = default;
};

// One SpanTiming per observation, in the order given.
std::vector<SpanTiming> SelfTimes(std::span<const model::Observation> observations);

// A stretch of the critical path: the observation whose own work the trace waited on during
// [start_ns, end_ns). observation_id is "" for a gap in a trace of several roots where no root ran.
struct PathSegment {
  std::string observation_id;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  bool operator==(const PathSegment&) const = default;
};

// The critical path in time order: contiguous non-empty segments covering the root's interval.
// From the root's end, walks back: the child that finished last at or before the current point is
// critical from its end up to that point, and the walk continues inside it; when a span has no
// child left that finishes by then, the span itself is critical back to its start and the walk
// returns to its parent at that start (Jaeger's algorithm). Children are first clipped to their
// parent's clipped interval; a child that finished after the point (it overlapped a later
// critical child) is skipped.
// Several roots (orphans, or no root at all) hang under a virtual root spanning them all: from a
// point, the root that ends last among those started before it is taken, cut at the point if it
// was still running; time in which no root ran is a segment with an empty observation_id.
// Empty for an empty trace or one of zero duration.
std::vector<PathSegment> CriticalPath(std::span<const model::Observation> observations);

}  // namespace trackly::analysis
