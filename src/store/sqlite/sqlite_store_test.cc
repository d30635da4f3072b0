#include "store/sqlite/sqlite_store.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "base/status.h"
#include "gtest/gtest.h"
#include "model/codec.h"
#include "store/conformance/store_conformance.h"
#include "store/sqlite/checkpointer.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/payload.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_catalog.h"
#include "store/sqlite/wal_syncer.h"

namespace trackly::store {
namespace {

using conformance::Backend;
using conformance::BackendName;
using conformance::CatalogConformanceTest;
using conformance::StoreConformanceTest;
using conformance::StoreLimits;

Backend SqliteBackend() {
  return Backend{
      .name = "sqlite",
      .open_store = [](const std::string& dir, const StoreLimits& limits) -> absl::StatusOr<std::unique_ptr<Store>> {
        absl::StatusOr<std::unique_ptr<SqliteStore>> store =
            SqliteStore::Open(SqliteStoreOptions{.dir = dir, .max_queue_observations = limits.max_queue_observations});
        if (!store.ok()) return store.status();
        return std::unique_ptr<Store>(*std::move(store));
      },
      .open_catalog = [](const std::string& dir) -> absl::StatusOr<std::unique_ptr<Catalog>> {
        absl::StatusOr<std::unique_ptr<SqliteCatalog>> catalog = SqliteCatalog::Open(dir);
        if (!catalog.ok()) return catalog.status();
        return std::unique_ptr<Catalog>(*std::move(catalog));
      },
  };
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest, ::testing::Values(SqliteBackend()), BackendName);
INSTANTIATE_TEST_SUITE_P(Sqlite, CatalogConformanceTest, ::testing::Values(SqliteBackend()), BackendName);

// A fresh directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() / absl::StrCat("trackly-sqlite-", getpid(), "-", counter++)).string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(SqliteStoreTest, OpenFailsWhenTheDirectoryIsMissing) {
  EXPECT_EQ(SqliteStore::Open(SqliteStoreOptions{.dir = "/nonexistent/trackly"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(SqliteCatalog::Open("/nonexistent/trackly").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(SqliteStoreTest, RefusesAStoreWrittenByANewerVersion) {
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<sqlite::Connection>> db =
        sqlite::Connection::Open(dir.path() + "/store.db", /*read_only=*/false, 1000);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Exec(absl::StrCat("PRAGMA user_version = ", sqlite::kStoreSchemaVersion + 1)).ok());
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
}

// A store holding one observation ("t", "o") of project "p", then turned back into what an older
// layout wrote by `downgrade_sql` (on the raw database).
void WriteOneObservationAndDowngrade(const TempDir& dir, const char* downgrade_sql) {
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
    ASSERT_TRUE(store.ok()) << store.status();
    model::Observation o;
    o.id = "o";
    o.trace_id = "t";
    o.start_time_ns = 1'000'000;
    ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = {o}}).ok());
  }
  absl::StatusOr<std::unique_ptr<sqlite::Connection>> db =
      sqlite::Connection::Open(dir.path() + "/store.db", /*read_only=*/false, 1000);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Exec(downgrade_sql).ok());
}

TEST(SqliteStoreTest, UpgradesALayoutVersion1StoreAndKeepsItsData) {
  TempDir dir;
  // What version 1 wrote: no observation_fragments table.
  ASSERT_NO_FATAL_FAILURE(WriteOneObservationAndDowngrade(dir, "DROP TABLE observation_fragments; PRAGMA user_version = 1"));
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
  ASSERT_TRUE(store.ok()) << store.status();
  model::ObservationFragment fragment;
  fragment.observation.id = "f";
  fragment.observation.trace_id = "t";
  fragment.observation.start_time_ns = 2'000'000;
  fragment.fields = model::kFieldStartTime;
  fragment.event_id = "e";
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .fragments = {fragment}}).ok());
  absl::StatusOr<TraceDetail> detail = (*store)->GetTrace("p", "t");
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->observations.size(), 2u);
}

TEST(SqliteStoreTest, UpgradesALayoutVersion3StoreToKeepScores) {
  TempDir dir;
  // What version 3 wrote: no scores table.
  ASSERT_NO_FATAL_FAILURE(WriteOneObservationAndDowngrade(dir, "DROP TABLE scores; PRAGMA user_version = 3"));
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
  ASSERT_TRUE(store.ok()) << store.status();
  model::Score score{.id = "s", .trace_id = "t", .name = "quality", .value = 1, .time_ns = 2'000'000};
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .scores = {score}}).ok());
  absl::StatusOr<ScorePage> scores = (*store)->ListScores(ScoreQuery{.project = "p", .trace_id = "t"});
  ASSERT_TRUE(scores.ok()) << scores.status();
  ASSERT_EQ(scores->scores.size(), 1u);
  EXPECT_EQ(scores->scores[0], score);
  EXPECT_TRUE((*store)->GetTrace("p", "t").ok());
}

