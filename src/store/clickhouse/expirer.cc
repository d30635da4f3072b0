#include "store/clickhouse/expirer.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "base/status.h"
#include "store/clickhouse/eraser.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/rows.h"
#include "store/clickhouse/sql.h"
#include "store/clickhouse/workflow.h"

namespace trackly::store::clickhouse {
namespace {

constexpr int64_t kNanosPerDay = int64_t{86'400} * 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

// The day-partitioned tables whose rows before a day all belong to traces that started before it
// (an observation, its rollup minute and its fragments start no earlier than its trace).
constexpr const char* kTablesOfTraceDays[] = {"observations", "traces", "rollups", "observation_fragments"};

// What "the trace-level text is still there" means for a row of traces (what ReadTrace reads as
// absent: '' once expired, 'null' and '{}' as written).
constexpr char kTraceHasText[] = "NOT (input IN ('', 'null') AND output IN ('', 'null') AND metadata IN ('', '{}'))";

// The partitions (days) of a table with something of the project to expire.
struct Days {
  std::vector<int64_t> whole;   // holding rows of the project only: dropped or cleared whole
  std::vector<int64_t> shared;  // holding other projects' rows too: a mutation
};

std::string PartitionId(int64_t day) {
  return Quote(absl::FormatTime("%Y%m%d", absl::FromUnixSeconds(day * kSecondsPerDay), absl::UTCTimeZone()));
}

// The condition "day is one of `days`".
std::string DayIn(const std::vector<int64_t>& days) {
  std::vector<std::string> dates;
  for (int64_t day : days) dates.push_back(DayLiteral(day * kNanosPerDay));
  return absl::StrCat("day IN (", absl::StrJoin(dates, ", "), ")");
}

// The days before `before_day` in which a row of `project` in `table` matches `condition`, split by
// whether the partition holds rows of `project` only. The second scan reads only `project`.
absl::StatusOr<Days> DaysToExpire(const Database& db, const char* table, const std::string& project,
                                  int64_t before_day, const std::string& condition) {
  const std::string before = absl::StrCat("day < ", DayLiteral(before_day * kNanosPerDay));
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      db.Select(absl::StrCat("SELECT toUInt64(day) AS d, min(project = ", Quote(project), ") FROM ", table, " WHERE ",
                             before, " AND day IN (SELECT DISTINCT day FROM ", table, " WHERE project = ",
                             Quote(project), " AND ", before, " AND (", condition,
                             ")) GROUP BY d ORDER BY d FORMAT RowBinary")));
  RowBinaryReader in(rows, "reading the partitions to expire");
  Days days;
  while (!in.AtEnd()) {
    const int64_t day = static_cast<int64_t>(in.UInt64());
    (in.UInt8() != 0 ? days.whole : days.shared).push_back(day);
  }
  TRACKLY_RETURN_IF_ERROR(in.status());
  return days;
}

// Expires one table of one project at a time, counting the partitions it acts on whole.
class TableExpiry {
 public:
  TableExpiry(const Database& db, const std::string& project, ExpireStats& stats)
      : db_(db), project_(project), stats_(stats) {}

