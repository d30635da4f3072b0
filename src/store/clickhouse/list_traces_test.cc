// Trace lists in two steps (queries.h ReadTracePage), the day windows of newest-first lists
// (ClickHouseStore::ListTraces) and the layout 6 rebuild (retention_migration.h
// RebuildWithSmallGranules), on a real clickhouse-server (TestServerEnvironment, registered by
// clickhouse_store_test.cc in the same binary).
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "base/clock.h"
#include "base/status.h"
#include "gtest/gtest.h"
#include "model/json.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/database_test_base.h"
#include "store/clickhouse/http_client.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/retention_classes.h"
#include "store/clickhouse/retention_migration.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/schema.h"
#include "store/clickhouse/test_server.h"

namespace trackly::store {
namespace {

using clickhouse::ChosenTrace;
using clickhouse::HttpClient;
using clickhouse::TestServer;
using clickhouse::TestServerEnvironment;

constexpr int64_t kHourNs = int64_t{3'600} * 1'000'000'000;
constexpr int64_t kNow = int64_t{20'600} * kNanosPerDay + 12 * kHourNs;  // noon, 2026-05-27

// A trace of a root span and a child, the root named `name`.
std::vector<model::Observation> TraceAt(const std::string& trace_id, int64_t start_ns, const std::string& name = "agent") {
  model::Observation root;
  root.trace_id = trace_id;
  root.id = "root";
  root.name = name;
  root.start_time_ns = start_ns;
  root.end_time_ns = start_ns + 2'000'000;
  root.input = "input of the trace";
  model::Observation child = root;
  child.id = "child";
  child.parent_id = "root";
  child.name = "tool";
  child.start_time_ns += 1'000'000;
  return {root, child};
}

// The statements of a schema file as schema.cc splits them, for 18.16 (no column codecs).
// Not thread-safe (a gtest fixture): the running server, databases of the test's own (dropped at
// the end), and the stores' clock.
class ListTracesTest : public clickhouse::DatabaseTestBase {
 protected:
  ListTracesTest() : DatabaseTestBase(clock_) {}

  // OPTIMIZE TABLE traces FINAL until `trace_id` has one summary row (OPTIMIZE may answer OK
  // without merging while a background merge holds the parts).
  void MergeSummariesOf(const std::string& trace_id) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      Run("OPTIMIZE TABLE traces FINAL", database_);
      if (Count(absl::StrCat("SELECT count() FROM traces WHERE trace_id = '", trace_id, "'"), database_) == 1) return;
    }
    FAIL() << "traces never merged";
  }

  // Every page of `query`, as "id name" lines, one page a line.
  std::string Pages(ClickHouseStore& store, TraceQuery query) {
    std::vector<std::string> pages;
    for (int page = 0; page < 20; ++page) {
      absl::StatusOr<TracePage> result = store.ListTraces(query);
      EXPECT_TRUE(result.ok()) << result.status();
      if (!result.ok()) break;
      std::vector<std::string> ids;
      for (const model::Trace& trace : result->traces) ids.push_back(trace.id);
      pages.push_back(absl::StrJoin(ids, " "));
      if (result->next_cursor.empty()) break;
      query.cursor = result->next_cursor;
    }
    return absl::StrJoin(pages, " | ");
  }

  // The traces of project "p" as a list's first step would choose them: ordered by id.
  absl::StatusOr<std::vector<ChosenTrace>> ChooseByIdFrom(const clickhouse::Database& db) {
    TRACKLY_ASSIGN_OR_RETURN(
        std::string rows,
        db.Select("SELECT trace_id, max(version) FROM traces WHERE project = 'p' GROUP BY trace_id ORDER BY trace_id "
                  "FORMAT RowBinary"));
    std::vector<ChosenTrace> chosen;
    clickhouse::RowBinaryReader in(rows, "choosing");
    while (!in.AtEnd()) {
      ChosenTrace trace{.trace_id = in.String(), .version = in.UInt64()};
      chosen.push_back(std::move(trace));
    }
    TRACKLY_RETURN_IF_ERROR(in.status());
    return chosen;
  }

  FakeClock clock_{kNow};
};

// --- Newest-first lists read the newest days first ---

TEST_F(ListTracesTest, NewestFirstListsWidenTheirDayWindowUntilAPageIsFull) {
  std::unique_ptr<ClickHouseStore> store = Open(database_);
  ASSERT_NE(store, nullptr);
  // One trace an hour from now (a client's clock ahead), then older and older ones: inside the
  // first window, the second, the last, and beyond every window.
  const std::vector<std::pair<std::string, int64_t>> traces = {
      {"ahead", kNow + kHourNs},           {"hour", kNow - kHourNs},          {"days3", kNow - 3 * kNanosPerDay},
      {"days20", kNow - 20 * kNanosPerDay}, {"days100", kNow - 100 * kNanosPerDay}, {"days400", kNow - 400 * kNanosPerDay},
  };
  for (const auto& [id, start_ns] : traces) {
    ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceAt(id, start_ns,
                                                                                           id == "days3" || id == "days400"
                                                                                               ? "rare"
                                                                                               : "agent")})
                    .ok());
  }
  struct Case {
    const char* name;
    TraceQuery query;
    std::string pages;
  };
  const std::vector<Case> cases = {
      {"limit 1", TraceQuery{.project = "p", .limit = 1}, "ahead | hour | days3 | days20 | days100 | days400"},
      {"limit 2", TraceQuery{.project = "p", .limit = 2}, "ahead hour | days3 days20 | days100 days400"},
      {"limit 5", TraceQuery{.project = "p", .limit = 5}, "ahead hour days3 days20 days100 | days400"},
      {"limit 10", TraceQuery{.project = "p", .limit = 10}, "ahead hour days3 days20 days100 days400"},
      {"filtered", TraceQuery{.project = "p", .limit = 1, .name = "rare"}, "days3 | days400"},
      {"to", TraceQuery{.project = "p", .to_ns = kNow - 10 * kNanosPerDay, .limit = 2}, "days20 days100 | days400"},
      {"from", TraceQuery{.project = "p", .from_ns = kNow - 50 * kNanosPerDay, .limit = 2}, "ahead hour | days3 days20"},
      {"oldest first", TraceQuery{.project = "p", .limit = 4, .oldest_first = true},
       "days400 days100 days20 days3 | hour ahead"},
  };
  for (const Case& c : cases) EXPECT_EQ(Pages(*store, c.query), c.pages) << c.name;
}

