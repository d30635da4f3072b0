#include "store/sqlite/observation_rewriter.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "store/sqlite/payload.h"

namespace trackly::store::sqlite {
namespace {

int64_t EndOf(const RewriteRange& range) {
  return range.to_ns == 0 ? std::numeric_limits<int64_t>::max() : range.to_ns;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ListRewriteTraces(Connection& db, const RewriteRange& range) {
  // The primary key (project, trace_id, id) yields the project's rows in trace order, so DISTINCT
  // is a comparison with the previous row; only the summary column start_ns is read per row.
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt,
                           db.Prepare("SELECT DISTINCT trace_id FROM observations WHERE project = ?1 "
                                      "AND start_ns >= ?2 AND start_ns < ?3 ORDER BY trace_id"));
  stmt.BindText(1, range.project);
  stmt.BindInt(2, range.from_ns);
  stmt.BindInt(3, EndOf(range));
  std::vector<std::string> trace_ids;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    trace_ids.emplace_back(stmt.Text(0));
  }
  return trace_ids;
}

absl::Status RewriteChunk::Load(Connection& db, std::vector<EncodedObservation>& out) {
  std::vector<EncodedObservation> changed;
  RewriteStats stats;
  for (const std::string& trace_id : trace_ids_) {
    // Prepared per trace: the cached statement is reset when `stmt` goes out of scope.
    TRACKLY_ASSIGN_OR_RETURN(Statement stmt,
                             db.Prepare(absl::StrCat("SELECT ", FullObservationColumns(),
                                                     " FROM observations WHERE project = ?1 AND trace_id = ?2 "
                                                     "AND start_ns >= ?3 AND start_ns < ?4")));
    stmt.BindText(1, range_.project);
    stmt.BindText(2, trace_id);
    stmt.BindInt(3, range_.from_ns);
    stmt.BindInt(4, EndOf(range_));
    PayloadReader payloads(db);
    bool trace_changed = false;
    while (true) {
      TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      TRACKLY_ASSIGN_OR_RETURN(model::Observation observation,
                               ReadObservationRow(payloads, stmt, trace_id, RowRead::kFull));
      ++stats.observations_visited;
      const std::string id = observation.id;
      if (!rewrite_(observation)) continue;
      if (observation.id != id || observation.trace_id != trace_id) {
        error_ = absl::InvalidArgumentError(
            absl::StrCat("rewrite of observation ", id, " in trace ", trace_id, " changed its id or trace_id"));
        return absl::OkStatus();  // nothing of this chunk is written; the caller reports error_
      }
      ++stats.observations_rewritten;
      trace_changed = true;
      changed.push_back(EncodeObservation(std::move(observation), compress_min_bytes_));
    }
    if (trace_changed) ++stats.traces_rewritten;
  }
  stats_ = stats;
  out = std::move(changed);
  return absl::OkStatus();
}

}  // namespace trackly::store::sqlite
