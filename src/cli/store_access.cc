#include "cli/store_access.h"

#include <cstdlib>
#include <optional>
#include <utility>

#include "base/status.h"
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
  clickhouse.max_queue_observations = static_cast<size_t>(options.writer_queue_observations);
  return clickhouse;
}

absl::StatusOr<std::unique_ptr<store::Store>> OpenStoreForReading(const std::string& data_dir) {
  server::OptionSources sources;
  sources.env = Environment;
  TRACKLY_ASSIGN_OR_RETURN(server::ServerOptions options, server::LoadServerOptions(sources));
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

}  // namespace trackly::cli