// --- A write between the two steps of a list ---

TEST_F(ListTracesTest, APageIsAsTheFirstStepSawItWhenAWriteLandsBetweenTheSteps) {
  std::unique_ptr<ClickHouseStore> store = Open(database_);
  ASSERT_NE(store, nullptr);
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceAt(id, kNow - kHourNs)}).ok());
  }
  HttpClient client(server_->client_options());
  absl::StatusOr<clickhouse::ServerInfo> info = clickhouse::DescribeServer(client);
  ASSERT_TRUE(info.ok()) << info.status();
  const clickhouse::Database db(client, database_, *info);
  int renamed = 0;
  // Renames trace "a" (a new summary row); with `merge`, also folds its old row away.
  auto rename_a = [&](bool merge) {
    clock_.Advance(kHourNs);
    ++renamed;
    ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceAt("a", kNow - kHourNs,
                                                                                          absl::StrCat("renamed", renamed))})
                    .ok());
    if (merge) MergeSummariesOf("a");
  };
  auto names = [](const std::vector<model::Trace>& traces) {
    std::vector<std::string> out;
    for (const model::Trace& trace : traces) out.push_back(absl::StrCat(trace.id, ":", trace.name));
    return absl::StrJoin(out, " ");
  };
  int one_steps = 0;
  auto one_step = [&]() -> absl::StatusOr<std::vector<model::Trace>> {
    ++one_steps;
    return std::vector<model::Trace>{};
  };
  auto choose = [&] { return ChooseByIdFrom(db); };

  // Not merged yet: the row the first step chose is still there, and the page shows it.
  absl::StatusOr<std::vector<model::Trace>> page =
      clickhouse::ReadTracePage(db, "p", choose, one_step, [&] { rename_a(/*merge=*/false); });
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(names(*page), "a:agent b:agent c:agent");

  // Merged away: the steps run again and show the rename that landed in the first attempt.
  int attempts = 0;
  page = clickhouse::ReadTracePage(db, "p", choose, one_step, [&] {
    if (attempts++ == 0) rename_a(/*merge=*/true);
  });
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(names(*page), "a:renamed2 b:agent c:agent");
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(one_steps, 0);

  // Merged away every time: the one-step query answers.
  page = clickhouse::ReadTracePage(db, "p", choose, one_step, [&] { rename_a(/*merge=*/true); });
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(one_steps, 1);
  EXPECT_EQ(renamed, 2 + clickhouse::kTracePageAttempts);

  // And the store's own list sees the last rename.
  absl::StatusOr<TracePage> listed = store->ListTraces(TraceQuery{.project = "p", .limit = 2});
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->traces.size(), 2u);
  EXPECT_FALSE(listed->next_cursor.empty());
}

