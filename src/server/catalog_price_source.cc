#include "server/catalog_price_source.h"

#include <utility>

#include "base/log.h"
#include "base/status.h"
#include "store/model_prices.h"

namespace trackly::server {

absl::StatusOr<std::unique_ptr<CatalogPriceSource>> CatalogPriceSource::Create(
    std::shared_ptr<const cost::PriceCatalog> builtin, store::Catalog& catalog, const Clock& clock) {
  std::unique_ptr<CatalogPriceSource> source(new CatalogPriceSource(std::move(builtin), catalog, clock));
  TRACKLY_RETURN_IF_ERROR(source->Refresh(/*force=*/true));
  return source;
}

CatalogPriceSource::CatalogPriceSource(std::shared_ptr<const cost::PriceCatalog> builtin, store::Catalog& catalog,
                                       const Clock& clock)
    : builtin_(std::move(builtin)), catalog_(catalog), clock_(clock), current_(builtin_) {}

std::shared_ptr<const cost::PriceCatalog> CatalogPriceSource::Current() const {
  const int64_t now_ns = clock_.NowNanos();
  {
    absl::MutexLock lock(&mu_);
    if (now_ns < next_check_ns_) return current_;
    // This caller checks; callers until the next interval take the snapshot as it is.
    next_check_ns_ = now_ns + kCheckIntervalNs;
  }
  if (absl::Status status = Refresh(/*force=*/false); !status.ok()) {
    LogWarn("model prices: keeping the previous prices, reload failed: ", status.ToString());
  }
  absl::MutexLock lock(&mu_);
  return current_;
}

absl::Status CatalogPriceSource::Reload() const { return Refresh(/*force=*/true); }

absl::Status CatalogPriceSource::Refresh(bool force) const {
  absl::MutexLock reload_lock(&reload_mu_);
  // The version is read before the prices: a change that lands in between is loaded now and
  // loaded once more at the next check, never missed.
  absl::StatusOr<int64_t> version = catalog_.ModelPricesVersion();
  // A catalog backend without project prices: the built-in catalog is all there is.
  if (absl::IsUnimplemented(version.status())) return absl::OkStatus();
  TRACKLY_RETURN_IF_ERROR(version.status());
  if (!force) {
    absl::MutexLock lock(&mu_);
    if (*version == loaded_version_) return absl::OkStatus();
  }
  TRACKLY_ASSIGN_OR_RETURN(std::shared_ptr<const cost::PriceCatalog> prices,
                           store::WithStoredPrices(builtin_, catalog_));
  absl::MutexLock lock(&mu_);
  current_ = std::move(prices);
  loaded_version_ = *version;
  return absl::OkStatus();
}

}  // namespace trackly::server
