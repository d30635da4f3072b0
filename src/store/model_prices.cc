#include "store/model_prices.h"

#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/json.h"

namespace trackly::store {

absl::StatusOr<cost::PriceEntry> ParseModelPrice(std::string_view entry_json) {
  model::Json json = model::Json::parse(entry_json, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InvalidArgumentError("entry: not valid JSON");
  return cost::PriceEntryFromJson(json, /*custom=*/true);
}

absl::Status CheckProjectPrices(std::vector<cost::PriceEntry> entries) {
  // Building a one-project catalog runs exactly the checks the server's catalog will run.
  absl::flat_hash_map<std::string, std::vector<cost::PriceEntry>> by_project;
  by_project["project"] = std::move(entries);
  return cost::PriceCatalog::Create({}, std::move(by_project)).status();
}

namespace {

absl::StatusOr<cost::PriceEntry> ParseRecord(const ModelPriceRecord& record) {
  absl::StatusOr<cost::PriceEntry> entry = ParseModelPrice(record.entry_json);
  if (!entry.ok()) {
    // It was validated when stored, so this is a file written by another version of trackly.
    return absl::DataLossError(absl::StrCat("stored price ", record.id, " of project \"", record.project,
                                            "\" does not parse: ", entry.status().message()));
  }
  return entry;
}

}  // namespace

absl::StatusOr<ModelPriceRecord> NormalizedModelPrice(std::string_view project, std::string_view entry_json,
                                                      int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(cost::PriceEntry entry, ParseModelPrice(entry_json));
  return ModelPriceRecord{.id = entry.id,
                          .project = std::string(project),
                          .entry_json = model::DumpJson(cost::ToJson(entry)),
                          .created_ns = now_ns};
}

absl::Status CheckPriceAmong(const ModelPriceRecord& record, const std::vector<ModelPriceRecord>& stored) {
  std::vector<cost::PriceEntry> entries;
  for (const ModelPriceRecord& other : stored) {
    if (other.id == record.id) continue;
    TRACKLY_ASSIGN_OR_RETURN(cost::PriceEntry entry, ParseRecord(other));
    entries.push_back(std::move(entry));
  }
  TRACKLY_ASSIGN_OR_RETURN(cost::PriceEntry entry, ParseRecord(record));
  entries.push_back(std::move(entry));
  return CheckProjectPrices(std::move(entries));
}

absl::StatusOr<std::vector<cost::PriceEntry>> LoadProjectPrices(Catalog& catalog, std::string_view project) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<ModelPriceRecord> records, catalog.ListModelPrices(project));
  std::vector<cost::PriceEntry> entries;
  entries.reserve(records.size());
  for (const ModelPriceRecord& record : records) {
    TRACKLY_ASSIGN_OR_RETURN(cost::PriceEntry entry, ParseRecord(record));
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::StatusOr<std::shared_ptr<const cost::PriceCatalog>> WithStoredPrices(
    std::shared_ptr<const cost::PriceCatalog> base, Catalog& catalog) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<ModelPriceRecord> records, catalog.ListModelPrices(""));
  std::map<std::string, std::vector<cost::PriceEntry>> by_project;
  for (const ModelPriceRecord& record : records) {
    TRACKLY_ASSIGN_OR_RETURN(cost::PriceEntry entry, ParseRecord(record));
    by_project[record.project].push_back(std::move(entry));
  }
  std::shared_ptr<const cost::PriceCatalog> prices = std::move(base);
  for (auto& [project, entries] : by_project) {
    TRACKLY_ASSIGN_OR_RETURN(prices, prices->WithProjectEntries(project, std::move(entries)));
  }
  return prices;
}

}  // namespace trackly::store
