// Trace diff as the API and the CLI show it (GET /api/v1/traces/{id}/diff, `trackly diff`;
// docs/api.md, docs/insight.md "Trace diff"): the merged step tree of analysis::DiffTraces with
// names, deltas and, on request, line diffs of changed inputs and outputs.
#pragma once

#include <string>
#include <vector>

#include "model/json.h"
#include "model/observation.h"

namespace trackly::query {

// One side of a diff: a stored trace, or the typical trace of several (typical_of > 0).
struct DiffSide {
  std::string trace_id;  // the trace, or for a typical trace the medoid it was built from
  std::string name;
  int typical_of = 0;    // how many traces the typical trace summarizes; 0 for a stored trace
  std::vector<model::Observation> observations;
};

// Steps of one diff that get line diffs when `with_text` (the first ones in tree order).
inline constexpr int kMaxTextDiffSteps = 50;

// {"a": {"trace_id", "name", "typical_of"?, "totals"}, "b": {…}, "counts": {"same", "changed",
// "added", "removed"}, "steps": [{"kind", "key", "depth", "parent" (index or null), "a": {"id",
// "name"} | null, "b": … | null, "changes": [why changed], "latency_delta_ms", "tokens_delta":
// {"input", "output", "total"}, "cost_delta", "status": [a, b], "model": [a, b], "input_diff"?,
// "output_diff"? ([{"op", "text"}])}]}. `a` is the baseline: deltas are b - a.
model::Json TraceDiffJson(const DiffSide& a, const DiffSide& b, bool with_text);

}  // namespace trackly::query
