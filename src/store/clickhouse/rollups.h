// The metrics rollups of the ClickHouse store (tables `rollups` and `rollup_cells`, layout in
// schema/002_rollups.sql): written by the writer each time it recomputes a trace's summary, read
// by Store::QueryMetrics. The values are model/rollup.h's, bucketed by minute of start
// (RollupMinuteS), as in the SQLite store.
//
// Why per-trace rows and tombstones (ClickHouse has no transactions and no in-place update, and
// a trace's observations can be replaced): the writer already has ALL of a trace's stored
// observations to recompute its summary (writer.h), so it writes the trace's whole contribution
// again, one row per cell (kind, minute, dimension values) and trace, with the summary's version. A
// cell the trace contributed to before and no longer does (its start moved to another minute,
// its model changed, …) gets a row of zeros. A query collapses each (cell, trace) to its newest
// row (argMax by version) and sums over traces: exact before any merge, and a retried write
// (same observations, newer version) only replaces rows, never adds to them.
//
// Knowing the cells a trace had: `rollup_cells` lists, per trace, every cell where it may have a
// non-zero row. The list only grows before the rows are written and only shrinks after the
// tombstones were, so a write that fails part-way never leaves a non-zero row the next write
// of the trace cannot find. Concurrent writers of one trace: the clock assumption of
// clickhouse_store.h (as for summaries).
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/observation.h"
#include "model/rollup.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/retention_classes.h"
#include "store/metrics_query.h"

namespace trackly::store::clickhouse {

// One rollup cell (everything of a `rollups` row's key but the trace).
struct RollupCell {
  int kind = 0;                    // model::RollupKind
  int64_t minute_s = 0;            // RollupMinuteS of the start
  std::vector<std::string> dims;   // the values of model::DimensionsOf(kind), in order
  auto operator<=>(const RollupCell&) const = default;
};
using RollupCells = std::set<RollupCell>;
using RollupCellsByTrace = std::map<std::string, RollupCells>;
// What one trace adds to each cell.
using RollupContribution = std::map<RollupCell, model::RollupValues>;

// What `trace`, the summary of `observations` (all of the trace's), contributes to every rollup.
RollupContribution ContributionOf(const model::Trace& trace, std::span<const model::Observation> observations);

// The cells where each of `trace_ids` may have non-zero rows, by trace id (absent: none).
absl::StatusOr<RollupCellsByTrace> ReadRollupCells(const Database& db, std::string_view project,
                                                                   const std::vector<std::string>& trace_ids);

// A trace's new contribution, and the cells ReadRollupCells gave for it before.
struct TraceRollup {
  std::string trace_id;
  int64_t start_ns = 0;  // the trace's start (the day of its rollup_cells row)
  RollupCells previous;
  RollupContribution contribution;
};

// Replaces what each of `traces` contributes: its rows at `version` (the version of the
// summaries they were computed with), tombstones for the cells it left, and its cell list (a
// list that shrinks is written last, with the version `later_version()` returns), all in the
// partitions of `retention` (retention_classes.h).
absl::Status WriteRollups(const Database& db, std::string_view project, RetentionClass retention, uint64_t version,
                          const std::function<uint64_t()>& later_version, const std::vector<TraceRollup>& traces);

// Answers `query` from the rollups (contract: Store::QueryMetrics). Reads the rollup rows of the
// query's kind and time range only (partition pruning on `day`); percentiles merge the cells'
// sketches here.
absl::StatusOr<MetricsResult> QueryRollups(const Database& db, const MetricsQuery& query);

}  // namespace trackly::store::clickhouse
