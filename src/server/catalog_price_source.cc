#include "server/catalog_price_source.h"

#include <utility>

#include "base/status.h"
#include "store/model_prices.h"

namespace trackly::server {

absl::StatusOr<std::unique_ptr<CatalogPriceSource>> CatalogPriceSource::Create(
    std::shared_ptr<const cost::PriceCatalog> builtin, store::Catalog& catalog, const Clock& clock) {
  std::unique_ptr<CatalogPriceSource> source(new CatalogPriceSource(std::move(builtin), catalog, clock));
  TRACKLY_RETURN_IF_ERROR(source->Reload());
  return source;
}

CatalogPriceSource::CatalogPriceSource(std::shared_ptr<const cost::PriceCatalog> builtin, store::Catalog& catalog,
                                       const Clock& clock)
    : snapshot_(
          "model prices", builtin, [&catalog] { return catalog.ModelPricesVersion(); },
          [builtin, &catalog] { return store::WithStoredPrices(builtin, catalog); }, clock) {}

}  // namespace trackly::server
