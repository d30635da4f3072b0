#include "store/clickhouse/schema.h"

#include <algorithm>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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

absl::StatusOr<ServerInfo> DescribeServer(HttpClient& client) {
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
  return info;
}

absl::StatusOr<TraceIdsByProject> ApplySchema(HttpClient& client, const ServerInfo& server,
                                              const std::string& database) {
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
  if (static_cast<int>(stored) > LatestSchemaVersion()) {
    return absl::FailedPreconditionError(absl::StrCat("ClickHouse database ", database, " has layout version ", stored,
                                                      "; this build knows up to ", LatestSchemaVersion(),
                                                      " (upgrade trackly)"));
  }
  HttpClientOptions patient = client.options();
  patient.timeout_ms = std::max(patient.timeout_ms, kMigrationTimeoutMs);
  HttpClient migration_client(patient);
  // Statements run as Database::Execute, so that an INSERT … SELECT may write to every day
  // partition at once.
  const Database db(migration_client, database, server);
  TraceIdsByProject resummarize;
  for (const Migration& migration : Migrations()) {
    if (migration.version <= static_cast<int>(stored)) continue;
    auto failed = [&](const absl::Status& status) {
      return absl::Status(status.code(), absl::StrCat("schema migration ", Sv(migration.name), ": ", status.message()));
    };
    for (const std::string& statement : Statements(migration.sql, server)) {
      absl::Status status = db.Execute(statement);
      if (!status.ok()) return failed(status);
    }
    if (migration.version == kRetentionClassLayout) {
      absl::StatusOr<TraceIdsByProject> written = MoveToRetentionClassTables(db);
      if (!written.ok()) return failed(written.status());
      resummarize = *std::move(written);
    }
    if (migration.version == kSmallGranulesLayout) {
      absl::StatusOr<TraceIdsByProject> written = RebuildWithSmallGranules(db);
      if (!written.ok()) return failed(written.status());
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
