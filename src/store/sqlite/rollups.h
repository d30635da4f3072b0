// The metrics rollups of the SQLite store: maintained by the writer in the transaction that
// changes a trace, read by Store::QueryMetrics. Layout: schema.cc (layout version 3); design:
// docs/architecture.md "Metrics rollups".
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "model/observation.h"
#include "model/rollup.h"
#include "store/metrics_query.h"
#include "store/sqlite/connection.h"

namespace trackly::store::sqlite {

// Not thread-safe: the writer thread's, one per commit (so nothing it caches outlives a
// transaction that may roll back).
//
// Why contributions per trace: a trace's summary (and so its status, user, session and trace
// name) is recomputed from all its observations whenever one arrives, and a replaced
// observation's previous values are gone from its row by then. Keeping what each trace last
// contributed makes an update "subtract the old, add the new", exact in any arrival order since
// every rollup value is an integer sum (model::RollupValues).
class RollupWriter {
 public:
  // Replaces what trace `trace_id` contributes by what `trace`, the summary of `observations`
  // (all of the trace's), contributes. `is_new`: the trace had no summary before this commit, so
  // it has no stored contribution to read.
  absl::Status ReplaceTrace(Connection& db, std::string_view project, std::string_view trace_id, bool is_new,
                            const model::Trace& trace, std::span<const model::Observation> observations);
  // Removes what trace `trace_id` contributes (Store::Erase); nothing when it contributes nothing.
  absl::Status RemoveTrace(Connection& db, std::string_view project, std::string_view trace_id);
  // Tail sampling (Store::DropSampledOut), before the trace's summary row is deleted: leaves what
  // it contributes in the rollups and moves its contribution to sampled_out_traces (schema.cc
  // layout 9) with its start, user and session; nothing when it has no summary.
  absl::Status SampleOutTrace(Connection& db, std::string_view project, std::string_view trace_id);
  // Removes what a dropped trace contributed (erasure, summary expiry); nothing when it has none.
  absl::Status RemoveSampledOut(Connection& db, std::string_view project, std::string_view trace_id);
  // Adds the summed changes of every ReplaceTrace and RemoveTrace to the rollup tables, then
  // deletes the per-user keys (model::RollupKind::kTraceByUser, whose dimensions are a user and a
  // session id) that RemoveTrace left without any row, so an erased user's id is gone from the
  // rollups too. Call once, last.
  absl::Status Flush(Connection& db);

 private:
  struct Entry;
  using KeyOfDims = std::tuple<std::string, int, std::vector<std::string>>;  // (project, kind, dims)
  using Cell = std::tuple<std::string, int, int64_t, int64_t>;               // (project, tier, bucket_s, key_id)

  absl::StatusOr<int64_t> KeyId(Connection& db, std::string_view project, model::RollupKind kind,
                                std::vector<std::string> dims);
  void AddToCells(std::string_view project, const Entry& entry, int64_t sign);
  // Subtracts the stored contribution of a trace that has one (is_new false).
  absl::Status SubtractStored(Connection& db, std::string_view project, std::string_view trace_id);
  // Subtracts a contribution body (rollup_contributions.body) of `trace_id` from the cells.
  absl::Status SubtractBody(std::string_view project, std::string_view trace_id, std::string_view body);
  absl::Status PruneRemovedUserKeys(Connection& db);

  absl::flat_hash_map<KeyOfDims, int64_t> key_ids_;
  absl::flat_hash_map<Cell, model::RollupValues> deltas_;
  // (project, key id) of the kTraceByUser keys RemoveTrace subtracted from.
  absl::flat_hash_set<std::pair<std::string, int64_t>> removed_user_keys_;
};

// Recomputes every rollup row and trace contribution of the store from the stored observations,
// replacing what the rollup tables held (a layout upgrade that changes model::RollupValues uses
// it). Run inside the caller's write transaction; time linear in the number of observations.
absl::Status RebuildRollups(Connection& db);

// Answers `query` from the rollup tables through `db` (a read connection). Contract: Store::QueryMetrics.
absl::StatusOr<MetricsResult> QueryRollups(Connection& db, const MetricsQuery& query);

}  // namespace trackly::store::sqlite
