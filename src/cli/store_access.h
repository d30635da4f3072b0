// Which store and catalog the CLI's commands reach, chosen the way `trackly serve` chooses them:
// `store` in the server options (TRACKLY_STORE; server/options.h) names the embedded store and
// catalog.db of the data directory, or a ClickHouse database (TRACKLY_CLICKHOUSE_URL, _DATABASE,
// _USER, _PASSWORD) holding both.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "server/options.h"
#include "store/catalog.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/store.h"

namespace trackly::cli {

// The process environment, as server::OptionSources::env wants it (nullopt = unset).
std::optional<std::string> Environment(const std::string& name);

// The ClickHouse store `options` name (options.store is "clickhouse"): its address, credentials,
// database and write queue bound.
absl::StatusOr<store::ClickHouseStoreOptions> ClickHouseOptionsOf(const server::ServerOptions& options);

// The catalog `options` name: catalog.db in options.data_dir (which must exist), or with store
// "clickhouse" the catalog in that ClickHouse database (store/clickhouse/clickhouse_catalog.h),
// which every node and CLI pointed at it shares. A ClickHouse catalog that holds no project and no
// user yet first gets a copy of the data directory's catalog.db when there is one
// (store/catalog_copy.h), logged, so nodes upgraded from a per-node catalog keep their keys.
absl::StatusOr<std::unique_ptr<store::Catalog>> OpenCatalogOf(const server::ServerOptions& options);

// The server options the environment gives (TRACKLY_*, the config file TRACKLY_CONFIG names), with
// `data_dir` as the data directory: what a command run beside a node reaches. Invalid options are
// an InvalidArgument naming the variable.
absl::StatusOr<server::ServerOptions> CommandOptions(const std::string& data_dir);

// The store the read commands (traces, trace, diff, export, workflow) read for `data_dir`: its
// embedded store, or with TRACKLY_STORE=clickhouse in the environment (or `store = "clickhouse"` in
// the config file TRACKLY_CONFIG names) the ClickHouse database the TRACKLY_CLICKHOUSE_* variables
// name, as a node started with the same environment stores into.
// ClickHouse is read directly, not through a node's spool, so spans a node acknowledged and has not
// shipped yet are not seen. Invalid options are an InvalidArgument naming the variable.
absl::StatusOr<std::unique_ptr<store::Store>> OpenStoreForReading(const std::string& data_dir);

// OK when the environment (as for OpenStoreForReading) names the embedded store. With ClickHouse,
// FailedPrecondition telling the user to call `api` on a node instead: `command` changes stored
// traces, which on ClickHouse only a node can do safely, because its spool may hold spans of those
// traces that it has acknowledged and not shipped yet (a node ships its spool first;
// spool/spooled_store.h).
absl::Status RequireEmbeddedStore(std::string_view command, std::string_view api);

}  // namespace trackly::cli
