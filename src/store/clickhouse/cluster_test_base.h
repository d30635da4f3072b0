// Test-only: ClusterDatabaseTest, a gtest fixture base for tests of the ClickHouse store laid out
// on the binary's TestCluster (test_server.h TestClusterEnvironment, registered by the test file):
// a database of the test's own, dropped on every server at the end, the options of a store of
// it through any server, counts read from one server, and DDL that makes an older layout of it.
// Skips the test when the cluster's software is not installed. Not thread-safe (a gtest fixture).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status.h"
#include "gtest/gtest.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/http_client.h"
#include "store/clickhouse/test_server.h"

namespace trackly::store::clickhouse {

// The options of a store of `database` on `cluster` through its server `server`.
inline ClickHouseStoreOptions ClusterStoreOptions(const TestCluster& cluster, int server, std::string database) {
  return ClickHouseStoreOptions{
      .server = cluster.client_options(server), .database = std::move(database), .cluster = TestCluster::kName};
}

class ClusterDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (absl::Status installed = TestCluster::CheckInstalled(); !installed.ok()) GTEST_SKIP() << installed.message();
    absl::StatusOr<const TestCluster*> cluster = TestClusterEnvironment::Cluster();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *cluster;
    database_ = NewDatabaseName();
  }
  void TearDown() override {
    if (cluster_ == nullptr) return;
    absl::Status dropped = cluster_->DropDatabase(database_);
    EXPECT_TRUE(dropped.ok()) << dropped;
  }

  ClickHouseStoreOptions OptionsFor(int server) const { return ClusterStoreOptions(*cluster_, server, database_); }

  // The first UInt64 of `sql` (a SELECT without FORMAT) on server `server`, in the test's database.
  uint64_t Count(int server, const std::string& sql) const {
    return CountIn(cluster_->client_options(server), database_, sql);
  }

  // Runs `sql` (DDL … ON CLUSTER, which answers once every server ran it) through server 0.
  absl::Status OnCluster(std::string_view sql) const {
    HttpClientOptions ddl = cluster_->client_options(0);
    ddl.timeout_ms = 120'000;
    return HttpClient(ddl).Query(sql).status();
  }
  // Makes the laid-out database's schema_version say versions 1 to `n` were applied, as a cluster
  // of layout `n` has.
  absl::Status RecordVersions(int n) const {
    TRACKLY_RETURN_IF_ERROR(
        OnCluster(absl::StrCat("TRUNCATE TABLE ", database_, ".schema_version_local ON CLUSTER ", TestCluster::kName)));
    std::vector<std::string> rows;
    for (int version = 1; version <= n; ++version) rows.push_back(absl::StrCat("(", version, ", 0)"));
    return HttpClient(cluster_->client_options(0))
        .Query(absl::StrCat("INSERT INTO schema_version VALUES ", absl::StrJoin(rows, ", ")),
               {{"database", database_}, {"insert_distributed_sync", "1"}})
        .status();
  }
  // Takes `column` away from the laid-out `table`, as an older layout without it had: from
  // <table>_local on every server, and from the Distributed table (sharded by `sharding_key`),
  // made anew.
  absl::Status DropColumn(const std::string& table, const std::string& column, const std::string& sharding_key) const {
    const std::string on_cluster = absl::StrCat(" ON CLUSTER ", TestCluster::kName);
    TRACKLY_RETURN_IF_ERROR(
        OnCluster(absl::StrCat("ALTER TABLE ", database_, ".", table, "_local", on_cluster, " DROP COLUMN ", column)));
    TRACKLY_RETURN_IF_ERROR(OnCluster(absl::StrCat("DROP TABLE ", database_, ".", table, on_cluster)));
    return OnCluster(absl::StrCat("CREATE TABLE ", database_, ".", table, on_cluster, " AS ", database_, ".", table,
                                  "_local ENGINE = Distributed(", TestCluster::kName, ", ", database_, ", ", table,
                                  "_local, ", sharding_key, ")"));
  }
  // Whether `table` of the test's database has `column` on server `server`.
  bool HasColumn(int server, const std::string& table, const std::string& column) const {
    return Count(server, absl::StrCat("SELECT count() FROM system.columns WHERE database = currentDatabase() AND "
                                      "table = '", table, "' AND name = '", column, "'")) == 1;
  }

  const TestCluster* cluster_ = nullptr;
  std::string database_;
};

}  // namespace trackly::store::clickhouse
