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

}  // namespace

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
    ++t.counts.observations;
    switch (o->type) {
      case ObservationType::kGeneration:
        ++t.counts.generations;
        break;
      case ObservationType::kTool:
        ++t.counts.tool_calls;
        break;
      case ObservationType::kRetriever:
        ++t.counts.retrievals;
        break;
      default:
        break;
    }
    if ((o->type == ObservationType::kGeneration || o->type == ObservationType::kEmbedding) &&
        !o->model.empty()) {
      models.insert(o->model);
    }
    if (o->is_error()) {
      ++t.counts.errors;
      any_error = true;
    }
    if (o->retry_count > 0) ++t.counts.retries;
  }
  if (root != nullptr) t.metadata.update(root->trace_hints.trace_metadata);
  t.tags.assign(tags.begin(), tags.end());
  t.models.assign(models.begin(), models.end());

  if (any_error) t.status = Status::kError;
  else if (root != nullptr && root->status != Status::kUnset) t.status = root->status;
  else if (root != nullptr) t.status = Status::kOk;

  // Leaf carriers: mark every ancestor of a carrier; the unmarked carriers are summed. Walking up
  // parent links iteratively with a step bound, so a cycle in hostile parent ids cannot loop.
  absl::flat_hash_map<std::string_view, const Observation*> by_id;
  by_id.reserve(observations.size());
  for (const Observation* o : ordered) by_id.emplace(o->id, o);
  absl::flat_hash_map<const Observation*, bool> has_carrier_below;
  for (const Observation* o : ordered) {
    if (!CarriesSpend(*o)) continue;
    const Observation* cur = o;
    for (size_t steps = 0; steps < observations.size() && !cur->parent_id.empty(); ++steps) {
      auto it = by_id.find(cur->parent_id);
      if (it == by_id.end() || it->second == o) break;
      cur = it->second;
      bool& marked = has_carrier_below[cur];
      if (marked) break;  // its ancestors are already marked
      marked = true;
    }
  }
  for (const Observation* o : ordered) {
    if (!CarriesSpend(*o) || has_carrier_below.contains(o)) continue;
    t.usage += o->usage;
    t.cost += o->cost;
  }
  return t;
}

Session SummarizeSession(const std::string& session_id, std::span<const Trace> traces) {
  Session s;
  s.id = session_id;
  const Trace* first_with_user = nullptr;
  for (const Trace& t : traces) {
    ++s.trace_count;
    if (t.start_time_ns != 0 && (s.first_time_ns == 0 || t.start_time_ns < s.first_time_ns)) {
      s.first_time_ns = t.start_time_ns;
    }
    s.last_time_ns = std::max({s.last_time_ns, t.start_time_ns, t.end_time_ns});
    s.usage += t.usage;
    s.cost += t.cost;
    if (t.status == Status::kError) ++s.error_count;
    if (!t.user_id.empty() &&
        (first_with_user == nullptr || t.start_time_ns < first_with_user->start_time_ns ||
         (t.start_time_ns == first_with_user->start_time_ns && t.id < first_with_user->id))) {
      first_with_user = &t;
    }
  }
  if (first_with_user != nullptr) s.user_id = first_with_user->user_id;
  return s;
}

}  // namespace trackly::model
