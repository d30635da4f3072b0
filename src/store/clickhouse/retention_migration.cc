#include "store/clickhouse/retention_migration.h"

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status.h"
#include "store/clickhouse/retention_classes.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/rows.h"
#include "store/clickhouse/sql.h"
#include "store/store.h"

namespace trackly::store::clickhouse {
namespace {

constexpr char kNewSuffix[] = "__layout5";
constexpr char kOldSuffix[] = "__layout4";
constexpr char kCopySuffix[] = "__copy_";

// What system.tables and system.columns say of one table's move.
struct TableState {
  bool exists = false;
  bool has_class = false;  // has the retention class columns (is the new table)
};

absl::StatusOr<TableState> StateOf(const Database& db, const std::string& table) {
  TRACKLY_ASSIGN_OR_RETURN(
      int64_t tables,
      ReadCount(db, absl::StrCat("SELECT count() FROM system.tables WHERE database = ", Quote(db.name()),
                                 " AND name = ", Quote(table))));
  TRACKLY_ASSIGN_OR_RETURN(
      int64_t columns,
      ReadCount(db, absl::StrCat("SELECT count() FROM system.columns WHERE database = ", Quote(db.name()),
                                 " AND table = ", Quote(table), " AND name = 'retention_payload_days'")));
  return TableState{.exists = tables > 0, .has_class = columns > 0};
}

// Step 1: afterwards `table` is the new table and the old one, if it is not moved yet, is
// <table>__layout4.
absl::Status SwapIn(const Database& db, const std::string& table) {
  const std::string fresh = absl::StrCat(table, kNewSuffix);
  const std::string old = absl::StrCat(table, kOldSuffix);
  TRACKLY_ASSIGN_OR_RETURN(TableState state, StateOf(db, table));
  if (!state.exists) {
    // A run stopped between the two renames (they are not one atomic step on every release).
    TRACKLY_RETURN_IF_ERROR(db.Execute(absl::StrCat("RENAME TABLE ", fresh, " TO ", table)));
    return absl::OkStatus();
  }
  if (state.has_class) {
    // Moved earlier; the 005 statements, run again, made an empty <table>__layout5 nobody uses.
    return db.Execute(absl::StrCat("DROP TABLE IF EXISTS ", fresh));
  }
  absl::Status renamed = db.Execute(absl::StrCat("RENAME TABLE ", table, " TO ", old, ", ", fresh, " TO ", table));
  if (renamed.ok()) return absl::OkStatus();
  // Another node may have swapped it in the meantime.
  TRACKLY_ASSIGN_OR_RETURN(state, StateOf(db, table));
  return state.has_class ? absl::OkStatus() : renamed;
}

// The highest block number among the table's active parts: an insert makes it grow, a merge never
// does. 0 for a table without parts.
absl::StatusOr<int64_t> LastBlock(const Database& db, const std::string& table) {
  return ReadCount(db, absl::StrCat("SELECT toInt64(max(max_block_number)) FROM system.parts WHERE database = ",
                                    Quote(db.name()), " AND table = ", Quote(table), " AND active"));
}

// A name no other run uses for its scratch table.
std::string CopyTableName(const std::string& table) {
  std::random_device random;
  return absl::StrCat(table, kCopySuffix, absl::Hex(random(), absl::kZeroPad8), absl::Hex(random(), absl::kZeroPad8));
}

// Steps 2 and 3 for one table whose old rows are in <table>__layout4.
absl::Status CopyOldRows(const Database& db, const std::string& table) {
  const std::string old = absl::StrCat(table, kOldSuffix);
  TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string> names,
                           ReadStrings(db,
                                       absl::StrCat("SELECT name FROM system.columns WHERE database = ",
                                                    Quote(db.name()), " AND table = ", Quote(old)),
                                       "reading the columns of the table to move"));
  std::vector<std::string> columns;
  for (const std::string& name : names) columns.push_back(QuoteIdentifier(name));  // Nested columns have dots
  const std::string column_list = absl::StrJoin(columns, ", ");
  const std::string scratch = CopyTableName(table);
  TRACKLY_RETURN_IF_ERROR(db.Execute(absl::StrCat("CREATE TABLE ", scratch, " AS ", table)));
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(int64_t last_block, LastBlock(db, old));
    TRACKLY_ASSIGN_OR_RETURN(std::string rows, db.Select(absl::StrCat("SELECT DISTINCT toUInt64(day) AS d FROM ", old,
                                                                      " ORDER BY d DESC FORMAT RowBinary")));
    std::vector<int64_t> days;
    RowBinaryReader in(rows, "reading the days to move");
    while (!in.AtEnd()) days.push_back(static_cast<int64_t>(in.UInt64()));
    TRACKLY_RETURN_IF_ERROR(in.status());
    for (int64_t day : days) {
      // A second round copies every day again: the scratch table's copy from the first round goes
      // first, so that the REPLACE takes the fresh one alone.
      const std::string partition = PartitionLiteral(kMigratedRowsClass, day);
      TRACKLY_RETURN_IF_ERROR(db.Execute(absl::StrCat("ALTER TABLE ", scratch, " DROP PARTITION ", partition)));
      TRACKLY_RETURN_IF_ERROR(db.Execute(absl::StrCat(
          "INSERT INTO ", scratch, " (", column_list, ", ", kRetentionClassColumns, ") SELECT ", column_list, ", ",
          kMigratedRowsClass.payload_days, ", ", kMigratedRowsClass.summary_days, " FROM ", old, " WHERE day = ",
          DayLiteral(day * kNanosPerDay))));
      TRACKLY_RETURN_IF_ERROR(
          db.Execute(absl::StrCat("ALTER TABLE ", table, " REPLACE PARTITION ", partition, " FROM ", scratch)));
    }
    TRACKLY_ASSIGN_OR_RETURN(int64_t after, LastBlock(db, old));
    if (after == last_block) break;
  }
  TRACKLY_RETURN_IF_ERROR(db.Execute(absl::StrCat("DROP TABLE IF EXISTS ", old)));
  return db.Execute(absl::StrCat("DROP TABLE IF EXISTS ", scratch));
}

