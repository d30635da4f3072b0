// Where the ingest path gets the price catalog for a batch: a tiny interface, so prices can change
// (a project's custom price added through the API or the CLI) while the server runs.
#pragma once

#include <memory>
#include <utility>

#include "normalize/cost/price_catalog.h"

namespace trackly::cost {

// Thread-safe: Current() may be called from any thread, concurrently.
class PriceSource {
 public:
  virtual ~PriceSource() = default;
  // The catalog to price with now; never null. A caller holds the snapshot for the whole batch,
  // so every span of one batch is priced with the same catalog even if prices change meanwhile.
  virtual std::shared_ptr<const PriceCatalog> Current() const = 0;
};

// Thread-safe (immutable). Always the same catalog: tests and tools that price once.
class FixedPriceSource final : public PriceSource {
 public:
  explicit FixedPriceSource(std::shared_ptr<const PriceCatalog> catalog) : catalog_(std::move(catalog)) {}
  std::shared_ptr<const PriceCatalog> Current() const override { return catalog_; }

 private:
  const std::shared_ptr<const PriceCatalog> catalog_;
};

}  // namespace trackly::cost
