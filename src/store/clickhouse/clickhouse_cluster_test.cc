// The ClickHouse store and catalog laid out on a cluster (schema.h): two clickhouse-servers, each
// a shard of one replica, with a ZooKeeper (TestCluster). The conformance suites run on it, each
// opening of a store or catalog going to the other server than the one before, so a test's
// second node reads what the first wrote through another server; the tests below check what is
// particular to a cluster.
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/cluster_test_base.h"
#include "store/clickhouse/conformance_backend.h"
#include "store/clickhouse/http_client.h"
#include "store/clickhouse/test_server.h"
#include "store/conformance/store_conformance.h"
#include "store/store.h"

namespace trackly::store {
namespace {

using clickhouse::HttpClient;
using clickhouse::TestCluster;
using clickhouse::TestClusterEnvironment;
using conformance::Backend;
using conformance::BackendName;
using conformance::CatalogConformanceTest;
using conformance::StoreConformanceTest;

[[maybe_unused]] const ::testing::Environment* const kCluster =
    ::testing::AddGlobalTestEnvironment(new TestClusterEnvironment);

// Asked before the cluster starts (the conformance suites are instantiated first).
std::string SkipReason() {
  absl::Status installed = TestCluster::CheckInstalled();
  return installed.ok() ? "" : absl::StrCat(installed.message(), "; ClickHouse cluster tests skipped");
}

// Each opening of a conformance location goes to the server after the one the opening before
// went to.
Backend ClusterBackend() {
  return clickhouse::ConformanceBackend({
      .name = "clickhouse_cluster",
      .skip_reason = SkipReason(),
      .options = [](const std::string& database, int opening) -> absl::StatusOr<ClickHouseStoreOptions> {
        absl::StatusOr<const TestCluster*> cluster = TestClusterEnvironment::Cluster();
        if (!cluster.ok()) return cluster.status();
        return clickhouse::ClusterStoreOptions(**cluster, opening % (*cluster)->size(), database);
      },
      .drop = [](const std::string& database) {
        absl::StatusOr<const TestCluster*> cluster = TestClusterEnvironment::Cluster();
        if (!cluster.ok()) return;
        absl::Status dropped = (*cluster)->DropDatabase(database);
        EXPECT_TRUE(dropped.ok()) << dropped;
      },
  });
}

INSTANTIATE_TEST_SUITE_P(ClickHouseCluster, StoreConformanceTest, ::testing::Values(ClusterBackend()), BackendName);
INSTANTIATE_TEST_SUITE_P(ClickHouseCluster, CatalogConformanceTest, ::testing::Values(ClusterBackend()), BackendName);

using ClickHouseClusterTest = clickhouse::ClusterDatabaseTest;

model::Observation Span(std::string trace_id, std::string id, int64_t start_ns) {
  model::Observation o;
  o.trace_id = std::move(trace_id);
  o.id = std::move(id);
  o.name = "step";
  o.start_time_ns = start_ns;
  o.end_time_ns = start_ns + 1'000'000;
  return o;
}

TEST_F(ClickHouseClusterTest, TheRowsOfATraceStayOnOneShardAndTracesSpreadOverBoth) {
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(0));
  ASSERT_TRUE(store.ok()) << store.status();
  constexpr int kTraces = 40;
  constexpr int kSpans = 5;
  WriteBatch batch;
  batch.project = "p";
  for (int t = 0; t < kTraces; ++t) {
    for (int s = 0; s < kSpans; ++s) {
      batch.observations.push_back(Span(absl::StrCat("trace-", t), absl::StrCat("span-", s), 1'700'000'000'000'000'000 + t));
    }
  }
  ASSERT_TRUE(WriteAndWait(**store, std::move(batch)).ok());

  uint64_t rows = 0;
  for (int server = 0; server < cluster_->size(); ++server) {
    const uint64_t here = Count(server, "SELECT count() FROM observations_local");
    EXPECT_GT(here, 0u) << "server " << server << " holds no observation";
    // Every trace on this shard has all of its spans here.
    EXPECT_EQ(Count(server, absl::StrCat("SELECT count() FROM (SELECT trace_id FROM observations_local GROUP BY trace_id "
                                         "HAVING count() != ", kSpans, ")")),
              0u);
    EXPECT_EQ(Count(server, "SELECT count() FROM traces_local") * kSpans, here);
    rows += here;
  }
  EXPECT_EQ(rows, static_cast<uint64_t>(kTraces * kSpans));

  // Another node, through the other server, reads every trace.
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> other = ClickHouseStore::Open(OptionsFor(1));
  ASSERT_TRUE(other.ok()) << other.status();
  TraceQuery query;
  query.project = "p";
  query.limit = 100;
  absl::StatusOr<TracePage> page = (*other)->ListTraces(query);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->traces.size(), static_cast<size_t>(kTraces));
}

TEST_F(ClickHouseClusterTest, AnUnknownClusterIsRefusedByName) {
  ClickHouseStoreOptions options = OptionsFor(0);
  options.cluster = "nowhere";
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(store.status())) << store.status();
  EXPECT_TRUE(absl::StrContains(store.status().message(), "\"nowhere\"")) << store.status();
}

using ClickHouseClusterLayoutTest = clickhouse::ClusterDatabaseTest;

