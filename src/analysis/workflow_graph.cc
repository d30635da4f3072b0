#include "analysis/workflow_graph.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "analysis/span_tree.h"
#include "analysis/trace_diff.h"
#include "base/status.h"
#include "model/rollup.h"
#include "model/summary.h"

namespace trackly::analysis {
namespace {

using model::Observation;
using Index = SpanTree::Index;

// Two 32-bit ids as one hash key (the parent node is -1 for roots, hence the +1).
uint64_t Pair(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a + 1)) << 32) | static_cast<uint32_t>(b);
}

// The lower-rank value at q of `values` (reordered): the one at floor(q · (n − 1)) once sorted.
int64_t LowerRank(std::span<int64_t> values, double q) {
  if (values.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::floor(q * static_cast<double>(values.size() - 1)));
  std::nth_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(rank), values.end());
  return values[rank];
}

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

// total / count, 0 when there is nothing to divide by.
double Mean(double total, int64_t count) { return count == 0 ? 0 : total / static_cast<double>(count); }

// Pre-order of a trie of `n` nodes (parent_of(i): an index or -1 for a root), roots and siblings
// ordered by key_of(i): an explicit stack, so a 100k-deep path cannot overflow the call stack.
template <typename ParentOf, typename KeyOf>
std::vector<int32_t> TriePreorder(size_t n, ParentOf parent_of, KeyOf key_of) {
  std::vector<size_t> offsets(n + 2, 0);  // children of node c at [offsets[c + 1], offsets[c + 2])
  for (size_t i = 0; i < n; ++i) ++offsets[static_cast<size_t>(parent_of(i) + 1) + 1];
  for (size_t c = 1; c < offsets.size(); ++c) offsets[c] += offsets[c - 1];
  std::vector<int32_t> children(n);
  std::vector<size_t> fill(offsets.begin(), offsets.end() - 1);
  for (size_t i = 0; i < n; ++i) children[fill[static_cast<size_t>(parent_of(i) + 1)]++] = static_cast<int32_t>(i);
  auto by_key = [&](int32_t a, int32_t b) { return key_of(static_cast<size_t>(a)) < key_of(static_cast<size_t>(b)); };
  for (size_t c = 0; c + 1 < offsets.size(); ++c) {
    std::sort(children.begin() + static_cast<ptrdiff_t>(offsets[c]),
              children.begin() + static_cast<ptrdiff_t>(offsets[c + 1]), by_key);
  }
  std::vector<int32_t> order;
  order.reserve(n);
  std::vector<int32_t> stack;
  // Pushed in reverse so the first by key is visited first.
  auto push_children = [&](int32_t parent) {
    const size_t c = static_cast<size_t>(parent + 1);
    for (size_t k = offsets[c + 1]; k > offsets[c]; --k) stack.push_back(children[k - 1]);
  };
  push_children(-1);
  while (!stack.empty()) {
    const int32_t node = stack.back();
    stack.pop_back();
    order.push_back(node);
    push_children(node);
  }
  return order;
}

struct NodeAcc {
  int32_t key = 0;
  int32_t parent = -1;
  int32_t depth = 1;
  int64_t runs = 0;
  int64_t calls = 0;
  int64_t last_run = -1;  // the last run counted in `runs`
  double cost_usd = 0;
  int64_t cost_nusd = 0;  // each span's cost rounded once, for the rollup
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t total_tokens = 0;
  int64_t errors = 0;
};

struct EdgeAcc {
  int32_t from = 0;
  int32_t to = 0;
  int64_t runs = 0;
  int64_t count = 0;
  int64_t last_run = -1;
};

