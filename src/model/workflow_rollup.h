// What finished runs of one agent add to its workflow graph (docs/insight.md "Workflow graph",
// "Maintained at completion"): the additive form of analysis::WorkflowGraph, so a store can keep
// one per (project, trace name, environment, release, hour) and answer "the graph of this agent
// over 30 days" by merging a few hundred of them instead of reading a million runs.
//
// Every value is a sum (costs in integer nano-USD, latencies in a subtractable LatencySketch), so
// adding a run's rollup with sign +1 and later -1 leaves nothing behind: a re-evaluated trace
// takes its old contribution back exactly. analysis/workflow_graph.h builds the rollup of one run
// (WorkflowRollupOfRun) and turns a merged rollup into a graph (WorkflowGraphOfRollup).
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "model/latency_sketch.h"

namespace trackly::model {

// The additive values of one workflow node (one path of step keys) over some runs.
struct WorkflowNodeValues {
  int64_t runs = 0;   // runs with at least one span at the node
  int64_t calls = 0;  // spans at the node
  int64_t errors = 0;
  int64_t cost_nusd = 0;  // the spans' own cost, each rounded to nano-USD once (model/rollup.h ToNanoUsd)
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t total_tokens = 0;
  LatencySketch latency;  // the spans' effective durations, microseconds
  bool IsZero() const;
  bool operator==(const WorkflowNodeValues&) const = default;
};

// kind is analysis::WorkflowEdgeKind as an int (0 contains, 1 then); from and to index
// WorkflowRollup::nodes.
struct WorkflowEdgeKey {
  int32_t kind = 0;
  int32_t from = 0;
  int32_t to = 0;
  auto operator<=>(const WorkflowEdgeKey&) const = default;
};

struct WorkflowEdgeValues {
  int64_t runs = 0;   // runs in which the edge occurred
  int64_t count = 0;  // occurrences in all runs
  bool operator==(const WorkflowEdgeValues&) const = default;
};

// Sums over the runs (analysis::WorkflowRunTotals are these divided by runs).
struct WorkflowTotalsValues {
  int64_t runs = 0;
  int64_t spans = 0;
  int64_t model_calls = 0;
  int64_t tool_calls = 0;
  int64_t errors = 0;
  int64_t cost_nusd = 0;     // leaf carriers' cost (WorkflowRunTotals), each run's rounded once
  int64_t total_tokens = 0;  // leaf carriers' tokens
  LatencySketch latency;     // run latencies, microseconds
  bool operator==(const WorkflowTotalsValues&) const = default;
};

// Not thread-safe (a value type).
//
// Nodes form a trie of step keys: node i has `key` and `parent` (an index below i, or -1 for a
// root), and no two nodes share (parent, key). Nodes are never removed by Add, so indexes stay
// valid; a node or edge whose values all came back to zero stays until Compact().
class WorkflowRollup {
 public:
  struct Node {
    std::string key;     // a StepKey, e.g. "tool:search"
    int32_t parent = -1;
    WorkflowNodeValues values;
    bool operator==(const Node&) const = default;
  };

  const WorkflowTotalsValues& totals() const { return totals_; }
  WorkflowTotalsValues& mutable_totals() { return totals_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::map<WorkflowEdgeKey, WorkflowEdgeValues>& edges() const { return edges_; }

  // The index of the node (parent, key), added with zero values when missing. `parent` must be
  // -1 or an existing index.
  int32_t FindOrAddNode(int32_t parent, std::string_view key);
  WorkflowNodeValues& mutable_node(int32_t index) { return nodes_[static_cast<size_t>(index)].values; }
  WorkflowEdgeValues& mutable_edge(const WorkflowEdgeKey& key) { return edges_[key]; }

  // Adds `sign` (+1 / -1) times `other`: nodes matched by their path of keys, edges by the paths
  // of their ends. O(N + E log E) for the nodes and edges of `other`.
  void Add(const WorkflowRollup& other, int64_t sign = 1);
  // Removes nodes whose values are all zero (with their subtrees, which are zero too when the
  // rollup is a sum of runs) and edges whose values are zero or touch a removed node;
  // renumbers what stays in its order.
  void Compact();
  // True when totals, every node and every edge are zero (e.g. every run was taken back).
  bool IsZero() const;

  // A compact byte string (varints, zigzag for signed values) and back; Encode of a Decode gives
  // the same bytes. Decode fails with DataLoss on a malformed string (a parent not below its
  // node, an edge naming no node, truncated input).
  std::string Encode() const;
  static absl::StatusOr<WorkflowRollup> Decode(std::string_view bytes);

  bool operator==(const WorkflowRollup& other) const {
    return std::tie(totals_, nodes_, edges_) == std::tie(other.totals_, other.nodes_, other.edges_);
  }

 private:
  WorkflowTotalsValues totals_;
  std::vector<Node> nodes_;
  std::map<WorkflowEdgeKey, WorkflowEdgeValues> edges_;
  // (parent, key) as one string (workflow_rollup.cc LookupKey) → index, for FindOrAddNode.
  absl::flat_hash_map<std::string, int32_t> index_;
};

}  // namespace trackly::model
