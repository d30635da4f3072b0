// Keeps the summary inputs of large traces between commits (see UpdateTrace in writer.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "model/observation.h"

namespace trackly::store::sqlite {

// Drops what model::SummarizeTrace does not read from a non-root observation: its input, output,
// metadata, attributes, model parameters and events. A root is left whole (its input/output feed
// the trace). Used on every observation handed to the writer thread once its payload is encoded,
// so the writer never frees those trees, and on what the cache keeps.
void KeepOnlySummaryInputs(model::Observation& observation);

// Not thread-safe: owned and used by the writer thread only.
//
// The observations of recently written large traces, reduced to what model::SummarizeTrace
// reads, so the next batch of a long-running trace (a 100k-span agent run arriving 500 spans at
// a time) recomputes the summary from memory instead of re-reading every stored row. Entries
// equal the stored rows as long as the caller Put()s only after a successful write and Clear()s
// when a transaction fails. Bounded by the total number of observations held; the least
// recently used traces are dropped first.
class SummaryCache {
 public:
  // Traces with fewer observations are not kept: re-reading them is cheap.
  static constexpr size_t kMinTraceObservations = 512;

  explicit SummaryCache(size_t max_observations) : max_observations_(max_observations) {}

  // Removes and returns the observations cached for a trace, if any.
  std::optional<std::vector<model::Observation>> Take(std::string_view project, std::string_view trace_id);
  // Keeps a trace's observations if it is large enough, reduced by KeepOnlySummaryInputs.
  void Put(std::string_view project, std::string_view trace_id, std::vector<model::Observation> observations);
  void Clear();

 private:
  struct Entry {
    std::vector<model::Observation> observations;
    uint64_t last_used = 0;
  };
  using Key = std::pair<std::string, std::string>;  // (project, trace_id)

  const size_t max_observations_;
  size_t held_observations_ = 0;
  uint64_t clock_ = 0;
  absl::flat_hash_map<Key, Entry> entries_;
};

}  // namespace trackly::store::sqlite
