#include "store/clickhouse/expirer.h"

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
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

// The tables whose rows before a day all belong to traces that started before it (an
// observation, its rollup minute and its fragments start no earlier than its trace; a trace's, its
// rollup_cells row's and its session_traces rows' day is its start).
// The hour sums of the rollups and their dirty marks (rollups.h) too: a row's day is its hour's, and
// every rollup row of an hour before the day is of a trace that started before it.
constexpr const char* kTablesOfTraceDays[] = {"observations", "traces", "session_traces", "rollups", "rollup_cells",
                                              "observation_fragments", "rollup_hours", "rollup_dirty_hours"};
// The workflow rollups: a row's day is that of its run's hour.
constexpr const char* kWorkflowTables[] = {"workflow_cells", "workflow_runs"};

// What "the trace-level text is still there" means for a row of traces (what ReadTrace reads as
// absent: '' once expired, 'null' and '{}' as written).
constexpr char kTraceHasText[] = "NOT (input IN ('', 'null') AND output IN ('', 'null') AND metadata IN ('', '{}'))";

constexpr char kPartitionColumns[] = "retention_payload_days, retention_summary_days, day";
constexpr char kPartitionKey[] = "(retention_payload_days, retention_summary_days, day)";

struct Partition {
  RetentionClass retention;
  int64_t day = 0;
  auto operator<=>(const Partition&) const = default;
};

// A partition holding something of the expiring project, and every project with rows in it.
struct PartitionRows {
  Partition partition;
  std::vector<std::string> projects;
};

// The condition "the row is in one of `partitions`" (not empty).
std::string InPartitions(const std::vector<Partition>& partitions) {
  std::vector<std::string> literals;
  for (const Partition& p : partitions) literals.push_back(PartitionLiteral(p.retention, p.day));
  return absl::StrCat(kPartitionKey, " IN (", absl::StrJoin(literals, ", "), ")");
}

// The partitions of `table` before `before_day` in which a row of `project` matches `condition`,
// each with the projects having rows in it. The second scan reads only the partition key and the
// sorted `project` column of those partitions.
absl::StatusOr<std::vector<PartitionRows>> PartitionsToExpire(const Database& db, const char* table,
                                                              const std::string& project, int64_t before_day,
                                                              const std::string& condition) {
  const std::string before = absl::StrCat("day < ", DayLiteral(before_day * kNanosPerDay));
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      db.Select(absl::StrCat("SELECT retention_payload_days, retention_summary_days, toUInt64(day) AS d, "
                             "groupUniqArray(project) FROM ",
                             table, " WHERE ", before, " AND ", kPartitionKey, " IN (SELECT ", kPartitionColumns, " FROM ",
                             table, " WHERE project = ", Quote(project), " AND ", before, " AND (", condition,
                             ")) GROUP BY retention_payload_days, retention_summary_days, d ORDER BY d "
                             "FORMAT RowBinary")));
  RowBinaryReader in(rows, "reading the partitions to expire");
  std::vector<PartitionRows> out;
  while (!in.AtEnd()) {
    PartitionRows row;
    row.partition.retention.payload_days = in.UInt16();
    row.partition.retention.summary_days = in.UInt16();
    row.partition.day = static_cast<int64_t>(in.UInt64());
    row.projects = in.StringArray();
    out.push_back(std::move(row));
  }
  TRACKLY_RETURN_IF_ERROR(in.status());
  return out;
}

// Which days of one tier have expired, for which project, at one moment.
class ExpiredDays {
 public:
  ExpiredDays(const RetentionClasses& classes, RetentionTier tier, int64_t now_ns, const ExpireRequest& request)
      : classes_(classes), tier_(tier), now_ns_(now_ns), request_(request) {}

  // The first day not expired for `project`: the request's for its project, else what its noted
  // retention says now (0 = none has).
  int64_t BeforeDay(const std::string& project) const {
    if (project == request_.project) {
      return tier_ == RetentionTier::kPayload ? request_.payload_before_day : request_.summary_before_day;
    }
    return classes_.ExpiryDay(project, tier_, now_ns_);
  }

