// Workflow graph: the steps of many runs of one agent aggregated into one graph, and what changed
// between two such graphs, say before and after a prompt change (docs/insight.md "Workflow
// graph" gives every rule; issue 9).
//
// Pure functions. Each run is read as in span_tree.h (observations in any order, orphans are
// roots, parent-id cycles cut); the graph does not depend on the order of a run's observations
// nor (but for the rounding of summed costs) on the order of the runs. Building is O(S log S) for S spans in all, iterative at any depth
// (a 100,000-span-deep run is fine), and the graph holds at most one node per distinct path.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/observation.h"
#include "model/workflow_rollup.h"

namespace trackly::analysis {

// One step of the workflow: every span, in any run, whose path of StepKeys (trace_diff.h) from
// its root is the same. So "tool:search" under "agent:planner" and under "agent:writer" are two
// nodes, and so are a step at depth 2 and the same key at depth 3.
struct WorkflowNode {
  std::string key;       // StepKey of its spans, e.g. "tool:search"
  int32_t parent = -1;   // index in WorkflowGraph::nodes of the node it is a child of; -1 for a root
  int32_t depth = 1;     // 1 for a root, its parent's + 1 below
  int64_t runs = 0;      // runs with at least one span at this node
  int64_t calls = 0;     // spans at this node over all runs
  double calls_per_run = 0;  // calls / the number of runs aggregated (runs without it count as 0)
  // Over the effective durations of its spans (span_tree.h: an open span runs to its trace's last
  // time): the exact lower-rank value, the one at position floor(q · (calls − 1)) of the sorted
  // durations (the rank rule of model/latency_sketch.h, without its 1 % error).
  double latency_p50_ms = 0;
  double latency_p95_ms = 0;
  // The spans' own cost (model::Cost::total) and usage, not their subtree's; means are per call.
  double cost_usd = 0;
  double mean_cost_usd = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t total_tokens = 0;
  double mean_total_tokens = 0;
  int64_t errors = 0;  // spans with status or level error (Observation::is_error)
  bool operator==(const WorkflowNode&) const = default;
};

enum class WorkflowEdgeKind {
  kContains,  // from is the parent node of to
  kThen,      // from and to share a parent node, and a span of `to` directly followed one of `from`
};

// "contains", "then".
std::string_view ToString(WorkflowEdgeKind kind);

struct WorkflowEdge {
  WorkflowEdgeKind kind = WorkflowEdgeKind::kContains;
  int32_t from = 0;  // indexes in WorkflowGraph::nodes
  int32_t to = 0;
  // kContains: the child's runs and calls. kThen: the runs in which the transition occurred at
  // least once, and how many times it occurred in all. A loop is a kThen edge from a node to
  // itself ("tool:search" then "tool:search").
  int64_t runs = 0;
  int64_t count = 0;
  bool operator==(const WorkflowEdge&) const = default;
};

// What the runs add up to, per run (means over the runs aggregated, empty runs included).
struct WorkflowRunTotals {
  int64_t runs = 0;  // runs aggregated
  double spans_per_run = 0;
  double model_calls_per_run = 0;  // observations of type generation
  double tool_calls_per_run = 0;   // observations of type tool
  double errors_per_run = 0;       // observations with status or level error
  // Usage and cost of the whole run, summed over leaf carriers (spans with usage or cost none of
  // whose descendants has any: the trace row's rule, model/summary.h, applied to the tree of
  // span_tree.h), so a wrapper repeating its children's totals is not counted twice.
  double cost_per_run_usd = 0;
  double total_tokens_per_run = 0;
  // Over the runs' latencies (earliest start to last start or end, span_tree.h), lower rank as
  // WorkflowNode's.
  double latency_p50_ms = 0;
  double latency_p95_ms = 0;
  bool operator==(const WorkflowRunTotals&) const = default;
};

struct WorkflowGraph {
  WorkflowRunTotals totals;  // totals.runs is the number of runs aggregated
  // In pre-order: each node before its children, roots and siblings ordered by key.
  std::vector<WorkflowNode> nodes;
  // Ordered by (kind, from, to): one kContains edge per node with a parent, then the kThen edges.
  std::vector<WorkflowEdge> edges;
  bool operator==(const WorkflowGraph&) const = default;
};

// Aggregates `runs`, each the observations of one trace (normally runs of one agent). Siblings
// are the children of one span, or the roots of one run, ordered by effective (start, end, id)
// as in span_tree.h; each two consecutive siblings make one kThen transition, parallel siblings
// included. Every run given counts in totals.runs, an empty one too. O(S log S), iterative.
WorkflowGraph BuildWorkflowGraph(std::span<const std::vector<model::Observation>> runs);

// The additive form of one run's graph (model/workflow_rollup.h; docs/insight.md "Maintained at
// completion"), by BuildWorkflowGraph's rules: the same nodes, kContains and kThen edges and run
// totals, each span's cost rounded to nano-USD once (model::ToNanoUsd) and the run's leaf-carrier
// cost once, durations in the sketches as whole microseconds. Nodes are numbered in order of first
// appearance (parents first). Summing the rollups of runs (WorkflowRollup::Add) in any order gives
// the same rollup; adding one with sign -1 takes it back exactly.
model::WorkflowRollup WorkflowRollupOfRun(std::span<const model::Observation> run);

// The graph of a (summed) rollup, shaped as BuildWorkflowGraph's: nodes in pre-order with roots and
// siblings by key, nodes whose values are all zero skipped with their subtrees, per-run means
// over totals.runs. For the rollups of a set of runs it equals BuildWorkflowGraph of those runs
// but for the percentiles, which come from the sketches (within 1 % of the exact ones, on
// microsecond-truncated durations), and for costs, which are sums of nano-USD-rounded values.
WorkflowGraph WorkflowGraphOfRollup(const model::WorkflowRollup& rollup);

// The path of a node for display: its keys from the root joined by " > ", e.g.
// "agent:planner > tool:search". Paths deeper than `max_steps` keep their last max_steps - 1 keys
// after "… > ". "" for an index out of range.
std::string WorkflowPath(const WorkflowGraph& graph, int32_t node, int32_t max_steps = 16);

struct WorkflowDiffOptions {
  // A node present in both graphs moved when a figure changed by at least this share of its
  // before value…
  double min_ratio = 0.25;
  // …and by at least this much, per figure:
  double calls_per_run_min_delta = 0.2;   // calls per run
  double latency_min_delta_ms = 50;       // p50 and p95, each on its own
  double mean_cost_min_delta_usd = 0.0001;  // mean cost per call
};

// A node of both graphs with at least one figure moved beyond the thresholds.
struct WorkflowNodeChange {
  int32_t before = -1;  // index in before.nodes
  int32_t after = -1;   // index in after.nodes
  double calls_per_run_before = 0, calls_per_run_after = 0;
  double latency_p50_ms_before = 0, latency_p50_ms_after = 0;
  double latency_p95_ms_before = 0, latency_p95_ms_after = 0;
  double mean_cost_usd_before = 0, mean_cost_usd_after = 0;
  // Which moved.
  bool calls_per_run_moved = false;
  bool latency_p50_moved = false;
  bool latency_p95_moved = false;
  bool mean_cost_moved = false;
  bool operator==(const WorkflowNodeChange&) const = default;
};

struct WorkflowGraphDiff {
  // Nodes (same path) only in after, in after's order: every node of a new branch, its top first.
  std::vector<int32_t> new_nodes;
  // Nodes only in before, in before's order.
  std::vector<int32_t> vanished_nodes;
  // kThen edges between the same paths only in after (indexes in after.edges) / only in before
  // (in before.edges), in edge order. A kContains edge is new or vanished exactly when its child
  // node is, so those are not repeated here.
  std::vector<int32_t> new_edges;
  std::vector<int32_t> vanished_edges;
  // Nodes of both whose calls per run, p50 or p95 latency or mean cost moved, in after's order.
  std::vector<WorkflowNodeChange> moved_nodes;
  // The per-run figures of each side ("tool calls per run went from 3 to 11").
  WorkflowRunTotals before_totals;
  WorkflowRunTotals after_totals;
  bool operator==(const WorkflowGraphDiff&) const = default;
};

// Compares two graphs node by node (same path of keys) and edge by edge. O(N + E) for N nodes and
// E edges in both, iterative at any depth.
WorkflowGraphDiff DiffWorkflowGraphs(const WorkflowGraph& before, const WorkflowGraph& after,
                                     const WorkflowDiffOptions& options = {});

}  // namespace trackly::analysis