TEST(SqliteStoreTest, UpgradesALayoutVersion5StoreWithSessionCountsAndRebuiltRollups) {
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
    ASSERT_TRUE(store.ok()) << store.status();
    model::Observation root;
    root.id = "root";
    root.trace_id = "t";
    root.start_time_ns = 60'000'000'000;
    root.end_time_ns = 61'000'000'000;
    root.trace_hints.session_id = "s";
    model::Observation tool = root;
    tool.id = "tool";
    tool.parent_id = "root";
    tool.type = model::ObservationType::kTool;
    tool.retry_count = 1;
    ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = {root, tool}}).ok());
  }
  {
    // What version 5 wrote: sessions without counts, observations without completion_start_ns,
    // rollup values without tool calls (here: none at all, which the rebuild must fill in the same).
    absl::StatusOr<std::unique_ptr<sqlite::Connection>> db =
        sqlite::Connection::Open(dir.path() + "/store.db", /*read_only=*/false, 1000);
    ASSERT_TRUE(db.ok()) << db.status();
    std::string downgrade = "ALTER TABLE observations DROP COLUMN completion_start_ns; ";
    for (const char* column : {"n_observations", "n_generations", "n_tool_calls", "n_retrievals", "n_errors", "n_retries"}) {
      absl::StrAppend(&downgrade, "ALTER TABLE sessions DROP COLUMN ", column, "; ");
    }
    absl::StrAppend(&downgrade, "DELETE FROM rollup_minute; DELETE FROM rollup_hour; DELETE FROM rollup_day; ",
                    "DELETE FROM rollup_contributions; DELETE FROM rollup_keys; PRAGMA user_version = 5");
    ASSERT_TRUE((*db)->Exec(downgrade).ok());
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<SessionDetail> session = (*store)->GetSession("p", "s");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->session.counts, (model::TraceCounts{.observations = 2, .tool_calls = 1, .retries = 1}));
  absl::StatusOr<MetricsResult> metrics = (*store)->QueryMetrics(MetricsQuery{
      .project = "p", .level = MetricsLevel::kTrace, .measures = {Measure::kCount, Measure::kToolCalls, Measure::kRetries},
      .group_by = {model::MetricsDimension::kSessionId}});
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  ASSERT_EQ(metrics->rows.size(), 1u);
  EXPECT_EQ(metrics->rows[0].group, std::vector<std::string>{"s"});
  EXPECT_EQ(metrics->rows[0].values, (std::vector<std::optional<double>>{1.0, 1.0, 1.0}));
}

TEST(SqliteStoreTest, UpgradesALayoutVersion7StoreToKeepWorkflowRollups) {
  struct Case {
    const char* name;
    const char* downgrade_sql;
  };
  const Case cases[] = {
      // What version 7 wrote: no workflow tables.
      {"WithoutTheTables", "DROP TABLE workflow_runs; DROP TABLE workflow_rollups; PRAGMA user_version = 7"},
      // The tables under an older user_version (an interrupted tool): the upgrade is idempotent.
      {"WithTheTablesAlready", "PRAGMA user_version = 7"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    ASSERT_NO_FATAL_FAILURE(WriteOneObservationAndDowngrade(dir, c.downgrade_sql));
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
    ASSERT_TRUE(store.ok()) << store.status();
    model::WorkflowRollup rollup;
    rollup.mutable_node(rollup.FindOrAddNode(-1, "agent:planner")) = {.runs = 1, .calls = 1};
    rollup.mutable_totals().runs = 1;
    ASSERT_TRUE((*store)->RecordWorkflowRuns("p", {WorkflowRun{.trace_id = "t", .name = "planner", .start_ns = 1'000'000,
                                                               .rollup = rollup}})
                    .ok());
    absl::StatusOr<model::WorkflowRollup> got =
        (*store)->QueryWorkflowRollup(WorkflowRollupQuery{.project = "p", .name = "planner"});
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, rollup);
    EXPECT_TRUE((*store)->GetTrace("p", "t").ok());
  }
}

