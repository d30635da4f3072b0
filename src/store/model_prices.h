// Project model prices between the Catalog (which stores them as entry JSON) and the cost engine
// (which prices with a cost::PriceCatalog). Backend-independent: every Catalog backend validates
// with these, and the server and the CLI build their price catalogs with them.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "normalize/cost/price_catalog.h"
#include "store/catalog.h"

namespace trackly::store {

// Parses the JSON text of one project price (docs/cost.md, the catalog entry format).
// InvalidArgument naming the field; "entry: not valid JSON" when it does not parse.
absl::StatusOr<cost::PriceEntry> ParseModelPrice(std::string_view entry_json);

// OK when `entries` can be one project's prices: InvalidArgument naming the field for an invalid
// pattern or two prices of one model whose validity overlaps.
absl::Status CheckProjectPrices(std::vector<cost::PriceEntry> entries);

// The record a put of `entry_json` into `project` stores: the entry checked by ParseModelPrice and
// in normal form (cost::ToJson), so it reads back equal.
absl::StatusOr<ModelPriceRecord> NormalizedModelPrice(std::string_view project, std::string_view entry_json,
                                                      int64_t now_ns);

// OK when `record` can join `stored`, the project's prices as stored now (the one with its id is
// the one it replaces, so it does not count): InvalidArgument as CheckProjectPrices; DataLoss when
// a stored price does not parse.
absl::Status CheckPriceAmong(const ModelPriceRecord& record, const std::vector<ModelPriceRecord>& stored);

// The prices of `project` stored in `catalog`, parsed.
absl::StatusOr<std::vector<cost::PriceEntry>> LoadProjectPrices(Catalog& catalog, std::string_view project);

// `base` with every project's stored prices. `base` has no project prices of its own (the
// built-in catalog); its compiled built-in entries are shared, not rebuilt.
absl::StatusOr<std::shared_ptr<const cost::PriceCatalog>> WithStoredPrices(
    std::shared_ptr<const cost::PriceCatalog> base, Catalog& catalog);

}  // namespace trackly::store