  // The partition may be acted on whole: its day has expired for every project with rows in it,
  // and under its own class. A class tier of 0 (kept forever, or a project the node was never
  // told of) or of the migrated rows claims nothing, so only the projects decide.
  bool Whole(const PartitionRows& rows) const {
    const uint16_t days = tier_ == RetentionTier::kPayload ? rows.partition.retention.payload_days
                                                           : rows.partition.retention.summary_days;
    const uint16_t unclaimed = tier_ == RetentionTier::kPayload ? kMigratedRowsClass.payload_days
                                                                : kMigratedRowsClass.summary_days;
    if (days != 0 && days != unclaimed && rows.partition.day >= DayOf(now_ns_) - days) return false;
    for (const std::string& project : rows.projects) {
      if (rows.partition.day >= BeforeDay(project)) return false;
    }
    return true;
  }

 private:
  const RetentionClasses& classes_;
  const RetentionTier tier_;
  const int64_t now_ns_;
  const ExpireRequest& request_;
};

// The payload tier of one table: partitions cleared or dropped whole where ExpiredDays allows, a
// mutation on the project's rows elsewhere.
class PayloadExpiry {
 public:
  PayloadExpiry(const Database& db, const ExpiredDays& expired, const std::string& project, ExpireStats& stats)
      : db_(db), expired_(expired), project_(project), stats_(stats) {}

  // On the partitions before the project's day where a row of it matches `condition`: each of
  // `whole_commands` (ALTER commands ending just before "PARTITION …") on every partition that may
  // go whole, and `mutation` (an ALTER command before its WHERE clause) on the project's matching
  // rows of the others.
  absl::Status Run(const char* table, const std::string& condition, const std::vector<std::string>& whole_commands,
                   const std::string& mutation) {
    TRACKLY_ASSIGN_OR_RETURN(std::vector<PartitionRows> partitions,
                             PartitionsToExpire(db_, table, project_, expired_.BeforeDay(project_), condition));
    std::vector<Partition> shared;
    for (const PartitionRows& rows : partitions) {
      if (!expired_.Whole(rows)) {
        shared.push_back(rows.partition);
        continue;
      }
      std::vector<std::string> commands;
      for (const std::string& command : whole_commands) {
        commands.push_back(absl::StrCat(command, " PARTITION ",
                                        PartitionLiteral(rows.partition.retention, rows.partition.day)));
      }
      TRACKLY_RETURN_IF_ERROR(db_.Alter(table, absl::StrJoin(commands, ", ")));
      ++stats_.partitions_dropped;
    }
    if (shared.empty()) return absl::OkStatus();
    return db_.Alter(table, absl::StrCat(mutation, " WHERE project = ", Quote(project_),
                                    " AND ", InPartitions(shared), " AND (", condition, ")"));
  }

 private:
  const Database& db_;
  const ExpiredDays& expired_;
  const std::string& project_;
  ExpireStats& stats_;
};

// The rollup rows of the traces tail sampling dropped (eraser.h DropSampledOutTraces) in the days
// before `before_day`: with no summary left, no trace id finds them. Every rollup row of the project
// before that day belongs to a trace that started before it, so what is left there goes, and with
// it the hour sums and dirty marks of those days (after the rollups: sums a query computes
// meanwhile from rows about to go are removed here too, or by the next expiry).
absl::Status ExpireDroppedRollups(const Database& db, const std::string& project, int64_t before_day,
                                  absl::Duration mutation_timeout) {
  bool issued = false;
  for (const char* table : {"rollups", "rollup_cells", "rollup_hours", "rollup_dirty_hours"}) {
    const std::string where =
        absl::StrCat("project = ", Quote(project), " AND day < ", DayLiteral(before_day * kNanosPerDay));
    TRACKLY_ASSIGN_OR_RETURN(int64_t rows, ReadCount(db, absl::StrCat("SELECT count() FROM ", table, " WHERE ", where)));
    if (rows == 0) continue;
    TRACKLY_RETURN_IF_ERROR(db.Alter(table, absl::StrCat("DELETE WHERE ", where)));
    issued = true;
  }
  return issued ? WaitForMutations(db, mutation_timeout, "expiry") : absl::OkStatus();
}