// Accumulates runs one at a time. Nodes are numbered in order of first appearance while
// building (a trie keyed by (parent node, key)), and renumbered canonically by Finish, so the
// result does not depend on the order of the runs.
class GraphBuilder {
 public:
  void AddRun(std::span<const Observation> run) {
    const int64_t r = runs_++;
    const SpanTree tree(run);
    span_nodes_.assign(static_cast<size_t>(tree.size()), -1);
    // Pre-order puts every parent before its children, so its node is known.
    for (const Index i : tree.preorder()) {
      const Observation& o = tree.at(i);
      const Index p = tree.parent(i);
      const int32_t parent_node = p == SpanTree::kNone ? -1 : span_nodes_[static_cast<size_t>(p)];
      const int32_t node = NodeOf(parent_node, KeyOf(o));
      span_nodes_[static_cast<size_t>(i)] = node;
      NodeAcc& acc = nodes_[static_cast<size_t>(node)];
      if (acc.last_run != r) {
        acc.last_run = r;
        ++acc.runs;
      }
      ++acc.calls;
      acc.cost_usd += o.cost.total;
      acc.cost_nusd += model::ToNanoUsd(o.cost.total);
      acc.input_tokens += o.usage.input_tokens;
      acc.output_tokens += o.usage.output_tokens;
      acc.total_tokens += o.usage.total_tokens;
      if (o.is_error()) ++acc.errors;
      sample_nodes_.push_back(node);
      sample_ns_.push_back(tree.end_ns(i) - tree.start_ns(i));
    }
    AddSequence(tree.roots(), r);
    for (const Index i : tree.preorder()) AddSequence(tree.children(i), r);

    AddRunTotals(tree);
  }

  // The additive form of what was added: nodes in order of first appearance (a parent before its
  // children), durations as microseconds in the sketches, as the metrics rollups keep them.
  model::WorkflowRollup Rollup() const {
    model::WorkflowRollup rollup;
    std::vector<int32_t> index(nodes_.size());
    for (size_t n = 0; n < nodes_.size(); ++n) {
      const NodeAcc& acc = nodes_[n];
      const int32_t parent = acc.parent < 0 ? -1 : index[static_cast<size_t>(acc.parent)];
      const int32_t i = rollup.FindOrAddNode(parent, keys_[static_cast<size_t>(acc.key)]);
      index[n] = i;
      model::WorkflowNodeValues& v = rollup.mutable_node(i);
      v.runs += acc.runs;
      v.calls += acc.calls;
      v.errors += acc.errors;
      v.cost_nusd += acc.cost_nusd;
      v.input_tokens += acc.input_tokens;
      v.output_tokens += acc.output_tokens;
      v.total_tokens += acc.total_tokens;
      if (parent >= 0) {
        model::WorkflowEdgeValues& e = rollup.mutable_edge(
            {.kind = static_cast<int32_t>(WorkflowEdgeKind::kContains), .from = parent, .to = i});
        e.runs += acc.runs;
        e.count += acc.calls;
      }
    }
    for (size_t s = 0; s < sample_ns_.size(); ++s) {
      rollup.mutable_node(index[static_cast<size_t>(sample_nodes_[s])]).latency.Add(sample_ns_[s] / 1000);
    }
    for (const EdgeAcc& acc : edges_) {
      model::WorkflowEdgeValues& e =
          rollup.mutable_edge({.kind = static_cast<int32_t>(WorkflowEdgeKind::kThen),
                               .from = index[static_cast<size_t>(acc.from)],
                               .to = index[static_cast<size_t>(acc.to)]});
      e.runs += acc.runs;
      e.count += acc.count;
    }
    model::WorkflowTotalsValues& t = rollup.mutable_totals();
    t.runs = runs_;
    t.spans = static_cast<int64_t>(spans_);
    t.model_calls = static_cast<int64_t>(model_calls_);
    t.tool_calls = static_cast<int64_t>(tool_calls_);
    t.errors = static_cast<int64_t>(errors_);
    t.cost_nusd = cost_nusd_;
    t.total_tokens = static_cast<int64_t>(total_tokens_);
    for (const int64_t ns : run_latency_ns_) t.latency.Add(ns / 1000);
    return rollup;
  }