TEST(SqliteStoreTest, UpgradesALayoutVersion8StoreToKeepTheShareOfDroppedTraces) {
  struct Case {
    const char* name;
    const char* downgrade_sql;
  };
  const Case cases[] = {
      // What version 8 wrote: no sampled_out_traces.
      {"WithoutTheTable", "DROP TABLE sampled_out_traces; PRAGMA user_version = 8"},
      // The table under an older user_version: the upgrade is idempotent.
      {"WithTheTableAlready", "PRAGMA user_version = 8"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    ASSERT_NO_FATAL_FAILURE(WriteOneObservationAndDowngrade(dir, c.downgrade_sql));
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<EraseStats> dropped = (*store)->DropSampledOut("p", {"t"});
    ASSERT_TRUE(dropped.ok()) << dropped.status();
    EXPECT_EQ(dropped->traces, 1);
    EXPECT_TRUE(absl::IsNotFound((*store)->GetTrace("p", "t").status()));
    ASSERT_TRUE((*store)->Erase(EraseRequest{.project = "p", .trace_id = "t"}).ok());
  }
}

// The plan of the writer's session scan (UpdateSession in writer.cc) on the store in `dir`.
std::string SessionScanPlan(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<sqlite::Connection>> db =
      sqlite::Connection::Open(dir + "/store.db", /*read_only=*/true, 1000);
  if (!db.ok()) return db.status().ToString();
  absl::StatusOr<sqlite::Statement> plan = (*db)->PrepareOnce(
      absl::StrCat("EXPLAIN QUERY PLAN SELECT ", sqlite::SessionInputColumns(),
                   " FROM traces WHERE project = ?1 AND session_id = ?2 AND session_id != ''"));
  if (!plan.ok()) return plan.status().ToString();
  std::string text;
  while (plan->Step().value_or(false)) absl::StrAppend(&text, trackly::Sv(plan->Text(3)), "\n");
  return text;
}

TEST(SqliteStoreTest, UpgradesALayoutVersion9StoreToScanSessionsFromTheIndex) {
  TempDir dir;
  // What version 9 had: traces_by_session over the list key only.
  ASSERT_NO_FATAL_FAILURE(WriteOneObservationAndDowngrade(
      dir,
      "DROP INDEX traces_by_session; CREATE INDEX traces_by_session ON traces(project, session_id, start_ns, "
      "trace_id) WHERE session_id != ''; PRAGMA user_version = 9"));
  EXPECT_EQ(SessionScanPlan(dir.path()).find("COVERING INDEX"), std::string::npos);
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
    ASSERT_TRUE(store.ok()) << store.status();
    model::Observation o;
    o.id = "o2";
    o.trace_id = "t2";
    o.start_time_ns = 2'000'000;
    o.end_time_ns = 3'000'000;
    o.trace_hints.session_id = "s";
    ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = {o}}).ok());
    absl::StatusOr<SessionDetail> session = (*store)->GetSession("p", "s");
    ASSERT_TRUE(session.ok()) << session.status();
    EXPECT_EQ(session->session.trace_count, 1);
    EXPECT_TRUE((*store)->GetTrace("p", "t").ok());
  }
  EXPECT_NE(SessionScanPlan(dir.path()).find("USING COVERING INDEX traces_by_session"), std::string::npos)
      << SessionScanPlan(dir.path());
}

// Entries of trace `trace_id` of project "p" in observation_order (schema.cc layout 11), read on
// a connection of its own; `where` narrows them further.
int64_t OrderEntries(const std::string& dir, std::string_view trace_id, std::string_view where = "1") {
  absl::StatusOr<std::unique_ptr<sqlite::Connection>> db =
      sqlite::Connection::Open(dir + "/store.db", /*read_only=*/true, 1000);
  if (!db.ok()) return -1;
  return (*db)
      ->QueryInt(absl::StrCat("SELECT COUNT(*) FROM observation_order WHERE project = 'p' AND trace_id = '",
                              trackly::Sv(trace_id), "' AND ", trackly::Sv(where)))
      .value_or(-1);
}

// `count` observations of trace `trace_id`, with ids from `first_id` on, one microsecond apart.
std::vector<model::Observation> Spans(std::string_view trace_id, int first_id, int count) {
  std::vector<model::Observation> out;
  for (int i = first_id; i < first_id + count; ++i) {
    model::Observation o;
    o.trace_id = std::string(trace_id);
    o.id = absl::StrCat("o", i);
    o.parent_id = i == 0 ? "" : "o0";
    o.start_time_ns = 1'000'000'000 + i * 1'000;
    o.end_time_ns = o.start_time_ns + 500;
    out.push_back(std::move(o));
  }
  return out;
}

TEST(SqliteStoreTest, OnlyATraceOfAThousandObservationsHasStartOrderEntries) {
  constexpr int kOrdered = static_cast<int>(sqlite::kOrderedTraceObservations);
  TempDir dir;
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = Spans("t", 0, kOrdered - 1)}).ok());
  EXPECT_EQ(OrderEntries(dir.path(), "t"), 0);

  // The write that reaches the threshold enters every row of the trace.
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = Spans("t", kOrdered - 1, 1)}).ok());
  EXPECT_EQ(OrderEntries(dir.path(), "t"), kOrdered);

  // A rewrite that moves a span replaces its entry; a new span adds one.
  model::Observation moved = Spans("t", 5, 1)[0];
  moved.start_time_ns = 2'000'000'000;
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = {moved}}).ok());
  EXPECT_EQ(OrderEntries(dir.path(), "t"), kOrdered);
  EXPECT_EQ(OrderEntries(dir.path(), "t", "id = 'o5' AND start_ns = 2000000000"), 1);
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = Spans("t", kOrdered, 1)}).ok());
  EXPECT_EQ(OrderEntries(dir.path(), "t"), kOrdered + 1);
  absl::StatusOr<ObservationPage> page = (*store)->ListTraceObservations(
      ObservationQuery{.project = "p", .trace_id = "t", .limit = 2, .summary_only = true});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->observations.size(), 2u);
  EXPECT_EQ(page->observations[0].observation.id, "o0");
  EXPECT_EQ(page->observations[1].observation.id, "o1");

  ASSERT_TRUE((*store)->Erase(EraseRequest{.project = "p", .trace_id = "t"}).ok());
  EXPECT_EQ(OrderEntries(dir.path(), "t"), 0);
}

