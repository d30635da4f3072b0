#include "store/clickhouse/schema.h"

#include <algorithm>
#include <functional>
#include <set>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/retention_migration.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/sql.h"

namespace trackly::store::clickhouse {

// Generated from schema/ by cmake/embed_files.cmake (CMakeLists.txt).
std::span<const std::pair<std::string_view, std::string_view>> EmbeddedSchemaFiles();

namespace {

// The layouts whose migrations have a code step after their statements (retention_migration.h).
constexpr int kRetentionClassLayout = 5;
constexpr int kSmallGranulesLayout = 6;
// Per request, for the statements and code steps of a migration: some copy rows (INSERT …
// SELECT; a partition of observations at 10M spans took over 45 s on a loaded 2-core machine;
// layout 8 copies columns of every traces row). A request that timed out leaves the statement
// running on the server, and the next start would copy beside it.
constexpr int kMigrationTimeoutMs = 3'600'000;
// Per request of DDL ON CLUSTER, which answers once every host ran it (distributed_ddl_task_timeout
// is 180 s by default).
constexpr int kClusterDdlTimeoutMs = 300'000;

struct Migration {
  int version = 0;
  std::string_view name;
  std::string_view sql;
};

// The embedded files in version order (embed_files.cmake sorts by name; names start with NNN_).
std::vector<Migration> Migrations() {
  std::vector<Migration> out;
  for (const auto& [name, sql] : EmbeddedSchemaFiles()) {
    int version = 0;
    absl::SimpleAtoi(Sv(name.substr(0, name.find('_'))), &version);
    out.push_back(Migration{.version = version, .name = name, .sql = sql});
  }
  return out;
}

// The statements of a migration: text between lines ending in ';', without comment lines.
std::vector<std::string> Statements(std::string_view sql, const ServerInfo& server) {
  std::string filled = absl::StrReplaceAll(
      Sv(sql), {{"{payload_codec}", server.column_codecs ? "CODEC(ZSTD(1))" : ""}});
  std::vector<std::string> statements;
  std::string current;
  for (absl::string_view line : absl::StrSplit(filled, '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || absl::StartsWith(trimmed, "--")) continue;
    absl::StrAppend(&current, line, "\n");
    if (absl::EndsWith(trimmed, ";")) {
      current.erase(current.rfind(';'));
      statements.push_back(std::move(current));
      current.clear();
    }
  }
  return statements;
}

// `status`, its message naming `migration` when it is an error.
absl::Status InMigration(const Migration& migration, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat("schema migration ", Sv(migration.name), ": ", status.message()));
}

// A client like `client` whose requests may take `timeout_ms`.
HttpClient PatientClient(const HttpClient& client, int timeout_ms) {
  HttpClientOptions patient = client.options();
  patient.timeout_ms = std::max(patient.timeout_ms, timeout_ms);
  return HttpClient(patient);
}

absl::Status NewerLayoutError(const std::string& database, uint64_t stored) {
  return absl::FailedPreconditionError(absl::StrCat("ClickHouse database ", database, " has layout version ", stored,
                                                    "; this build knows up to ", LatestSchemaVersion(),
                                                    " (upgrade trackly)"));
}

// The items of a comma-separated list of expressions (a sorting key), split at top-level commas.
std::vector<std::string> TopLevelItems(std::string_view list) {
  std::vector<std::string> items;
  std::string current;
  int depth = 0;
  for (char c : list) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      items.emplace_back(absl::StripAsciiWhitespace(current));
      current.clear();
      continue;
    }
    current += c;
  }
  if (!absl::StripAsciiWhitespace(current).empty()) items.emplace_back(absl::StripAsciiWhitespace(current));
  return items;
}

// The sharding key of a table sorted by `sorting_key` (schema.h): up to trace_id where it has one.
std::string ShardingKey(std::string_view sorting_key) {
  std::vector<std::string> items = TopLevelItems(sorting_key);
  if (items.empty()) return "rand()";
  auto trace_id = std::find(items.begin(), items.end(), "trace_id");
  if (trace_id != items.end()) items.erase(trace_id + 1, items.end());
  return absl::StrCat("cityHash64(", absl::StrJoin(items, ", "), ")");
}

