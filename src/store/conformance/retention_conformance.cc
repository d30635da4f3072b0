// Conformance of Catalog's project retention (store/catalog.h "Project retention").
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::conformance {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'795'314'529'000'000'000;

bool HasRetention(Catalog& catalog) {
  return catalog.ListRetention().status().code() != absl::StatusCode::kUnimplemented;
}

void CreateProjects(Catalog& catalog) {
  ASSERT_TRUE(catalog.CreateProject("alpha", kNow).ok());
  ASSERT_TRUE(catalog.CreateProject("beta", kNow).ok());
}

TEST_P(CatalogConformanceTest, PutsGetsListsAndRemovesRetention) {
  if (!HasRetention(*catalog_)) GTEST_SKIP() << "backend keeps no retention";
  CreateProjects(*catalog_);
  absl::StatusOr<std::optional<RetentionRecord>> none = catalog_->GetRetention("alpha");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  EXPECT_TRUE(catalog_->ListRetention()->empty());

  absl::StatusOr<RetentionRecord> put = catalog_->PutRetention({.project = "alpha", .payload_days = 7, .summary_days = 30});
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->payload_days, 7);
  // Replaced by the next put.
  ASSERT_TRUE(catalog_->PutRetention({.project = "alpha", .payload_days = 14, .summary_days = 0}).ok());
  absl::StatusOr<std::optional<RetentionRecord>> got = catalog_->GetRetention("alpha");
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  EXPECT_EQ((*got)->project, "alpha");
  EXPECT_EQ((*got)->payload_days, 14);
  EXPECT_EQ((*got)->summary_days, 0);
  EXPECT_FALSE(catalog_->GetRetention("beta")->has_value());  // the other project has none

  ASSERT_TRUE(catalog_->PutRetention({.project = "beta", .payload_days = 0, .summary_days = 90}).ok());
  absl::StatusOr<std::vector<RetentionRecord>> all = catalog_->ListRetention();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].project, "alpha");
  EXPECT_EQ((*all)[1].project, "beta");
  EXPECT_EQ((*all)[1].summary_days, 90);

  absl::StatusOr<std::optional<RetentionRecord>> removed = catalog_->RemoveRetention("alpha");
  ASSERT_TRUE(removed.ok() && removed->has_value()) << removed.status();
  EXPECT_EQ((*removed)->payload_days, 14);
  EXPECT_FALSE(catalog_->GetRetention("alpha")->has_value());
  // Removing what is not there is OK and says so.
  removed = catalog_->RemoveRetention("alpha");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_FALSE(removed->has_value());
  ASSERT_EQ(catalog_->ListRetention()->size(), 1u);
}

TEST_P(CatalogConformanceTest, RejectsBadRetentionAndUnknownProjectsChangingNothing) {
  if (!HasRetention(*catalog_)) GTEST_SKIP() << "backend keeps no retention";
  CreateProjects(*catalog_);
  ASSERT_TRUE(catalog_->PutRetention({.project = "alpha", .payload_days = 7, .summary_days = 30}).ok());
  for (const RetentionRecord& bad : std::vector<RetentionRecord>{
           {.project = "alpha", .payload_days = -1, .summary_days = 30},
           {.project = "alpha", .payload_days = 7, .summary_days = 36501},
           {.project = "alpha", .payload_days = 31, .summary_days = 30},
       }) {
    absl::Status status = catalog_->PutRetention(bad).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  }
  EXPECT_THAT(std::string(catalog_->PutRetention({.project = "alpha", .payload_days = 31, .summary_days = 30})
                              .status()
                              .message()),
              HasSubstr("payload_days"));
  EXPECT_EQ((*catalog_->GetRetention("alpha"))->payload_days, 7);  // unchanged
  EXPECT_EQ(catalog_->PutRetention({.project = "gamma", .payload_days = 1, .summary_days = 2}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->GetRetention("gamma").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->RemoveRetention("gamma").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->ListRetention()->size(), 1u);
}

TEST_P(CatalogConformanceTest, RetentionPutThroughAnotherCatalogIsSeen) {
  if (!HasRetention(*catalog_)) GTEST_SKIP() << "backend keeps no retention";
  CreateProjects(*catalog_);
  absl::StatusOr<std::unique_ptr<Catalog>> other = GetParam().open_catalog(location_);
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE((*other)->PutRetention({.project = "beta", .payload_days = 3, .summary_days = 9}).ok());
  EXPECT_EQ((*catalog_->GetRetention("beta"))->summary_days, 9);
}

}  // namespace
}  // namespace trackly::store::conformance