TEST(SqliteStoreTest, UpgradesALayoutVersion10StoreToOrderOnlyItsLargeTraces) {
  constexpr int kOrdered = static_cast<int>(sqlite::kOrderedTraceObservations);
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = Spans("big", 0, kOrdered)}).ok());
    ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = Spans("small", 0, 3)}).ok());
  }
  {
    // What version 10 had: an index entry per observation, no observation_order.
    absl::StatusOr<std::unique_ptr<sqlite::Connection>> db =
        sqlite::Connection::Open(dir.path() + "/store.db", /*read_only=*/false, 1000);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Exec("DROP TRIGGER observation_order_forget; DROP TABLE observation_order; "
                            "CREATE INDEX observations_by_start ON observations(project, trace_id, start_ns, id); "
                            "PRAGMA user_version = 10")
                    .ok());
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(OrderEntries(dir.path(), "big"), kOrdered);
  EXPECT_EQ(OrderEntries(dir.path(), "small"), 0);
  {
    absl::StatusOr<std::unique_ptr<sqlite::Connection>> db =
        sqlite::Connection::Open(dir.path() + "/store.db", /*read_only=*/true, 1000);
    ASSERT_TRUE(db.ok()) << db.status();
    EXPECT_EQ(
        (*db)->QueryInt("SELECT COUNT(*) FROM sqlite_master WHERE name = 'observations_by_start'").value_or(-1), 0);
  }
  // The filled entries page the trace, and the writer keeps them from there.
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = Spans("big", kOrdered, 1)}).ok());
  EXPECT_EQ(OrderEntries(dir.path(), "big"), kOrdered + 1);
  std::string cursor;
  int64_t seen = 0;
  do {
    absl::StatusOr<ObservationPage> page = (*store)->ListTraceObservations(
        ObservationQuery{.project = "p", .trace_id = "big", .limit = 300, .cursor = cursor, .summary_only = true});
    ASSERT_TRUE(page.ok()) << page.status();
    for (const PagedObservation& item : page->observations) {
      EXPECT_EQ(item.observation.id, absl::StrCat("o", seen));
      ++seen;
    }
    cursor = page->next_cursor;
  } while (!cursor.empty());
  EXPECT_EQ(seen, kOrdered + 1);
}

TEST(WalSyncerTest, RunsCallbacksInOrderAfterSyncingAndFollowsAReplacedFile) {
  TempDir dir;
  const std::string wal = dir.path() + "/store.db-wal";
  auto write = [&](const char* text) {
    std::FILE* file = std::fopen(wal.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs(text, file);
    std::fclose(file);
  };
  ASSERT_NO_FATAL_FAILURE(write("frames"));
  std::vector<int> ran;
  absl::Mutex mu;
  {
    sqlite::WalSyncer syncer(wal);
    for (int group = 0; group < 3; ++group) {
      std::vector<sqlite::WalSyncer::Callback> callbacks;
      for (int i = 0; i < 2; ++i) {
        callbacks.push_back([&, n = group * 2 + i](absl::Status status) {
          EXPECT_TRUE(status.ok()) << status;
          absl::MutexLock lock(&mu);
          ran.push_back(n);
        });
      }
      syncer.AfterSync(std::move(callbacks));
    }
    syncer.Drain();
    {
      absl::MutexLock lock(&mu);
      EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4, 5}));
    }
    // SQLite deletes the WAL when its last connection closes and creates a new one later.
    std::filesystem::remove(wal);
    ASSERT_NO_FATAL_FAILURE(write("new frames"));
    absl::Status after_replace = absl::UnknownError("not run");
    syncer.AfterSync({[&](absl::Status status) { after_replace = status; }});
    syncer.Drain();
    EXPECT_TRUE(after_replace.ok()) << after_replace;
    // Without a WAL file the commit cannot be made durable: the callback hears why.
    std::filesystem::remove(wal);
    absl::Status missing;
    syncer.AfterSync({[&](absl::Status status) { missing = status; }});
    syncer.Drain();
    EXPECT_EQ(missing.code(), absl::StatusCode::kUnavailable);
    EXPECT_NE(missing.message().find(wal), std::string::npos) << missing;
  }
}