// A table as system.tables describes it.
struct TableLayout {
  std::string name;
  std::string engine;       // e.g. ReplacingMergeTree
  std::string engine_full;  // the engine with its arguments and clauses: ReplacingMergeTree(version) PARTITION BY …
  std::string sorting_key;
  std::string create;       // its CREATE TABLE statement
};

absl::StatusOr<std::vector<TableLayout>> TablesOf(HttpClient& client, std::string_view database) {
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      client.Query(absl::StrCat("SELECT name, engine, engine_full, sorting_key, create_table_query FROM system.tables "
                                "WHERE database = ",
                                Quote(database), " ORDER BY name FORMAT RowBinary")));
  RowBinaryReader in(rows, "reading system.tables");
  std::vector<TableLayout> tables;
  while (!in.AtEnd() && in.status().ok()) {
    TableLayout table{.name = in.String(),
                      .engine = in.String(),
                      .engine_full = in.String(),
                      .sorting_key = in.String(),
                      .create = in.String()};
    tables.push_back(std::move(table));
  }
  TRACKLY_RETURN_IF_ERROR(in.status());
  return tables;
}

// The column list of `table`'s CREATE TABLE, with its parentheses.
absl::StatusOr<std::string> ColumnsOf(const TableLayout& table) {
  const size_t open = table.create.find('(');
  const size_t engine = table.create.find(" ENGINE = ");
  if (open == std::string::npos || engine == std::string::npos || engine < open ||
      !absl::EndsWith(table.engine, "MergeTree") || !absl::StartsWith(table.engine_full, table.engine)) {
    return absl::InternalError(absl::StrCat("cannot lay out table ", table.name, " on a cluster: ", table.create));
  }
  return std::string(absl::StripTrailingAsciiWhitespace(absl::string_view(table.create).substr(open, engine - open)));
}

// The Replicated form of `table`'s engine clause, its replicas sharing the ZooKeeper path of
// `database`.`table` on their shard.
std::string ReplicatedEngine(const TableLayout& table, std::string_view database) {
  absl::string_view rest = absl::string_view(table.engine_full).substr(table.engine.size());
  absl::string_view arguments;
  if (absl::StartsWith(rest, "(")) {
    size_t close = 0;
    for (int depth = 0; close < rest.size(); ++close) {
      if (rest[close] == '(') ++depth;
      if (rest[close] == ')' && --depth == 0) break;
    }
    arguments = rest.substr(1, close - 1);
    rest = rest.substr(std::min(close + 1, rest.size()));
  }
  return absl::StrCat("Replicated", table.engine, "(",
                      Quote(absl::StrCat("/clickhouse/tables/{shard}/", Sv(database), "/", table.name)), ", '{replica}'",
                      arguments.empty() ? "" : ", ", arguments, ")", rest);
}

// The items of `table`'s column list (ColumnsOf): each a column's definition as the server
// prints it, starting with its name.
absl::StatusOr<std::vector<std::string>> ColumnDefinitions(const TableLayout& table) {
  TRACKLY_ASSIGN_OR_RETURN(std::string columns, ColumnsOf(table));
  return TopLevelItems(std::string_view(columns).substr(1, columns.size() - 2));
}

// The name a column definition starts with, without its quotes (`name`, as 19.x+ prints it).
std::string_view ColumnName(std::string_view definition) {
  std::string_view name = definition.substr(0, definition.find(' '));
  if (name.size() >= 2 && name.front() == '`' && name.back() == '`') name = name.substr(1, name.size() - 2);
  return name;
}

absl::Status UnmigratableError(const TableLayout& table, std::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat("cannot migrate table ", table.name, " on a cluster: ", Sv(what),
                   "; only new tables and new columns are applied on a cluster (docs/scale-out.md "
                   "\"A ClickHouse cluster\")"));
}

