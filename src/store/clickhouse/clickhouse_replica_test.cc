// The ClickHouse store and catalog on a cluster of one shard of two replicas (TestCluster with
// its own ZooKeeper): what a node writes through one replica reaches the other, and a node on the
// other reads it, erases it and sees the catalog.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/clickhouse/clickhouse_catalog.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/cluster_test_base.h"
#include "store/clickhouse/test_server.h"
#include "store/store.h"

namespace trackly::store {
namespace {

using clickhouse::TestCluster;
using clickhouse::TestClusterEnvironment;

[[maybe_unused]] const ::testing::Environment* const kCluster =
    ::testing::AddGlobalTestEnvironment(new TestClusterEnvironment({.shards = 1, .replicas = 2}));

constexpr int kTraces = 10;
constexpr int kSpans = 4;
// How long a replica may take to fetch what the other wrote, or to apply its mutation.
constexpr auto kReplicationTimeout = std::chrono::seconds(60);

class ClickHouseReplicaTest : public clickhouse::ClusterDatabaseTest {
 protected:
  std::unique_ptr<ClickHouseStore> OpenStore(int server) {
    absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(server));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Whether `sql` counts `expected` on every server before kReplicationTimeout.
  bool EveryReplicaCounts(const std::string& sql, uint64_t expected) {
    const auto deadline = std::chrono::steady_clock::now() + kReplicationTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (int server = 0; server < cluster_->size(); ++server) all = all && Count(server, sql) == expected;
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // Writes kTraces traces of kSpans spans to `store`, in project "p".
  static void WriteTraces(ClickHouseStore& store) {
    WriteBatch batch;
    batch.project = "p";
    for (int t = 0; t < kTraces; ++t) {
      for (int s = 0; s < kSpans; ++s) {
        model::Observation o;
        o.trace_id = absl::StrCat("trace-", t);
        o.id = absl::StrCat("span-", s);
        o.parent_id = s == 0 ? "" : "span-0";
        o.name = s == 0 ? "run" : "step";
        o.start_time_ns = 1'700'000'000'000'000'000 + int64_t{t} * 1'000'000'000 + s;
        o.end_time_ns = o.start_time_ns + 1'000'000;
        batch.observations.push_back(std::move(o));
      }
    }
    ASSERT_TRUE(WriteAndWait(store, std::move(batch)).ok());
  }
};

TEST_F(ClickHouseReplicaTest, WhatANodeWritesThroughOneReplicaIsReadThroughTheOther) {
  std::unique_ptr<ClickHouseStore> writer = OpenStore(0);
  ASSERT_NE(writer, nullptr);
  WriteTraces(*writer);
  EXPECT_TRUE(EveryReplicaCounts("SELECT count() FROM observations_local", kTraces * kSpans));
  EXPECT_TRUE(EveryReplicaCounts("SELECT count() FROM (SELECT trace_id FROM traces_local GROUP BY trace_id)", kTraces));

  std::unique_ptr<ClickHouseStore> reader = OpenStore(1);
  ASSERT_NE(reader, nullptr);
  TraceQuery query;
  query.project = "p";
  query.limit = 100;
  absl::StatusOr<TracePage> page = reader->ListTraces(query);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->traces.size(), static_cast<size_t>(kTraces));
  for (const model::Trace& trace : page->traces) EXPECT_EQ(trace.counts.observations, kSpans) << trace.id;
  absl::StatusOr<TraceDetail> detail = reader->GetTrace("p", "trace-3");
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->observations.size(), static_cast<size_t>(kSpans));
}

TEST_F(ClickHouseReplicaTest, AnErasureThroughOneReplicaRemovesTheRowsFromBoth) {
  std::unique_ptr<ClickHouseStore> writer = OpenStore(0);
  ASSERT_NE(writer, nullptr);
  WriteTraces(*writer);
  ASSERT_TRUE(EveryReplicaCounts("SELECT count() FROM observations_local", kTraces * kSpans));

  std::unique_ptr<ClickHouseStore> other = OpenStore(1);
  ASSERT_NE(other, nullptr);
  absl::StatusOr<EraseStats> erased = other->Erase(EraseRequest{.project = "p", .trace_id = "trace-3"});
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->observations, kSpans);
  EXPECT_TRUE(EveryReplicaCounts("SELECT count() FROM observations_local WHERE trace_id = 'trace-3'", 0));
  EXPECT_TRUE(EveryReplicaCounts("SELECT count() FROM observations_local", (kTraces - 1) * kSpans));
  EXPECT_TRUE(absl::IsNotFound(writer->GetTrace("p", "trace-3").status()));
}

TEST_F(ClickHouseReplicaTest, AKeyMadeThroughOneReplicaIsFoundThroughTheOther) {
  absl::StatusOr<std::unique_ptr<ClickHouseCatalog>> made =
      ClickHouseCatalog::Open({.server = cluster_->client_options(0), .database = database_, .cluster = TestCluster::kName});
  ASSERT_TRUE(made.ok()) << made.status();
  ASSERT_TRUE((*made)->CreateProject("p", 1).ok());
  absl::StatusOr<std::unique_ptr<ClickHouseCatalog>> other =
      ClickHouseCatalog::Open({.server = cluster_->client_options(1), .database = database_, .cluster = TestCluster::kName});
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_TRUE(EveryReplicaCounts("SELECT count() FROM catalog_documents_local WHERE kind = 'project'", 1));
  absl::StatusOr<Project> project = (*other)->GetProject("p");
  EXPECT_TRUE(project.ok()) << project.status();
}

// A migration that adds a column (schema.h) reaches both replicas of the shard, and what was
// written before it is read through the other replica after.
TEST_F(ClickHouseReplicaTest, BothReplicasGetTheColumnAMigrationAdds) {
  std::unique_ptr<ClickHouseStore> writer = OpenStore(0);
  ASSERT_NE(writer, nullptr);
  WriteTraces(*writer);
  ASSERT_TRUE(EveryReplicaCounts("SELECT count() FROM observations_local", kTraces * kSpans));
  absl::Status older = DropColumn("observations", "trace_payload", "cityHash64(project, trace_id)");
  ASSERT_TRUE(older.ok()) << older;
  ASSERT_TRUE(RecordVersions(7).ok());

  std::unique_ptr<ClickHouseStore> upgraded = OpenStore(1);
  ASSERT_NE(upgraded, nullptr);
  for (int server = 0; server < cluster_->size(); ++server) {
    EXPECT_TRUE(HasColumn(server, "observations_local", "trace_payload")) << "server " << server;
    EXPECT_TRUE(HasColumn(server, "observations", "trace_payload")) << "server " << server;
  }
  absl::StatusOr<TraceDetail> detail = upgraded->GetTrace("p", "trace-3");
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->observations.size(), static_cast<size_t>(kSpans));
}

}  // namespace
}  // namespace trackly::store
