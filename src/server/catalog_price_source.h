// The prices the server computes cost with: the built-in catalog plus every project's own prices
// from the Catalog (docs/cost.md "Project prices"), kept current while the server runs.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "normalize/cost/price_source.h"
#include "store/catalog.h"

namespace trackly::server {

// Thread-safe. How a price change reaches ingest:
//  - through this server's API: the handler calls Reload() after the change is durable, so the
//    next batch is priced with it;
//  - through another process on the same data directory (`trackly models add`): Current() checks
//    Catalog::ModelPricesVersion() at most once per kCheckIntervalNs of clock time and rebuilds
//    when it moved, so the change applies within about a second.
// Current() never waits for a reload: while one thread checks or rebuilds, the others keep
// pricing with the previous snapshot. A reload that fails keeps the previous catalog (and logs).
class CatalogPriceSource final : public cost::PriceSource {
 public:
  static constexpr int64_t kCheckIntervalNs = 1'000'000'000;

  // Loads the stored prices over `builtin` (which has no project prices). `catalog` and `clock`
  // must outlive this.
  static absl::StatusOr<std::unique_ptr<CatalogPriceSource>> Create(
      std::shared_ptr<const cost::PriceCatalog> builtin, store::Catalog& catalog, const Clock& clock);

  std::shared_ptr<const cost::PriceCatalog> Current() const override;

  // Rebuilds from the Catalog now, whatever its version says.
  absl::Status Reload() const;

 private:
  CatalogPriceSource(std::shared_ptr<const cost::PriceCatalog> builtin, store::Catalog& catalog, const Clock& clock);
  // Rebuilds when the stored version differs from the loaded one (always with `force`).
  absl::Status Refresh(bool force) const;

  const std::shared_ptr<const cost::PriceCatalog> builtin_;
  store::Catalog& catalog_;
  const Clock& clock_;

  // Serializes rebuilds; never held by Current()'s fast path.
  mutable absl::Mutex reload_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  mutable std::shared_ptr<const cost::PriceCatalog> current_ ABSL_GUARDED_BY(mu_);
  mutable int64_t loaded_version_ ABSL_GUARDED_BY(mu_) = -1;
  mutable int64_t next_check_ns_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace trackly::server
