#include "store/sqlite/workflow_rollups.h"

#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status.h"

namespace trackly::store::sqlite {
namespace {

// (name, environment, release, hour): one workflow_rollups row of a project.
using CellKey = std::tuple<std::string, std::string, std::string, int64_t>;

absl::StatusOr<model::WorkflowRollup> DecodeRollup(std::string_view bytes, std::string_view what) {
  absl::StatusOr<model::WorkflowRollup> rollup = model::WorkflowRollup::Decode(bytes);
  if (!rollup.ok()) return absl::DataLossError(absl::StrCat("workflow rollup of ", Sv(what), ": ", rollup.status().message()));
  return rollup;
}

// The changes of one transaction, summed per cell before any cell is read: a batch of runs in the
// same hour costs one read and one write of that cell, not one per run.
class CellChanges {
 public:
  void Add(CellKey cell, const model::WorkflowRollup& rollup, int64_t sign) {
    deltas_[std::move(cell)].Add(rollup, sign);
  }

  absl::Status Apply(Connection& db, std::string_view project) {
    for (auto& [cell, delta] : deltas_) {
      // Not compacted: a delta is no sum of runs, so a step whose values did not change can have
      // children that did (Compact would drop them with it).
      if (delta.IsZero()) continue;  // e.g. a run recorded again unchanged
      const auto& [name, environment, release, hour] = cell;
      model::WorkflowRollup sum;
      {
        TRACKLY_ASSIGN_OR_RETURN(
            Statement read, db.Prepare("SELECT rollup FROM workflow_rollups WHERE project = ?1 AND name = ?2 AND "
                                       "hour = ?3 AND environment = ?4 AND release = ?5"));
        BindCell(read, project, cell);
        TRACKLY_ASSIGN_OR_RETURN(bool found, read.Step());
        if (found) {
          TRACKLY_ASSIGN_OR_RETURN(sum, DecodeRollup(read.Blob(0), absl::StrCat("trace name ", name)));
        }
      }
      sum.Add(delta);
      sum.Compact();
      if (sum.IsZero()) {
        TRACKLY_ASSIGN_OR_RETURN(
            Statement del, db.Prepare("DELETE FROM workflow_rollups WHERE project = ?1 AND name = ?2 AND hour = ?3 "
                                      "AND environment = ?4 AND release = ?5"));
        BindCell(del, project, cell);
        TRACKLY_RETURN_IF_ERROR(del.Run());
        continue;
      }
      TRACKLY_ASSIGN_OR_RETURN(
          Statement write, db.Prepare("INSERT OR REPLACE INTO workflow_rollups(project, name, hour, environment, "
                                      "release, rollup) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
      BindCell(write, project, cell);
      const std::string bytes = sum.Encode();
      write.BindBlob(6, bytes);
      TRACKLY_RETURN_IF_ERROR(write.Run());
    }
    deltas_.clear();
    return absl::OkStatus();
  }

 private:
  static void BindCell(Statement& stmt, std::string_view project, const CellKey& cell) {
    stmt.BindText(1, project);
    stmt.BindText(2, std::get<0>(cell));
    stmt.BindInt(3, std::get<3>(cell));
    stmt.BindText(4, std::get<1>(cell));
    stmt.BindText(5, std::get<2>(cell));
  }

  std::map<CellKey, model::WorkflowRollup> deltas_;
};

// Subtracts the stored run row of `trace_id` (if any) into `changes`; true when there was one.
absl::StatusOr<bool> TakeBackRun(Connection& db, std::string_view project, std::string_view trace_id,
                                 CellChanges& changes) {
  TRACKLY_ASSIGN_OR_RETURN(Statement read,
                           db.Prepare("SELECT name, environment, release, hour, rollup FROM workflow_runs "
                                      "WHERE project = ?1 AND trace_id = ?2"));
  read.BindText(1, project);
  read.BindText(2, trace_id);
  TRACKLY_ASSIGN_OR_RETURN(bool found, read.Step());
  if (!found) return false;
  TRACKLY_ASSIGN_OR_RETURN(model::WorkflowRollup old, DecodeRollup(read.Blob(4), absl::StrCat("trace ", Sv(trace_id))));
  changes.Add(CellKey(read.Text(0), read.Text(1), read.Text(2), read.Int(3)), old, -1);
  return true;
}

}  // namespace

absl::Status RecordWorkflowRuns(Connection& db, std::string_view project, const std::vector<WorkflowRun>& runs) {
  CellChanges changes;
  for (const WorkflowRun& run : runs) {
    // Runs are handled in order and each row is written before the next is read, so a trace
    // named twice takes back its first contribution here.
    TRACKLY_RETURN_IF_ERROR(TakeBackRun(db, project, run.trace_id, changes).status());
    const int64_t hour = HourOf(run.start_ns);
    changes.Add(CellKey(run.name, run.environment, run.release, hour), run.rollup, +1);
    TRACKLY_ASSIGN_OR_RETURN(Statement upsert,
                             db.Prepare("INSERT OR REPLACE INTO workflow_runs(project, trace_id, name, environment, "
                                        "release, hour, rollup) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    upsert.BindText(1, project);
    upsert.BindText(2, run.trace_id);
    upsert.BindText(3, run.name);
    upsert.BindText(4, run.environment);
    upsert.BindText(5, run.release);
    upsert.BindInt(6, hour);
    const std::string bytes = run.rollup.Encode();
    upsert.BindBlob(7, bytes);
    TRACKLY_RETURN_IF_ERROR(upsert.Run());
  }
  return changes.Apply(db, project);
}

absl::Status RemoveWorkflowRuns(Connection& db, std::string_view project, std::span<const std::string> trace_ids) {
  CellChanges changes;
  for (const std::string& trace_id : trace_ids) {
    TRACKLY_ASSIGN_OR_RETURN(bool found, TakeBackRun(db, project, trace_id, changes));
    if (!found) continue;
    TRACKLY_ASSIGN_OR_RETURN(Statement del,
                             db.Prepare("DELETE FROM workflow_runs WHERE project = ?1 AND trace_id = ?2"));
    del.BindText(1, project);
    del.BindText(2, trace_id);
    TRACKLY_RETURN_IF_ERROR(del.Run());
  }
  return changes.Apply(db, project);
}

absl::StatusOr<int64_t> ExpireWorkflowRollups(Connection& db, std::string_view project, int64_t before_hour) {
  {
    TRACKLY_ASSIGN_OR_RETURN(Statement del,
                             db.Prepare("DELETE FROM workflow_runs WHERE project = ?1 AND hour < ?2"));
    del.BindText(1, project);
    del.BindInt(2, before_hour);
    TRACKLY_RETURN_IF_ERROR(del.Run());
  }
  TRACKLY_ASSIGN_OR_RETURN(Statement del,
                           db.Prepare("DELETE FROM workflow_rollups WHERE project = ?1 AND hour < ?2"));
  del.BindText(1, project);
  del.BindInt(2, before_hour);
  TRACKLY_RETURN_IF_ERROR(del.Run());
  return del.Changes();
}

absl::StatusOr<model::WorkflowRollup> QueryWorkflowRollups(Connection& db, const WorkflowRollupQuery& query) {
  // Every hour that overlaps [from_ns, to_ns).
  const int64_t from_hour = query.from_ns == 0 ? std::numeric_limits<int64_t>::min() : HourOf(query.from_ns);
  const int64_t to_hour = query.to_ns == 0 ? std::numeric_limits<int64_t>::max() : HourOf(query.to_ns - 1) + 1;
  // The primary key (project, name, hour, …) makes this a range of the name's cells; environment
  // and release, when set, are checked on the way (a few per hour).
  TRACKLY_ASSIGN_OR_RETURN(
      Statement select,
      db.Prepare("SELECT rollup FROM workflow_rollups WHERE project = ?1 AND name = ?2 AND hour >= ?3 AND hour < ?4 "
                 "AND (?5 IS NULL OR environment = ?5) AND (?6 IS NULL OR release = ?6)"));
  select.BindText(1, query.project);
  select.BindText(2, query.name);
  select.BindInt(3, from_hour);
  select.BindInt(4, to_hour);
  if (query.environment.has_value()) {
    select.BindText(5, *query.environment);
  } else {
    select.BindNull(5);
  }
  if (query.release.has_value()) {
    select.BindText(6, *query.release);
  } else {
    select.BindNull(6);
  }
  model::WorkflowRollup sum;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    TRACKLY_ASSIGN_OR_RETURN(model::WorkflowRollup cell,
                             DecodeRollup(select.Blob(0), absl::StrCat("trace name ", query.name)));
    sum.Add(cell);
  }
  sum.Compact();
  return sum;
}

}  // namespace trackly::store::sqlite
