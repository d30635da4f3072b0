#include "model/workflow_rollup.h"

#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "base/varint.h"

namespace trackly::model {
namespace {

// The first byte of an encoding; a new layout gets a new value so old bytes still decode.
constexpr char kEncodingVersion = 1;

// The index_ key of a node: its parent (+1, so roots are 0) as four bytes, then its key. One
// string, so a lookup can use a reused buffer instead of building a pair per node.
void LookupKey(int32_t parent, std::string_view key, std::string& out) {
  const auto p = static_cast<uint32_t>(parent + 1);
  out.assign({static_cast<char>(p), static_cast<char>(p >> 8), static_cast<char>(p >> 16), static_cast<char>(p >> 24)});
  out.append(key);
}

void AddSketch(const LatencySketch& sketch, std::string& out) {
  const std::string bytes = sketch.Encode();
  AppendVarint(bytes.size(), out);
  out += bytes;
}

bool ReadBytes(std::string_view& in, std::string_view& bytes) {
  uint64_t size = 0;
  if (!ReadVarint(in, size) || size > in.size()) return false;
  bytes = in.substr(0, size);
  in.remove_prefix(size);
  return true;
}

bool ReadSketch(std::string_view& in, LatencySketch& sketch) {
  std::string_view bytes;
  if (!ReadBytes(in, bytes)) return false;
  absl::StatusOr<LatencySketch> decoded = LatencySketch::Decode(bytes);
  if (!decoded.ok()) return false;
  sketch = *std::move(decoded);
  return true;
}

// Calls f(a.x, b.x) for every sum x of a value type (a and b of one type, either may be
// const), in encoding order; one list serves Add, IsZero, Encode and Decode so they cannot
// disagree.
template <typename A, typename B, typename F>
void ForEachSum(A& a, B& b, F&& f) {
  using V = std::remove_const_t<A>;
  static_assert(std::is_same_v<V, std::remove_const_t<B>>);
  if constexpr (std::is_same_v<V, WorkflowNodeValues>) {
    f(a.runs, b.runs), f(a.calls, b.calls), f(a.errors, b.errors), f(a.cost_nusd, b.cost_nusd);
    f(a.input_tokens, b.input_tokens), f(a.output_tokens, b.output_tokens), f(a.total_tokens, b.total_tokens);
  } else if constexpr (std::is_same_v<V, WorkflowTotalsValues>) {
    f(a.runs, b.runs), f(a.spans, b.spans), f(a.model_calls, b.model_calls), f(a.tool_calls, b.tool_calls);
    f(a.errors, b.errors), f(a.cost_nusd, b.cost_nusd), f(a.total_tokens, b.total_tokens);
  } else {
    static_assert(std::is_same_v<V, WorkflowEdgeValues>);
    f(a.runs, b.runs), f(a.count, b.count);
  }
}

template <typename V>
void AddValues(V& to, const V& from, int64_t sign) {
  ForEachSum(to, from, [&](int64_t& x, int64_t y) { x += sign * y; });
}

template <typename V>
bool SumsZero(const V& value) {
  bool zero = true;
  ForEachSum(value, value, [&](int64_t x, int64_t) { zero = zero && x == 0; });
  return zero;
}

template <typename V>
void EncodeSums(const V& value, std::string& out) {
  ForEachSum(value, value, [&](int64_t x, int64_t) { AppendSigned(x, out); });
}

template <typename V>
bool DecodeSums(std::string_view& in, V& value) {
  bool ok = true;
  ForEachSum(value, value, [&](int64_t& x, int64_t) { ok = ok && ReadSigned(in, x); });
  return ok;
}

absl::Status Malformed(std::string_view what) {
  return absl::DataLossError(absl::StrCat("malformed workflow rollup: ", Sv(what)));
}

}  // namespace

bool WorkflowNodeValues::IsZero() const { return SumsZero(*this) && latency.empty(); }

int32_t WorkflowRollup::FindOrAddNode(int32_t parent, std::string_view key) {
  std::string lookup;
  LookupKey(parent, key, lookup);
  auto [it, inserted] = index_.try_emplace(std::move(lookup), static_cast<int32_t>(nodes_.size()));
  if (inserted) nodes_.push_back(Node{.key = std::string(key), .parent = parent});
  return it->second;
}

void WorkflowRollup::Add(const WorkflowRollup& other, int64_t sign) {
  AddValues(totals_, other.totals_, sign);
  totals_.latency.Merge(other.totals_.latency, sign);
  // Parents come before their children in `other`, so each node's parent is mapped first.
  std::vector<int32_t> mapped(other.nodes_.size());
  for (size_t i = 0; i < other.nodes_.size(); ++i) {
    const Node& node = other.nodes_[i];
    const int32_t parent = node.parent < 0 ? -1 : mapped[static_cast<size_t>(node.parent)];
    mapped[i] = FindOrAddNode(parent, node.key);
    WorkflowNodeValues& values = mutable_node(mapped[i]);
    AddValues(values, node.values, sign);
    values.latency.Merge(node.values.latency, sign);
  }
  for (const auto& [key, values] : other.edges_) {
    WorkflowEdgeKey to{.kind = key.kind,
                       .from = mapped[static_cast<size_t>(key.from)],
                       .to = mapped[static_cast<size_t>(key.to)]};
    AddValues(edges_[to], values, sign);
  }
}

void WorkflowRollup::Compact() {
  std::vector<int32_t> renumbered(nodes_.size(), -1);
  std::vector<Node> kept;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    Node& node = nodes_[i];
    const bool parent_kept = node.parent < 0 || renumbered[static_cast<size_t>(node.parent)] >= 0;
    if (!parent_kept || node.values.IsZero()) continue;
    renumbered[i] = static_cast<int32_t>(kept.size());
    node.parent = node.parent < 0 ? -1 : renumbered[static_cast<size_t>(node.parent)];
    kept.push_back(std::move(node));
  }
  std::map<WorkflowEdgeKey, WorkflowEdgeValues> edges;
  for (const auto& [key, values] : edges_) {
    const int32_t from = renumbered[static_cast<size_t>(key.from)];
    const int32_t to = renumbered[static_cast<size_t>(key.to)];
    if (from < 0 || to < 0 || SumsZero(values)) continue;
    edges.emplace(WorkflowEdgeKey{.kind = key.kind, .from = from, .to = to}, values);
  }
  nodes_ = std::move(kept);
  edges_ = std::move(edges);
  index_.clear();
  std::string lookup;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    LookupKey(nodes_[i].parent, nodes_[i].key, lookup);
    index_.emplace(lookup, static_cast<int32_t>(i));
  }
}