// Gives `local` (<table>_local, laid out earlier in `database`) the columns `table` (the same
// table as this build's migrations make it) has and it lacks, on every shard. Returns whether it
// added any. FailedPrecondition for any other difference: a column dropped or changed, another
// engine, partition key, sorting key or setting.
absl::StatusOr<bool> AddMissingColumns(HttpClient& ddl, const ServerInfo& server, const TableLayout& table,
                                       const TableLayout& local, const std::string& database) {
  if (ReplicatedEngine(table, database) != local.engine_full) {
    return UnmigratableError(table, absl::StrCat("its engine is now ", table.engine_full, ", on the cluster ",
                                                 local.engine_full));
  }
  TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string> wanted, ColumnDefinitions(table));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string> present, ColumnDefinitions(local));
  std::set<std::string_view> present_names;
  for (const std::string& column : present) {
    present_names.insert(ColumnName(column));
    if (std::find(wanted.begin(), wanted.end(), column) == wanted.end()) {
      return UnmigratableError(table, absl::StrCat("its column ", column, " differs from this build's or is gone"));
    }
  }
  bool added_any = false;
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (present_names.contains(ColumnName(wanted[i]))) continue;
    // In its place (18.16 has no FIRST; a new first column goes last).
    absl::Status added =
        ddl.Query(absl::StrCat("ALTER TABLE ", QuoteIdentifier(database), ".", QuoteIdentifier(local.name),
                               " ON CLUSTER ", QuoteIdentifier(server.cluster), " ADD COLUMN ", wanted[i],
                               i == 0 ? "" : absl::StrCat(" AFTER ", Sv(ColumnName(wanted[i - 1])))))
            .status();
    // Another node migrating at the same moment may have added it first.
    if (!added.ok() && !absl::StrContains(added.message(), "already exists")) return added;
    added_any = true;
  }
  return added_any;
}

// Makes every table of `scratch` on server.cluster in `database` (schema.h). Of those `database`
// has already, adds the columns they lack to <table>_local (AddMissingColumns) and makes the
// Distributed table in front of it anew: 18.16 takes no ALTER … ON CLUSTER of a table that is not
// replicated on a cluster whose shards replicate internally, and a Distributed table holds no
// rows (inserts are synchronous, DatabaseSettings). Meanwhile other nodes' reads and inserts of
// that table fail, and are retried.
absl::Status LayOutOnCluster(HttpClient& ddl, const ServerInfo& server, std::string_view scratch,
                             const std::string& database) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<TableLayout> tables, TablesOf(ddl, scratch));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<TableLayout> present, TablesOf(ddl, database));
  std::map<std::string, const TableLayout*> existing;
  for (const TableLayout& table : present) existing[table.name] = &table;
  const std::string on_cluster = absl::StrCat(" ON CLUSTER ", QuoteIdentifier(server.cluster));
  for (const TableLayout& table : tables) {
    const std::string local_name = absl::StrCat(table.name, "_local");
    const std::string local = absl::StrCat(QuoteIdentifier(database), ".", QuoteIdentifier(local_name));
    const std::string distributed = absl::StrCat(QuoteIdentifier(database), ".", QuoteIdentifier(table.name));
    if (auto laid_out = existing.find(local_name); laid_out != existing.end()) {
      TRACKLY_ASSIGN_OR_RETURN(bool added, AddMissingColumns(ddl, server, table, *laid_out->second, database));
      if (added) {
        TRACKLY_RETURN_IF_ERROR(ddl.Query(absl::StrCat("DROP TABLE IF EXISTS ", distributed, on_cluster)).status());
      } else if (existing.contains(table.name)) {
        continue;
      }
    } else {
      TRACKLY_ASSIGN_OR_RETURN(std::string columns, ColumnsOf(table));
      TRACKLY_RETURN_IF_ERROR(ddl.Query(absl::StrCat("CREATE TABLE IF NOT EXISTS ", local, on_cluster, " ", columns,
                                                     " ENGINE = ", ReplicatedEngine(table, database)))
                                  .status());
    }
    TRACKLY_RETURN_IF_ERROR(ddl.Query(absl::StrCat("CREATE TABLE IF NOT EXISTS ", distributed, on_cluster, " AS ", local,
                                                   " ENGINE = Distributed(", Quote(server.cluster), ", ",
                                                   Quote(database), ", ", Quote(local_name), ", ",
                                                   ShardingKey(table.sorting_key), ")"))
                                .status());
  }
  return absl::OkStatus();
}