// The traces of `project` whose latest start is before `before_day`. Candidates have a row in a
// partition before the day; the latest summary decides.
absl::StatusOr<std::vector<std::string>> ExpiredTraces(const Database& db, const std::string& project,
                                                       int64_t before_day) {
  const std::string in_project = Quote(project);
  return ReadStrings(db,
                     absl::StrCat("SELECT trace_id FROM (SELECT trace_id, argMax(start_ns, version) AS start_ns_ FROM "
                                  "traces WHERE project = ",
                                  in_project, " AND trace_id IN (SELECT trace_id FROM traces WHERE project = ",
                                  in_project, " AND day < ", DayLiteral(before_day * kNanosPerDay),
                                  ") GROUP BY trace_id) WHERE start_ns_ < ", before_day * kNanosPerDay),
                     "reading the traces to expire");
}

// One project's share of a summary expiry.
struct MemberExpiry {
  int64_t before_day = 0;
  // The workflow partitions holding its rows that cannot go whole, by table: a mutation.
  std::map<std::string, std::vector<Partition>> shared_workflow;
  std::optional<TraceRemoval> traces;     // read before any partition goes
  std::vector<std::string> workflow_runs;  // likewise: runs whose latest contribution expired
};

absl::Status ExpireSummaries(const Database& db, Writer& writer, const ExpiredDays& expired,
                             const ExpireRequest& request, absl::Duration mutation_timeout, ExpireStats& stats) {
  // The plan: the partitions to drop whole, and the projects with rows in them (the members),
  // each of which gets its whole summary expiry here; a member's own partitions may bring more.
  std::map<std::string, MemberExpiry> members;
  std::map<std::string, std::set<Partition>> whole;  // by table
  members[request.project].before_day = request.summary_before_day;
  std::deque<std::string> pending = {request.project};
  while (!pending.empty()) {
    const std::string project = std::move(pending.front());
    pending.pop_front();
    std::vector<const char*> tables(std::begin(kTablesOfTraceDays), std::end(kTablesOfTraceDays));
    tables.insert(tables.end(), std::begin(kWorkflowTables), std::end(kWorkflowTables));
    for (const char* table : tables) {
      TRACKLY_ASSIGN_OR_RETURN(std::vector<PartitionRows> partitions,
                               PartitionsToExpire(db, table, project, members[project].before_day, "1"));
      for (const PartitionRows& rows : partitions) {
        if (!expired.Whole(rows)) {
          // Rows of trace tables are removed by trace id (ApplyTraceRemoval).
          const bool workflow = std::string_view(table).starts_with("workflow_");
          if (workflow) members[project].shared_workflow[table].push_back(rows.partition);
          continue;
        }
        whole[table].insert(rows.partition);
        for (const std::string& other : rows.projects) {
          if (members.contains(other)) continue;
          members[other].before_day = expired.BeforeDay(other);
          pending.push_back(other);
        }
      }
    }
  }
  // Read before any partition goes: removing the traces needs their sessions and fragments, and
  // the runs' rows on later days (older records of a run that moved back in time) are found by
  // the runs' latest rows.
  for (auto& [project, member] : members) {
    TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string> trace_ids, ExpiredTraces(db, project, member.before_day));
    if (!trace_ids.empty()) {
      TRACKLY_ASSIGN_OR_RETURN(member.traces, ReadTraceRemoval(db, project, std::move(trace_ids)));
    }
    TRACKLY_ASSIGN_OR_RETURN(member.workflow_runs,
                             ReadWorkflowRunsBefore(db, project, member.before_day * kNanosPerDay / kNanosPerHour));
  }
  for (const auto& [table, partitions] : whole) {
    for (const Partition& p : partitions) {
      TRACKLY_RETURN_IF_ERROR(
          db.Alter(table, absl::StrCat("DROP PARTITION ", PartitionLiteral(p.retention, p.day))));
      ++stats.partitions_dropped;
    }
  }
  // What the dropped partitions did not hold (rows of other days, scores, sessions, rows in
  // partitions shared with projects whose day has not expired) goes by mutations. Workflow cells
  // are not taken back: the cells they counted in go too.
  for (const auto& [project, member] : members) {
    for (const auto& [table, partitions] : member.shared_workflow) {
      TRACKLY_RETURN_IF_ERROR(db.Alter(table, absl::StrCat("DELETE WHERE project = ",
                                                      Quote(project), " AND ", InPartitions(partitions))));
    }
    TRACKLY_RETURN_IF_ERROR(DeleteWorkflowRuns(db, project, member.workflow_runs));
    if (member.traces) {
      TRACKLY_RETURN_IF_ERROR(ApplyTraceRemoval(db, writer, *member.traces, mutation_timeout, "expiry"));
      stats.traces_removed += member.traces->stats.traces;
    }
    TRACKLY_RETURN_IF_ERROR(ExpireDroppedRollups(db, project, member.before_day, mutation_timeout));
  }
  return WaitForMutations(db, mutation_timeout, "expiry");
}