bool WorkflowRollup::IsZero() const {
  if (!SumsZero(totals_) || !totals_.latency.empty()) return false;
  for (const Node& node : nodes_) {
    if (!node.values.IsZero()) return false;
  }
  for (const auto& [key, values] : edges_) {
    if (!SumsZero(values)) return false;
  }
  return true;
}

// Layout: version byte; totals (sums, sketch); node count, then per node parent + 1, key, sums,
// sketch; edge count, then per edge kind, from, to, sums. Sketches and keys are length-prefixed.
std::string WorkflowRollup::Encode() const {
  std::string out(1, kEncodingVersion);
  EncodeSums(totals_, out);
  AddSketch(totals_.latency, out);
  AppendVarint(nodes_.size(), out);
  for (const Node& node : nodes_) {
    AppendVarint(static_cast<uint64_t>(node.parent + 1), out);
    AppendVarint(node.key.size(), out);
    out += node.key;
    EncodeSums(node.values, out);
    AddSketch(node.values.latency, out);
  }
  AppendVarint(edges_.size(), out);
  for (const auto& [key, values] : edges_) {
    AppendVarint(static_cast<uint64_t>(key.kind), out);
    AppendVarint(static_cast<uint64_t>(key.from), out);
    AppendVarint(static_cast<uint64_t>(key.to), out);
    EncodeSums(values, out);
  }
  return out;
}

absl::StatusOr<WorkflowRollup> WorkflowRollup::Decode(std::string_view in) {
  if (in.empty() || in.front() != kEncodingVersion) return Malformed("unknown encoding version");
  in.remove_prefix(1);
  WorkflowRollup rollup;
  if (!DecodeSums(in, rollup.totals_) || !ReadSketch(in, rollup.totals_.latency)) return Malformed("totals");
  uint64_t node_count = 0;
  if (!ReadVarint(in, node_count) || node_count > in.size()) return Malformed("node count");
  rollup.nodes_.reserve(node_count);
  for (uint64_t i = 0; i < node_count; ++i) {
    uint64_t parent_plus_one = 0;
    std::string_view key;
    if (!ReadVarint(in, parent_plus_one) || !ReadBytes(in, key)) return Malformed("node");
    if (parent_plus_one > i) return Malformed("a node's parent is not before it");
    const auto parent = static_cast<int32_t>(parent_plus_one) - 1;
    if (rollup.FindOrAddNode(parent, key) != static_cast<int32_t>(i)) return Malformed("a repeated node");
    Node& node = rollup.nodes_.back();
    if (!DecodeSums(in, node.values) || !ReadSketch(in, node.values.latency)) return Malformed("node values");
  }
  uint64_t edge_count = 0;
  if (!ReadVarint(in, edge_count) || edge_count > in.size()) return Malformed("edge count");
  for (uint64_t i = 0; i < edge_count; ++i) {
    uint64_t kind = 0, from = 0, to = 0;
    if (!ReadVarint(in, kind) || !ReadVarint(in, from) || !ReadVarint(in, to)) return Malformed("edge");
    if (kind > 1 || from >= node_count || to >= node_count) return Malformed("an edge names no node");
    WorkflowEdgeValues& values = rollup.edges_[WorkflowEdgeKey{
        .kind = static_cast<int32_t>(kind), .from = static_cast<int32_t>(from), .to = static_cast<int32_t>(to)}];
    if (!DecodeSums(in, values)) return Malformed("edge values");
  }
  if (!in.empty()) return Malformed("trailing bytes");
  return rollup;
}

}  // namespace trackly::model