// A database in WAL mode with SQLite's automatic checkpoint off (as the writer runs it), holding
// rows committed in the WAL only; `wal_pages` is the WAL's size after the last commit.
struct WalOnlyDatabase {
  std::unique_ptr<sqlite::Connection> db;
  int64_t wal_pages = 0;
};

void OpenWalOnlyDatabase(const TempDir& dir, int rows, WalOnlyDatabase& out) {
  absl::StatusOr<std::unique_ptr<sqlite::Connection>> db =
      sqlite::Connection::Open(dir.path() + "/store.db", /*read_only=*/false, 1000);
  ASSERT_TRUE(db.ok()) << db.status();
  out.db = *std::move(db);
  out.db->SetWalHook([&out](int64_t pages) { out.wal_pages = pages; });
  ASSERT_TRUE(out.db->Exec("PRAGMA journal_mode = WAL; CREATE TABLE t(v BLOB)").ok());
  for (int i = 0; i < rows; ++i) {
    ASSERT_TRUE(out.db->Exec("INSERT INTO t VALUES(zeroblob(4000))").ok());
  }
}

int64_t FileSize(const std::string& path) {
  std::error_code error;
  const uintmax_t size = std::filesystem::file_size(path, error);
  return error ? -1 : static_cast<int64_t>(size);
}

TEST(CheckpointerTest, CopiesTheWalIntoTheDatabaseOnceItReachesItsSize) {
  TempDir dir;
  const std::string db_path = dir.path() + "/store.db";
  WalOnlyDatabase database;
  ASSERT_NO_FATAL_FAILURE(OpenWalOnlyDatabase(dir, 20, database));
  ASSERT_GE(database.wal_pages, 20);
  // The rows are in the WAL only: the hook turned SQLite's own checkpoint off.
  EXPECT_LT(FileSize(db_path), 20 * 4000);

  absl::StatusOr<std::unique_ptr<sqlite::Checkpointer>> checkpointer =
      sqlite::Checkpointer::Open(db_path, 1000, /*start_pages=*/database.wal_pages + 1);
  ASSERT_TRUE(checkpointer.ok()) << checkpointer.status();
  (*checkpointer)->WalGrew(database.wal_pages);  // below its size: nothing to do
  (*checkpointer)->WaitIdle();
  EXPECT_EQ((*checkpointer)->passes(), 0);
  EXPECT_LT(FileSize(db_path), 20 * 4000);
  EXPECT_FALSE((*checkpointer)->WriterMustCheckpoint(database.wal_pages));

  ASSERT_TRUE(database.db->Exec("INSERT INTO t VALUES(zeroblob(4000))").ok());
  (*checkpointer)->WalGrew(database.wal_pages);
  (*checkpointer)->WaitIdle();
  EXPECT_EQ((*checkpointer)->passes(), 1);
  EXPECT_EQ((*checkpointer)->failures(), 0);
  EXPECT_GE(FileSize(db_path), 21 * 4000);
  EXPECT_TRUE((*checkpointer)->WriterMustCheckpoint(4 * (database.wal_pages + 1)));
}

TEST(CheckpointerTest, TheStoreCopiesItsWalWhileItWritesAndKeepsItBounded) {
  TempDir dir;
  const std::string db_path = dir.path() + "/store.db";
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(SqliteStoreOptions{.dir = dir.path(), .checkpoint_wal_pages = 8});
  ASSERT_TRUE(store.ok()) << store.status();
  constexpr int kTraces = 200;
  for (int trace = 0; trace < kTraces; ++trace) {
    WriteBatch batch{.project = "p"};
    for (int i = 0; i < 20; ++i) {
      model::Observation o;
      o.trace_id = absl::StrCat("t", trace);
      o.id = absl::StrCat("o", i);
      o.start_time_ns = 1'000'000 + i;
      o.input = absl::StrCat(trace, "-", i, std::string(2000, 'x'));
      batch.observations.push_back(o);
    }
    ASSERT_TRUE(WriteAndWait(**store, std::move(batch)).ok());
  }
  // ~12 MB written: most of it is in store.db, and the WAL was restarted instead of growing (the
  // writer checkpoints at 32 pages; one commit here writes ~8).
  EXPECT_GT(FileSize(db_path), 8 << 20);
  EXPECT_LT(FileSize(db_path + "-wal"), 1 << 20);
  absl::StatusOr<TraceDetail> detail = (*store)->GetTrace("p", absl::StrCat("t", kTraces - 1));
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->observations.size(), 20u);
}

