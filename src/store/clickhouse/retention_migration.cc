#include "store/clickhouse/retention_migration.h"

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status.h"
#include "store/clickhouse/retention_classes.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/rows.h"
#include "store/clickhouse/sql.h"
#include "store/store.h"

namespace trackly::store::clickhouse {
namespace {

constexpr char kCopySuffix[] = "__copy_";

// One rebuild of tables as new ones: what the new and the old table are called while it runs,
// and how to tell the new table (by name alone a resumed run cannot).
struct Rebuild {
  const char* new_suffix;
  const char* old_suffix;
  // A SELECT count() that is > 0 when the table named `$table` of the database is the new one.
  const char* is_new_sql;
};

// Layout 5: the new tables have the retention class columns.
constexpr Rebuild kLayout5 = {
    .new_suffix = "__layout5",
    .old_suffix = "__layout4",
    .is_new_sql = "SELECT count() FROM system.columns WHERE database = $db AND table = $table AND name = "
                  "'retention_payload_days'",
};
// Layout 6: the new tables have 1024-row granules. (Not "__layout5" for the old ones: a layout 5
// step, run again by a node that started at the same time, drops tables of that name.)
constexpr Rebuild kLayout6 = {
    .new_suffix = "__layout6",
    .old_suffix = "__layout5_old",
    .is_new_sql = "SELECT count() FROM system.tables WHERE database = $db AND name = $table AND "
                  "position(engine_full, 'index_granularity = 1024') > 0",
};

// What system.tables (and `rebuild`'s test) say of one table's move.
struct TableState {
  bool exists = false;
  bool is_new = false;  // is the rebuilt table
};

absl::StatusOr<TableState> StateOf(const Database& db, const std::string& table, const Rebuild& rebuild) {
  TRACKLY_ASSIGN_OR_RETURN(
      int64_t tables,
      ReadCount(db, absl::StrCat("SELECT count() FROM system.tables WHERE database = ", Quote(db.name()),
                                 " AND name = ", Quote(table))));
  TRACKLY_ASSIGN_OR_RETURN(
      int64_t is_new,
      ReadCount(db, absl::StrReplaceAll(rebuild.is_new_sql, {{"$db", Quote(db.name())}, {"$table", Quote(table)}})));
  return TableState{.exists = tables > 0, .is_new = is_new > 0};
}

// Step 1: afterwards `table` is the new table and the old one, if it is not moved yet, is
// <table><old_suffix>.
absl::Status SwapIn(const Database& db, const std::string& table, const Rebuild& rebuild) {
  const std::string fresh = absl::StrCat(table, rebuild.new_suffix);
  const std::string old = absl::StrCat(table, rebuild.old_suffix);
  TRACKLY_ASSIGN_OR_RETURN(TableState state, StateOf(db, table, rebuild));
  if (!state.exists) {
    // A run stopped between the two renames (they are not one atomic step on every release).
    TRACKLY_RETURN_IF_ERROR(db.Execute(absl::StrCat("RENAME TABLE ", fresh, " TO ", table)));
    return absl::OkStatus();
  }
  if (state.is_new) {
    // Moved earlier; the migration's statements, run again, made an empty new table nobody uses.
    return db.Execute(absl::StrCat("DROP TABLE IF EXISTS ", fresh));
  }
  absl::Status renamed = db.Execute(absl::StrCat("RENAME TABLE ", table, " TO ", old, ", ", fresh, " TO ", table));
  if (renamed.ok()) return absl::OkStatus();
  // Another node may have swapped it in the meantime.
  TRACKLY_ASSIGN_OR_RETURN(state, StateOf(db, table, rebuild));
  return state.is_new ? absl::OkStatus() : renamed;
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

// The columns of `table`, quoted, as a list for INSERT and SELECT.
absl::StatusOr<std::string> ColumnList(const Database& db, const std::string& table) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string> names,
                           ReadStrings(db,
                                       absl::StrCat("SELECT name FROM system.columns WHERE database = ",
                                                    Quote(db.name()), " AND table = ", Quote(table)),
                                       "reading the columns of the table to move"));
  std::vector<std::string> columns;
  for (const std::string& name : names) columns.push_back(QuoteIdentifier(name));  // Nested columns have dots
  return absl::StrJoin(columns, ", ");
}

// Steps 2 and 3 of layout 5 for one table whose old rows are in <table>__layout4.
absl::Status CopyOldRows(const Database& db, const std::string& table) {
  const std::string old = absl::StrCat(table, kLayout5.old_suffix);
  TRACKLY_ASSIGN_OR_RETURN(const std::string column_list, ColumnList(db, old));
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

// The condition selecting the rows of one partition of a table partitioned by (retention class,
// day), from its name in system.parts: (payload_days,summary_days,'YYYY-MM-DD').
absl::StatusOr<std::string> PartitionCondition(const std::string& partition) {
  auto unexpected = [&] { return absl::InternalError(absl::StrCat("unexpected partition ", partition)); };
  absl::string_view inner = partition;
  if (!absl::ConsumePrefix(&inner, "(") || !absl::ConsumeSuffix(&inner, ")")) return unexpected();
  std::vector<absl::string_view> values = absl::StrSplit(inner, ',');
  if (values.size() != 3) return unexpected();
  uint32_t payload_days = 0;
  uint32_t summary_days = 0;
  absl::string_view date = values[2];
  if (!absl::SimpleAtoi(values[0], &payload_days) || !absl::SimpleAtoi(values[1], &summary_days) ||
      !absl::ConsumePrefix(&date, "'") || !absl::ConsumeSuffix(&date, "'") || date.size() != 10 ||
      date.find_first_not_of("0123456789-") != absl::string_view::npos) {
    return unexpected();
  }
  return absl::StrCat("retention_payload_days = ", payload_days, " AND retention_summary_days = ", summary_days,
                      " AND day = toDate('", date, "')");
}

// Steps 2 and 3 of layout 6 for one table whose old rows are in <table>__layout5_old: copies
// every partition of the old table with INSERT … SELECT, newest day first, then again each one
// whose parts changed meanwhile (an insert that was running at the swap), until none did. The
// new table's partitions take writes while this runs, so a partition cannot be swapped in whole
// as in layout 5; the rows are added instead. A row copied twice (a re-run, a second round) is
// harmless in these ReplacingMergeTree tables: the copies are equal, reads collapse them to one
// and merges fold them.
absl::Status CopyOldPartitions(const Database& db, const std::string& table) {
  const std::string old = absl::StrCat(table, kLayout6.old_suffix);
  TRACKLY_ASSIGN_OR_RETURN(const std::string column_list, ColumnList(db, old));
  std::map<std::string, int64_t> copied;  // partition → its highest block number when it was copied
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(
        std::string rows,
        db.Select(absl::StrCat("SELECT partition, toInt64(max(max_block_number)), toUInt64(max(max_date)) AS d FROM "
                               "system.parts WHERE database = ",
                               Quote(db.name()), " AND table = ", Quote(old),
                               " AND active GROUP BY partition ORDER BY d DESC FORMAT RowBinary")));
    std::vector<std::pair<std::string, int64_t>> partitions;
    RowBinaryReader in(rows, "reading the partitions to copy");
    while (!in.AtEnd()) {
      std::string partition = in.String();
      const int64_t block = in.Int64();
      in.UInt64();  // d
      partitions.emplace_back(std::move(partition), block);
    }
    TRACKLY_RETURN_IF_ERROR(in.status());
    bool copied_any = false;
    for (const auto& [partition, block] : partitions) {
      auto it = copied.find(partition);
      if (it != copied.end() && it->second == block) continue;
      TRACKLY_ASSIGN_OR_RETURN(std::string condition, PartitionCondition(partition));
      TRACKLY_RETURN_IF_ERROR(db.Execute(absl::StrCat("INSERT INTO ", table, " (", column_list, ") SELECT ", column_list,
                                                      " FROM ", old, " WHERE ", condition)));
      copied[partition] = block;
      copied_any = true;
    }
    if (!copied_any) break;
  }
  return db.Execute(absl::StrCat("DROP TABLE IF EXISTS ", old));
}

// The traces, by project, that have an observations row matching `condition`; `what` names the
// read in errors.
absl::StatusOr<TraceIdsByProject> TracesWithObservationsWhere(const Database& db, std::string_view condition,
                                                              std::string_view what) {
  TRACKLY_ASSIGN_OR_RETURN(std::string rows,
                           db.Select(absl::StrCat("SELECT project, trace_id FROM observations WHERE ", Sv(condition),
                                                  " GROUP BY project, trace_id FORMAT RowBinary")));
  TraceIdsByProject traces;
  RowBinaryReader in(rows, std::string(what));
  while (!in.AtEnd()) {
    std::string project = in.String();
    traces[std::move(project)].push_back(in.String());
  }
  TRACKLY_RETURN_IF_ERROR(in.status());
  return traces;
}

}  // namespace

