// The on-disk layout of the SQLite store (store.db in the data directory). The DDL in schema.cc is
// the one description of the layout; rows.h maps model types onto these tables.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "store/sqlite/connection.h"

namespace trackly::store::sqlite {

// Layout version kept in PRAGMA user_version; bump it with a migration when the DDL changes.
inline constexpr int kStoreSchemaVersion = 11;

// A trace with this many observations or more has every one of them in observation_order, the
// table that pages its observations in start order (Store::ListTraceObservations); a smaller
// trace has none there and is sorted when read. Part of the layout: the migration to layout 11
// and the writer both use it, so changing it needs a migration that fills or empties the table.
inline constexpr int64_t kOrderedTraceObservations = 1000;

// Creates the tables of an empty database, accepts one at kStoreSchemaVersion, and refuses
// (FailedPrecondition) one written by a newer version. Call on the writer connection.
absl::Status ApplyStoreSchema(Connection& db);

}  // namespace trackly::store::sqlite
