// The prices the server computes cost with: the built-in catalog plus every project's own prices
// from the Catalog (docs/cost.md "Project prices"), kept current while the server runs.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "normalize/cost/price_source.h"
#include "server/catalog_snapshot.h"
#include "store/catalog.h"

namespace trackly::server {

// Thread-safe. Kept current through Catalog::ModelPricesVersion() as CatalogSnapshot says: a
// change through this server's API applies from the next batch (the handler calls Reload()), one
// through another process on the same data directory within about a second.
class CatalogPriceSource final : public cost::PriceSource {
 public:
  static constexpr int64_t kCheckIntervalNs = CatalogSnapshot<cost::PriceCatalog>::kCheckIntervalNs;

  // Loads the stored prices over `builtin` (which has no project prices). `catalog` and `clock`
  // must outlive this.
  static absl::StatusOr<std::unique_ptr<CatalogPriceSource>> Create(
      std::shared_ptr<const cost::PriceCatalog> builtin, store::Catalog& catalog, const Clock& clock);

  std::shared_ptr<const cost::PriceCatalog> Current() const override { return snapshot_.Current(); }

  // Rebuilds from the Catalog now, whatever its version says.
  absl::Status Reload() const { return snapshot_.Reload(); }

 private:
  CatalogPriceSource(std::shared_ptr<const cost::PriceCatalog> builtin, store::Catalog& catalog, const Clock& clock);

  CatalogSnapshot<cost::PriceCatalog> snapshot_;
};

}  // namespace trackly::server
