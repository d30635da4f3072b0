#include "store/clickhouse/eraser.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/rollup.h"
#include "store/clickhouse/rollups.h"
#include "store/clickhouse/sql.h"
#include "store/clickhouse/workflow.h"

namespace trackly::store::clickhouse {
namespace {

// Every table with a trace_id column naming the trace of a row; observation_fragments and
// sessions are deleted by other keys. session_traces by trace id, so that the rows under the
// sessions a trace was in before go too.
constexpr const char* kTablesByTraceId[] = {"observations", "traces", "session_traces", "scores", "rollups",
                                            "rollup_cells"};
// The rollup tables among them, which tail sampling keeps (Store::DropSampledOut).
bool IsRollupTable(std::string_view table) { return table == "rollups" || table == "rollup_cells"; }

// The traces the request names whose latest summary matches (a trace id is taken as given: its
// scores may exist without a trace).
absl::StatusOr<std::vector<std::string>> TracesToErase(const Database& db, const EraseRequest& request) {
  if (!request.trace_id.empty()) return std::vector<std::string>{request.trace_id};
  const char* column = request.session_id.empty() ? "user_id" : "session_id";
  const std::string value = Quote(request.session_id.empty() ? request.user_id : request.session_id);
  const std::string project = Quote(request.project);
  // The traces with a summary row naming the user or session, the latest or an older one.
  const std::string candidates =
      request.session_id.empty()
          ? absl::StrCat("SELECT trace_id FROM traces WHERE project = ", project, " AND user_id = ", value)
          : TracesOfSessionsSql(request.project, InList({request.session_id}));
  TRACKLY_ASSIGN_OR_RETURN(
      std::vector<std::string> trace_ids,
      ReadStrings(db,
                  absl::StrCat("SELECT trace_id FROM (SELECT trace_id, argMax(", column,
                               ", version) AS latest FROM traces WHERE project = ", project, " AND trace_id IN (",
                               candidates, ") GROUP BY trace_id) WHERE latest = ", value),
                  "reading the traces to erase"));
  // Traces tail sampling dropped have no summary left, only their rollup rows, whose per-user key
  // (model::RollupKind::kTraceByUser) names the user and session: dims [user, session].
  TRACKLY_ASSIGN_OR_RETURN(
      std::vector<std::string> dropped,
      ReadStrings(db,
                  absl::StrCat("SELECT DISTINCT trace_id FROM rollups WHERE project = ", project,
                               " AND kind = ", static_cast<int>(model::RollupKind::kTraceByUser), " AND dims[", request.session_id.empty() ? 1 : 2, "] = ", value,
                               " AND trace_id NOT IN (SELECT trace_id FROM traces WHERE project = ", project, ")"),
                  "reading the dropped traces to erase"));
  trace_ids.insert(trace_ids.end(), dropped.begin(), dropped.end());
  return trace_ids;
}

}  // namespace

absl::StatusOr<TraceRemoval> ReadTraceRemoval(const Database& db, const std::string& project,
                                              std::vector<std::string> trace_ids) {
  TraceRemoval removal{.project = project, .trace_ids = std::move(trace_ids)};
  const std::string in_project = Quote(project);
  std::set<std::string> sessions;
  TRACKLY_RETURN_IF_ERROR(ForEachChunk(removal.trace_ids, [&](const std::vector<std::string>& chunk) -> absl::Status {
    const std::string in = InList(chunk);
    TRACKLY_ASSIGN_OR_RETURN(TracesById traces, ReadTraces(db, project, chunk));
    removal.stats.traces += static_cast<int64_t>(traces.size());
    for (const auto& [id, trace] : traces) {
      if (!trace.session_id.empty()) sessions.insert(trace.session_id);
    }
    const std::string observations =
        absl::StrCat("SELECT id FROM observations WHERE project = ", in_project, " AND trace_id IN ", in);
    TRACKLY_ASSIGN_OR_RETURN(int64_t observation_count,
                             ReadCount(db, absl::StrCat("SELECT uniqExact(id) FROM (", observations, ")")));
    removal.stats.observations += observation_count;
    TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string> fragmented,
                             ReadStrings(db,
                                         absl::StrCat("SELECT DISTINCT observation_id FROM observation_fragments "
                                                      "WHERE project = ",
                                                      in_project, " AND observation_id IN (", observations, ")"),
                                         "reading the fragments to remove"));
    for (std::string& id : fragmented) removal.fragment_observation_ids.push_back(std::move(id));
    TRACKLY_ASSIGN_OR_RETURN(int64_t scores,
                             ReadCount(db, absl::StrCat("SELECT count() FROM (SELECT id, argMax(trace_id, version) "
                                                        "AS latest FROM scores WHERE project = ",
                                                        in_project, " GROUP BY id) WHERE latest IN ", in)));
    removal.stats.scores += scores;
    return absl::OkStatus();
  }));
  removal.session_ids.assign(sessions.begin(), sessions.end());
  return removal;
}

