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
#include <limits>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/clock.h"
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
// partitions of `retention` (retention_classes.h). Once the rows are acknowledged, marks every
// hour they touched dirty with a `later_version()` (hour sums, below).
absl::Status WriteRollups(const Database& db, std::string_view project, RetentionClass retention, uint64_t version,
                          const std::function<uint64_t()>& later_version, const std::vector<TraceRollup>& traces);

// Answers `query` from the rollups (contract: Store::QueryMetrics). Reads the rollup rows of the
// query's kind and time range only (partition pruning on `day`); percentiles merge the cells'
// sketches here. Uncached: every (cell, trace) of the range is collapsed (QueryRollups below
// answers the same from the hour sums where it can).
absl::StatusOr<MetricsResult> QueryRollups(const Database& db, const MetricsQuery& query);

// ---- Hour sums (schema/007_rollup_hours.sql; docs/scale-out.md "Dashboards") ----
//
// A dashboard over 30 days collapses one `rollups` row per trace and cell; `rollup_hours` keeps,
// per (project, kind, hour, dims), the sums of those collapsed rows, so such a query reads one row
// per cell and hour instead. They stay exact this way:
//  - An hour's sums are computed all at once from the collapsed `rollups` rows of that hour, with
//    `computed_version` = the clock taken BEFORE the read, and inserted together with a marker
//    row (kind kHourMarkerKind) in one insert of one partition, which ClickHouse makes visible
//    whole. A query reads only the rows of the hour's newest computation (the highest marker
//    version; ReplacingMergeTree only ever replaces a row by a newer computation's), so it never
//    mixes two computations, and a cell a later computation no longer has is not read.
//  - Every change of an hour's `rollups` rows is followed by a dirty mark (rollup_dirty_hours:
//    project, hour, version = the clock AFTER the change was acknowledged): WriteRollups after
//    its rows insert, the eraser after its mutations (and before them).
//  - An hour's sums are valid iff their computed_version > newest dirty mark + clock_margin_ns.
//    A write the computation's read missed was acknowledged after that read began, so its mark,
//    taken after the acknowledgement, is above computed_version - (the clock difference of the
//    two nodes); with clocks closer than clock_margin_ns (the clock assumption of
//    clickhouse_store.h, with a margin) such a mark makes the sums invalid. A write that has been
//    acknowledged to its client has its mark stored, so it is never hidden by older sums.
//  - The query sums the valid hours' rows and collapses `rollups` for every other minute of the
//    range (invalid or uncomputed hours, the partial hours at the edges), deciding which hours are
//    valid once, so no hour is counted twice or missed.
// Stale or missing hours are recomputed by the query itself, once the hour has ended and its
// newest mark is older than recompute_after_ns (a live hour would be stale again at once), and in
// the background by the HourSumsFiller (hour_sums_filler.h) with FillHourSums.

// The `kind` of the marker row each computation of an hour writes (no model::RollupKind).
inline constexpr int kHourMarkerKind = 255;

// How QueryRollups uses and refreshes the hour sums.
struct HourSumsOptions {
  const Clock* clock = nullptr;  // null: no hour sums, QueryRollups(db, query) above
  RetentionClass retention;      // the class of the hour rows it writes (the project's now)
  // The largest clock difference between nodes that the hour sums tolerate (see above).
  int64_t clock_margin_ns = int64_t{5} * 1'000'000'000;
  // An hour is recomputed once it has ended and its newest dirty mark is this old.
  int64_t recompute_after_ns = int64_t{120} * 1'000'000'000;
  // At most this many hours are recomputed by one query (a month: the first 30-day dashboard
  // after an upgrade fills its range); the rest are collapsed from `rollups` until a later query.
  int max_hours_recomputed = 31 * 24;
  // Hours before this (seconds; the project's summary expiry day) are not computed: expiry would
  // only delete their sums again.
  int64_t first_kept_s = std::numeric_limits<int64_t>::min();
};

// What one QueryRollups with hour sums did: for tests and benchmarks.
struct HourSumsStats {
  int64_t hours_cached = 0;      // hours answered from their sums
  int64_t hours_recomputed = 0;  // hours whose sums this query computed
};

// QueryRollups, answering the valid whole hours of the range from their sums (same result as
// above). Without a clock in `options`, exactly the query above. `stats` may be null. A query
// that finds settled stale or missing hours computes them first (one read of `rollups` per day of
// hours), so it costs about one uncached query; the next ones read the sums. Queries on several
// threads or nodes may compute the same hour at once: each computation is whole, the newest wins.
absl::StatusOr<MetricsResult> QueryRollups(const Database& db, const MetricsQuery& query,
                                           const HourSumsOptions& options, HourSumsStats* stats = nullptr);

// Computes the sums of `project`'s settled stale or missing hours (as a query over them would),
// over every hour from its earliest `rollups` minute to its latest, at most
// options.max_hours_recomputed of them (the earliest); returns how many. For the background filler
// (hour_sums_filler.h): hours written before layout 7 or never queried have no dirty mark, so only
// a range finds them. `options.clock` must be set.
absl::StatusOr<int64_t> FillHourSums(const Database& db, std::string_view project, const HourSumsOptions& options);

// The projects that have `rollups` rows.
absl::StatusOr<std::vector<std::string>> ReadRollupProjects(const Database& db);

// Computes and stores the sums of each of `hours` (hour starts, seconds) of `project` from the
// collapsed `rollups` rows, with computed_version = `clock` before each read.
absl::Status ComputeHourSums(const Database& db, const Clock& clock, std::string_view project,
                             RetentionClass retention, const std::vector<int64_t>& hours);

// The hour (start, seconds) of a rollup minute.
int64_t RollupHourS(int64_t minute_s);

// The hours in which `trace_ids` of `project` have `rollups` rows.
absl::StatusOr<std::set<int64_t>> ReadRollupHoursOfTraces(const Database& db, std::string_view project,
                                                          const std::vector<std::string>& trace_ids);

// Marks `hours` of `project` dirty at `version` (a time after the change of their rollups rows
// was acknowledged), in the partitions of `retention`.
absl::Status MarkRollupHoursDirty(const Database& db, std::string_view project, RetentionClass retention,
                                  uint64_t version, const std::set<int64_t>& hours);

}  // namespace trackly::store::clickhouse
