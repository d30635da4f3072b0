#include "cli/store_access.h"

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status.h"
#include "store/catalog_copy.h"
#include "store/clickhouse/clickhouse_catalog.h"
#include "store/sqlite/sqlite_catalog.h"
#include "store/sqlite/sqlite_store.h"

namespace trackly::cli {

std::optional<std::string> Environment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

absl::StatusOr<store::ClickHouseStoreOptions> ClickHouseOptionsOf(const server::ServerOptions& options) {
  TRACKLY_ASSIGN_OR_RETURN(server::ClickHouseAddress address, server::ParseClickHouseUrl(options.clickhouse_url));
  store::ClickHouseStoreOptions clickhouse;
  clickhouse.server.host = address.host;
  clickhouse.server.port = address.port;
  clickhouse.server.user = options.clickhouse_user;
  clickhouse.server.password = options.clickhouse_password;
  clickhouse.database = options.clickhouse_database;
  clickhouse.cluster = options.clickhouse_cluster;
  clickhouse.max_queue_observations = static_cast<size_t>(options.writer_queue_observations);
  return clickhouse;
}

namespace {

// The server options the environment gives (TRACKLY_*, the config file TRACKLY_CONFIG names).
absl::StatusOr<server::ServerOptions> EnvironmentOptions() {
  server::OptionSources sources;
  sources.env = Environment;
  return server::LoadServerOptions(sources);
}

// Copies catalog.db of `data_dir` into `shared` when `shared` holds no project and no user yet (a
// deployment whose nodes kept their catalogs locally, before the catalog moved into ClickHouse).
absl::Status AdoptLocalCatalog(store::Catalog& shared, const std::string& data_dir) {
  std::error_code error;
  if (!std::filesystem::exists(std::filesystem::path(data_dir) / "catalog.db", error)) return absl::OkStatus();
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::Project> projects, shared.ListProjects());
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::UserRecord> users, shared.ListUsers());
  if (!projects.empty() || !users.empty()) return absl::OkStatus();
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<store::SqliteCatalog> local, store::SqliteCatalog::Open(data_dir));
  TRACKLY_ASSIGN_OR_RETURN(store::CatalogCopyCounts copied, store::CopyCatalog(*local, shared));
  if (copied.projects > 0 || copied.users > 0) {
    LogInfo("copied the catalog of ", data_dir, "/catalog.db into ClickHouse, which every node now shares: ",
            copied.projects, " projects, ", copied.keys, " API keys, ", copied.users, " users, ", copied.audit_events,
            " audit events");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<store::Catalog>> OpenCatalogOf(const server::ServerOptions& options) {
  if (options.store != "clickhouse") return store::SqliteCatalog::Open(options.data_dir);
  TRACKLY_ASSIGN_OR_RETURN(store::ClickHouseStoreOptions clickhouse, ClickHouseOptionsOf(options));
  TRACKLY_ASSIGN_OR_RETURN(
      std::unique_ptr<store::ClickHouseCatalog> catalog,
      store::ClickHouseCatalog::Open(
          {.server = clickhouse.server, .database = clickhouse.database, .cluster = clickhouse.cluster}));
  TRACKLY_RETURN_IF_ERROR(AdoptLocalCatalog(*catalog, options.data_dir));
  return catalog;
}

absl::StatusOr<server::ServerOptions> CommandOptions(const std::string& data_dir) {
  TRACKLY_ASSIGN_OR_RETURN(server::ServerOptions options, EnvironmentOptions());
  options.data_dir = data_dir;
  return options;
}

absl::StatusOr<std::unique_ptr<store::Store>> OpenStoreForReading(const std::string& data_dir) {
  TRACKLY_ASSIGN_OR_RETURN(server::ServerOptions options, EnvironmentOptions());
  if (options.store == "clickhouse") {
    TRACKLY_ASSIGN_OR_RETURN(store::ClickHouseStoreOptions clickhouse, ClickHouseOptionsOf(options));
    TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<store::ClickHouseStore> store, store::ClickHouseStore::Open(clickhouse));
    return std::unique_ptr<store::Store>(std::move(store));
  }
  store::SqliteStoreOptions sqlite;
  sqlite.dir = data_dir;
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<store::SqliteStore> store, store::SqliteStore::Open(sqlite));
  return std::unique_ptr<store::Store>(std::move(store));
}

absl::Status RequireEmbeddedStore(std::string_view command, std::string_view api) {
  TRACKLY_ASSIGN_OR_RETURN(server::ServerOptions options, EnvironmentOptions());
  if (options.store != "clickhouse") return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      Sv(command), " changes the embedded store only, and this environment stores traces in ClickHouse ",
      "(TRACKLY_STORE=clickhouse): use ", Sv(api), " on a node, which ships its spool first (docs/api.md)"));
}

}  // namespace trackly::cli