  WorkflowGraph Finish() {
    const std::vector<int32_t> order = CanonicalOrder();  // order[new index] = old index
    std::vector<int32_t> renumbered(order.size());
    for (size_t n = 0; n < order.size(); ++n) renumbered[static_cast<size_t>(order[n])] = static_cast<int32_t>(n);

    WorkflowGraph graph;
    graph.totals = Totals();
    const int64_t runs = runs_;
    graph.nodes.resize(order.size());
    for (size_t n = 0; n < order.size(); ++n) {
      const NodeAcc& acc = nodes_[static_cast<size_t>(order[n])];
      WorkflowNode& node = graph.nodes[n];
      node.key = keys_[static_cast<size_t>(acc.key)];
      node.parent = acc.parent < 0 ? -1 : renumbered[static_cast<size_t>(acc.parent)];
      node.depth = acc.depth;
      node.runs = acc.runs;
      node.calls = acc.calls;
      node.calls_per_run = Mean(static_cast<double>(acc.calls), runs);
      node.cost_usd = acc.cost_usd;
      node.mean_cost_usd = Mean(acc.cost_usd, acc.calls);
      node.input_tokens = acc.input_tokens;
      node.output_tokens = acc.output_tokens;
      node.total_tokens = acc.total_tokens;
      node.mean_total_tokens = Mean(static_cast<double>(acc.total_tokens), acc.calls);
      node.errors = acc.errors;
    }
    FillLatencies(renumbered, graph.nodes);

    graph.edges.reserve(order.size() + edges_.size());
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
      const WorkflowNode& node = graph.nodes[n];
      if (node.parent < 0) continue;
      graph.edges.push_back(
          {WorkflowEdgeKind::kContains, node.parent, static_cast<int32_t>(n), node.runs, node.calls});
    }
    for (const EdgeAcc& e : edges_) {
      graph.edges.push_back({WorkflowEdgeKind::kThen, renumbered[static_cast<size_t>(e.from)],
                             renumbered[static_cast<size_t>(e.to)], e.runs, e.count});
    }
    std::sort(graph.edges.begin(), graph.edges.end(), [](const WorkflowEdge& a, const WorkflowEdge& b) {
      return std::tie(a.kind, a.from, a.to) < std::tie(b.kind, b.from, b.to);
    });
    return graph;
  }

 private:
  int32_t KeyOf(const Observation& o) {
    std::string key = StepKey(o);
    const auto [it, inserted] = key_ids_.try_emplace(key, static_cast<int32_t>(keys_.size()));
    if (inserted) keys_.push_back(std::move(key));
    return it->second;
  }

  int32_t NodeOf(int32_t parent, int32_t key) {
    const auto [it, inserted] = node_ids_.try_emplace(Pair(parent, key), static_cast<int32_t>(nodes_.size()));
    if (inserted) {
      NodeAcc acc;
      acc.key = key;
      acc.parent = parent;
      acc.depth = parent < 0 ? 1 : nodes_[static_cast<size_t>(parent)].depth + 1;
      nodes_.push_back(acc);
    }
    return it->second;
  }

  // The run's counts (model::CountsOf), and its usage and cost summed over leaf carriers as the
  // trace row sums them (model/summary.h), but on the tree already built: SummarizeTrace would
  // also copy the root's payloads and merge every span's hints, which the graph does not need.
  void AddRunTotals(const SpanTree& tree) {
    has_carrier_below_.assign(static_cast<size_t>(tree.size()), false);
    double cost_usd = 0;
    int64_t total_tokens = 0;
    const std::vector<Index>& preorder = tree.preorder();
    // Reversed pre-order visits every child before its parent.
    for (auto it = preorder.rbegin(); it != preorder.rend(); ++it) {
      const Observation& o = tree.at(*it);
      const model::TraceCounts counts = model::CountsOf(o);
      model_calls_ += static_cast<double>(counts.generations);
      tool_calls_ += static_cast<double>(counts.tool_calls);
      errors_ += static_cast<double>(counts.errors);
      const bool carries = !o.usage.empty() || o.cost.total != 0 || o.cost.input != 0 || o.cost.output != 0;
      if (carries && !has_carrier_below_[static_cast<size_t>(*it)]) {
        cost_usd += o.cost.total;
        total_tokens += o.usage.total_tokens;
      }
      const Index p = tree.parent(*it);
      if (p != SpanTree::kNone && (carries || has_carrier_below_[static_cast<size_t>(*it)])) {
        has_carrier_below_[static_cast<size_t>(p)] = true;
      }
    }
    spans_ += static_cast<double>(tree.size());
    cost_usd_ += cost_usd;
    cost_nusd_ += model::ToNanoUsd(cost_usd);
    total_tokens_ += static_cast<double>(total_tokens);
    run_latency_ns_.push_back(tree.trace_end_ns() - tree.trace_start_ns());
  }

  // One transition per two consecutive siblings (already in (start, end, id) order).
  void AddSequence(std::span<const Index> siblings, int64_t run) {
    for (size_t k = 1; k < siblings.size(); ++k) {
      const int32_t from = span_nodes_[static_cast<size_t>(siblings[k - 1])];
      const int32_t to = span_nodes_[static_cast<size_t>(siblings[k])];
      const auto [it, inserted] = edge_ids_.try_emplace(Pair(from, to), static_cast<int32_t>(edges_.size()));
      if (inserted) edges_.push_back({from, to});
      EdgeAcc& e = edges_[static_cast<size_t>(it->second)];
      ++e.count;
      if (e.last_run != run) {
        e.last_run = run;
        ++e.runs;
      }
    }
  }

  std::vector<int32_t> CanonicalOrder() const {
    return TriePreorder(nodes_.size(), [&](size_t i) { return nodes_[i].parent; },
                        [&](size_t i) -> std::string_view { return keys_[static_cast<size_t>(nodes_[i].key)]; });
  }

  // Buckets the durations by node (a counting sort: each node's calls are known), then selects
  // each node's ranks in its bucket: linear overall.
  void FillLatencies(const std::vector<int32_t>& renumbered, std::vector<WorkflowNode>& nodes) {
    std::vector<size_t> offsets(nodes.size() + 1, 0);
    for (size_t n = 0; n < nodes.size(); ++n) offsets[n + 1] = offsets[n] + static_cast<size_t>(nodes[n].calls);
    std::vector<int64_t> bucketed(sample_ns_.size());
    std::vector<size_t> fill(offsets.begin(), offsets.end() - 1);
    for (size_t s = 0; s < sample_ns_.size(); ++s) {
      bucketed[fill[static_cast<size_t>(renumbered[static_cast<size_t>(sample_nodes_[s])])]++] = sample_ns_[s];
    }
    for (size_t n = 0; n < nodes.size(); ++n) {
      const std::span<int64_t> values(bucketed.data() + offsets[n], offsets[n + 1] - offsets[n]);
      nodes[n].latency_p50_ms = Ms(LowerRank(values, 0.5));
      nodes[n].latency_p95_ms = Ms(LowerRank(values, 0.95));
    }
  }

  WorkflowRunTotals Totals() {
    WorkflowRunTotals t;
    t.runs = runs_;
    t.spans_per_run = Mean(spans_, runs_);
    t.model_calls_per_run = Mean(model_calls_, runs_);
    t.tool_calls_per_run = Mean(tool_calls_, runs_);
    t.errors_per_run = Mean(errors_, runs_);
    t.cost_per_run_usd = Mean(cost_usd_, runs_);
    t.total_tokens_per_run = Mean(total_tokens_, runs_);
    t.latency_p50_ms = Ms(LowerRank(run_latency_ns_, 0.5));
    t.latency_p95_ms = Ms(LowerRank(run_latency_ns_, 0.95));
    return t;
  }

  absl::flat_hash_map<std::string, int32_t> key_ids_;
  std::vector<std::string> keys_;
  absl::flat_hash_map<uint64_t, int32_t> node_ids_;  // Pair(parent node, key) → node
  std::vector<NodeAcc> nodes_;
  absl::flat_hash_map<uint64_t, int32_t> edge_ids_;  // Pair(from, to) → index in edges_
  std::vector<EdgeAcc> edges_;
  // Of the run being added, by span index.
  std::vector<int32_t> span_nodes_;
  std::vector<bool> has_carrier_below_;
  // One duration per span of every run, with its node (parallel vectors).
  std::vector<int32_t> sample_nodes_;
  std::vector<int64_t> sample_ns_;
  int64_t runs_ = 0;
  double spans_ = 0, model_calls_ = 0, tool_calls_ = 0, errors_ = 0, cost_usd_ = 0, total_tokens_ = 0;
  int64_t cost_nusd_ = 0;  // each run's leaf-carrier cost rounded once, for the rollup
  std::vector<int64_t> run_latency_ns_;
};

