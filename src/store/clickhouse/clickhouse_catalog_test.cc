// What ClickHouseCatalog promises beyond the catalog conformance suite (which clickhouse_store_test.cc
// runs on it): changes made through nodes whose clocks disagree still apply in the order they were
// made, and event ids stay exact in JSON. And CopyCatalog (store/catalog_copy.h) of a catalog.db
// into it, as a deployment adopting the shared catalog does. Against a real clickhouse-server (test_server.h),
// registered by clickhouse_store_test.cc in the same binary.
#include "store/clickhouse/clickhouse_catalog.h"

#include <filesystem>
#include <memory>
#include <string>

#include "base/clock.h"
#include "gtest/gtest.h"
#include "store/catalog_copy.h"
#include "store/clickhouse/database_test_base.h"
#include "store/sqlite/sqlite_catalog.h"

namespace trackly::store::clickhouse {
namespace {

constexpr int64_t kNow = int64_t{1'780'000'000} * 1'000'000'000;  // 2026
constexpr int64_t kHourNs = int64_t{3'600} * 1'000'000'000;

// Not thread-safe (a gtest fixture): two catalogs on one database, as two nodes would have, each
// with a clock of its own.
class ClickHouseCatalogTest : public DatabaseTestBase {
 protected:
  ClickHouseCatalogTest() : DatabaseTestBase(ahead_) {}

  void SetUp() override {
    DatabaseTestBase::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ahead_node_ = OpenCatalog(ahead_);
    behind_node_ = OpenCatalog(behind_);
  }

  std::unique_ptr<ClickHouseCatalog> OpenCatalog(const Clock& clock) {
    absl::StatusOr<std::unique_ptr<ClickHouseCatalog>> catalog = ClickHouseCatalog::Open(
        ClickHouseCatalogOptions{.server = server_->client_options(), .database = database_, .clock = &clock});
    EXPECT_TRUE(catalog.ok()) << catalog.status();
    return catalog.ok() ? *std::move(catalog) : nullptr;
  }

  FakeClock ahead_{kNow + kHourNs};
  FakeClock behind_{kNow};
  std::unique_ptr<ClickHouseCatalog> ahead_node_;
  std::unique_ptr<ClickHouseCatalog> behind_node_;
};

TEST_F(ClickHouseCatalogTest, ALaterChangeWinsThroughANodeWhoseClockIsBehind) {
  ASSERT_TRUE(ahead_node_->CreateProject("alpha", kNow).ok());
  ASSERT_TRUE(ahead_node_->InsertKey(ApiKeyRecord{.id = "pk-1", .project = "alpha", .scopes = kScopeRead,
                                                  .secret_hash = "hash", .created_ns = kNow})
                  .ok());
  ASSERT_TRUE(ahead_node_->PutRetention(RetentionRecord{.project = "alpha", .payload_days = 7}).ok());

  // The node an hour behind revokes the key and removes the retention the other one wrote.
  ASSERT_TRUE(behind_node_->RevokeKey("pk-1", kNow + 1).ok());
  ASSERT_TRUE(behind_node_->RemoveRetention("alpha").ok());
  for (ClickHouseCatalog* node : {ahead_node_.get(), behind_node_.get()}) {
    absl::StatusOr<ApiKeyRecord> key = node->FindKey("pk-1");
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(key->revoked_ns, kNow + 1);
    absl::StatusOr<std::optional<RetentionRecord>> retention = node->GetRetention("alpha");
    ASSERT_TRUE(retention.ok()) << retention.status();
    EXPECT_FALSE(retention->has_value());
  }
}

TEST_F(ClickHouseCatalogTest, ASignInLinkIsConsumedForEveryNode) {
  ASSERT_TRUE(ahead_node_->CreateProject("alpha", kNow).ok());
  const UiCredential link{.secret_hash = "link-hash",
                          .kind = UiCredentialKind::kLoginToken,
                          .project = "alpha",
                          .expires_ns = kNow + 2 * kHourNs};
  ASSERT_TRUE(ahead_node_->InsertUiCredential(link, kNow).ok());
  absl::StatusOr<UiCredential> used =
      behind_node_->FindUiCredential("link-hash", UiCredentialKind::kLoginToken, kNow, /*consume=*/true);
  ASSERT_TRUE(used.ok()) << used.status();
  EXPECT_EQ(used->project, "alpha");
  EXPECT_TRUE(absl::IsNotFound(
      ahead_node_->FindUiCredential("link-hash", UiCredentialKind::kLoginToken, kNow, /*consume=*/true).status()));
}

TEST_F(ClickHouseCatalogTest, EventIdsIncreaseAndStayExactInJson) {
  ASSERT_TRUE(ahead_node_->CreateProject("alpha", kNow).ok());
  int64_t previous = 0;
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<int64_t> id = ahead_node_->AppendAlertEvent(AlertEvent{.project = "alpha", .alert = "a", .time_ns = kNow});
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_GT(*id, previous);
    EXPECT_LT(*id, int64_t{1} << 53);  // a JavaScript number holds it exactly
    previous = *id;
  }
  // Ids of another node's events differ from these even at the same clock reading.
  behind_.Set(ahead_.NowNanos());
  absl::StatusOr<int64_t> other = behind_node_->AppendAlertEvent(AlertEvent{.project = "alpha", .alert = "b", .time_ns = kNow});
  ASSERT_TRUE(other.ok()) << other.status();
  absl::StatusOr<std::vector<AlertEvent>> events = ahead_node_->ListAlertEvents({.project = "alpha"});
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(events->size(), 6u);
}

TEST_F(ClickHouseCatalogTest, CopiesACatalogDbWithEverythingItHolds) {
  const std::string dir = ::testing::TempDir() + "/catalog_copy_" + database_;
  std::filesystem::create_directories(dir);
  absl::StatusOr<std::unique_ptr<SqliteCatalog>> local = SqliteCatalog::Open(dir);
  ASSERT_TRUE(local.ok()) << local.status();
  SqliteCatalog& from = **local;
  ASSERT_TRUE(from.CreateProject("alpha", kNow).ok());
  ASSERT_TRUE(from.InsertKey(ApiKeyRecord{.id = "pk-1", .project = "alpha", .scopes = kScopeIngest,
                                          .secret_hash = "hash", .created_ns = kNow, .revoked_ns = kNow + 5})
                  .ok());
  ASSERT_TRUE(from.CreateUser(UserRecord{.name = "ada", .password_hash = "argon", .created_ns = kNow}).ok());
  ASSERT_TRUE(from.PutMembership(Membership{.user = "ada", .project = "alpha", .role = Role::kAdmin, .raw_io = false,
                                            .created_ns = kNow})
                  .ok());
  ASSERT_TRUE(from.PutRedactionRules("alpha", R"({"rules":[{"name":"pw","kind":"key","value":"*password*"}]})", kNow)
                  .ok());
  ASSERT_TRUE(from.PutRetention(RetentionRecord{.project = "alpha", .payload_days = 7, .summary_days = 30}).ok());
  ASSERT_TRUE(from.AddSamplingCounts("alpha", 20'000, SamplingTally{.kept = 3, .dropped = 4, .kept_by_reason = {{"error", 2}}})
                  .ok());
  for (const char* alert : {"first", "second"}) {
    ASSERT_TRUE(from.AppendAlertEvent(AlertEvent{.project = "alpha", .alert = alert, .time_ns = kNow}).ok());
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(from.AppendAudit({AuditEvent{.time_ns = kNow + i, .project = "alpha", .actor = "cli:ops",
                                             .action = "key.create", .target = absl::StrCat("pk-", i)}})
                    .ok());
  }

  absl::StatusOr<CatalogCopyCounts> copied = CopyCatalog(from, *ahead_node_);
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(copied->projects, 1);
  EXPECT_EQ(copied->keys, 1);
  EXPECT_EQ(copied->users, 1);
  EXPECT_EQ(copied->audit_events, 3);

  // Read through the other node: all of it is shared.
  Catalog& to = *behind_node_;
  EXPECT_EQ(to.GetProject("alpha")->created_ns, kNow);
  EXPECT_EQ(to.FindKey("pk-1")->revoked_ns, kNow + 5);
  EXPECT_EQ(to.GetUser("ada")->password_hash, "argon");
  ASSERT_EQ(to.ListMemberships("ada", "")->size(), 1u);
  EXPECT_EQ(to.ListMemberships("ada", "")->front().role, Role::kAdmin);
  EXPECT_FALSE(to.ListMemberships("ada", "")->front().raw_io);
  EXPECT_EQ(to.GetRedactionRules("alpha")->rules_json, from.GetRedactionRules("alpha")->rules_json);
  EXPECT_EQ(to.GetRetention("alpha")->value().summary_days, 30);
  EXPECT_EQ(*to.ListSamplingCounts("alpha", 0, 30'000), *from.ListSamplingCounts("alpha", 0, 30'000));
  absl::StatusOr<std::vector<AlertEvent>> events = to.ListAlertEvents({.project = "alpha"});
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ(events->front().alert, "second");  // newest first, as they were
  absl::StatusOr<AuditPage> audit = to.ListAudit({});
  ASSERT_TRUE(audit.ok()) << audit.status();
  ASSERT_EQ(audit->events.size(), 3u);
  EXPECT_EQ(audit->events.front().target, "pk-2");

  // Copying again keeps what is there (the projects, keys and users are not taken twice).
  EXPECT_TRUE(CopyCatalog(from, *ahead_node_).ok());
  EXPECT_EQ(to.ListKeys("")->size(), 1u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trackly::store::clickhouse
