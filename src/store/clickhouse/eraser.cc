#include "store/clickhouse/eraser.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "base/status.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/sql.h"

namespace trackly::store::clickhouse {
namespace {

// Every table and the column naming the trace of a row; observation_fragments and sessions are
// deleted by other keys.
constexpr const char* kTablesByTraceId[] = {"observations", "traces", "scores", "rollups", "rollup_cells"};

absl::StatusOr<std::vector<std::string>> ReadStrings(const Database& db, const std::string& sql, const char* what) {
  TRACKLY_ASSIGN_OR_RETURN(std::string rows, db.Select(absl::StrCat(sql, " FORMAT RowBinary")));
  RowBinaryReader in(rows, what);
  std::vector<std::string> out;
  while (!in.AtEnd()) out.push_back(in.String());
  TRACKLY_RETURN_IF_ERROR(in.status());
  return out;
}

absl::StatusOr<int64_t> ReadCount(const Database& db, const std::string& sql) {
  TRACKLY_ASSIGN_OR_RETURN(std::string text, db.Select(absl::StrCat(sql, " FORMAT TabSeparated")));
  int64_t count = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &count)) {
    return absl::InternalError(absl::StrCat("ClickHouse answered a count with \"", text, "\""));
  }
  return count;
}

// The traces the request names whose latest summary matches (a trace id is taken as given: its
// scores may exist without a trace).
absl::StatusOr<std::vector<std::string>> TracesToErase(const Database& db, const EraseRequest& request) {
  if (!request.trace_id.empty()) return std::vector<std::string>{request.trace_id};
  const char* column = request.session_id.empty() ? "user_id" : "session_id";
  const std::string value = Quote(request.session_id.empty() ? request.user_id : request.session_id);
  const std::string project = Quote(request.project);
  return ReadStrings(db,
                     absl::StrCat("SELECT trace_id FROM (SELECT trace_id, argMax(", column,
                                  ", version) AS latest FROM traces WHERE project = ", project,
                                  " AND trace_id IN (SELECT trace_id FROM traces WHERE project = ", project, " AND ",
                                  column, " = ", value, ") GROUP BY trace_id) WHERE latest = ", value),
                     "reading the traces to erase");
}

// Waits until no mutation of the database is running. Polled: ClickHouse has no way to wait for
// a mutation on 18.16 (mutations_sync arrived in 19.x).
absl::Status WaitForMutations(const Database& db, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration pause = absl::Milliseconds(20);
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(int64_t running,
                             ReadCount(db, absl::StrCat("SELECT count() FROM system.mutations WHERE database = ",
                                                        Quote(db.name()), " AND is_done = 0")));
    if (running == 0) return absl::OkStatus();
    if (absl::Now() + pause > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "ClickHouse is still applying the erasure (", running,
          " mutations running); it will finish on its own, and erasing again is harmless"));
    }
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(500));
  }
}

}  // namespace

absl::StatusOr<EraseStats> EraseTraces(const Database& db, Writer& writer, const EraseRequest& request,
                                       absl::Duration mutation_timeout) {
  EraseStats stats;
  TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string> trace_ids, TracesToErase(db, request));
  if (trace_ids.empty()) return stats;
  const std::string project = Quote(request.project);
  std::set<std::string> sessions;
  TRACKLY_RETURN_IF_ERROR(ForEachChunk(trace_ids, [&](const std::vector<std::string>& chunk) -> absl::Status {
    const std::string in = InList(chunk);
    TRACKLY_ASSIGN_OR_RETURN(TracesById traces, ReadTraces(db, request.project, chunk));
    stats.traces += static_cast<int64_t>(traces.size());
    for (const auto& [id, trace] : traces) {
      if (!trace.session_id.empty()) sessions.insert(trace.session_id);
    }
    TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string> observation_ids,
                             ReadStrings(db,
                                         absl::StrCat("SELECT DISTINCT id FROM observations WHERE project = ", project,
                                                      " AND trace_id IN ", in),
                                         "reading the observations to erase"));
    stats.observations += static_cast<int64_t>(observation_ids.size());
    TRACKLY_ASSIGN_OR_RETURN(int64_t scores,
                             ReadCount(db, absl::StrCat("SELECT count() FROM (SELECT id, argMax(trace_id, version) "
                                                        "AS latest FROM scores WHERE project = ",
                                                        project, " GROUP BY id) WHERE latest IN ", in)));
    stats.scores += scores;
    for (const char* table : kTablesByTraceId) {
      TRACKLY_RETURN_IF_ERROR(db.Execute(
          absl::StrCat("ALTER TABLE ", table, " DELETE WHERE project = ", project, " AND trace_id IN ", in)));
    }
    return ForEachChunk(observation_ids, [&](const std::vector<std::string>& ids) {
      return db.Execute(absl::StrCat("ALTER TABLE observation_fragments DELETE WHERE project = ", project,
                                     " AND observation_id IN ", InList(ids)));
    });
  }));
  // Every row of the sessions, older versions included (they name the user and sum the erased
  // traces); those that keep traces are summarized afresh below.
  const std::vector<std::string> session_ids(sessions.begin(), sessions.end());
  TRACKLY_RETURN_IF_ERROR(ForEachChunk(session_ids, [&](const std::vector<std::string>& chunk) {
    return db.Execute(absl::StrCat("ALTER TABLE sessions DELETE WHERE project = ", project,
                                   " AND session_id IN ", InList(chunk)));
  }));
  TRACKLY_RETURN_IF_ERROR(WaitForMutations(db, mutation_timeout));
  TRACKLY_ASSIGN_OR_RETURN(TracesBySession remaining, ReadTracesOfSessions(db, request.project, session_ids));
  std::set<std::string> kept;
  for (const auto& [session_id, traces] : remaining) kept.insert(session_id);
  TRACKLY_RETURN_IF_ERROR(writer.WriteSessionSummaries(request.project, kept));
  return stats;
}

}  // namespace trackly::store::clickhouse
