// Test-only: ClusterDatabaseTest, a gtest fixture base for tests of the ClickHouse store laid out
// on the binary's TestCluster (test_server.h TestClusterEnvironment, registered by the test file):
// a database of the test's own, dropped on every server at the end, the options of a store of
// it through any server, and counts read from one server. Skips the test when the cluster's
// software is not installed. Not thread-safe (a gtest fixture).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "store/clickhouse/clickhouse_store.h"
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

  const TestCluster* cluster_ = nullptr;
  std::string database_;
};

}  // namespace trackly::store::clickhouse
