// The effective retention of projects: their own record in the catalog, else the defaults, read
// with a fixed number of catalog calls however many projects there are.
#include "server/retention_policy.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/sqlite/sqlite_catalog.h"

namespace trackly::server {
namespace {

constexpr RetentionDefaults kDefaults{.payload_days = 7, .summary_days = 30};

// A catalog that forwards to a real one and counts the calls the policy makes.
class CountingCatalog final : public store::Catalog {
 public:
  explicit CountingCatalog(store::Catalog& inner) : inner_(inner) {}
  absl::StatusOr<store::Project> CreateProject(std::string_view name, int64_t now_ns) override {
    return inner_.CreateProject(name, now_ns);
  }
  absl::StatusOr<std::vector<store::Project>> ListProjects() override {
    ++calls;
    return inner_.ListProjects();
  }
  absl::StatusOr<store::Project> GetProject(std::string_view name) override {
    ++calls;
    return inner_.GetProject(name);
  }
  absl::Status InsertKey(const store::ApiKeyRecord& key) override { return inner_.InsertKey(key); }
  absl::StatusOr<std::vector<store::ApiKeyRecord>> ListKeys(std::string_view project) override {
    return inner_.ListKeys(project);
  }
  absl::Status RevokeKey(std::string_view id, int64_t now_ns) override { return inner_.RevokeKey(id, now_ns); }
  absl::StatusOr<store::ApiKeyRecord> FindKey(std::string_view id) override { return inner_.FindKey(id); }
  absl::StatusOr<std::optional<store::RetentionRecord>> GetRetention(std::string_view project) override {
    ++calls;
    return inner_.GetRetention(project);
  }
  absl::StatusOr<std::vector<store::RetentionRecord>> ListRetention() override {
    ++calls;
    return inner_.ListRetention();
  }

  int calls = 0;

 private:
  store::Catalog& inner_;
};

class RetentionPolicyTest : public testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = (std::filesystem::temp_directory_path() / absl::StrCat("trackly-retention-policy-", getpid(), "-", counter++))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    absl::StatusOr<std::unique_ptr<store::SqliteCatalog>> catalog = store::SqliteCatalog::Open(dir_);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = *std::move(catalog);
    // Created out of name order, and "b" has its own retention.
    for (const char* project : {"c", "a", "b"}) ASSERT_TRUE(catalog_->CreateProject(project, 1).ok());
    ASSERT_TRUE(catalog_->PutRetention({.project = "b", .payload_days = 1, .summary_days = 0}).ok());
  }
  void TearDown() override {
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  std::unique_ptr<store::SqliteCatalog> catalog_;
};

TEST_F(RetentionPolicyTest, AProjectFollowsItsOwnRecordElseTheDefaults) {
  struct Case {
    std::string project;
    int32_t payload_days;
    int32_t summary_days;
    bool from_project;
  };
  for (const Case& c : {Case{"a", 7, 30, false}, Case{"b", 1, 0, true}, Case{"c", 7, 30, false}}) {
    SCOPED_TRACE(c.project);
    absl::StatusOr<EffectiveRetention> got = EffectiveRetentionOf(*catalog_, kDefaults, c.project);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->record.project, c.project);
    EXPECT_EQ(got->record.payload_days, c.payload_days);
    EXPECT_EQ(got->record.summary_days, c.summary_days);
    EXPECT_EQ(got->from_project, c.from_project);
  }
  EXPECT_EQ(EffectiveRetentionOf(*catalog_, kDefaults, "missing").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RetentionPolicyTest, EveryProjectsRetentionInNameOrderWithTwoCatalogReads) {
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(catalog_->CreateProject(absl::StrCat("z", i), 1).ok());
  CountingCatalog counting(*catalog_);
  absl::StatusOr<std::vector<store::RetentionRecord>> all = EffectiveRetentions(counting, kDefaults);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(counting.calls, 2);
  ASSERT_EQ(all->size(), 23u);
  EXPECT_EQ((*all)[0].project, "a");
  EXPECT_EQ((*all)[0].payload_days, 7);
  EXPECT_EQ((*all)[0].summary_days, 30);
  EXPECT_EQ((*all)[1].project, "b");
  EXPECT_EQ((*all)[1].payload_days, 1);
  EXPECT_EQ((*all)[1].summary_days, 0);
  EXPECT_EQ((*all)[2].project, "c");
  EXPECT_EQ((*all)[2].payload_days, 7);
  for (size_t i = 1; i < all->size(); ++i) EXPECT_LT((*all)[i - 1].project, (*all)[i].project);
}

TEST_F(RetentionPolicyTest, DefaultsOfZeroKeepEverythingForever) {
  absl::StatusOr<std::vector<store::RetentionRecord>> all = EffectiveRetentions(*catalog_, RetentionDefaults{});
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].payload_days, 0);
  EXPECT_EQ((*all)[0].summary_days, 0);
  EXPECT_EQ((*all)[1].payload_days, 1);  // "b" keeps its own
}

}  // namespace
}  // namespace trackly::server