// Payload partitions created before they became rowid tables are WITHOUT ROWID tables; both
// layouts are read, rewritten and erased alike.
TEST(SqliteStoreTest, ReadsRewritesAndErasesPayloadsInAnOlderPartitionLayout) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(WriteOneObservationAndDowngrade(
      dir,
      "CREATE TABLE old(trace_id TEXT NOT NULL, id TEXT NOT NULL, payload BLOB NOT NULL, "
      "PRIMARY KEY(trace_id, id)) WITHOUT ROWID; INSERT INTO old SELECT trace_id, id, payload FROM payloads_1; "
      "DROP TABLE payloads_1; ALTER TABLE old RENAME TO payloads_1"));
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<model::Observation> read = (*store)->GetObservation("p", "t", "o");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->payload_expired);
  model::Observation o = *read;
  o.input = "rewritten";
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = {o}}).ok());
  read = (*store)->GetObservation("p", "t", "o");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->input, "rewritten");
  absl::StatusOr<EraseStats> erased = (*store)->Erase(EraseRequest{.project = "p", .trace_id = "t"});
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->observations, 1);
  EXPECT_EQ((*store)->GetObservation("p", "t", "o").status().code(), absl::StatusCode::kNotFound);
}

TEST(SqliteCatalogTest, UpgradesALayoutVersion4CatalogWithAnEmptyAuditLog) {
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<SqliteCatalog>> catalog = SqliteCatalog::Open(dir.path());
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    ASSERT_TRUE((*catalog)->CreateProject("p", 1).ok());
  }
  {
    // What version 4 wrote: no audit_events table (version 5) nor redaction rules (version 6).
    absl::StatusOr<std::unique_ptr<sqlite::Connection>> db =
        sqlite::Connection::Open(dir.path() + "/catalog.db", /*read_only=*/false, 1000);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Exec("DROP TABLE audit_events; DROP TABLE redaction_rules; DROP TABLE redaction_rules_version; "
                            "PRAGMA user_version = 4")
                    .ok());
  }
  absl::StatusOr<std::unique_ptr<SqliteCatalog>> catalog = SqliteCatalog::Open(dir.path());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_TRUE((*catalog)->GetProject("p").ok());
  ASSERT_TRUE((*catalog)->AppendAudit({AuditEvent{.time_ns = 2, .project = "p", .actor = "system", .action = "key.create"}}).ok());
  absl::StatusOr<AuditPage> page = (*catalog)->ListAudit(AuditQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->events.size(), 1u);
  // Version 6: no rules yet, and they can be put.
  EXPECT_EQ((*catalog)->GetRedactionRules("p")->updated_ns, 0);
  EXPECT_TRUE((*catalog)->PutRedactionRules("p", R"({"rules":[{"name":"k","kind":"key","value":"x"}]})", 3).ok());
  EXPECT_EQ((*catalog)->ListRedactionRules()->size(), 1u);
}

TEST(SqliteStoreTest, HasFullTextSearch) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->capabilities().full_text_search);
}

TEST(PayloadTest, CompressesLargePayloadsAndDecodesBothForms) {
  model::Observation o;
  o.id = "o";
  o.trace_id = "t";
  o.input = std::string(10'000, 'x');
  std::string compressed = sqlite::EncodePayload(o, /*compress_min_bytes=*/1024);
  std::string plain = sqlite::EncodePayload(o, /*compress_min_bytes=*/SIZE_MAX);
  EXPECT_LT(compressed.size(), 1000u);
  EXPECT_EQ(plain.front(), '{');
  for (const std::string& blob : {compressed, plain}) {
    absl::StatusOr<model::Observation> decoded = sqlite::DecodePayload(blob);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, o);
  }
}