TEST_F(ListTracesTest, ReadChosenTracesReadsExactlyTheChosenRows) {
  std::unique_ptr<ClickHouseStore> store = Open(database_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceAt("x", kNow, "first")}).ok());
  HttpClient client(server_->client_options());
  absl::StatusOr<clickhouse::ServerInfo> info = clickhouse::DescribeServer(client);
  ASSERT_TRUE(info.ok()) << info.status();
  const clickhouse::Database db(client, database_, *info);
  absl::StatusOr<std::vector<ChosenTrace>> first = ChooseByIdFrom(db);
  ASSERT_TRUE(first.ok()) << first.status();
  clock_.Advance(kHourNs);
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceAt("x", kNow, "second")}).ok());
  absl::StatusOr<std::vector<ChosenTrace>> second = ChooseByIdFrom(db);
  ASSERT_TRUE(second.ok()) << second.status();

  struct Case {
    const char* name;
    std::vector<ChosenTrace> chosen;
    std::string names;
  };
  const std::vector<Case> cases = {
      {"the older row", *first, "first"},
      {"the newer row", *second, "second"},
      {"no such version", {ChosenTrace{.trace_id = "x", .version = 1}}, ""},
      {"no such trace", {ChosenTrace{.trace_id = "y", .version = (*second)[0].version}}, ""},
      {"nothing", {}, ""},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<model::Trace>> traces = clickhouse::ReadChosenTraces(db, "p", c.chosen);
    ASSERT_TRUE(traces.ok()) << c.name << ": " << traces.status();
    std::vector<std::string> names;
    for (const model::Trace& trace : *traces) names.push_back(trace.name);
    EXPECT_EQ(absl::StrJoin(names, " "), c.names) << c.name;
  }
}

// More chosen traces than one query takes (their ids are in it twice), in the chosen order.
TEST_F(ListTracesTest, ReadChosenTracesKeepsTheOrderOfALongPage) {
  std::unique_ptr<ClickHouseStore> store = Open(database_);
  ASSERT_NE(store, nullptr);
  WriteBatch batch{.project = "p"};
  constexpr int kTraces = static_cast<int>(clickhouse::kMaxIdsPerQuery) / 2 + 100;
  for (int i = 0; i < kTraces; ++i) {
    for (model::Observation& o : TraceAt(absl::StrCat("t", 1000 + i), kNow - int64_t{i} * 1'000'000'000)) {
      batch.observations.push_back(std::move(o));
    }
  }
  ASSERT_TRUE(WriteAndWait(*store, std::move(batch)).ok());
  HttpClient client(server_->client_options());
  absl::StatusOr<clickhouse::ServerInfo> info = clickhouse::DescribeServer(client);
  ASSERT_TRUE(info.ok()) << info.status();
  const clickhouse::Database db(client, database_, *info);
  absl::StatusOr<std::vector<ChosenTrace>> chosen = ChooseByIdFrom(db);
  ASSERT_TRUE(chosen.ok()) << chosen.status();
  ASSERT_EQ(chosen->size(), static_cast<size_t>(kTraces));
  std::reverse(chosen->begin(), chosen->end());
  absl::StatusOr<std::vector<model::Trace>> traces = clickhouse::ReadChosenTraces(db, "p", *chosen);
  ASSERT_TRUE(traces.ok()) << traces.status();
  ASSERT_EQ(traces->size(), chosen->size());
  for (size_t i = 0; i < chosen->size(); ++i) EXPECT_EQ((*traces)[i].id, (*chosen)[i].trace_id) << i;

  absl::StatusOr<TracePage> page = store->ListTraces(TraceQuery{.project = "p", .limit = kMaxListLimit});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->traces.size(), static_cast<size_t>(kTraces));
  EXPECT_TRUE(page->next_cursor.empty());
}