// Creates `database` on the cluster, runs `fill` on a scratch database of this server, makes the
// tables it leaves there on the cluster (LayOutOnCluster), and drops the scratch database.
absl::Status CreateThroughScratch(HttpClient& client, const ServerInfo& server, const std::string& database,
                                  const std::function<absl::Status(HttpClient&, const std::string&)>& fill) {
  HttpClient ddl = PatientClient(client, kClusterDdlTimeoutMs);
  TRACKLY_RETURN_IF_ERROR(ddl.Query(absl::StrCat("CREATE DATABASE IF NOT EXISTS ", QuoteIdentifier(database),
                                                 " ON CLUSTER ", QuoteIdentifier(server.cluster)))
                              .status());
  // Per node and start, so that nodes starting at once do not share one.
  const std::string scratch =
      absl::StrCat(database, "__layout_", absl::Hex(absl::Uniform<uint64_t>(absl::BitGen())));
  const std::string drop = absl::StrCat("DROP DATABASE IF EXISTS ", QuoteIdentifier(scratch));
  absl::Status status = ddl.Query(absl::StrCat("CREATE DATABASE ", QuoteIdentifier(scratch))).status();
  if (status.ok()) status = fill(ddl, scratch);
  if (status.ok()) status = LayOutOnCluster(ddl, server, scratch, database);
  absl::Status dropped = ddl.Query(drop).status();
  return status.ok() ? dropped : status;
}

// ApplySchema on a cluster (schema.h).
absl::StatusOr<TraceIdsByProject> ApplyClusterSchema(HttpClient& client, const ServerInfo& server,
                                                     const std::string& database) {
  TRACKLY_ASSIGN_OR_RETURN(
      std::string present,
      client.Query(absl::StrCat("SELECT count() FROM system.tables WHERE database = ", Quote(database),
                                " AND name = 'schema_version' FORMAT RowBinary")));
  RowBinaryReader count(present, "reading system.tables");
  uint64_t stored = 0;
  if (count.UInt64() > 0) {
    TRACKLY_ASSIGN_OR_RETURN(std::string result,
                             client.Query("SELECT toUInt64(max(version)) FROM schema_version FORMAT RowBinary",
                                          DatabaseSettings(database, server)));
    RowBinaryReader version(result, "the schema version");
    stored = version.UInt64();
    TRACKLY_RETURN_IF_ERROR(version.status());
  }
  TRACKLY_RETURN_IF_ERROR(count.status());
  if (static_cast<int>(stored) > LatestSchemaVersion()) return NewerLayoutError(database, stored);
  if (static_cast<int>(stored) == LatestSchemaVersion()) return TraceIdsByProject{};
  // A code step moves a table's rows on one server; none has a form for a cluster yet.
  if (stored > 0 && static_cast<int>(stored) < kSmallGranulesLayout) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ClickHouse database ", database, " on cluster ", server.cluster, " has layout version ", stored,
        "; the migrations of layouts ", kRetentionClassLayout, " and ", kSmallGranulesLayout,
        " move tables on one server only and cannot run on a cluster (docs/scale-out.md \"A ClickHouse cluster\")"));
  }
  ServerInfo one_server = server;
  one_server.cluster.clear();
  TRACKLY_RETURN_IF_ERROR(CreateThroughScratch(client, server, database, [&](HttpClient& ddl, const std::string& scratch) {
    // An empty database: nothing for the store to recompute.
    return ApplySchema(ddl, one_server, scratch).status();
  }));
  // What WaitForMutations reads on a cluster (Database::SystemTable).
  HttpClient ddl = PatientClient(client, kClusterDdlTimeoutMs);
  TRACKLY_RETURN_IF_ERROR(ddl.Query(absl::StrCat("CREATE TABLE IF NOT EXISTS ", QuoteIdentifier(database),
                                                 ".cluster_mutations ON CLUSTER ", QuoteIdentifier(server.cluster),
                                                 " AS system.mutations ENGINE = Distributed(", Quote(server.cluster),
                                                 ", 'system', 'mutations')"))
                              .status());
  // On a cluster laid out before, the statements of the migrations after `stored` that move rows
  // (INSERT … SELECT) run on its tables: in the scratch database they made the tables but moved no
  // row here. A new layout has no rows to move.
  HttpClient migration_client = PatientClient(client, kMigrationTimeoutMs);
  const Database db(migration_client, database, server);
  std::vector<std::string> versions;
  for (const Migration& migration : Migrations()) {
    if (migration.version <= static_cast<int>(stored)) continue;
    if (stored > 0) {
      for (const std::string& statement : Statements(migration.sql, server)) {
        if (!absl::StartsWith(absl::StripLeadingAsciiWhitespace(statement), "INSERT")) continue;
        TRACKLY_RETURN_IF_ERROR(InMigration(migration, db.Execute(statement)));
      }
    }
    versions.push_back(absl::StrCat("(", migration.version, ", toInt64(now()) * 1000000000)"));
  }
  // The layout is complete once its versions are recorded: a start that failed before this point
  // lays out again what is missing.
  TRACKLY_RETURN_IF_ERROR(client
                              .Query(absl::StrCat("INSERT INTO schema_version VALUES ", absl::StrJoin(versions, ", ")),
                                     DatabaseSettings(database, server))
                              .status());
  return TraceIdsByProject{};
}

}  // namespace