// For each node of `to`, the node of `from` with the same path, or -1. Nodes are in pre-order, so
// a node's parent is matched before it.
std::vector<int32_t> MatchNodes(const WorkflowGraph& from, const WorkflowGraph& to) {
  absl::flat_hash_map<std::pair<int32_t, std::string_view>, int32_t> by_parent_and_key;
  by_parent_and_key.reserve(from.nodes.size());
  for (size_t n = 0; n < from.nodes.size(); ++n) {
    by_parent_and_key.emplace(std::pair<int32_t, std::string_view>(from.nodes[n].parent, from.nodes[n].key),
                              static_cast<int32_t>(n));
  }
  std::vector<int32_t> match(to.nodes.size(), -1);
  for (size_t n = 0; n < to.nodes.size(); ++n) {
    const WorkflowNode& node = to.nodes[n];
    int32_t parent = -1;
    if (node.parent >= 0) {
      parent = match[static_cast<size_t>(node.parent)];
      if (parent < 0) continue;  // below a node `from` lacks: the whole branch is unmatched
    }
    const auto it = by_parent_and_key.find(std::pair<int32_t, std::string_view>(parent, node.key));
    if (it != by_parent_and_key.end()) match[n] = it->second;
  }
  return match;
}

// Indexes of the kThen edges of `graph` whose endpoints, mapped by `match` into the other graph,
// are not a kThen edge of `other`.
std::vector<int32_t> EdgesOnlyIn(const WorkflowGraph& graph, const std::vector<int32_t>& match,
                                 const WorkflowGraph& other) {
  absl::flat_hash_set<uint64_t> other_edges;
  for (const WorkflowEdge& e : other.edges) {
    if (e.kind == WorkflowEdgeKind::kThen) other_edges.insert(Pair(e.from, e.to));
  }
  std::vector<int32_t> only;
  for (size_t k = 0; k < graph.edges.size(); ++k) {
    const WorkflowEdge& e = graph.edges[k];
    if (e.kind != WorkflowEdgeKind::kThen) continue;
    const int32_t from = match[static_cast<size_t>(e.from)];
    const int32_t to = match[static_cast<size_t>(e.to)];
    if (from < 0 || to < 0 || !other_edges.contains(Pair(from, to))) only.push_back(static_cast<int32_t>(k));
  }
  return only;
}