// --- Layout 6: observations and traces with 1024-row granules ---

constexpr const char* kTables[] = {"observations", "traces", "rollups", "rollup_cells", "observation_fragments",
                                   "workflow_runs", "workflow_cells", "sessions", "scores"};

class SmallGranulesMigrationTest : public ListTracesTest {
 protected:
  // Writes traces over three days into the (layout 6) store on `database_`.
  void WriteData(Store& store) {
    for (int day = 0; day < 3; ++day) {
      for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(WriteAndWait(store, WriteBatch{.project = i % 2 == 0 ? "p" : "q",
                                                   .observations = TraceAt(absl::StrCat("t", day, "-", i),
                                                                           kNow - day * kNanosPerDay - i * kHourNs)})
                        .ok());
      }
    }
  }

  // Makes `database` a layout 5 database holding every row of `source`.
  void CopyAsLayout5(const std::string& source, const std::string& database) {
    CreateAtLayout(database, 5);
    for (const char* table : clickhouse::kTablesByRetentionClass) {
      Run(absl::StrCat("DROP TABLE ", table), database);
      Run(absl::StrCat("RENAME TABLE ", table, "__layout5 TO ", table), database);
    }
    for (const char* table : kTables) CopyRows(source, table, database);
    EXPECT_EQ(Granularity("observations", database), "8192");
  }

  std::string Granularity(const std::string& table, const std::string& database) {
    const std::string engine = Run(absl::StrCat("SELECT engine_full FROM system.tables WHERE database = '", database,
                                                "' AND name = '", table, "'"),
                                   database);
    const size_t at = engine.find("index_granularity = ");
    if (at == std::string::npos) return engine;
    return std::string(absl::StripAsciiWhitespace(engine.substr(at + 20)));
  }

  // What a reader sees of projects p and q: every list page and every trace's detail.
  std::string Snapshot(ClickHouseStore& store) {
    std::string out;
    for (const char* project : {"p", "q"}) {
      absl::StatusOr<TracePage> page = store.ListTraces(TraceQuery{.project = project, .limit = 100});
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) continue;
      for (const model::Trace& trace : page->traces) {
        absl::StatusOr<TraceDetail> detail = store.GetTrace(project, trace.id);
        EXPECT_TRUE(detail.ok()) << detail.status();
        if (!detail.ok()) continue;
        absl::StrAppend(&out, project, " ", trace.id, " ", trace.name, " ", trace.counts.observations, " ",
                        detail->observations.size(), " ", model::DumpJson(trace.input), "\n");
      }
    }
    return out;
  }

  // The rebuilt tables of `database` have small granules and the keys of `source`, and nothing of
  // the rebuild is left behind.
  void ExpectRebuilt(const std::string& source, const std::string& database) {
    for (const char* table : clickhouse::kTablesWithSmallGranules) {
      EXPECT_EQ(Granularity(table, database), "1024") << table;
    }
    for (const char* keys : {"SELECT DISTINCT project, trace_id, id FROM observations",
                             "SELECT DISTINCT project, trace_id FROM traces"}) {
      const std::string count = absl::StrCat("SELECT count() FROM (", keys, ")");
      EXPECT_EQ(Count(count, database), Count(count, source)) << keys;
    }
    EXPECT_EQ(Count(absl::StrCat("SELECT count() FROM system.tables WHERE database = '", database,
                                 "' AND position(name, '__layout') > 0"),
                    database),
              0u);
    EXPECT_EQ(Count("SELECT toUInt64(max(version)) FROM schema_version", database),
              static_cast<uint64_t>(clickhouse::LatestSchemaVersion()));
  }
};