int LatestSchemaVersion() { return Migrations().back().version; }

std::vector<std::string> MigrationStatements(int first, int last, const ServerInfo& server) {
  std::vector<std::string> out;
  for (const Migration& migration : Migrations()) {
    if (migration.version < first || migration.version > last) continue;
    for (std::string& statement : Statements(migration.sql, server)) out.push_back(std::move(statement));
  }
  return out;
}

absl::StatusOr<ServerInfo> DescribeServer(HttpClient& client, std::string_view cluster) {
  TRACKLY_ASSIGN_OR_RETURN(std::string result, client.Query("SELECT version() FORMAT RowBinary"));
  RowBinaryReader reader(result, "SELECT version()");
  ServerInfo info{.version = reader.String()};
  TRACKLY_RETURN_IF_ERROR(reader.status());
  std::vector<absl::string_view> parts = absl::StrSplit(info.version, '.');
  int major = 0;
  int minor = 0;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &major) || !absl::SimpleAtoi(parts[1], &minor)) {
    return absl::FailedPreconditionError(absl::StrCat("ClickHouse reported an unrecognized version \"", info.version, "\""));
  }
  info.column_codecs = major > 19 || (major == 19 && minor >= 1);
  TRACKLY_ASSIGN_OR_RETURN(
      std::string settings,
      client.Query("SELECT count() FROM system.settings WHERE name = 'max_partitions_per_insert_block' "
                   "FORMAT RowBinary"));
  RowBinaryReader count(settings, "reading system.settings");
  info.limits_partitions_per_insert = count.UInt64() > 0;
  TRACKLY_RETURN_IF_ERROR(count.status());
  if (cluster.empty()) return info;
  TRACKLY_ASSIGN_OR_RETURN(std::string clusters,
                           client.Query(absl::StrCat("SELECT count() FROM system.clusters WHERE cluster = ",
                                                     Quote(cluster), " FORMAT RowBinary")));
  RowBinaryReader hosts(clusters, "reading system.clusters");
  const uint64_t defined = hosts.UInt64();
  TRACKLY_RETURN_IF_ERROR(hosts.status());
  if (defined == 0) {
    return absl::FailedPreconditionError(absl::StrCat("ClickHouse cluster \"", Sv(cluster),
                                                      "\" is not defined on the server (its remote_servers)"));
  }
  info.cluster = std::string(cluster);
  return info;
}