absl::StatusOr<TraceIdsByProject> RebuildWithSmallGranules(const Database& db) {
  for (const char* table : kTablesWithSmallGranules) TRACKLY_RETURN_IF_ERROR(SwapIn(db, table, kLayout6));
  TraceIdsByProject written;
  for (const char* table : kTablesWithSmallGranules) {
    const std::string old = absl::StrCat(table, kLayout6.old_suffix);
    TRACKLY_ASSIGN_OR_RETURN(TableState state, StateOf(db, old, kLayout6));
    if (!state.exists) continue;
    const bool observations = std::string_view(table) == "observations";
    // Rows written since the swap have versions above every old row's (clock assumption,
    // clickhouse_store.h): the traces they belong to may have summaries computed from part of
    // their spans. The old table takes no new rows, so a re-run finds the same bound.
    uint64_t old_versions_below = 0;
    if (observations) {
      TRACKLY_ASSIGN_OR_RETURN(int64_t newest, ReadCount(db, absl::StrCat("SELECT toInt64(max(version)) FROM ", old)));
      old_versions_below = static_cast<uint64_t>(newest);
    }
    if (absl::Status copied = CopyOldPartitions(db, table); !copied.ok()) {
      // Another node may have finished this table (and dropped the old one) meanwhile.
      TRACKLY_ASSIGN_OR_RETURN(state, StateOf(db, old, kLayout6));
      if (state.exists) return copied;
      continue;
    }
    if (!observations) continue;
    TRACKLY_ASSIGN_OR_RETURN(written,
                             TracesWithObservationsWhere(db, absl::StrCat("version > toUInt64(", old_versions_below, ")"),
                                                         "reading the traces written during the rebuild"));
  }
  return written;
}

