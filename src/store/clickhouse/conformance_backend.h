// Test-only: the conformance suites' Backend (store/conformance/store_conformance.h) for the
// ClickHouse store and catalog, on one server or on a cluster.
//
// Each conformance location gets a database of its own (NewDatabaseName()). A new location means
// the test of the previous one has ended, so the previous location's database is dropped.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::clickhouse {

struct ConformanceTarget {
  std::string name;         // in test names
  std::string skip_reason;  // as Backend's
  // The options of the store or catalog of `database` at its `opening`th opening of any location
  // (from 0): which server, which cluster. An error fails the test.
  std::function<absl::StatusOr<ClickHouseStoreOptions>(const std::string& database, int opening)> options;
  // Drops `database` (that of a location whose test has ended).
  std::function<void(const std::string& database)> drop;
};

conformance::Backend ConformanceBackend(ConformanceTarget target);

}  // namespace trackly::store::clickhouse