  // On the days before `before_day` where a row of the project matches `condition`: each of
  // `whole_commands` (ALTER commands ending just before "PARTITION ID …") on every partition
  // holding the project's rows only, and `mutation` (an ALTER command before its WHERE clause;
  // empty = none) on the project's matching rows of the other days.
  absl::Status Run(const char* table, int64_t before_day, const std::string& condition,
                   const std::vector<std::string>& whole_commands, const std::string& mutation) {
    TRACKLY_ASSIGN_OR_RETURN(Days days, DaysToExpire(db_, table, project_, before_day, condition));
    for (int64_t day : days.whole) {
      std::vector<std::string> commands;
      for (const std::string& command : whole_commands) {
        commands.push_back(absl::StrCat(command, " PARTITION ID ", PartitionId(day)));
      }
      TRACKLY_RETURN_IF_ERROR(db_.Execute(absl::StrCat("ALTER TABLE ", table, " ", absl::StrJoin(commands, ", "))));
      ++stats_.partitions_dropped;
    }
    if (days.shared.empty() || mutation.empty()) return absl::OkStatus();
    return db_.Execute(absl::StrCat("ALTER TABLE ", table, " ", mutation, " WHERE project = ", Quote(project_), " AND ",
                                    DayIn(days.shared), " AND (", condition, ")"));
  }
 private:
  const Database& db_;
  const std::string& project_;
  ExpireStats& stats_;
};

// The rollup rows of the traces tail sampling dropped (eraser.h DropSampledOutTraces) in the days
// before `before_day`: with no summary left, no trace id finds them. Every rollup row of the project
// before that day belongs to a trace that started before it, so what is left there goes.
absl::Status ExpireDroppedRollups(const Database& db, const std::string& project, int64_t before_day,
                                  absl::Duration mutation_timeout) {
  bool issued = false;
  for (const char* table : {"rollups", "rollup_cells"}) {
    const std::string where =
        absl::StrCat("project = ", Quote(project), " AND day < ", DayLiteral(before_day * kNanosPerDay));
    TRACKLY_ASSIGN_OR_RETURN(int64_t rows, ReadCount(db, absl::StrCat("SELECT count() FROM ", table, " WHERE ", where)));
    if (rows == 0) continue;
    TRACKLY_RETURN_IF_ERROR(db.Execute(absl::StrCat("ALTER TABLE ", table, " DELETE WHERE ", where)));
    issued = true;
  }
  return issued ? WaitForMutations(db, mutation_timeout, "expiry") : absl::OkStatus();
}

absl::Status ExpireSummaries(const Database& db, Writer& writer, const ExpireRequest& request,
                             absl::Duration mutation_timeout, ExpireStats& stats) {
  const int64_t before_day = request.summary_before_day;
  const std::string project = Quote(request.project);
  // Candidates have a row in a partition before the day; the latest summary decides.
  TRACKLY_ASSIGN_OR_RETURN(
      std::vector<std::string> trace_ids,
      ReadStrings(db,
                  absl::StrCat("SELECT trace_id FROM (SELECT trace_id, argMax(start_ns, version) AS start_ns_ FROM "
                               "traces WHERE project = ",
                               project, " AND trace_id IN (SELECT trace_id FROM traces WHERE project = ", project,
                               " AND day < ", DayLiteral(before_day * kNanosPerDay),
                               ") GROUP BY trace_id) WHERE start_ns_ < ", before_day * kNanosPerDay),
                  "reading the traces to expire"));
  if (trace_ids.empty()) return ExpireDroppedRollups(db, request.project, before_day, mutation_timeout);
  // Read before any partition goes: the removal needs the traces' sessions and fragments.
  TRACKLY_ASSIGN_OR_RETURN(TraceRemoval removal, ReadTraceRemoval(db, request.project, std::move(trace_ids)));
  TableExpiry expiry(db, request.project, stats);
  for (const char* table : kTablesOfTraceDays) {
    TRACKLY_RETURN_IF_ERROR(expiry.Run(table, before_day, "1", {"DROP"}, /*mutation=*/""));
  }
  // What the dropped partitions did not hold (rows of other days, scores, rollup cells, sessions
  // and rows in partitions shared with other projects) goes by mutations.
  TRACKLY_RETURN_IF_ERROR(ApplyTraceRemoval(db, writer, removal, mutation_timeout, "expiry"));
  stats.traces_removed = removal.stats.traces;
  return ExpireDroppedRollups(db, request.project, before_day, mutation_timeout);
}

// The workflow rollups of the hours before the day (workflow.h): the cells' partitions dropped
// (the project's rows deleted where shared) and every workflow_runs row of the runs whose latest
// contribution is in those hours. Nothing is taken back: the cells it was counted in go too.
absl::Status ExpireWorkflowRollups(const Database& db, const ExpireRequest& request, absl::Duration mutation_timeout,
                                   ExpireStats& stats) {
  const int64_t before_day = request.summary_before_day;
  // Read before any partition goes; the rows of these runs on later days (older records of a run
  // that moved back in time) are deleted by trace id.
  TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string> runs,
                           ReadWorkflowRunsBefore(db, request.project, before_day * kNanosPerDay / kNanosPerHour));
  TableExpiry expiry(db, request.project, stats);
  TRACKLY_RETURN_IF_ERROR(expiry.Run("workflow_cells", before_day, "1", {"DROP"}, "DELETE"));
  TRACKLY_RETURN_IF_ERROR(expiry.Run("workflow_runs", before_day, "1", {"DROP"}, "DELETE"));
  TRACKLY_RETURN_IF_ERROR(DeleteWorkflowRuns(db, request.project, runs));
  return WaitForMutations(db, mutation_timeout, "expiry");
}

absl::Status ExpirePayloads(const Database& db, const ExpireRequest& request, absl::Duration mutation_timeout,
                            ExpireStats& stats) {
  const int64_t before_day = request.payload_before_day;
  TRACKLY_ASSIGN_OR_RETURN(
      stats.traces_cleared,
      ReadCount(db, absl::StrCat("SELECT uniqExact(trace_id) FROM traces WHERE project = ", Quote(request.project),
                                 " AND day < ", DayLiteral(before_day * kNanosPerDay), " AND ", kTraceHasText)));
  TableExpiry expiry(db, request.project, stats);
  TRACKLY_RETURN_IF_ERROR(expiry.Run("traces", before_day, kTraceHasText,
                                     {"CLEAR COLUMN input IN", "CLEAR COLUMN output IN", "CLEAR COLUMN metadata IN"},
                                     "UPDATE input = '', output = '', metadata = ''"));
  TRACKLY_RETURN_IF_ERROR(expiry.Run("observations", before_day, "payload != '' OR trace_payload != ''",
                                     {"CLEAR COLUMN payload IN", "CLEAR COLUMN trace_payload IN"},
                                     "UPDATE payload = '', trace_payload = ''"));
  // A fragment is all payload (the observation it built is stored whole): it goes entirely.
  TRACKLY_RETURN_IF_ERROR(expiry.Run("observation_fragments", before_day, "1", {"DROP"}, "DELETE"));
  // CLEAR COLUMN is immediate on 18.16 but a mutation on later releases: waited for either way.
  return WaitForMutations(db, mutation_timeout, "expiry");
}

}  // namespace

absl::StatusOr<ExpireStats> ExpireProject(const Database& db, Writer& writer, const ExpireRequest& request,
                                          absl::Duration mutation_timeout) {
  ExpireStats stats;
  if (request.summary_before_day > 0) {
    TRACKLY_RETURN_IF_ERROR(ExpireSummaries(db, writer, request, mutation_timeout, stats));
    TRACKLY_RETURN_IF_ERROR(ExpireWorkflowRollups(db, request, mutation_timeout, stats));
  }
  if (request.payload_before_day > 0) TRACKLY_RETURN_IF_ERROR(ExpirePayloads(db, request, mutation_timeout, stats));
  return stats;
}

}  // namespace trackly::store::clickhouse