// A span with every detail field set and summary fields that the columns hold.
model::Observation ObservationWithEveryDetail(std::string id, std::string parent_id) {
  model::Observation o;
  o.id = std::move(id);
  o.trace_id = "t";
  o.parent_id = std::move(parent_id);
  o.name = "chat";
  o.type = model::ObservationType::kGeneration;
  o.status = model::Status::kError;
  o.status_message = "rate limited";
  o.start_time_ns = 1'000'000'000;
  o.end_time_ns = 2'000'000'000;
  o.model = "gpt-4o";
  o.model_parameters = {{"temperature", 0.2}};
  o.usage = model::Usage{.input_tokens = 10, .output_tokens = 5, .total_tokens = 15, .estimated = true};
  o.cost = model::Cost{.input = 0.25, .output = 0.5, .total = 0.75, .source = model::CostSource::kComputed,
                       .price_id = "openai/gpt-4o@1"};
  o.input = {{"messages", {"hi"}}};
  o.output = "hello";
  o.metadata = {{"k", "v"}};
  o.attributes = {{"a", 1}};
  o.events = {model::Event{.name = "retry", .time_ns = 1'500'000'000, .attributes = {{"n", 1}}}};
  o.prompt = model::PromptRef{.name = "", .version = ""};
  o.tool = model::ToolRef{.name = "", .call_id = "call-1"};
  o.service_name = "svc";
  o.redactions = 2;
  o.trace_hints.user_id = "u";
  o.trace_hints.trace_input = "question";
  return o;
}

// Partitions hold only the detail of a span (layout 10); what is read back is the whole span,
// root or child, through every read path.
TEST(SqliteStoreTest, StoresOnlyTheDetailOfASpanAndReadsItBackWhole) {
  TempDir dir;
  const model::Observation root = ObservationWithEveryDetail("r", "");
  const model::Observation child = ObservationWithEveryDetail("c", "r");
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = {root, child}}).ok());
    for (const model::Observation& want : {root, child}) {
      absl::StatusOr<model::Observation> read = (*store)->GetObservation("p", "t", want.id);
      ASSERT_TRUE(read.ok()) << read.status();
      EXPECT_EQ(*read, want) << want.id;
    }
    absl::StatusOr<TraceDetail> detail = (*store)->GetTrace("p", "t");
    ASSERT_TRUE(detail.ok()) << detail.status();
    ASSERT_EQ(detail->observations.size(), 2u);
    EXPECT_EQ(detail->trace.input, "question");
  }
  absl::StatusOr<std::unique_ptr<sqlite::Connection>> db =
      sqlite::Connection::Open(dir.path() + "/store.db", /*read_only=*/true, 1000);
  ASSERT_TRUE(db.ok()) << db.status();
  absl::StatusOr<sqlite::Statement> select = (*db)->PrepareOnce("SELECT payload FROM payloads_1");
  ASSERT_TRUE(select.ok()) << select.status();
  int rows = 0;
  while (*select->Step()) {
    ++rows;
    EXPECT_TRUE(select->Text(0).starts_with(model::kDetailJsonPrefix)) << select->Text(0);
    EXPECT_EQ(select->Text(0).find("gpt-4o\""), std::string_view::npos) << "the model is a column";
  }
  EXPECT_EQ(rows, 2);
}

// Rows written before layout 10 hold the whole span in their payload, and read as before.
TEST(SqliteStoreTest, ReadsWholePayloadsWrittenBeforeLayout10) {
  TempDir dir;
  model::Observation o = ObservationWithEveryDetail("o", "");
  const std::string whole = sqlite::EncodePayload(o, /*compress_min_bytes=*/SIZE_MAX);
  ASSERT_NO_FATAL_FAILURE(WriteOneObservationAndDowngrade(
      dir, absl::StrCat("UPDATE payloads_1 SET payload = '", whole, "'; PRAGMA user_version = 9").c_str()));
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<model::Observation> read = (*store)->GetObservation("p", "t", "o");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, o);
}

TEST(PayloadTest, CorruptPayloadIsInternal) {
  EXPECT_EQ(sqlite::DecodePayload("{not json").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(sqlite::DecodePayload("\x28\xb5\x2f\xfd garbage").status().code(), absl::StatusCode::kInternal);
}

// Every floored time is a whole microsecond the codec keeps exactly, at most 1 µs before the
// time; only int64's first two microseconds, which have no such floor, move forward.
TEST(PayloadTest, FloorToMicrosFloorsToATimeTheCodecKeeps) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kEarliest = -9'223'372'036'854'774'000;
  for (int64_t ns : {kMin, kMin + 1, kMin + 808, kMin + 999, kMin + 1000, kMin + 1807, kMin + 1808, kMin + 1809,
                     int64_t{-1001}, int64_t{-1000}, int64_t{-1}, int64_t{1}, int64_t{999}, int64_t{1000},
                     int64_t{1'700'000'000'123'456'789}, std::numeric_limits<int64_t>::max()}) {
    SCOPED_TRACE(ns);
    const int64_t floored = sqlite::FloorToMicros(ns);
    EXPECT_EQ(floored % 1000, 0);
    if (ns >= kEarliest) {
      EXPECT_LE(floored, ns);
      EXPECT_GT(floored, ns - 1000);
    } else {
      EXPECT_EQ(floored, kEarliest);
    }
    model::Observation o;
    o.start_time_ns = floored;
    std::string text;
    EXPECT_TRUE(model::AppendJson(o, &text)) << text;
  }
}