absl::Status ApplyTraceRemoval(const Database& db, Writer& writer, const TraceRemoval& removal,
                               absl::Duration mutation_timeout, std::string_view what, bool keep_rollups) {
  const std::string project = Quote(removal.project);
  // A mutation rewrites every part it touches, so none is issued where no row is left (retention
  // may have dropped the partitions already).
  auto delete_where = [&](const char* table, const std::string& condition) -> absl::Status {
    const std::string where = absl::StrCat("project = ", project, " AND ", condition);
    TRACKLY_ASSIGN_OR_RETURN(int64_t rows, ReadCount(db, absl::StrCat("SELECT count() FROM ", table, " WHERE ", where)));
    if (rows == 0) return absl::OkStatus();
    return db.Alter(table, absl::StrCat("DELETE WHERE ", where));
  };
  // The hours whose rollup rows go: their hour sums (rollups.h) are marked stale before the
  // mutations (a query then collapses them) and again once the mutations are done (sums computed
  // while they ran may still count the rows).
  std::set<int64_t> hours;
  if (!keep_rollups) {
    TRACKLY_ASSIGN_OR_RETURN(hours, ReadRollupHoursOfTraces(db, removal.project, removal.trace_ids));
    TRACKLY_RETURN_IF_ERROR(MarkRollupHoursDirty(db, removal.project, writer.RetentionClassOf(removal.project),
                                                 writer.NextVersion(), hours));
  }
  TRACKLY_RETURN_IF_ERROR(ForEachChunk(removal.trace_ids, [&](const std::vector<std::string>& chunk) -> absl::Status {
    for (const char* table : kTablesByTraceId) {
      if (keep_rollups && IsRollupTable(table)) continue;
      TRACKLY_RETURN_IF_ERROR(delete_where(table, absl::StrCat("trace_id IN ", InList(chunk))));
    }
    return absl::OkStatus();
  }));
  TRACKLY_RETURN_IF_ERROR(ForEachChunk(removal.fragment_observation_ids, [&](const std::vector<std::string>& ids) {
    return delete_where("observation_fragments", absl::StrCat("observation_id IN ", InList(ids)));
  }));
  // Every row of the sessions, older versions included (they name the user and sum the removed
  // traces); those that keep traces are summarized afresh below.
  TRACKLY_RETURN_IF_ERROR(ForEachChunk(removal.session_ids, [&](const std::vector<std::string>& chunk) {
    return delete_where("sessions", absl::StrCat("session_id IN ", InList(chunk)));
  }));
  TRACKLY_RETURN_IF_ERROR(WaitForMutations(db, mutation_timeout, what));
  TRACKLY_RETURN_IF_ERROR(MarkRollupHoursDirty(db, removal.project, writer.RetentionClassOf(removal.project),
                                               writer.NextVersion(), hours));
  TRACKLY_ASSIGN_OR_RETURN(TracesBySession remaining, ReadTracesOfSessions(db, removal.project, removal.session_ids));
  std::set<std::string> kept;
  for (const auto& [session_id, traces] : remaining) kept.insert(session_id);
  return writer.WriteSessionSummaries(removal.project, kept);
}

absl::StatusOr<EraseStats> EraseTraces(const Database& db, Writer& writer, const EraseRequest& request,
                                       absl::Duration mutation_timeout) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string> trace_ids, TracesToErase(db, request));
  if (trace_ids.empty()) return EraseStats{};
  TRACKLY_ASSIGN_OR_RETURN(TraceRemoval removal, ReadTraceRemoval(db, request.project, std::move(trace_ids)));
  // Erasure only (tail sampling keeps workflow rollups): the traces' contributions are taken back
  // and their workflow_runs rows deleted by a mutation ApplyTraceRemoval's wait covers.
  TRACKLY_RETURN_IF_ERROR(TakeBackWorkflowRuns(db, removal.project, writer.RetentionClassOf(removal.project),
                                               removal.trace_ids, writer.NextVersion()));
  TRACKLY_RETURN_IF_ERROR(ApplyTraceRemoval(db, writer, removal, mutation_timeout, "erasure"));
  return removal.stats;
}

absl::StatusOr<EraseStats> DropSampledOutTraces(const Database& db, Writer& writer, const std::string& project,
                                               std::vector<std::string> trace_ids, absl::Duration mutation_timeout) {
  if (trace_ids.empty()) return EraseStats{};
  TRACKLY_ASSIGN_OR_RETURN(TraceRemoval removal, ReadTraceRemoval(db, project, std::move(trace_ids)));
  // Neither the rollups nor the workflow tables: dashboards, alerts and workflow graphs count
  // every run, the dropped ones included.
  TRACKLY_RETURN_IF_ERROR(
      ApplyTraceRemoval(db, writer, removal, mutation_timeout, "tail sampling", /*keep_rollups=*/true));
  return removal.stats;
}

}  // namespace trackly::store::clickhouse