TEST_F(SmallGranulesMigrationTest, NewDatabasesGetSmallGranules) {
  std::unique_ptr<ClickHouseStore> store = Open(database_);
  ASSERT_NE(store, nullptr);
  for (const char* table : clickhouse::kTablesWithSmallGranules) EXPECT_EQ(Granularity(table, database_), "1024");
}

TEST_F(SmallGranulesMigrationTest, RebuildsALayout5DatabaseAndReadsStayTheSame) {
  std::unique_ptr<ClickHouseStore> source = Open(database_);
  ASSERT_NE(source, nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteData(*source));
  const std::string layout5 = NewDatabase();
  ASSERT_NO_FATAL_FAILURE(CopyAsLayout5(database_, layout5));

  clock_.Advance(kHourNs);
  std::unique_ptr<ClickHouseStore> migrated = Open(layout5);
  ASSERT_NE(migrated, nullptr);
  ExpectRebuilt(database_, layout5);
  const std::string expected = Snapshot(*source);
  EXPECT_EQ(std::count(expected.begin(), expected.end(), '\n'), 12);
  EXPECT_EQ(Snapshot(*migrated), expected);

  // Reopening finds it done.
  migrated.reset();
  migrated = Open(layout5);
  ASSERT_NE(migrated, nullptr);
  ExpectRebuilt(database_, layout5);
}

// Stopped part-way (observations: swapped and partly copied; traces: swapped, nothing copied), the
// rebuild is finished by the next start without losing a row; a trace another node wrote to after
// the swap, when its spans were not copied yet, gets its summary rewritten.
TEST_F(SmallGranulesMigrationTest, ResumesAfterACrashAndRewritesSummariesOfTracesWrittenMeanwhile) {
  std::unique_ptr<ClickHouseStore> source = Open(database_);
  ASSERT_NE(source, nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteData(*source));
  const std::string db = NewDatabase();
  ASSERT_NO_FATAL_FAILURE(CopyAsLayout5(database_, db));
  ApplyMigrations(6, 6, db);
  Run("RENAME TABLE observations TO observations__layout5_old, observations__layout6 TO observations", db);
  const std::string columns(absl::StripTrailingAsciiWhitespace(
      Run(absl::StrCat("SELECT arrayStringConcat(groupArray(concat('`', name, '`')), ', ') FROM system.columns "
                       "WHERE database = '", db, "' AND table = 'observations'"),
          db)));
  Run(absl::StrCat("INSERT INTO observations (", columns, ") SELECT ", columns,
                   " FROM observations__layout5_old WHERE day = (SELECT max(day) FROM observations__layout5_old) "
                   "LIMIT 3"),
      db);
  Run("RENAME TABLE traces TO traces__layout5_old", db);
  Run("RENAME TABLE traces__layout6 TO traces", db);

  // Another node adds a span to trace t2-1, none of whose spans is copied yet, in both databases.
  // Its writer also writes the tables of the layouts after 6 (whose statements create them only).
  ApplyMigrations(7, clickhouse::LatestSchemaVersion(), db);
  clock_.Advance(kHourNs);
  model::Observation late = TraceAt("t2-1", kNow - 2 * kNanosPerDay - kHourNs)[1];
  late.id = "late";
  for (const std::string& database : {database_, db}) {
    ASSERT_TRUE(WriteAsAnotherNode(database, WriteBatch{.project = "q", .observations = {late}}).ok());
  }

  clock_.Advance(kHourNs);
  std::unique_ptr<ClickHouseStore> migrated = Open(db);
  ASSERT_NE(migrated, nullptr);
  ExpectRebuilt(database_, db);
  absl::StatusOr<TraceDetail> trace = migrated->GetTrace("q", "t2-1");
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->trace.counts.observations, 3);
  EXPECT_EQ(Snapshot(*migrated), Snapshot(*source));
}

}  // namespace
}  // namespace trackly::store