TEST_F(ClickHouseClusterLayoutTest, AClusterDatabaseOfALayoutBeforeTheCodeStepsIsRefusedNotMigrated) {
  const std::string on_cluster = absl::StrCat(" ON CLUSTER ", TestCluster::kName);
  for (const std::string& sql :
       {absl::StrCat("CREATE DATABASE ", database_, on_cluster),
        absl::StrCat("CREATE TABLE ", database_, ".schema_version_local", on_cluster,
                     " (version UInt32, applied_ns Int64) ENGINE = MergeTree ORDER BY version"),
        absl::StrCat("CREATE TABLE ", database_, ".schema_version", on_cluster, " AS ", database_,
                     ".schema_version_local ENGINE = Distributed(", TestCluster::kName, ", ", database_,
                     ", schema_version_local, rand())")}) {
    absl::Status done = OnCluster(sql);
    ASSERT_TRUE(done.ok()) << done;
  }
  ASSERT_TRUE(HttpClient(cluster_->client_options(0))
                  .Query("INSERT INTO schema_version VALUES (3, 0)",
                         {{"database", database_}, {"insert_distributed_sync", "1"}})
                  .ok());

  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(1));
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(store.status())) << store.status();
  EXPECT_TRUE(absl::StrContains(store.status().message(), "layout version 3")) << store.status();
  EXPECT_EQ(Count(0, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'observations'"),
            0u);
}

// A cluster of an older layout, made from one of this build by taking away what layout 8 added
// (session_traces) and a column (observations.trace_payload, as layout 3 added it), gets both
// back: the table and the column on every shard, and the rows layout 8 copies from traces, when
// two nodes migrate it at the same moment.
TEST_F(ClickHouseClusterLayoutTest, AClusterDatabaseOfAnOlderLayoutGetsTheNewTablesColumnsAndRows) {
  constexpr int kTraces = 20;
  {
    absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(0));
    ASSERT_TRUE(store.ok()) << store.status();
    WriteBatch batch;
    batch.project = "p";
    for (int t = 0; t < kTraces; ++t) {
      model::Observation o = Span(absl::StrCat("trace-", t), "root", 1'700'000'000'000'000'000 + t);
      o.trace_hints.session_id = absl::StrCat("session-", t % 4);
      batch.observations.push_back(std::move(o));
    }
    ASSERT_TRUE(WriteAndWait(**store, std::move(batch)).ok());
  }
  const std::string on_cluster = absl::StrCat(" ON CLUSTER ", TestCluster::kName);
  for (const std::string& sql :
       {absl::StrCat("DROP TABLE ", database_, ".session_traces", on_cluster),
        absl::StrCat("DROP TABLE ", database_, ".session_traces_local", on_cluster)}) {
    absl::Status done = OnCluster(sql);
    ASSERT_TRUE(done.ok()) << done;
  }
  absl::Status older = DropColumn("observations", "trace_payload", "cityHash64(project, trace_id)");
  ASSERT_TRUE(older.ok()) << older;
  ASSERT_TRUE(RecordVersions(7).ok());

  // Both nodes of the upgraded cluster start at once, each through its own server.
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> other = absl::UnknownError("not opened");
  std::thread other_node([&] { other = ClickHouseStore::Open(OptionsFor(0)); });
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(1));
  other_node.join();
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(other.ok()) << other.status();
  uint64_t session_rows = 0;
  for (int server = 0; server < cluster_->size(); ++server) {
    EXPECT_TRUE(HasColumn(server, "observations_local", "trace_payload")) << "server " << server;
    EXPECT_TRUE(HasColumn(server, "observations", "trace_payload")) << "server " << server;
    // Each node copied the rows; the copies fold (schema/008_session_traces.sql).
    session_rows += Count(server, "SELECT count() FROM (SELECT DISTINCT session_id, trace_id FROM session_traces_local)");
  }
  EXPECT_EQ(session_rows, static_cast<uint64_t>(kTraces));
  EXPECT_EQ(Count(0, "SELECT toUInt64(max(version)) FROM schema_version"), 8u);

  absl::StatusOr<TracePage> page = (*store)->ListTraces(TraceQuery{.project = "p", .session_id = "session-1"});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->traces.size(), static_cast<size_t>(kTraces / 4));
  // The column added back is written and read again.
  WriteBatch more;
  more.project = "p";
  more.observations.push_back(Span("trace-new", "root", 1'700'000'000'000'001'000));
  ASSERT_TRUE(WriteAndWait(**store, std::move(more)).ok());
  absl::StatusOr<TraceDetail> detail = (*store)->GetTrace("p", "trace-new");
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->observations.size(), 1u);
}

// What a cluster cannot be migrated across is refused, naming the table and the difference.
TEST_F(ClickHouseClusterLayoutTest, AClusterTableChangedOtherwiseIsRefusedByName) {
  ASSERT_TRUE(ClickHouseStore::Open(OptionsFor(0)).ok());
  const std::string sql =
      absl::StrCat("ALTER TABLE ", database_, ".traces_local ON CLUSTER ", TestCluster::kName,
                   " MODIFY COLUMN feature Nullable(String)");
  absl::Status modified = OnCluster(sql);
  ASSERT_TRUE(modified.ok()) << modified;
  ASSERT_TRUE(RecordVersions(7).ok());

  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(1));
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(store.status())) << store.status();
  EXPECT_TRUE(absl::StrContains(store.status().message(), "cannot migrate table traces")) << store.status();
  EXPECT_TRUE(absl::StrContains(store.status().message(), "Nullable(String)")) << store.status();
}

}  // namespace
}  // namespace trackly::store