absl::StatusOr<TraceIdsByProject> MoveToRetentionClassTables(const Database& db) {
  for (const char* table : kTablesByRetentionClass) TRACKLY_RETURN_IF_ERROR(SwapIn(db, table, kLayout5));
  bool copied_observations = false;
  for (const char* table : kTablesByRetentionClass) {
    const std::string old = absl::StrCat(table, kLayout5.old_suffix);
    TRACKLY_ASSIGN_OR_RETURN(TableState state, StateOf(db, old, kLayout5));
    if (state.exists) {
      if (absl::Status copied = CopyOldRows(db, table); !copied.ok()) {
        // Another node may have finished the move of this table (and dropped the old one) meanwhile.
        TRACKLY_ASSIGN_OR_RETURN(state, StateOf(db, old, kLayout5));
        if (state.exists) return copied;
      }
      copied_observations = copied_observations || std::string_view(table) == "observations";
    }
    TRACKLY_RETURN_IF_ERROR(DropLeftoverCopies(db, table));
  }
  if (!copied_observations) return TraceIdsByProject();
  // Everything outside the migrated partitions was written after the swap.
  return TracesWithObservationsWhere(
      db,
      absl::StrCat("NOT (retention_payload_days = ", kMigratedRowsClass.payload_days,
                   " AND retention_summary_days = ", kMigratedRowsClass.summary_days, ")"),
      "reading the traces written during the move");
}

}  // namespace trackly::store::clickhouse
