// The code steps of layouts 5 and 6 (the latter: RebuildWithSmallGranules below).
//
// The code step of layout 5 (schema/005_retention_classes.sql; docs/scale-out.md "Retention"):
// moves every day-partitioned table that expiry acts on to its new table, partitioned by
// retention class and day (retention_classes.h). The SQL file has created the new tables as
// <table>__layout5; for each table this step
//   1. swaps the new table in: RENAME TABLE t TO t__layout4, t__layout5 TO t, so every write
//      from then on (this node's, and those of nodes still running an older layout, whose inserts
//      leave the class columns at their default) goes to the new table;
//   2. copies the old rows day by day, newest first, into the partitions of kMigratedRowsClass:
//      INSERT … SELECT of one day into a scratch table of the same structure, then ALTER TABLE t
//      REPLACE PARTITION (65535, 65535, day) FROM it. The REPLACE swaps that day's copy in whole,
//      so copying a day twice leaves it once, even in workflow_cells, whose rows add up;
//   3. repeats 2 while the old table's parts changed (an insert that was running at the swap),
//      then drops the old table and the scratch tables.
// Every step finds out from system.tables and system.columns how far an earlier run got, so the
// step can be run again after a crash at any point, and by several nodes at once (one swap wins;
// a node that finds the old table dropped under it knows another one finished), without losing or
// doubling a row. Every statement runs on 18.16.
//
// While it runs, reads see the days copied so far and everything written since the swap. A trace
// that another node writes to meanwhile may get a summary computed from the spans copied so far;
// MoveToRetentionClassTables returns those traces, whose summaries the store then rewrites. An
// erasure or expiry another node runs meanwhile does not reach the rows not copied yet
// (docs/scale-out.md "The layout 5 migration" advises stopping the other nodes).
#pragma once

#include "absl/status/statusor.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/schema.h"

namespace trackly::store::clickhouse {

// The tables of layouts 1 to 4 that layout 5 moves, with their day partition, to class partitions.
inline constexpr const char* kTablesByRetentionClass[] = {
    "observations", "traces", "rollups", "rollup_cells", "observation_fragments", "workflow_runs", "workflow_cells"};

// The tables layout 6 (schema/006_index_granularity.sql) rebuilds with 1024-row granules.
inline constexpr const char* kTablesWithSmallGranules[] = {"observations", "traces"};

// The code step of layout 6, the same machinery on kTablesWithSmallGranules: swaps in each
// <table>__layout6 (the old table becomes <table>__layout5_old), copies the old rows partition by
// partition with INSERT … SELECT (not REPLACE PARTITION: the new table's partitions take writes
// meanwhile; a row copied twice is harmless in a ReplacingMergeTree), again for each partition an
// insert running at the swap changed, then drops the old table. Resumable and safe to run on
// several nodes at once like layout 5's; while it runs, reads see what is copied so far and
// everything written since the swap. Returns the traces with observations written since the swap
// (versions above every old row's), whose summaries the store then rewrites. Runs on `db` whose
// 006 statements have run.
absl::StatusOr<TraceIdsByProject> RebuildWithSmallGranules(const Database& db);

// Runs the step on `db` (whose 005 statements have run). Returns the traces with observations
// written since the swap (by any node), whose summaries may have been computed from part of
// their spans; empty when the tables had been moved already. Unavailable when ClickHouse cannot
// be reached; its error otherwise (the step can simply be run again).
absl::StatusOr<TraceIdsByProject> MoveToRetentionClassTables(const Database& db);

}  // namespace trackly::store::clickhouse
