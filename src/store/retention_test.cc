// ValidateRetention's bounds and messages, and SqliteCatalog's upgrade of a layout-6 catalog.db
// (before retention) to the layout that keeps it.
#include "store/retention.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/sqlite_catalog.h"

namespace trackly::store {
namespace {

using ::testing::HasSubstr;

TEST(ValidateRetentionTest, AcceptsDaysInRangeWithThePayloadTierNoLongerThanTheSummaryTier) {
  struct Case {
    int32_t payload_days;
    int32_t summary_days;
  };
  for (const Case& c : std::initializer_list<Case>{
           {0, 0},            // keep everything forever (the default)
           {7, 0},            // payloads a week, summaries forever
           {0, 30},           // everything 30 days
           {7, 30},
           {30, 30},          // one tier
           {1, kMaxRetentionDays},
           {kMaxRetentionDays, kMaxRetentionDays},
       }) {
    SCOPED_TRACE(absl::StrCat(c.payload_days, "/", c.summary_days));
    EXPECT_TRUE(ValidateRetention({.project = "p", .payload_days = c.payload_days, .summary_days = c.summary_days})
                    .ok());
  }
}

TEST(ValidateRetentionTest, RejectsOutOfRangeDaysAndAPayloadTierLongerThanTheSummaryTierNamingTheField) {
  struct Case {
    int32_t payload_days;
    int32_t summary_days;
    std::string message;
  };
  for (const Case& c : std::initializer_list<Case>{
           {-1, 0, "payload_days: must be from 0 (keep forever) to 36500 days, got -1"},
           {0, -5, "summary_days: must be from 0 (keep forever) to 36500 days, got -5"},
           {36501, 0, "payload_days: must be from 0 (keep forever) to 36500 days, got 36501"},
           {0, 100000, "summary_days: must be from 0 (keep forever) to 36500 days, got 100000"},
           {31, 30, "payload_days: must not be more than summary_days (30) when both are set, got 31"},
       }) {
    SCOPED_TRACE(absl::StrCat(c.payload_days, "/", c.summary_days));
    absl::Status status =
        ValidateRetention({.project = "p", .payload_days = c.payload_days, .summary_days = c.summary_days});
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(), c.message);
  }
}

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() / absl::StrCat("trackly-retention-test-", getpid(), "-", counter++))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(SqliteCatalogRetentionTest, UpgradesALayoutVersion6CatalogKeepingItsDataAndAgainWithoutHarm) {
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<SqliteCatalog>> catalog = SqliteCatalog::Open(dir.path());
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    ASSERT_TRUE((*catalog)->CreateProject("p", 1).ok());
    ASSERT_TRUE((*catalog)->PutRedactionRules("p", R"({"rules":[{"name":"k","kind":"key","value":"x"}]})", 2).ok());
  }
  {
    // What version 6 wrote: no retention table.
    absl::StatusOr<std::unique_ptr<sqlite::Connection>> db =
        sqlite::Connection::Open(dir.path() + "/catalog.db", /*read_only=*/false, 1000);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Exec("DROP TABLE retention; PRAGMA user_version = 6").ok());
  }
  for (int open = 0; open < 2; ++open) {
    SCOPED_TRACE(open);
    absl::StatusOr<std::unique_ptr<SqliteCatalog>> catalog = SqliteCatalog::Open(dir.path());
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    EXPECT_EQ((*catalog)->ListRedactionRules()->size(), 1u);
    absl::StatusOr<std::optional<RetentionRecord>> none = (*catalog)->GetRetention("p");
    ASSERT_TRUE(none.ok()) << none.status();
    EXPECT_EQ(open == 0, !none->has_value());
    ASSERT_TRUE((*catalog)->PutRetention({.project = "p", .payload_days = 7, .summary_days = 30}).ok());
  }
  {
    // A user_version lowered over a file that has the table (as older tests do) upgrades too.
    absl::StatusOr<std::unique_ptr<sqlite::Connection>> db =
        sqlite::Connection::Open(dir.path() + "/catalog.db", /*read_only=*/false, 1000);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 6").ok());
  }
  absl::StatusOr<std::unique_ptr<SqliteCatalog>> catalog = SqliteCatalog::Open(dir.path());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_EQ((*catalog)->GetRetention("p")->value().payload_days, 7);
}

}  // namespace
}  // namespace trackly::store