// A rough write-throughput figure for the report; printed, never asserted (bench/ has the real
// benchmarks). Traces of 10 spans in batches of 500, from two producer threads; 100k spans fit
// the default queue, so no write is rejected.
TEST(SqliteStoreTest, PrintsWriteThroughput) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
  ASSERT_TRUE(opened.ok()) << opened.status();
  SqliteStore& store = **opened;
  constexpr int kBatches = 200;
  constexpr int kBatchSpans = 500;
  constexpr int64_t kBase = 1'795'314'529'000'000'000;
  auto make_batch = [&](int b) {
    WriteBatch batch{.project = "bench"};
    for (int i = 0; i < kBatchSpans; ++i) {
      int span = b * kBatchSpans + i;
      model::Observation o;
      o.trace_id = absl::StrCat("trace-", span / 10);
      o.id = absl::StrCat("span-", span);
      o.parent_id = span % 10 == 0 ? "" : absl::StrCat("span-", span - span % 10);
      o.name = "llm call";
      o.type = span % 10 == 0 ? model::ObservationType::kAgent : model::ObservationType::kGeneration;
      o.start_time_ns = kBase + int64_t{span} * 1'000'000;
      o.end_time_ns = o.start_time_ns + 500'000'000;
      o.model = "gpt-4o-mini";
      o.usage = model::Usage{.input_tokens = 120, .output_tokens = 40, .total_tokens = 160};
      o.cost = model::Cost{.input = 0.0001, .output = 0.0002, .total = 0.0003};
      o.input = model::Json::array({model::Json{{"role", "user"}, {"content", "Summarize the quarterly report."}}});
      o.output = model::Json::array({model::Json{{"role", "assistant"}, {"content", "Revenue grew 4 percent."}}});
      o.trace_hints.session_id = absl::StrCat("session-", span / 100);
      o.trace_hints.user_id = "user-1";
      batch.observations.push_back(std::move(o));
    }
    return batch;
  };
  absl::BlockingCounter done(kBatches);
  std::atomic<int> failures{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> producers;
  for (int t = 0; t < 2; ++t) {
    producers.emplace_back([&, t] {
      for (int b = t; b < kBatches; b += 2) {
        store.Write(make_batch(b), [&](absl::Status status) {
          if (!status.ok()) ++failures;
          done.DecrementCount();
        });
      }
    });
  }
  for (std::thread& producer : producers) producer.join();
  done.Wait();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(failures.load(), 0);
  StoreStats stats = store.stats();
  std::printf("[ sanity ] %d spans in %.2f s = %.0f spans/s, %lld commits\n", kBatches * kBatchSpans, seconds,
              kBatches * kBatchSpans / seconds, static_cast<long long>(stats.commits));
}

// Rough figures for the report, printed and never asserted: one 20k-span trace written in
// sequential 500-span batches (the O(n)-per-commit summary case), then read latencies.
TEST(SqliteStoreTest, PrintsLargeTraceAndReadTimes) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(SqliteStoreOptions{.dir = dir.path()});
  ASSERT_TRUE(opened.ok()) << opened.status();
  SqliteStore& store = **opened;
  constexpr int64_t kBase = 1'795'314'529'000'000'000;
  auto span = [&](const std::string& trace_id, int i, int fanout) {
    model::Observation o;
    o.trace_id = trace_id;
    o.id = absl::StrCat("s", i);
    o.parent_id = i == 0 ? "" : absl::StrCat("s", (i - 1) / fanout);
    o.name = "step";
    o.type = i % 3 == 0 ? model::ObservationType::kGeneration : model::ObservationType::kTool;
    o.model = "gpt-4o-mini";
    o.start_time_ns = kBase + int64_t{i} * 1'000'000;
    o.end_time_ns = o.start_time_ns + 2'000'000;
    o.usage = model::Usage{.input_tokens = 10, .output_tokens = 5, .total_tokens = 15};
    o.input = "some input text";
    o.output = "some output text";
    o.trace_hints.user_id = absl::StrCat("user-", i % 7);
    return o;
  };
  auto start = std::chrono::steady_clock::now();
  for (int b = 0; b < 40; ++b) {
    WriteBatch batch{.project = "p"};
    for (int i = b * 500; i < (b + 1) * 500; ++i) batch.observations.push_back(span("big", i, 4));
    ASSERT_TRUE(WriteAndWait(store, std::move(batch)).ok());
  }
  double big_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  for (int t = 0; t < 200; ++t) {
    WriteBatch batch{.project = "p"};
    for (int i = 0; i < 100; ++i) batch.observations.push_back(span(absl::StrCat("t", t), i, 3));
    ASSERT_TRUE(WriteAndWait(store, std::move(batch)).ok());
  }
  auto median_us = [](auto&& fn) {
    std::vector<double> us;
    for (int i = 0; i < 51; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      fn(i);
      us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(us.begin(), us.end());
    return us[us.size() / 2];
  };
  double detail_us = median_us([&](int i) { ASSERT_TRUE(store.GetTrace("p", absl::StrCat("t", i)).ok()); });
  double list_us = median_us([&](int) { ASSERT_TRUE(store.ListTraces(TraceQuery{.project = "p", .user_id = "user-0"}).ok()); });
  std::printf("[ sanity ] 20000-span trace in 40 sequential batches: %.2f s; GetTrace(100 spans) p50 %.0f us; "
              "ListTraces(user filter, 50) p50 %.0f us\n",
              big_s, detail_us, list_us);
}

}  // namespace
}  // namespace trackly::store