bool Moved(double before, double after, double min_ratio, double min_delta) {
  const double delta = std::abs(after - before);
  return delta > 0 && delta >= min_delta && delta >= min_ratio * std::abs(before);
}

}  // namespace

std::string_view ToString(WorkflowEdgeKind kind) {
  switch (kind) {
    case WorkflowEdgeKind::kContains:
      return "contains";
    case WorkflowEdgeKind::kThen:
      return "then";
  }
  return "contains";
}

WorkflowGraph BuildWorkflowGraph(std::span<const std::vector<Observation>> runs) {
  GraphBuilder builder;
  for (const std::vector<Observation>& run : runs) builder.AddRun(run);
  return builder.Finish();
}

model::WorkflowRollup WorkflowRollupOfRun(std::span<const Observation> run) {
  GraphBuilder builder;
  builder.AddRun(run);
  return builder.Rollup();
}

WorkflowGraph WorkflowGraphOfRollup(const model::WorkflowRollup& rollup) {
  const std::vector<model::WorkflowRollup::Node>& all = rollup.nodes();
  const std::vector<int32_t> preorder = TriePreorder(
      all.size(), [&](size_t i) { return all[i].parent; }, [&](size_t i) -> std::string_view { return all[i].key; });
  // Pre-order visits a parent first, so a zero node's subtree is skipped with it.
  std::vector<int32_t> renumbered(all.size(), -1);
  WorkflowGraph graph;
  const model::WorkflowTotalsValues& t = rollup.totals();
  const int64_t runs = t.runs;
  for (const int32_t old : preorder) {
    const model::WorkflowRollup::Node& from = all[static_cast<size_t>(old)];
    const int32_t parent = from.parent < 0 ? -1 : renumbered[static_cast<size_t>(from.parent)];
    if (from.values.IsZero() || (from.parent >= 0 && parent < 0)) continue;
    const model::WorkflowNodeValues& v = from.values;
    renumbered[static_cast<size_t>(old)] = static_cast<int32_t>(graph.nodes.size());
    WorkflowNode& node = graph.nodes.emplace_back();
    node.key = from.key;
    node.parent = parent;
    node.depth = parent < 0 ? 1 : graph.nodes[static_cast<size_t>(parent)].depth + 1;
    node.runs = v.runs;
    node.calls = v.calls;
    node.calls_per_run = Mean(static_cast<double>(v.calls), runs);
    node.latency_p50_ms = v.latency.Quantile(0.5) / 1e3;
    node.latency_p95_ms = v.latency.Quantile(0.95) / 1e3;
    node.cost_usd = static_cast<double>(v.cost_nusd) / 1e9;
    node.mean_cost_usd = Mean(node.cost_usd, v.calls);
    node.input_tokens = v.input_tokens;
    node.output_tokens = v.output_tokens;
    node.total_tokens = v.total_tokens;
    node.mean_total_tokens = Mean(static_cast<double>(v.total_tokens), v.calls);
    node.errors = v.errors;
  }
  // kContains edges follow from the nodes (a child's runs and calls); kThen edges come from the
  // rollup, without those that came back to zero or touch a skipped node.
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const WorkflowNode& node = graph.nodes[n];
    if (node.parent < 0) continue;
    graph.edges.push_back({WorkflowEdgeKind::kContains, node.parent, static_cast<int32_t>(n), node.runs, node.calls});
  }
  for (const auto& [key, values] : rollup.edges()) {
    if (key.kind != static_cast<int32_t>(WorkflowEdgeKind::kThen) || (values.runs == 0 && values.count == 0)) continue;
    const int32_t from = renumbered[static_cast<size_t>(key.from)];
    const int32_t to = renumbered[static_cast<size_t>(key.to)];
    if (from < 0 || to < 0) continue;
    graph.edges.push_back({WorkflowEdgeKind::kThen, from, to, values.runs, values.count});
  }
  std::sort(graph.edges.begin(), graph.edges.end(), [](const WorkflowEdge& a, const WorkflowEdge& b) {
    return std::tie(a.kind, a.from, a.to) < std::tie(b.kind, b.from, b.to);
  });
  graph.totals.runs = runs;
  graph.totals.spans_per_run = Mean(static_cast<double>(t.spans), runs);
  graph.totals.model_calls_per_run = Mean(static_cast<double>(t.model_calls), runs);
  graph.totals.tool_calls_per_run = Mean(static_cast<double>(t.tool_calls), runs);
  graph.totals.errors_per_run = Mean(static_cast<double>(t.errors), runs);
  graph.totals.cost_per_run_usd = Mean(static_cast<double>(t.cost_nusd) / 1e9, runs);
  graph.totals.total_tokens_per_run = Mean(static_cast<double>(t.total_tokens), runs);
  graph.totals.latency_p50_ms = t.latency.Quantile(0.5) / 1e3;
  graph.totals.latency_p95_ms = t.latency.Quantile(0.95) / 1e3;
  return graph;
}

