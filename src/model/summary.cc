#include "model/summary.h"

#include <algorithm>
#include <set>

#include "absl/container/flat_hash_map.h"

namespace trackly::model {
namespace {

bool Earlier(const Observation* a, const Observation* b) {
  if (a->start_time_ns != b->start_time_ns) return a->start_time_ns < b->start_time_ns;
  return a->id < b->id;
}

const std::string& FirstNonEmpty(const Observation* root, const std::vector<const Observation*>& ordered,
                                 const std::string& (*field)(const Observation&)) {
  if (root != nullptr && !field(*root).empty()) return field(*root);
  for (const Observation* o : ordered) {
    if (!field(*o).empty()) return field(*o);
  }
  static const std::string kEmpty;
  return kEmpty;
}

bool CarriesSpend(const Observation& o) { return !o.usage.empty() || o.cost.total != 0 || o.cost.input != 0 || o.cost.output != 0; }

// For each observation, the index of its parent among `observations`, or -1 when it has none
// there (a root, an orphan, or a parent id naming itself).
std::vector<int64_t> ParentIndexes(std::span<const Observation> observations) {
  absl::flat_hash_map<std::string_view, int64_t> by_id;
  by_id.reserve(observations.size());
  for (size_t i = 0; i < observations.size(); ++i) by_id.emplace(observations[i].id, static_cast<int64_t>(i));
  std::vector<int64_t> parents(observations.size(), -1);
  for (size_t i = 0; i < observations.size(); ++i) {
    if (observations[i].parent_id.empty()) continue;
    auto it = by_id.find(observations[i].parent_id);
    if (it != by_id.end() && it->second != static_cast<int64_t>(i)) parents[i] = it->second;
  }
  return parents;
}

// Leaf carriers: observations with usage or cost none of whose descendants has any. Every
// ancestor of a carrier is marked; the walk up stops at the first marked one and after n steps,
// so a cycle in hostile parent ids cannot loop.
std::vector<bool> LeafCarriers(std::span<const Observation> observations, const std::vector<int64_t>& parents) {
  const size_t n = observations.size();
  std::vector<bool> has_carrier_below(n, false);
  for (size_t i = 0; i < n; ++i) {
    if (!CarriesSpend(observations[i])) continue;
    int64_t cur = parents[i];
    for (size_t steps = 0; steps < n && cur >= 0 && cur != static_cast<int64_t>(i); ++steps) {
      if (has_carrier_below[static_cast<size_t>(cur)]) break;  // its ancestors are already marked
      has_carrier_below[static_cast<size_t>(cur)] = true;
      cur = parents[static_cast<size_t>(cur)];
    }
  }
  std::vector<bool> leaf(n, false);
  for (size_t i = 0; i < n; ++i) leaf[i] = CarriesSpend(observations[i]) && !has_carrier_below[i];
  return leaf;
}

}  // namespace

TraceCounts CountsOf(const Observation& o) {
  TraceCounts counts;
  counts.observations = 1;
  switch (o.type) {
    case ObservationType::kGeneration:
      counts.generations = 1;
      break;
    case ObservationType::kTool:
      counts.tool_calls = 1;
      break;
    case ObservationType::kRetriever:
      counts.retrievals = 1;
      break;
    default:
      break;
  }
  if (o.is_error()) counts.errors = 1;
  if (o.retry_count > 0) counts.retries = 1;
  return counts;
}

Trace SummarizeTrace(std::span<const Observation> observations) {
  Trace t;
  if (observations.empty()) return t;

  std::vector<const Observation*> ordered;
  ordered.reserve(observations.size());
  for (const Observation& o : observations) ordered.push_back(&o);
  std::sort(ordered.begin(), ordered.end(), Earlier);

  const Observation* root = nullptr;
  for (const Observation* o : ordered) {
    if (o->is_root()) {
      root = o;
      break;
    }
  }
  t.id = ordered.front()->trace_id;
  t.has_root = root != nullptr;

  // Name and explicit trace input/output from hints.
  const TraceHints* named = nullptr;
  const TraceHints* with_input = nullptr;
  const TraceHints* with_output = nullptr;
  if (root != nullptr) {
    if (!root->trace_hints.trace_name.empty()) named = &root->trace_hints;
    if (!root->trace_hints.trace_input.is_null()) with_input = &root->trace_hints;
    if (!root->trace_hints.trace_output.is_null()) with_output = &root->trace_hints;
  }
  for (const Observation* o : ordered) {
    if (named == nullptr && !o->trace_hints.trace_name.empty()) named = &o->trace_hints;
    if (with_input == nullptr && !o->trace_hints.trace_input.is_null()) with_input = &o->trace_hints;
    if (with_output == nullptr && !o->trace_hints.trace_output.is_null()) with_output = &o->trace_hints;
  }
  if (named != nullptr) t.name = named->trace_name;
  else if (root != nullptr) t.name = root->name;
  else t.name = ordered.front()->name;
  if (with_input != nullptr) t.input = with_input->trace_input;
  else if (root != nullptr) t.input = root->input;
  if (with_output != nullptr) t.output = with_output->trace_output;
  else if (root != nullptr) t.output = root->output;

  t.session_id = FirstNonEmpty(root, ordered, [](const Observation& o) -> const std::string& { return o.trace_hints.session_id; });
  t.user_id = FirstNonEmpty(root, ordered, [](const Observation& o) -> const std::string& { return o.trace_hints.user_id; });
  t.feature = FirstNonEmpty(root, ordered, [](const Observation& o) -> const std::string& { return o.trace_hints.feature; });
  t.environment = FirstNonEmpty(root, ordered, [](const Observation& o) -> const std::string& { return o.environment; });
  t.release = FirstNonEmpty(root, ordered, [](const Observation& o) -> const std::string& { return o.release; });

  std::set<std::string> tags;
  std::set<std::string> models;
  bool any_error = false;
  t.start_time_ns = 0;
  for (const Observation* o : ordered) {
    for (const std::string& tag : o->trace_hints.tags) tags.insert(tag);
    if (o != root) t.metadata.update(o->trace_hints.trace_metadata);
    if (o->start_time_ns != 0 && (t.start_time_ns == 0 || o->start_time_ns < t.start_time_ns)) {
      t.start_time_ns = o->start_time_ns;
    }
    t.end_time_ns = std::max(t.end_time_ns, o->end_time_ns);
    t.counts += CountsOf(*o);
    if ((o->type == ObservationType::kGeneration || o->type == ObservationType::kEmbedding) &&
        !o->model.empty()) {
      models.insert(o->model);
    }
    any_error = any_error || o->is_error();
  }
  if (root != nullptr) t.metadata.update(root->trace_hints.trace_metadata);
  t.tags.assign(tags.begin(), tags.end());
  t.models.assign(models.begin(), models.end());

  if (any_error) t.status = Status::kError;
  else if (root != nullptr && root->status != Status::kUnset) t.status = root->status;
  else if (root != nullptr) t.status = Status::kOk;

  // Summed in start order, so floating-point cost sums do not depend on arrival order.
  const std::vector<int64_t> parents = ParentIndexes(observations);
  const std::vector<bool> leaf = LeafCarriers(observations, parents);
  for (const Observation* o : ordered) {
    if (!leaf[static_cast<size_t>(o - observations.data())]) continue;
    t.usage += o->usage;
    t.cost += o->cost;
  }
  return t;
}

std::vector<SubtreeTotals> SummarizeSubtrees(std::span<const Observation> observations) {
  const size_t n = observations.size();
  const std::vector<int64_t> parents = ParentIndexes(observations);
  const std::vector<bool> leaf = LeafCarriers(observations, parents);
  std::vector<SubtreeTotals> totals(n);
  for (size_t i = 0; i < n; ++i) {
    totals[i].counts += CountsOf(observations[i]);
    if (!leaf[i]) continue;
    totals[i].usage = observations[i].usage;
    totals[i].cost = observations[i].cost;
  }
  // Children before parents: a post-order walk from every observation without a parent in the
  // trace. Observations in a parent cycle are never reached and keep only their own totals.
  std::vector<std::vector<size_t>> children(n);
  std::vector<size_t> stack;
  for (size_t i = 0; i < n; ++i) {
    if (parents[i] < 0) stack.push_back(i);
    else children[static_cast<size_t>(parents[i])].push_back(i);
  }
  std::vector<size_t> post_order;
  post_order.reserve(n);
  while (!stack.empty()) {
    const size_t i = stack.back();
    stack.pop_back();
    post_order.push_back(i);
    stack.insert(stack.end(), children[i].begin(), children[i].end());
  }
  // Reversed pre-order visits every child before its parent.
  for (auto it = post_order.rbegin(); it != post_order.rend(); ++it) {
    const int64_t parent = parents[*it];
    if (parent < 0) continue;
    SubtreeTotals& up = totals[static_cast<size_t>(parent)];
    const SubtreeTotals& own = totals[*it];
    up.counts += own.counts;
    up.usage += own.usage;
    up.cost += own.cost;
  }
  return totals;
}

Session SummarizeSession(const std::string& session_id, std::span<const Trace> traces) {
  Session s;
  s.id = session_id;
  // From an empty session nothing is removed, so the times are always known.
  s = *UpdateSessionSummary(std::move(s), {}, traces);
  const Trace* first_with_user = nullptr;
  for (const Trace& t : traces) {
    if (!t.user_id.empty() &&
        (first_with_user == nullptr || t.start_time_ns < first_with_user->start_time_ns ||
         (t.start_time_ns == first_with_user->start_time_ns && t.id < first_with_user->id))) {
      first_with_user = &t;
    }
  }
  if (first_with_user != nullptr) s.user_id = first_with_user->user_id;
  return s;
}

std::optional<Session> UpdateSessionSummary(Session s, std::span<const Trace> removed, std::span<const Trace> added) {
  // The sums of each side first, each from zero in the order given: a trace rewritten with the
  // same amounts then changes nothing, bit for bit.
  struct Side {
    int64_t traces = 0;
    int64_t errors = 0;
    TraceCounts counts;
    Usage usage;
    Cost cost;
    int64_t first_ns = 0;  // earliest non-zero start
    int64_t last_ns = 0;   // latest start or end
  };
  auto sum = [](std::span<const Trace> traces) {
    Side side;
    for (const Trace& t : traces) {
      ++side.traces;
      if (t.status == Status::kError) ++side.errors;
      side.counts += t.counts;
      side.usage += t.usage;
      side.cost += t.cost;
      if (t.start_time_ns != 0 && (side.first_ns == 0 || t.start_time_ns < side.first_ns)) {
        side.first_ns = t.start_time_ns;
      }
      side.last_ns = std::max({side.last_ns, t.start_time_ns, t.end_time_ns});
    }
    return side;
  };
  const Side gone = sum(removed);
  const Side come = sum(added);
  if (gone.traces > s.trace_count) return std::nullopt;

  // First time: the earliest non-zero start. A removed trace at it may have been the only one
  // there; then only an added trace at or before it says what the first time is now.
  const bool first_gone = gone.first_ns != 0 && gone.first_ns <= s.first_time_ns;
  if (first_gone && (come.first_ns == 0 || come.first_ns > s.first_time_ns)) return std::nullopt;
  if (come.first_ns != 0 && (first_gone || s.first_time_ns == 0 || come.first_ns < s.first_time_ns)) {
    s.first_time_ns = come.first_ns;
  }
  // Last time, likewise.
  const bool last_gone = gone.last_ns != 0 && gone.last_ns >= s.last_time_ns;
  if (last_gone && come.last_ns < s.last_time_ns) return std::nullopt;
  s.last_time_ns = last_gone ? come.last_ns : std::max(s.last_time_ns, come.last_ns);

  s.trace_count += come.traces - gone.traces;
  s.error_count += come.errors - gone.errors;
  s.counts += come.counts;
  s.counts -= gone.counts;
  Usage usage = come.usage;
  usage -= gone.usage;
  s.usage += usage;
  Cost cost = come.cost;
  cost -= gone.cost;
  s.cost += cost;
  return s;
}

bool ChangesSessionUser(std::span<const Trace> removed, std::span<const Trace> added) {
  auto has_user = [](const Trace& t) { return !t.user_id.empty(); };
  return std::ranges::any_of(removed, has_user) || std::ranges::any_of(added, has_user);
}

}  // namespace trackly::model
