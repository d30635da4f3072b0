#include "store/sqlite/summary_cache.h"

#include <algorithm>

namespace trackly::store::sqlite {

void KeepOnlySummaryInputs(model::Observation& o) {
  if (o.is_root()) return;
  // Checked before each reset: most observations arrive already reduced, and assigning a fresh
  // empty object allocates.
  if (!o.input.is_null()) o.input = nullptr;
  if (!o.output.is_null()) o.output = nullptr;
  if (!o.metadata.empty()) o.metadata = model::Json::object();
  if (!o.attributes.empty()) o.attributes = model::Json::object();
  if (!o.model_parameters.empty()) o.model_parameters = model::Json::object();
  o.events.clear();
}

std::optional<std::vector<model::Observation>> SummaryCache::Take(std::string_view project,
                                                                  std::string_view trace_id) {
  auto it = entries_.find(Key(project, trace_id));
  if (it == entries_.end()) return std::nullopt;
  std::vector<model::Observation> observations = std::move(it->second.observations);
  held_observations_ -= observations.size();
  entries_.erase(it);
  return observations;
}

void SummaryCache::Put(std::string_view project, std::string_view trace_id,
                       std::vector<model::Observation> observations) {
  if (observations.size() < kMinTraceObservations || observations.size() > max_observations_) return;
  for (model::Observation& o : observations) KeepOnlySummaryInputs(o);
  held_observations_ += observations.size();
  entries_[Key(project, trace_id)] = Entry{.observations = std::move(observations), .last_used = ++clock_};
  // Few entries (each holds at least kMinTraceObservations), so a linear search for the oldest
  // is cheaper than keeping an ordered index.
  while (held_observations_ > max_observations_) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    held_observations_ -= oldest->second.observations.size();
    entries_.erase(oldest);
  }
}

void SummaryCache::Clear() {
  entries_.clear();
  held_observations_ = 0;
}

}  // namespace trackly::store::sqlite
