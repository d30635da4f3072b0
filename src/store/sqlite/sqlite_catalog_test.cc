// SqliteCatalog's upgrades of an older catalog.db: layout 7 (before process rules), layout 8
// (before alerts) and layout 9 (before tail sampling) to the current layout. The data it had
// stays, the new things can be put, and opening again (or over a lowered user_version) does no harm.
#include "store/sqlite/sqlite_catalog.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/sqlite/connection.h"

namespace trackly::store {
namespace {

constexpr char kRules[] = R"({"rules":[{"name":"few model calls","kind":"max_model_calls","max":10}]})";

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() /
             absl::StrCat("trackly-sqlite-catalog-test-", getpid(), "-", counter++))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `sql` on the raw catalog.db of `dir`.
void ExecRaw(const TempDir& dir, const char* sql) {
  absl::StatusOr<std::unique_ptr<sqlite::Connection>> db =
      sqlite::Connection::Open(dir.path() + "/catalog.db", /*read_only=*/false, 1000);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
}

TEST(SqliteCatalogProcessRulesTest, UpgradesALayoutVersion7CatalogKeepingItsDataAndAgainWithoutHarm) {
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<SqliteCatalog>> catalog = SqliteCatalog::Open(dir.path());
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    ASSERT_TRUE((*catalog)->CreateProject("p", 1).ok());
    ASSERT_TRUE((*catalog)->PutRetention({.project = "p", .payload_days = 7, .summary_days = 30}).ok());
  }
  // What version 7 wrote: no process_rules table.
  ASSERT_NO_FATAL_FAILURE(ExecRaw(dir, "DROP TABLE process_rules; PRAGMA user_version = 7"));
  for (int open = 0; open < 2; ++open) {
    SCOPED_TRACE(open);
    absl::StatusOr<std::unique_ptr<SqliteCatalog>> catalog = SqliteCatalog::Open(dir.path());
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    EXPECT_EQ((*catalog)->GetRetention("p")->value().payload_days, 7);
    absl::StatusOr<ProcessRulesRecord> got = (*catalog)->GetProcessRules("p");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->updated_ns, open == 0 ? 0 : 2);
    ASSERT_TRUE((*catalog)->PutProcessRules("p", kRules, 2).ok());
  }
  // A user_version lowered over a file that has the table (as older tests do) upgrades too.
  ASSERT_NO_FATAL_FAILURE(ExecRaw(dir, "PRAGMA user_version = 7"));
  absl::StatusOr<std::unique_ptr<SqliteCatalog>> catalog = SqliteCatalog::Open(dir.path());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  absl::StatusOr<std::vector<ProcessRulesRecord>> all = (*catalog)->ListProcessRules();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].project, "p");
  EXPECT_EQ((*all)[0].updated_ns, 2);
}

TEST(SqliteCatalogAlertsTest, UpgradesALayoutVersion8CatalogKeepingItsDataAndAgainWithoutHarm) {
  constexpr char kAlerts[] =
      R"({"rules":[{"name":"errors","metric":{"measure":"error_rate"},"window_minutes":5,"condition":"above",)"
      R"("threshold":0.1,"webhook":"https://hooks.example.com/t"}]})";
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<SqliteCatalog>> catalog = SqliteCatalog::Open(dir.path());
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    ASSERT_TRUE((*catalog)->CreateProject("p", 1).ok());
    ASSERT_TRUE((*catalog)->PutProcessRules("p", kRules, 2).ok());
  }
  // What version 8 wrote: no alert tables.
  ASSERT_NO_FATAL_FAILURE(ExecRaw(
      dir, "DROP TABLE alert_rules; DROP TABLE alert_webhook_secrets; DROP TABLE alert_events; PRAGMA user_version = 8"));
  for (int open = 0; open < 2; ++open) {
    SCOPED_TRACE(open);
    absl::StatusOr<std::unique_ptr<SqliteCatalog>> catalog = SqliteCatalog::Open(dir.path());
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    EXPECT_EQ((*catalog)->GetProcessRules("p")->updated_ns, 2);
    absl::StatusOr<AlertRulesRecord> got = (*catalog)->GetAlertRules("p");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->webhook_secret, open == 0 ? "" : "whsec_1");
    ASSERT_TRUE((*catalog)->PutAlertRules("p", kAlerts, "whsec_1", 3).ok());
    ASSERT_TRUE((*catalog)->AppendAlertEvent({.project = "p", .alert = "errors", .time_ns = 4}).ok());
  }
  ASSERT_NO_FATAL_FAILURE(ExecRaw(dir, "PRAGMA user_version = 8"));
  absl::StatusOr<std::unique_ptr<SqliteCatalog>> catalog = SqliteCatalog::Open(dir.path());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_EQ((*catalog)->ListAlertRules()->size(), 1u);
  EXPECT_EQ((*catalog)->ListAlertEvents({.project = "p"})->size(), 2u);
}

TEST(SqliteCatalogSamplingTest, UpgradesALayoutVersion9CatalogKeepingItsDataAndAgainWithoutHarm) {
  constexpr char kPolicy[] = R"({"enabled": true, "keep_fraction": 0.25})";
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<SqliteCatalog>> catalog = SqliteCatalog::Open(dir.path());
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    ASSERT_TRUE((*catalog)->CreateProject("p", 1).ok());
    ASSERT_TRUE((*catalog)->PutProcessRules("p", kRules, 1).ok());
  }
  // What version 9 wrote: no sampling tables.
  ASSERT_NO_FATAL_FAILURE(
      ExecRaw(dir, "DROP TABLE sampling_policies; DROP TABLE sampling_counts; PRAGMA user_version = 9"));
  for (int open = 0; open < 2; ++open) {
    SCOPED_TRACE(open);
    absl::StatusOr<std::unique_ptr<SqliteCatalog>> catalog = SqliteCatalog::Open(dir.path());
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    EXPECT_EQ((*catalog)->GetProcessRules("p")->updated_ns, 1);
    absl::StatusOr<SamplingPolicyRecord> got = (*catalog)->GetSamplingPolicy("p");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->updated_ns, open == 0 ? 0 : 2);
    ASSERT_TRUE((*catalog)->PutSamplingPolicy("p", kPolicy, 2).ok());
    ASSERT_TRUE((*catalog)->AddSamplingCounts("p", 20000, SamplingTally{.kept = 1, .dropped = 3}).ok());
  }
  // A user_version lowered over a file that has the tables upgrades too, and keeps their rows.
  ASSERT_NO_FATAL_FAILURE(ExecRaw(dir, "PRAGMA user_version = 9"));
  absl::StatusOr<std::unique_ptr<SqliteCatalog>> catalog = SqliteCatalog::Open(dir.path());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  absl::StatusOr<std::vector<SamplingDayCounts>> counts = (*catalog)->ListSamplingCounts("p", 0, 30000);
  ASSERT_TRUE(counts.ok()) << counts.status();
  ASSERT_EQ(counts->size(), 1u);
  EXPECT_EQ((*counts)[0].tally.kept, 2);
  EXPECT_EQ((*counts)[0].tally.dropped, 6);
  EXPECT_EQ((*catalog)->ListSamplingPolicies()->size(), 1u);
}

}  // namespace
}  // namespace trackly::store
