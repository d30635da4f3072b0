#include "store/clickhouse/conformance_backend.h"

#include <memory>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "store/clickhouse/clickhouse_catalog.h"
#include "store/clickhouse/test_server.h"

namespace trackly::store::clickhouse {
namespace {

// The database of the current location, shared by the backend's functions.
class Locations {
 public:
  explicit Locations(ConformanceTarget target) : target_(std::move(target)) {}

  absl::StatusOr<ClickHouseStoreOptions> OptionsOf(const std::string& location) {
    absl::MutexLock lock(&mu_);
    if (location_ != location) {
      if (!database_.empty()) target_.drop(database_);
      location_ = location;
      database_ = NewDatabaseName();
    }
    return target_.options(database_, openings_++);
  }

 private:
  const ConformanceTarget target_;
  absl::Mutex mu_;
  std::string location_ ABSL_GUARDED_BY(mu_);
  std::string database_ ABSL_GUARDED_BY(mu_);
  int openings_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

conformance::Backend ConformanceBackend(ConformanceTarget target) {
  conformance::Backend backend{.name = target.name, .skip_reason = target.skip_reason};
  auto locations = std::make_shared<Locations>(std::move(target));
  backend.open_store = [locations](const std::string& location,
                                   const conformance::StoreLimits& limits) -> absl::StatusOr<std::unique_ptr<Store>> {
    absl::StatusOr<ClickHouseStoreOptions> options = locations->OptionsOf(location);
    if (!options.ok()) return options.status();
    options->max_queue_observations = limits.max_queue_observations;
    absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(*options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(*std::move(store));
  };
  backend.open_catalog = [locations](const std::string& location) -> absl::StatusOr<std::unique_ptr<Catalog>> {
    absl::StatusOr<ClickHouseStoreOptions> options = locations->OptionsOf(location);
    if (!options.ok()) return options.status();
    absl::StatusOr<std::unique_ptr<ClickHouseCatalog>> catalog = ClickHouseCatalog::Open(
        {.server = options->server, .database = options->database, .cluster = options->cluster});
    if (!catalog.ok()) return catalog.status();
    return std::unique_ptr<Catalog>(*std::move(catalog));
  };
  return backend;
}

}  // namespace trackly::store::clickhouse
