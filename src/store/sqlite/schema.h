// The on-disk layout of the SQLite store (store.db in the data directory). The DDL in schema.cc is
// the one description of the layout; rows.h maps model types onto these tables.
#pragma once

#include "absl/status/status.h"
#include "store/sqlite/connection.h"

namespace trackly::store::sqlite {

// Layout version kept in PRAGMA user_version; bump it with a migration when the DDL changes.
inline constexpr int kStoreSchemaVersion = 10;

// Creates the tables of an empty database, accepts one at kStoreSchemaVersion, and refuses
// (FailedPrecondition) one written by a newer version. Call on the writer connection.
absl::Status ApplyStoreSchema(Connection& db);

}  // namespace trackly::store::sqlite
