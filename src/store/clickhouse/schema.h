// Creates and migrates the ClickHouse store's tables at startup. The migrations are the files of
// store/clickhouse/schema/ (NNN_name.sql, embedded in the binary at build time), applied in
// number order; `schema_version` records each one applied. Every statement is idempotent
// (IF NOT EXISTS, or an INSERT … SELECT into a ReplacingMergeTree, whose repeated rows fold: layout
// 8 fills session_traces from traces), so nodes starting at once against one database cannot break
// each other. A migration may also have a code step, run after its statements (layout 5 moves
// tables to new partition keys, layout 6 rebuilds two with smaller index granules:
// retention_migration.h), idempotent in the same way.
//
// The SQL must run on Debian 12's ClickHouse 18.16 and on current releases; where they differ
// the difference is a placeholder in the file, filled in from the server's version():
//   {payload_codec}  CODEC(ZSTD(1)) from 19.1 (column codecs), empty before.
// ServerInfo lists the other differences the store adapts to.
//
// On a cluster (ServerInfo::cluster), every table is a Replicated…MergeTree of the same engine on
// each shard, named <table>_local, with a Distributed table <table> in front of it that every read
// and insert goes through (docs/scale-out.md "A ClickHouse cluster"). Such a database is laid out
// at the latest layout at once: the migrations run on one server in a scratch database, and each
// table they leave there is made anew on the cluster (CreateTables). A later layout is applied the
// same way: the tables the cluster lacks are made, the columns a table lacks are added, then the
// new migrations' INSERT … SELECT statements run on the cluster's tables; any other change is
// refused (FailedPrecondition, naming the table), as are the code steps. The rows of one trace go to
// one shard (the sharding key is the sorting key up to trace_id), those of other tables by their
// whole sorting key, so every version of a row is on the shard where merges fold it.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "store/clickhouse/http_client.h"

namespace trackly::store::clickhouse {

// The newest layout version this build knows (the highest NNN in schema/).
int LatestSchemaVersion();

// What differs between the ClickHouse releases the store runs on.
struct ServerInfo {
  std::string version;         // SELECT version(), e.g. "18.16.1"
  bool column_codecs = false;  // CREATE TABLE accepts CODEC(...) clauses (19.1+)
  // The server has max_partitions_per_insert_block (default 100 where it exists; 18.16 has no
  // such limit). Inserts lift it: one batch may carry observations of more than 100 days.
  bool limits_partitions_per_insert = false;
  // The cluster (a name in the server's remote_servers) the tables are laid out on; empty: the
  // one server's own tables.
  std::string cluster;
};

// What the server at `client` is, for tables laid out on `cluster` (empty: none). Unavailable when
// it cannot be reached; FailedPrecondition when the server defines no such cluster.
absl::StatusOr<ServerInfo> DescribeServer(HttpClient& client, std::string_view cluster = "");

// The settings of a query in `database` on `server`: the database, and on a cluster more: an
// insert into a Distributed table returns once every shard has its rows (a read then sees them),
// a subquery over a Distributed table inside another's reads every shard once (GLOBAL IN) rather
// than being refused, and reads and inserts go to the same replica of each shard.
QuerySettings DatabaseSettings(const std::string& database, const ServerInfo& server);

// Creates `database` if missing and each table of `statements` (CREATE TABLE IF NOT EXISTS …,
// run in `database`) that it does not have yet. On a cluster, the statements run in a scratch
// database of this server, and each table they create is made on every shard of the cluster as
// described above, or given the columns it lacks. Nodes starting at once cannot break each other.
absl::Status CreateTables(HttpClient& client, const ServerInfo& server, const std::string& database,
                          std::span<const char* const> statements);

// The statements of the migrations with versions from `first` to `last`, in order, filled in for
// `server`, without their code steps: for tests that lay out a database of an older layout.
std::vector<std::string> MigrationStatements(int first, int last, const ServerInfo& server);

// Trace ids by project.
using TraceIdsByProject = std::map<std::string, std::vector<std::string>>;

// Creates `database` if missing and brings its tables to LatestSchemaVersion(). Returns the
// traces whose summaries the store must recompute before it serves: those other nodes wrote to
// while a migration copied their tables (layouts 5 and 6, retention_migration.h); usually none.
// FailedPrecondition when the database was migrated by a newer build (a higher version), or, on a
// cluster, when a migration changes a table in a way a cluster does not take (above).
absl::StatusOr<TraceIdsByProject> ApplySchema(HttpClient& client, const ServerInfo& server, const std::string& database);

}  // namespace trackly::store::clickhouse
