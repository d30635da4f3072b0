// SQLite-specific behaviour of RewriteObservations: a rewrite by another process on the same
// data directory (`trackly cost recompute` while a server runs) must not leave the server's
// writer with stale summaries of large traces (its SummaryCache).
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/summary.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/summary_cache.h"

namespace trackly::store {
namespace {

model::Observation Generation(const std::string& id, int64_t start_ns, double cost) {
  model::Observation o;
  o.trace_id = "big";
  o.id = id;
  o.parent_id = id == "g0" ? "" : "g0";
  o.type = model::ObservationType::kGeneration;
  o.start_time_ns = start_ns;
  o.end_time_ns = start_ns + 1000;
  o.cost = model::Cost{.total = cost, .source = model::CostSource::kComputed};
  return o;
}

TEST(SqliteRewriteTest, RewriteByAnotherStoreOnTheSameDirectoryIsSeenByTheWriter) {
  static std::atomic<int> counter{0};
  std::string dir = (std::filesystem::temp_directory_path() /
                     absl::StrCat("trackly-sqlite-rewrite-", getpid(), "-", counter++))
                        .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> server = SqliteStore::Open({.dir = dir, .sync_full = false});
    ASSERT_TRUE(server.ok()) << server.status();
    // Large enough that the server's writer keeps the trace in its summary cache.
    WriteBatch batch{.project = "p"};
    for (size_t i = 0; i < sqlite::SummaryCache::kMinTraceObservations + 10; ++i) {
      batch.observations.push_back(Generation(absl::StrCat("g", i), 1'000'000 + i * 1000, 1));
    }
    ASSERT_TRUE(WriteAndWait(**server, batch).ok());

    absl::StatusOr<std::unique_ptr<SqliteStore>> cli = SqliteStore::Open({.dir = dir, .sync_full = false});
    ASSERT_TRUE(cli.ok()) << cli.status();
    absl::StatusOr<RewriteStats> stats =
        (*cli)->RewriteObservations(RewriteRange{.project = "p"}, [](model::Observation& o) {
          o.cost.total = 3;
          return true;
        });
    ASSERT_TRUE(stats.ok()) << stats.status();
    cli->reset();

    ASSERT_TRUE(WriteAndWait(**server, WriteBatch{.project = "p", .observations = {Generation("late", 5, 2)}}).ok());
    absl::StatusOr<TraceDetail> detail = (*server)->GetTrace("p", "big");
    ASSERT_TRUE(detail.ok()) << detail.status();
    EXPECT_EQ(detail->trace, model::SummarizeTrace(detail->observations));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trackly::store
