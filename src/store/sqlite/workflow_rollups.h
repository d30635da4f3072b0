// The workflow rollups of the SQLite store (Store::RecordWorkflowRuns / QueryWorkflowRollup;
// tables workflow_runs and workflow_rollups, schema.cc layout 8; docs/insight.md "Workflow graph",
// "Maintained at completion"). Each function works inside the caller's transaction (writes) or on
// the caller's read connection (QueryWorkflowRollups).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/workflow_rollup.h"
#include "store/sqlite/connection.h"
#include "store/store.h"

namespace trackly::store::sqlite {

// Replaces each run's previous contribution (its workflow_runs row, if any) with the one given:
// subtracted from its old cell, added to its new one, the run row upserted. A cell touched by
// several runs is read and written once; a cell that comes back to zero is deleted. `runs` are
// valid (ValidateWorkflowRuns); a trace named twice counts as its last run.
absl::Status RecordWorkflowRuns(Connection& db, std::string_view project, const std::vector<WorkflowRun>& runs);

// Takes back what each of `trace_ids` contributed and deletes its run row (erasure). A trace
// without a run row is skipped.
absl::Status RemoveWorkflowRuns(Connection& db, std::string_view project, std::span<const std::string> trace_ids);

// Deletes the run rows and cells of the hours before `before_hour` (summary expiry). Returns the
// cells deleted.
absl::StatusOr<int64_t> ExpireWorkflowRollups(Connection& db, std::string_view project, int64_t before_hour);

// The sum of the cells `query` selects (validated), compacted.
absl::StatusOr<model::WorkflowRollup> QueryWorkflowRollups(Connection& db, const WorkflowRollupQuery& query);

}  // namespace trackly::store::sqlite
