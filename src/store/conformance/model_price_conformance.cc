// Conformance of Catalog's project model prices (store/catalog.h "Project model prices").
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "store/conformance/store_conformance.h"
#include "store/model_prices.h"

namespace trackly::store::conformance {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kNow = 1'795'314'529'000'000'000;

std::string Price(std::string model, std::string match, std::string valid_from, double input = 1,
                  std::string valid_until = "") {
  model::Json entry{{"provider", "acme"},
                    {"model", std::move(model)},
                    {"match", std::move(match)},
                    {"valid_from", std::move(valid_from)},
                    {"prices", {{"input", input}, {"output", 2}}}};
  if (!valid_until.empty()) entry["valid_until"] = valid_until;
  return entry.dump();
}

void CreateProjects(Catalog& catalog) {
  ASSERT_TRUE(catalog.CreateProject("alpha", kNow).ok());
  ASSERT_TRUE(catalog.CreateProject("beta", kNow).ok());
}

TEST_P(CatalogConformanceTest, PutsListsAndRemovesPrices) {
  CreateProjects(*catalog_);
  absl::StatusOr<ModelPriceRecord> put = catalog_->PutModelPrice("alpha", Price("ft-1", "ft-1.*", "2025-01-01"), kNow);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->id, "custom:acme/ft-1@2025-01-01");
  EXPECT_EQ(put->project, "alpha");
  EXPECT_EQ(put->created_ns, kNow);
  ASSERT_TRUE(catalog_->PutModelPrice("alpha", Price("ft-0", "ft-0", "2025-01-01"), kNow).ok());
  ASSERT_TRUE(catalog_->PutModelPrice("beta", Price("ft-1", "ft-1", "2025-01-01"), kNow).ok());

  absl::StatusOr<std::vector<ModelPriceRecord>> alpha = catalog_->ListModelPrices("alpha");
  ASSERT_TRUE(alpha.ok()) << alpha.status();
  ASSERT_EQ(alpha->size(), 2u);
  EXPECT_EQ((*alpha)[0].id, "custom:acme/ft-0@2025-01-01");
  EXPECT_EQ((*alpha)[1].id, "custom:acme/ft-1@2025-01-01");
  absl::StatusOr<cost::PriceEntry> entry = ParseModelPrice((*alpha)[1].entry_json);
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->match, "ft-1.*");
  EXPECT_TRUE(entry->custom);
  EXPECT_EQ(catalog_->ListModelPrices("")->size(), 3u);

  ASSERT_TRUE(catalog_->RemoveModelPrice("alpha", "custom:acme/ft-1@2025-01-01").ok());
  EXPECT_EQ(catalog_->ListModelPrices("alpha")->size(), 1u);
  EXPECT_EQ(catalog_->ListModelPrices("beta")->size(), 1u);  // the other project keeps its own
  EXPECT_EQ(catalog_->RemoveModelPrice("alpha", "custom:acme/ft-1@2025-01-01").code(), absl::StatusCode::kNotFound);
}

TEST_P(CatalogConformanceTest, PutWithTheSameIdReplacesThePrice) {
  CreateProjects(*catalog_);
  ASSERT_TRUE(catalog_->PutModelPrice("alpha", Price("ft-1", "ft-1", "2025-01-01", 1), kNow).ok());
  ASSERT_TRUE(catalog_->PutModelPrice("alpha", Price("ft-1", "ft-1", "2025-01-01", 7), kNow + 1).ok());
  absl::StatusOr<std::vector<ModelPriceRecord>> prices = catalog_->ListModelPrices("alpha");
  ASSERT_EQ(prices->size(), 1u);
  EXPECT_EQ(ParseModelPrice((*prices)[0].entry_json)->prices.input, 7);
  EXPECT_EQ((*prices)[0].created_ns, kNow + 1);
}

