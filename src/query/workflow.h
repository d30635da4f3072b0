// The workflow graph of one agent across runs (GET /api/v1/workflow, GET /api/v1/workflow/diff,
// `trackly workflow`; docs/api.md, docs/insight.md "Workflow graph"). By default read from the
// workflow rollups the store maintains as traces complete (Store::QueryWorkflowRollup, merged by
// analysis::WorkflowGraphOfRollup): every evaluated run in the time range, at a cost that grows
// with the hours in range, not the runs. With `limit`, or on a backend without rollups, the runs
// themselves are read — the newest `limit` traces of one name, each as summary pages (no
// payloads) — and aggregated by analysis::BuildWorkflowGraph (exact percentiles; includes runs not
// yet evaluated or finished before the rollups existed). The answer's "source" says which.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "model/json.h"
#include "query/query_params.h"
#include "store/store.h"

namespace trackly::query {

// Most runs one side of a graph reads, and the default.
inline constexpr int kMaxWorkflowRuns = 1000;
inline constexpr int kDefaultWorkflowRuns = 200;

// GET /api/v1/workflow: name (required), from, to, release, environment, limit (1..1000) →
// {"name", "source": "rollups" | "runs", "totals": {"runs", "spans_per_run", "model_calls_per_run",
// "tool_calls_per_run", "errors_per_run", "cost_per_run", "total_tokens_per_run",
// "latency_p50_ms", "latency_p95_ms"}, "nodes": [{"path", "key", "parent", "depth", "runs",
// "calls", "calls_per_run", "latency_p50_ms", "latency_p95_ms", "cost", "mean_cost",
// "total_tokens", "errors"}], "edges": [{"kind": "contains" | "then", "from", "to", "runs",
// "count"}]}. Without limit: the rollups of the runs that started in [from, to) (whole UTC hours:
// every hour the range overlaps), from defaulting to 7 days before `to` (or `clock`'s now), to to
// unbounded. With limit: the newest `limit` runs, from and to bounding their start, as before.
// InvalidArgument naming a bad parameter.
absl::StatusOr<model::Json> WorkflowGraphJson(store::Store& store, std::string_view project, const QueryParams& params,
                                              const Clock& clock = SystemClock::Get());

// GET /api/v1/workflow/diff: name (required), limit, and per side before_/after_ + release,
// environment, from, to (each side needs at least one; read as WorkflowGraphJson reads one graph)
// → {"name", "source", "before": totals, "after":
// totals, "new_nodes": [path], "vanished_nodes": [path], "new_edges": [{"from", "to", "runs",
// "count"}], "vanished_edges": [...], "moved": [{"path", "calls_per_run": [before, after],
// "latency_p50_ms": [...], "latency_p95_ms": [...], "mean_cost": [...], "moved": [what moved]}]}.
absl::StatusOr<model::Json> WorkflowDiffJson(store::Store& store, std::string_view project, const QueryParams& params,
                                             const Clock& clock = SystemClock::Get());

}  // namespace trackly::query