std::string WorkflowPath(const WorkflowGraph& graph, int32_t node, int32_t max_steps) {
  if (node < 0 || static_cast<size_t>(node) >= graph.nodes.size() || max_steps < 1) return "";
  std::vector<std::string_view> keys;
  int32_t at = node;
  const bool cut = graph.nodes[static_cast<size_t>(node)].depth > max_steps;
  const int32_t keep = cut ? max_steps - 1 : max_steps;
  while (at >= 0 && static_cast<int32_t>(keys.size()) < keep) {
    keys.push_back(graph.nodes[static_cast<size_t>(at)].key);
    at = graph.nodes[static_cast<size_t>(at)].parent;
  }
  std::string path = cut ? "…" : "";
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) {
    if (!path.empty()) path += " > ";
    path += *it;
  }
  return path;
}

WorkflowGraphDiff DiffWorkflowGraphs(const WorkflowGraph& before, const WorkflowGraph& after,
                                     const WorkflowDiffOptions& options) {
  WorkflowGraphDiff diff;
  diff.before_totals = before.totals;
  diff.after_totals = after.totals;
  const std::vector<int32_t> after_to_before = MatchNodes(before, after);
  std::vector<int32_t> before_to_after(before.nodes.size(), -1);
  for (size_t n = 0; n < after.nodes.size(); ++n) {
    const int32_t b = after_to_before[n];
    if (b < 0) {
      diff.new_nodes.push_back(static_cast<int32_t>(n));
      continue;
    }
    before_to_after[static_cast<size_t>(b)] = static_cast<int32_t>(n);
    const WorkflowNode& x = before.nodes[static_cast<size_t>(b)];
    const WorkflowNode& y = after.nodes[n];
    WorkflowNodeChange c;
    c.before = b;
    c.after = static_cast<int32_t>(n);
    c.calls_per_run_before = x.calls_per_run;
    c.calls_per_run_after = y.calls_per_run;
    c.latency_p50_ms_before = x.latency_p50_ms;
    c.latency_p50_ms_after = y.latency_p50_ms;
    c.latency_p95_ms_before = x.latency_p95_ms;
    c.latency_p95_ms_after = y.latency_p95_ms;
    c.mean_cost_usd_before = x.mean_cost_usd;
    c.mean_cost_usd_after = y.mean_cost_usd;
    c.calls_per_run_moved =
        Moved(x.calls_per_run, y.calls_per_run, options.min_ratio, options.calls_per_run_min_delta);
    c.latency_p50_moved = Moved(x.latency_p50_ms, y.latency_p50_ms, options.min_ratio, options.latency_min_delta_ms);
    c.latency_p95_moved = Moved(x.latency_p95_ms, y.latency_p95_ms, options.min_ratio, options.latency_min_delta_ms);
    c.mean_cost_moved = Moved(x.mean_cost_usd, y.mean_cost_usd, options.min_ratio, options.mean_cost_min_delta_usd);
    if (c.calls_per_run_moved || c.latency_p50_moved || c.latency_p95_moved || c.mean_cost_moved) {
      diff.moved_nodes.push_back(c);
    }
  }
  for (size_t n = 0; n < before.nodes.size(); ++n) {
    if (before_to_after[n] < 0) diff.vanished_nodes.push_back(static_cast<int32_t>(n));
  }
  diff.new_edges = EdgesOnlyIn(after, after_to_before, before);
  diff.vanished_edges = EdgesOnlyIn(before, before_to_after, after);
  return diff;
}

}  // namespace trackly::analysis