absl::Status ExpirePayloads(const Database& db, const ExpiredDays& expired, const ExpireRequest& request,
                            absl::Duration mutation_timeout, ExpireStats& stats) {
  TRACKLY_ASSIGN_OR_RETURN(
      stats.traces_cleared,
      ReadCount(db, absl::StrCat("SELECT uniqExact(trace_id) FROM traces WHERE project = ", Quote(request.project),
                                 " AND day < ", DayLiteral(request.payload_before_day * kNanosPerDay), " AND ",
                                 kTraceHasText)));
  PayloadExpiry expiry(db, expired, request.project, stats);
  TRACKLY_RETURN_IF_ERROR(expiry.Run("traces", kTraceHasText,
                                     {"CLEAR COLUMN input IN", "CLEAR COLUMN output IN", "CLEAR COLUMN metadata IN"},
                                     "UPDATE input = '', output = '', metadata = ''"));
  TRACKLY_RETURN_IF_ERROR(expiry.Run("observations", "payload != '' OR trace_payload != ''",
                                     {"CLEAR COLUMN payload IN", "CLEAR COLUMN trace_payload IN"},
                                     "UPDATE payload = '', trace_payload = ''"));
  // A fragment is all payload (the observation it built is stored whole): it goes entirely.
  TRACKLY_RETURN_IF_ERROR(expiry.Run("observation_fragments", "1", {"DROP"}, "DELETE"));
  // CLEAR COLUMN is immediate on 18.16 but a mutation on later releases: waited for either way.
  return WaitForMutations(db, mutation_timeout, "expiry");
}

}  // namespace

absl::StatusOr<ExpireStats> ExpireProject(const Database& db, Writer& writer, const RetentionClasses& classes,
                                          int64_t now_ns, const ExpireRequest& request,
                                          absl::Duration mutation_timeout) {
  ExpireStats stats;
  if (request.summary_before_day > 0) {
    const ExpiredDays expired(classes, RetentionTier::kSummary, now_ns, request);
    TRACKLY_RETURN_IF_ERROR(ExpireSummaries(db, writer, expired, request, mutation_timeout, stats));
  }
  if (request.payload_before_day > 0) {
    const ExpiredDays expired(classes, RetentionTier::kPayload, now_ns, request);
    TRACKLY_RETURN_IF_ERROR(ExpirePayloads(db, expired, request, mutation_timeout, stats));
  }
  return stats;
}

}  // namespace trackly::store::clickhouse
