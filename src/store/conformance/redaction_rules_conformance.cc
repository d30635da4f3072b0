// Conformance of Catalog's project redaction rules (store/catalog.h "Project redaction rules").
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::conformance {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'795'314'529'000'000'000;
constexpr char kRules[] =
    R"({"rules":[{"name":"ticket","kind":"pattern","value":"TCK-[0-9]+"},{"value":"*password*","kind":"key","name":"pw"}]})";

void CreateProjects(Catalog& catalog) {
  ASSERT_TRUE(catalog.CreateProject("alpha", kNow).ok());
  ASSERT_TRUE(catalog.CreateProject("beta", kNow).ok());
}

TEST_P(CatalogConformanceTest, PutsGetsAndListsRedactionRules) {
  CreateProjects(*catalog_);
  absl::StatusOr<RedactionRulesRecord> none = catalog_->GetRedactionRules("alpha");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->rules_json, R"({"rules":[]})");
  EXPECT_EQ(none->updated_ns, 0);

  absl::StatusOr<RedactionRulesRecord> put = catalog_->PutRedactionRules("alpha", kRules, kNow);
  ASSERT_TRUE(put.ok()) << put.status();
  // Normalized: fields in one order, whatever the order sent.
  const std::string normalized =
      R"({"rules":[{"kind":"pattern","name":"ticket","value":"TCK-[0-9]+"},{"kind":"key","name":"pw","value":"*password*"}]})";
  EXPECT_EQ(put->rules_json, normalized);
  absl::StatusOr<RedactionRulesRecord> got = catalog_->GetRedactionRules("alpha");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->rules_json, normalized);
  EXPECT_EQ(got->updated_ns, kNow);
  EXPECT_EQ(catalog_->GetRedactionRules("beta")->rules_json, R"({"rules":[]})");  // the other project has none

  absl::StatusOr<std::vector<RedactionRulesRecord>> all = catalog_->ListRedactionRules();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].project, "alpha");

  // An empty list removes them.
  ASSERT_TRUE(catalog_->PutRedactionRules("alpha", R"({"rules":[]})", kNow + 1).ok());
  EXPECT_TRUE(catalog_->ListRedactionRules()->empty());
  EXPECT_EQ(catalog_->GetRedactionRules("alpha")->rules_json, R"({"rules":[]})");
}

TEST_P(CatalogConformanceTest, RejectsBadRedactionRulesAndUnknownProjects) {
  CreateProjects(*catalog_);
  ASSERT_TRUE(catalog_->PutRedactionRules("alpha", kRules, kNow).ok());
  absl::Status bad =
      catalog_->PutRedactionRules("alpha", R"({"rules":[{"name":"broken","kind":"pattern","value":"("}]})", kNow)
          .status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.message()), HasSubstr("rule \"broken\": invalid RE2 pattern"));
  EXPECT_THAT(catalog_->GetRedactionRules("alpha")->rules_json, HasSubstr("ticket"));  // unchanged
  EXPECT_EQ(catalog_->PutRedactionRules("gamma", kRules, kNow).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->GetRedactionRules("gamma").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(CatalogConformanceTest, RedactionRulesVersionChangesWithEveryChangeAlsoThroughAnotherCatalog) {
  CreateProjects(*catalog_);
  absl::StatusOr<int64_t> v0 = catalog_->RedactionRulesVersion();
  ASSERT_TRUE(v0.ok()) << v0.status();
  absl::StatusOr<std::unique_ptr<Catalog>> other = GetParam().open_catalog(location_);
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE((*other)->PutRedactionRules("alpha", kRules, kNow).ok());
  absl::StatusOr<int64_t> v1 = catalog_->RedactionRulesVersion();
  EXPECT_NE(*v1, *v0);
  // A rejected change leaves the version alone.
  ASSERT_FALSE(catalog_->PutRedactionRules("alpha", R"({"rules":[{"name":"x","kind":"nope","value":"y"}]})", kNow).ok());
  EXPECT_EQ(*catalog_->RedactionRulesVersion(), *v1);
  ASSERT_TRUE((*other)->PutRedactionRules("alpha", R"({"rules":[]})", kNow).ok());
  EXPECT_NE(*catalog_->RedactionRulesVersion(), *v1);
}

}  // namespace
}  // namespace trackly::store::conformance