QuerySettings DatabaseSettings(const std::string& database, const ServerInfo& server) {
  if (server.cluster.empty()) return {{"database", database}};
  // load_balancing: of a shard's replicas, reads and inserts take the same one (the server's own
  // when it is one, else the first that answers), so a node reads what it has just written.
  return {{"database", database},
          {"insert_distributed_sync", "1"},
          {"distributed_product_mode", "global"},
          {"load_balancing", "in_order"}};
}

absl::Status CreateTables(HttpClient& client, const ServerInfo& server, const std::string& database,
                          std::span<const char* const> statements) {
  auto run = [&](HttpClient& on, const std::string& in_database) {
    for (const char* statement : statements) {
      TRACKLY_RETURN_IF_ERROR(on.Query(statement, {{"database", in_database}}).status());
    }
    return absl::OkStatus();
  };
  if (!server.cluster.empty()) return CreateThroughScratch(client, server, database, run);
  TRACKLY_RETURN_IF_ERROR(client.Query(absl::StrCat("CREATE DATABASE IF NOT EXISTS ", QuoteIdentifier(database))).status());
  return run(client, database);
}

absl::StatusOr<TraceIdsByProject> ApplySchema(HttpClient& client, const ServerInfo& server,
                                              const std::string& database) {
  if (!server.cluster.empty()) return ApplyClusterSchema(client, server, database);
  TRACKLY_RETURN_IF_ERROR(client.Query(absl::StrCat("CREATE DATABASE IF NOT EXISTS ", QuoteIdentifier(database))).status());
  const QuerySettings in_database = {{"database", database}};
  TRACKLY_RETURN_IF_ERROR(client
                              .Query("CREATE TABLE IF NOT EXISTS schema_version (version UInt32, applied_ns Int64) "
                                     "ENGINE = MergeTree ORDER BY version",
                                     in_database)
                              .status());
  TRACKLY_ASSIGN_OR_RETURN(std::string result,
                           client.Query("SELECT toUInt64(max(version)) FROM schema_version FORMAT RowBinary", in_database));
  RowBinaryReader reader(result, "the schema version");
  const uint64_t stored = reader.UInt64();
  TRACKLY_RETURN_IF_ERROR(reader.status());
  if (static_cast<int>(stored) > LatestSchemaVersion()) return NewerLayoutError(database, stored);
  HttpClient migration_client = PatientClient(client, kMigrationTimeoutMs);
  // Statements run as Database::Execute, so that an INSERT … SELECT may write to every day
  // partition at once.
  const Database db(migration_client, database, server);
  TraceIdsByProject resummarize;
  for (const Migration& migration : Migrations()) {
    if (migration.version <= static_cast<int>(stored)) continue;
    for (const std::string& statement : Statements(migration.sql, server)) {
      TRACKLY_RETURN_IF_ERROR(InMigration(migration, db.Execute(statement)));
    }
    if (migration.version == kRetentionClassLayout) {
      absl::StatusOr<TraceIdsByProject> written = MoveToRetentionClassTables(db);
      TRACKLY_RETURN_IF_ERROR(InMigration(migration, written.status()));
      resummarize = *std::move(written);
    }
    if (migration.version == kSmallGranulesLayout) {
      absl::StatusOr<TraceIdsByProject> written = RebuildWithSmallGranules(db);
      TRACKLY_RETURN_IF_ERROR(InMigration(migration, written.status()));
      for (auto& [project, trace_ids] : *written) {
        std::vector<std::string>& all = resummarize[project];
        all.insert(all.end(), trace_ids.begin(), trace_ids.end());
      }
    }
    TRACKLY_RETURN_IF_ERROR(client
                                .Query(absl::StrCat("INSERT INTO schema_version VALUES (", migration.version,
                                                    ", toInt64(now()) * 1000000000)"),
                                       in_database)
                                .status());
  }
  return resummarize;
}

}  // namespace trackly::store::clickhouse
