// The workflow rollups of the ClickHouse store (tables `workflow_runs` and `workflow_cells`,
// layout in schema/004_workflow.sql; docs/scale-out.md "Workflow rollups"): written by
// Store::RecordWorkflowRuns, read by Store::QueryWorkflowRollup.
//
// Why signed rows in a SummingMergeTree (ClickHouse has no transactions and no in-place update):
// a cell (trace name, environment, release, hour) is the sum of its runs' model::WorkflowRollup,
// and every value of a rollup is a sum, so a cell is kept as rows of signed deltas, one per item
// (totals, node by path, edge by kind and both paths) and insert. Recording a run inserts its
// previous contribution (read from `workflow_runs`) negated and its new one; a query groups by
// item and sums, so it is exact whether or not ClickHouse has merged anything, and merges shrink
// the table to about one row per item and cell. A 30-day query reads (hours × environments ×
// releases × distinct items) rows, independent of the number of runs once merged.
//
// What is not exact, and when (clickhouse_store.h repeats it):
//  - Not idempotent: the cell insert adds. A RecordWorkflowRuns that fails after its cell insert
//    and before its `workflow_runs` insert leaves the run counted with its new contribution while
//    `workflow_runs` still names the old one; a later record or erasure of that trace then takes
//    back the old one and the difference stays in the cells. (The order is chosen so that the
//    common case, a trace recorded once and never again, stays exact after such a failure.) The
//    HTTP client never resends a request that timed out; it resends one whose pooled connection
//    broke, which counts it twice only if the server had received it before (http_client.h).
//  - Two nodes recording the same trace at the same moment each take back the same previous
//    contribution, so it is taken back twice and both new ones are counted.
//  - 18.16 keeps a row that merged to zero when the table has a …Map column (tested: even with
//    the map empty); a query skips it. Such rows appear only where a run's step structure changed or it was erased,
//    and are bounded by the distinct items a cell ever had.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "model/latency_sketch.h"
#include "model/workflow_rollup.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/retention_classes.h"
#include "store/store.h"

namespace trackly::store::clickhouse {

// Worker thread only (ordered with this node's writes). `runs` are valid (ValidateWorkflowRuns);
// a trace named twice counts as recorded in turn (the last wins). Inserts the cells' deltas, then
// the runs' rows, each with one insert, in the partitions of `retention` (retention_classes.h);
// `version` gives the runs' row version. Rows of one cell in partitions of different classes
// never merge together, and need not: reads sum across partitions.
absl::Status RecordWorkflowRuns(const Database& db, std::string_view project, RetentionClass retention,
                                std::vector<WorkflowRun> runs, uint64_t version);

// Worker thread only (erasure, eraser.h). Takes back the latest contribution of each of
// `trace_ids` that has one (negated cells), writes a tombstone row (`version`) for each so that
// an erasure retried before the deletion finished takes nothing back twice, and issues the
// mutation deleting every `workflow_runs` row of them; the caller waits for mutations. What it
// inserts goes to the partitions of `retention`.
absl::Status TakeBackWorkflowRuns(const Database& db, std::string_view project, RetentionClass retention,
                                  const std::vector<std::string>& trace_ids, uint64_t version);

// The traces of `project` whose latest `workflow_runs` row is in an hour before `before_hour`
// (expiry: their rows go; their hours' cells are dropped, not taken back).
absl::StatusOr<std::vector<std::string>> ReadWorkflowRunsBefore(const Database& db, std::string_view project,
                                                                int64_t before_hour);

// Worker thread only. Issues the mutation deleting every `workflow_runs` row of `trace_ids` in
// `project`, per chunk of ids only where such a row is left; the caller waits for mutations.
absl::Status DeleteWorkflowRuns(const Database& db, std::string_view project, const std::vector<std::string>& trace_ids);

// Answers `query` (contract: Store::QueryWorkflowRollup) with one GROUP BY over the cells of the
// name and hours in range (partition pruning on `day`). Nodes come in path order (parents before
// children, siblings by key bytes), edges and totals as summed; items that sum to zero are left out.
absl::StatusOr<model::WorkflowRollup> QueryWorkflowRollup(const Database& db, const WorkflowRollupQuery& query);

// A sketch as (bucket, count) pairs in ascending bucket order (the zero bucket, INT32_MIN,
// first) and back, through LatencySketch's stable encoding (latency_sketch.cc): the form of the
// `latencyMap` column. SketchOfBuckets skips zero counts; DataLoss for buckets out of order or out
// of Int32 range.
std::vector<std::pair<int64_t, int64_t>> SketchBuckets(const model::LatencySketch& sketch);
absl::StatusOr<model::LatencySketch> SketchOfBuckets(const std::vector<int64_t>& buckets,
                                                     const std::vector<int64_t>& counts);

}  // namespace trackly::store::clickhouse