TEST_P(CatalogConformanceTest, BadPriceIsInvalidArgumentNamingTheField) {
  CreateProjects(*catalog_);
  struct Case {
    std::string entry_json;
    std::string field_prefix;
  };
  const Case cases[] = {
      {Price("ft-1", "ft-(1", "2025-01-01"), "match: invalid RE2 pattern"},
      {Price("ft-1", "ft-1", "yesterday"), "valid_from:"},
      {R"({"provider":"acme","model":"x","match":"x","valid_from":"2025-01-01"})", "prices:"},
      {R"({"provider":"acme","model":"x","match":"x","valid_from":"2025-01-01","prices":{"input":-1,"output":0}})",
       "prices.input:"},
      {"{not json", "entry: not valid JSON"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ModelPriceRecord> put = catalog_->PutModelPrice("alpha", c.entry_json, kNow);
    EXPECT_EQ(put.status().code(), absl::StatusCode::kInvalidArgument) << c.entry_json;
    EXPECT_THAT(std::string(put.status().message()), StartsWith(c.field_prefix)) << c.entry_json;
  }
  EXPECT_TRUE(catalog_->ListModelPrices("alpha")->empty());
}

TEST_P(CatalogConformanceTest, OverlappingValidityIsInvalidArgument) {
  CreateProjects(*catalog_);
  ASSERT_TRUE(catalog_->PutModelPrice("alpha", Price("ft-1", "ft-1", "2025-01-01", 1, "2025-06-01"), kNow).ok());
  absl::StatusOr<ModelPriceRecord> put = catalog_->PutModelPrice("alpha", Price("ft-1", "ft-1", "2025-03-01"), kNow);
  EXPECT_EQ(put.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(put.status().message()), StartsWith("valid_until:"));
  EXPECT_THAT(std::string(put.status().message()), HasSubstr("overlap"));
  // A price of the same model in another project does not overlap; nor does one that starts
  // where the first one ends.
  EXPECT_TRUE(catalog_->PutModelPrice("beta", Price("ft-1", "ft-1", "2025-03-01"), kNow).ok());
  EXPECT_TRUE(catalog_->PutModelPrice("alpha", Price("ft-1", "ft-1", "2025-06-01"), kNow).ok());
}

TEST_P(CatalogConformanceTest, PriceOfUnknownProjectIsNotFound) {
  CreateProjects(*catalog_);
  EXPECT_EQ(catalog_->PutModelPrice("gamma", Price("ft-1", "ft-1", "2025-01-01"), kNow).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(CatalogConformanceTest, VersionChangesWithEveryChangeAlsoThroughAnotherCatalog) {
  CreateProjects(*catalog_);
  absl::StatusOr<int64_t> v0 = catalog_->ModelPricesVersion();
  ASSERT_TRUE(v0.ok()) << v0.status();
  absl::StatusOr<std::unique_ptr<Catalog>> other = GetParam().open_catalog(location_);
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE((*other)->PutModelPrice("alpha", Price("ft-1", "ft-1", "2025-01-01"), kNow).ok());
  absl::StatusOr<int64_t> v1 = catalog_->ModelPricesVersion();
  EXPECT_NE(*v1, *v0);
  EXPECT_EQ(catalog_->ListModelPrices("alpha")->size(), 1u);
  // A rejected change leaves the version alone.
  ASSERT_FALSE(catalog_->PutModelPrice("alpha", Price("ft-2", "(", "2025-01-01"), kNow).ok());
  EXPECT_EQ(*catalog_->ModelPricesVersion(), *v1);
  ASSERT_TRUE((*other)->RemoveModelPrice("alpha", "custom:acme/ft-1@2025-01-01").ok());
  EXPECT_NE(*catalog_->ModelPricesVersion(), *v1);
}

TEST_P(CatalogConformanceTest, StoredPricesBuildThePriceCatalog) {
  CreateProjects(*catalog_);
  ASSERT_TRUE(catalog_->PutModelPrice("alpha", Price("ft-1", "ft-1", "2025-01-01", 5), kNow).ok());
  absl::StatusOr<std::shared_ptr<const cost::PriceCatalog>> base = cost::PriceCatalog::Create({});
  ASSERT_TRUE(base.ok()) << base.status();
  absl::StatusOr<std::shared_ptr<const cost::PriceCatalog>> prices = WithStoredPrices(*base, *catalog_);
  ASSERT_TRUE(prices.ok()) << prices.status();
  const cost::PriceEntry* found = (*prices)->Find("alpha", "ft-1", "", kNow);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->prices.input, 5);
  EXPECT_EQ((*prices)->Find("beta", "ft-1", "", kNow), nullptr);
}

}  // namespace
}  // namespace trackly::store::conformance