// Scratch tables of runs that stopped part-way, once their table is moved.
absl::Status DropLeftoverCopies(const Database& db, const std::string& table) {
  const std::string prefix = absl::StrCat(table, kCopySuffix);
  TRACKLY_ASSIGN_OR_RETURN(
      std::vector<std::string> leftovers,
      ReadStrings(db,
                  // (startsWith is younger than 18.16.)
                  absl::StrCat("SELECT name FROM system.tables WHERE database = ", Quote(db.name()),
                               " AND substring(name, 1, ", prefix.size(), ") = ", Quote(prefix)),
                  "reading leftover scratch tables"));
  for (const std::string& name : leftovers) {
    TRACKLY_RETURN_IF_ERROR(db.Execute(absl::StrCat("DROP TABLE IF EXISTS ", QuoteIdentifier(name))));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TraceIdsByProject> MoveToRetentionClassTables(const Database& db) {
  for (const char* table : kTablesByRetentionClass) TRACKLY_RETURN_IF_ERROR(SwapIn(db, table));
  bool copied_observations = false;
  for (const char* table : kTablesByRetentionClass) {
    const std::string old = absl::StrCat(table, kOldSuffix);
    TRACKLY_ASSIGN_OR_RETURN(TableState state, StateOf(db, old));
    if (state.exists) {
      if (absl::Status copied = CopyOldRows(db, table); !copied.ok()) {
        // Another node may have finished the move of this table (and dropped the old one) meanwhile.
        TRACKLY_ASSIGN_OR_RETURN(state, StateOf(db, old));
        if (state.exists) return copied;
      }
      copied_observations = copied_observations || std::string_view(table) == "observations";
    }
    TRACKLY_RETURN_IF_ERROR(DropLeftoverCopies(db, table));
  }
  TraceIdsByProject written;
  if (!copied_observations) return written;
  // Everything outside the migrated partitions was written after the swap.
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      db.Select(absl::StrCat("SELECT project, trace_id FROM observations WHERE NOT (retention_payload_days = ",
                             kMigratedRowsClass.payload_days, " AND retention_summary_days = ",
                             kMigratedRowsClass.summary_days, ") GROUP BY project, trace_id FORMAT RowBinary")));
  RowBinaryReader in(rows, "reading the traces written during the move");
  while (!in.AtEnd()) {
    std::string project = in.String();
    written[std::move(project)].push_back(in.String());
  }
  TRACKLY_RETURN_IF_ERROR(in.status());
  return written;
}

}  // namespace trackly::store::clickhouse
