// Retention classes on a real clickhouse-server (TestServerEnvironment, registered by
// clickhouse_store_test.cc in the same binary): expiry by whole partitions (expirer.h) and the
// layout 5 migration (retention_migration.h).
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "model/codec.h"
#include "model/json.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/database_test_base.h"
#include "store/clickhouse/http_client.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/retention_classes.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/schema.h"
#include "store/clickhouse/test_server.h"

namespace trackly::store {
namespace {

using clickhouse::HttpClient;
using clickhouse::TestServer;
using clickhouse::TestServerEnvironment;

constexpr int64_t kToday = 20'600;  // 2026-05-27
constexpr int64_t kHourNs = int64_t{3'600} * 1'000'000'000;

// The tables layout 5 moves to class partitions, and those it leaves as they are.
constexpr const char* kMovedTables[] = {"observations", "traces", "rollups", "rollup_cells",
                                        "observation_fragments", "workflow_runs", "workflow_cells"};
constexpr const char* kOtherTables[] = {"sessions", "scores"};

// A trace on `day` whose root and child carry payloads, in `session` when not empty.
std::vector<model::Observation> TraceOn(const std::string& trace_id, int64_t day, const std::string& session = "") {
  model::Observation root;
  root.trace_id = trace_id;
  root.id = "root";
  root.name = "agent";
  root.start_time_ns = day * kNanosPerDay + 10 * kHourNs;
  root.end_time_ns = root.start_time_ns + 2'000'000;
  root.model = "gpt-4o";
  root.usage.input_tokens = 7;
  root.input = "secret input";
  root.output = "secret output";
  root.trace_hints.session_id = session;
  model::Observation child = root;
  child.id = "child";
  child.parent_id = "root";
  child.name = "tool";
  child.start_time_ns += 1'000'000;
  child.input = "secret prompt";
  child.trace_hints.trace_input = "secret trace input";
  return {root, child};
}

// One run of a one-step agent.
WorkflowRun RunOn(const std::string& trace_id, int64_t day) {
  model::WorkflowRollup rollup;
  const int32_t step = rollup.FindOrAddNode(-1, "agent:plan");
  rollup.mutable_node(step).runs = 1;
  rollup.mutable_node(step).calls = 1;
  rollup.mutable_node(step).latency.Add(1000);
  rollup.mutable_totals().runs = 1;
  rollup.mutable_totals().spans = 2;
  rollup.mutable_totals().latency.Add(1000);
  return WorkflowRun{.trace_id = trace_id, .name = "agent", .environment = "prod", .release = "v1",
                     .start_ns = day * kNanosPerDay + 10 * kHourNs, .rollup = std::move(rollup)};
}

// What ExpireRequestFor (server/retention_expirer.h) asks for at kToday.
ExpireRequest RequestAtToday(const std::string& project, int64_t payload_days, int64_t summary_days) {
  return ExpireRequest{.project = project, .payload_before_day = kToday - payload_days,
                       .summary_before_day = kToday - summary_days};
}

// Not thread-safe (a gtest fixture): the running server, databases of the test's own (dropped at
// the end), and the stores' clock at noon of kToday.
class RetentionClassTest : public clickhouse::DatabaseTestBase {
 protected:
  RetentionClassTest() : DatabaseTestBase(clock_) {}

  using DatabaseTestBase::Count;
  using DatabaseTestBase::Run;
  std::string Run(const std::string& sql) { return Run(sql, database_); }

  uint64_t Count(const std::string& sql) { return Count(sql, database_); }

  uint64_t Mutations(const std::string& database) {
    return Count(absl::StrCat("SELECT count() FROM system.mutations WHERE database = '", database, "'"), database);
  }

  // The active partitions of `table`, as system.parts writes them, e.g. (7,30,'2026-04-17').
  std::vector<std::string> Partitions(const std::string& table, const std::string& database) {
    const std::string text = Run(absl::StrCat("SELECT DISTINCT partition FROM system.parts WHERE database = '",
                                              database, "' AND table = '", table, "' AND active ORDER BY partition"),
                                 database);
    std::vector<std::string> out = absl::StrSplit(text, '\n', absl::SkipEmpty());
    for (std::string& partition : out) absl::StrReplaceAll({{"\\'", "'"}}, &partition);
    return out;
  }

  // Everything a client can read of `projects`, as text: every trace with its observations, the
  // sessions, scores, metrics and workflow rollups.
  std::string Snapshot(Store& store, const std::vector<std::string>& projects) {
    std::string out;
    for (const std::string& project : projects) {
      absl::StatusOr<TracePage> traces = store.ListTraces(TraceQuery{.project = project, .limit = kMaxListLimit});
      EXPECT_TRUE(traces.ok()) << traces.status();
      if (!traces.ok()) continue;
      for (const model::Trace& trace : traces->traces) {
        absl::StatusOr<TraceDetail> detail = store.GetTrace(project, trace.id);
        EXPECT_TRUE(detail.ok()) << detail.status();
        if (!detail.ok()) continue;
        absl::StrAppend(&out, project, " trace ", model::DumpJson(model::ToJson(detail->trace)), "\n");
        for (const model::Observation& o : detail->observations) {
          absl::StrAppend(&out, "  ", model::DumpJson(model::ToJson(o)), "\n");
        }
      }
      absl::StatusOr<SessionPage> sessions = store.ListSessions(SessionQuery{.project = project, .limit = kMaxListLimit});
      EXPECT_TRUE(sessions.ok()) << sessions.status();
      if (sessions.ok()) {
        for (const model::Session& s : sessions->sessions) {
          absl::StrAppend(&out, project, " session ", model::DumpJson(model::ToJson(s)), "\n");
        }
      }
      absl::StatusOr<ScorePage> scores = store.ListScores(ScoreQuery{.project = project, .limit = kMaxListLimit});
      EXPECT_TRUE(scores.ok()) << scores.status();
      if (scores.ok()) {
        for (const model::Score& s : scores->scores) {
          absl::StrAppend(&out, project, " score ", model::DumpJson(model::ToJson(s)), "\n");
        }
      }
      absl::StatusOr<MetricsResult> metrics = store.QueryMetrics(
          MetricsQuery{.project = project, .measures = {Measure::kCount, Measure::kInputTokens, Measure::kP50Latency},
                       .group_by = {model::MetricsDimension::kModel}, .time_grain = TimeGrain::kDay});
      EXPECT_TRUE(metrics.ok()) << metrics.status();
      if (metrics.ok()) {
        for (const MetricsRow& row : metrics->rows) {
          absl::StrAppend(&out, project, " metrics ", row.time_ns, " ", absl::StrJoin(row.group, ","));
          for (const std::optional<double>& value : row.values) absl::StrAppend(&out, " ", value.value_or(-1));
          absl::StrAppend(&out, "\n");
        }
      }
      absl::StatusOr<model::WorkflowRollup> workflow =
          store.QueryWorkflowRollup(WorkflowRollupQuery{.project = project, .name = "agent"});
      EXPECT_TRUE(workflow.ok()) << workflow.status();
      if (workflow.ok()) absl::StrAppend(&out, project, " workflow ", absl::CEscape(workflow->Encode()), "\n");
    }
    return out;
  }

  FakeClock clock_{kToday * kNanosPerDay + 12 * kHourNs};
};

// Two projects with different retention write on the same days; expiring one of them drops and
// clears partitions of its class only, with no mutation, and reads of the other stay as they were.
TEST_F(RetentionClassTest, TwoRetentionsOnTheSameDaysExpireAsWholePartitionsWithoutMutations) {
  std::unique_ptr<ClickHouseStore> store = Open(database_);
  ASSERT_NE(store, nullptr);
  store->NoteRetention("short", 7, 30);
  store->NoteRetention("long", 90, 365);
  for (const std::string& project : std::vector<std::string>{"short", "long"}) {
    for (int64_t day : {kToday - 40, kToday - 10}) {
      const std::string trace_id = absl::StrCat(project, day);
      ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = project, .observations = TraceOn(trace_id, day)}).ok());
      ASSERT_TRUE(store->RecordWorkflowRuns(project, {RunOn(trace_id, day)}).ok());
    }
  }
  EXPECT_EQ(Partitions("observations", database_),
            (std::vector<std::string>{"(7,30,'2026-04-17')", "(7,30,'2026-05-17')", "(90,365,'2026-04-17')",
                                      "(90,365,'2026-05-17')"}));
  const std::string long_before = Snapshot(*store, {"long"});
  std::vector<uint64_t> long_rows;
  for (const char* table : kMovedTables) {
    long_rows.push_back(Count(absl::StrCat("SELECT count() FROM ", table, " WHERE project = 'long'")));
  }

  absl::StatusOr<ExpireStats> stats = store->Expire(RequestAtToday("short", 7, 30));
  ASSERT_TRUE(stats.ok()) << stats.status();
  // Day -40 of observations, traces, rollups, rollup_cells, rollup_dirty_hours, workflow_cells and
  // workflow_runs dropped; day -10 of traces and observations cleared.
  EXPECT_EQ(stats->partitions_dropped, 9);
  EXPECT_EQ(stats->traces_removed, 1);
  EXPECT_EQ(stats->traces_cleared, 1);
  EXPECT_EQ(Mutations(database_), 0u);

  EXPECT_TRUE(absl::IsNotFound(store->GetTrace("short", absl::StrCat("short", kToday - 40)).status()));
  absl::StatusOr<TraceDetail> cleared = store->GetTrace("short", absl::StrCat("short", kToday - 10));
  ASSERT_TRUE(cleared.ok()) << cleared.status();
  EXPECT_TRUE(cleared->trace.input.is_null());
  for (const model::Observation& o : cleared->observations) EXPECT_TRUE(o.payload_expired) << o.id;
  absl::StatusOr<model::WorkflowRollup> workflow = store->QueryWorkflowRollup({.project = "short", .name = "agent"});
  ASSERT_TRUE(workflow.ok()) << workflow.status();
  EXPECT_EQ(workflow->totals().runs, 1);

  EXPECT_EQ(Snapshot(*store, {"long"}), long_before);
  for (size_t i = 0; i < std::size(kMovedTables); ++i) {
    EXPECT_EQ(Count(absl::StrCat("SELECT count() FROM ", kMovedTables[i], " WHERE project = 'long'")), long_rows[i])
        << kMovedTables[i];
  }
  EXPECT_EQ(Count("SELECT count() FROM observations WHERE project = 'long' AND payload = ''"), 0u);

  // Nothing left to do.
  absl::StatusOr<ExpireStats> again = store->Expire(RequestAtToday("short", 7, 30));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->partitions_dropped, 0);
  EXPECT_EQ(again->traces_removed, 0);
  EXPECT_EQ(Mutations(database_), 0u);
}

// Rows stay where they were written when their project's retention changes. A project that
// shortened its retention has its rows in the old class's partitions removed by a mutation; one
// that lengthened it keeps them when its former classmates expire, whose partitions without it
// still go whole.
TEST_F(RetentionClassTest, AChangedRetentionIsAppliedToTheRowsInTheOldClassesPartitions) {
  std::unique_ptr<ClickHouseStore> store = Open(database_);
  ASSERT_NE(store, nullptr);
  store->NoteRetention("grown", 7, 30);
  store->NoteRetention("mate", 7, 30);
  store->NoteRetention("shrunk", 90, 365);
  store->NoteRetention("steady", 90, 365);
  for (const std::string& project : std::vector<std::string>{"grown", "mate", "shrunk", "steady"}) {
    ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = project, .observations = TraceOn("old", kToday - 40)}).ok());
  }
  store->NoteRetention("grown", 90, 365);
  store->NoteRetention("shrunk", 7, 30);
  for (const std::string& project : std::vector<std::string>{"grown", "mate"}) {
    ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = project, .observations = TraceOn("new", kToday - 35)}).ok());
  }
  EXPECT_EQ(Partitions("traces", database_),
            (std::vector<std::string>{"(7,30,'2026-04-17')", "(7,30,'2026-04-22')", "(90,365,'2026-04-17')",
                                      "(90,365,'2026-04-22')"}));
  const std::string kept_before = Snapshot(*store, {"grown", "steady"});

  // Day -40 of class (7, 30) holds grown's rows, which have not expired: mate's go by mutation.
  // Day -35 of class (7, 30) holds mate's rows only: dropped whole (observations, traces, rollups,
  // rollup_cells and rollup_dirty_hours).
  absl::StatusOr<ExpireStats> mate = store->Expire(RequestAtToday("mate", 7, 30));
  ASSERT_TRUE(mate.ok()) << mate.status();
  EXPECT_EQ(mate->traces_removed, 2);
  EXPECT_EQ(mate->partitions_dropped, 5);
  EXPECT_GT(Mutations(database_), 0u);
  EXPECT_EQ(Count("SELECT count() FROM observations WHERE project = 'mate'"), 0u);

  // Day -40 of class (90, 365) holds steady's rows, and has not expired under that class.
  absl::StatusOr<ExpireStats> shrunk = store->Expire(RequestAtToday("shrunk", 7, 30));
  ASSERT_TRUE(shrunk.ok()) << shrunk.status();
  EXPECT_EQ(shrunk->traces_removed, 1);
  EXPECT_EQ(shrunk->partitions_dropped, 0);
  EXPECT_EQ(Count("SELECT count() FROM observations WHERE project = 'shrunk'"), 0u);

  absl::StatusOr<ExpireStats> grown = store->Expire(RequestAtToday("grown", 90, 365));
  ASSERT_TRUE(grown.ok()) << grown.status();
  EXPECT_EQ(grown->traces_removed, 0);
  EXPECT_EQ(grown->traces_cleared, 0);
  EXPECT_EQ(Snapshot(*store, {"grown", "steady"}), kept_before);
  EXPECT_EQ(Count("SELECT count() FROM observations WHERE project IN ('grown', 'steady') AND payload = ''"), 0u);
}

// A partition that goes whole may hold rows of another project whose day has expired too: that
// project's traces are removed in full with it (its sessions and scores included), since nothing
// could find them once their summaries are gone.
TEST_F(RetentionClassTest, ADroppedPartitionTakesTheExpiredTracesOfItsOtherProjectsWholly) {
  std::unique_ptr<ClickHouseStore> store = Open(database_);
  ASSERT_NE(store, nullptr);
  store->NoteRetention("a", 7, 30);
  store->NoteRetention("b", 7, 30);
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "a", .observations = TraceOn("t", kToday - 40, "sa")}).ok());
  const model::Score score{.id = "sc", .trace_id = "t", .name = "quality", .value = 1, .time_ns = clock_.NowNanos()};
  ASSERT_TRUE(
      WriteAndWait(*store, WriteBatch{.project = "b", .observations = TraceOn("t", kToday - 40, "sb"), .scores = {score}})
          .ok());
  ASSERT_TRUE(store->GetSession("b", "sb").ok());

  absl::StatusOr<ExpireStats> stats = store->Expire(RequestAtToday("a", 7, 30));
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->traces_removed, 2);
  EXPECT_EQ(stats->partitions_dropped, 6);  // with rollup_dirty_hours and session_traces
  EXPECT_TRUE(absl::IsNotFound(store->GetTrace("b", "t").status()));
  EXPECT_TRUE(absl::IsNotFound(store->GetSession("b", "sb").status()));
  absl::StatusOr<ScorePage> scores = store->ListScores(ScoreQuery{.project = "b"});
  ASSERT_TRUE(scores.ok()) << scores.status();
  EXPECT_TRUE(scores->scores.empty());
  for (const char* table :
       {"observations", "traces", "session_traces", "rollups", "rollup_cells", "sessions", "scores"}) {
    EXPECT_EQ(Count(absl::StrCat("SELECT count() FROM ", table)), 0u) << table;
  }

  absl::StatusOr<ExpireStats> b = store->Expire(RequestAtToday("b", 7, 30));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->traces_removed, 0);
  EXPECT_EQ(b->partitions_dropped, 0);
}

// --- The layout 5 migration ---

// The statements of a schema file as schema.cc splits them, for 18.16 (no column codecs).
class MigrationTest : public RetentionClassTest {
 protected:
  // Writes a bit of everything into a layout 5 store on `database`: three projects over four
  // days, sessions, scores, fragments, workflow runs, a trace rewritten with a new start.
  void WriteData(Store& store) {
    store.NoteRetention("p", 7, 30);
    store.NoteRetention("q", 90, 365);
    for (int64_t day : {kToday - 3, kToday - 2, kToday - 1}) {
      for (const std::string& project : std::vector<std::string>{"p", "q", "r"}) {
        const std::string trace_id = absl::StrCat("t", day);
        model::Score score{.id = absl::StrCat("s", day), .trace_id = trace_id, .name = "quality", .value = 0.5,
                           .time_ns = day * kNanosPerDay + 11 * kHourNs};
        ASSERT_TRUE(WriteAndWait(store, WriteBatch{.project = project,
                                                   .observations = TraceOn(trace_id, day, "session"),
                                                   .scores = {score}})
                        .ok());
        ASSERT_TRUE(store.RecordWorkflowRuns(project, {RunOn(trace_id, day)}).ok());
      }
    }
    // Moved a day back: old summary, rollup and workflow rows stay in the later day.
    ASSERT_TRUE(WriteAndWait(store, WriteBatch{.project = "p", .observations = TraceOn("t20599", kToday - 4)}).ok());
    ASSERT_TRUE(store.RecordWorkflowRuns("p", {RunOn("t20599", kToday - 4)}).ok());
    model::ObservationFragment fragment;
    fragment.observation.id = "run";
    fragment.observation.trace_id = "langsmith";
    fragment.observation.name = "chain";
    fragment.observation.start_time_ns = (kToday - 2) * kNanosPerDay;
    fragment.observation.input = "secret fragment";
    fragment.fields = model::kFieldName | model::kFieldStartTime | model::kFieldInput;
    fragment.event_time_ns = fragment.observation.start_time_ns;
    fragment.event_id = "e1";
    ASSERT_TRUE(WriteAndWait(store, WriteBatch{.project = "r", .fragments = {fragment}}).ok());
  }

  // Makes `database` a layout 4 database holding every row of `source` (a layout 5 one).
  void CopyAsLayout4(const std::string& source, const std::string& database) {
    CreateAtLayout(database, 4);
    std::vector<const char*> tables(std::begin(kMovedTables), std::end(kMovedTables));
    tables.insert(tables.end(), std::begin(kOtherTables), std::end(kOtherTables));
    for (const char* table : tables) {
      CopyRows(source, table, database);
      ASSERT_EQ(Count(absl::StrCat("SELECT count() FROM ", table), database),
                Count(absl::StrCat("SELECT count() FROM ", table), source))
          << table;
    }
  }

  // Copies the rows of <table>__layout4 matching `where` (and what follows it) into `table` as the
  // migration would, but in place: what a run that stopped part-way may have left.
  void CopyMigrated(const std::string& table, const std::string& where, const std::string& database) {
    const std::string columns = ColumnList(absl::StrCat(table, "__layout4"), database);
    Run(absl::StrCat("INSERT INTO ", table, " (", columns, ", retention_payload_days, retention_summary_days) SELECT ",
                     columns, ", 65535, 65535 FROM ", table, "__layout4 WHERE ", where),
        database);
  }

  // Every moved table of `database` has the class partition key and as many rows as in `source`,
  // workflow_cells the same sums; nothing of the move is left behind.
  void ExpectMoved(const std::string& source, const std::string& database) {
    for (const char* table : kMovedTables) {
      EXPECT_EQ(Run(absl::StrCat("SELECT partition_key FROM system.tables WHERE database = '", database,
                                 "' AND name = '", table, "'"),
                    database),
                "(retention_payload_days, retention_summary_days, day)\n")
          << table;
      EXPECT_EQ(Count(absl::StrCat("SELECT count() FROM ", table), database),
                Count(absl::StrCat("SELECT count() FROM ", table), source))
          << table;
      EXPECT_EQ(Count(absl::StrCat("SELECT count() FROM ", table,
                                   " WHERE NOT (retention_payload_days = 65535 AND retention_summary_days = 65535)"),
                      database),
                0u)
          << table << ": copied rows are of the migrated class";
    }
    const std::string sums = "SELECT toUInt64(sum(runs) * 1000000 + sum(calls)) FROM workflow_cells";
    EXPECT_EQ(Count(sums, database), Count(sums, source));
    EXPECT_EQ(Count(absl::StrCat("SELECT count() FROM system.tables WHERE database = '", database,
                                 "' AND (position(name, '__layout') > 0 OR position(name, '__copy_') > 0)"),
                    database),
              0u);
    EXPECT_EQ(Count("SELECT toUInt64(max(version)) FROM schema_version", database),
              static_cast<uint64_t>(clickhouse::LatestSchemaVersion()));
    for (const std::string& partition : Partitions("observations", database)) {
      EXPECT_TRUE(absl::StartsWith(partition, "(65535,65535,'")) << partition;
    }
  }
};

TEST_F(MigrationTest, MovesEveryRowOfALayout4DatabaseAndReadsStayTheSame) {
  std::unique_ptr<ClickHouseStore> source = Open(database_);
  ASSERT_NE(source, nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteData(*source));
  const std::string layout4 = NewDatabase();
  ASSERT_NO_FATAL_FAILURE(CopyAsLayout4(database_, layout4));

  clock_.Advance(kHourNs);  // versions of the new writer above those written so far
  std::unique_ptr<ClickHouseStore> migrated = Open(layout4);
  ASSERT_NE(migrated, nullptr);
  ExpectMoved(database_, layout4);
  const std::string expected = Snapshot(*source, {"p", "q", "r"});
  EXPECT_GT(std::count(expected.begin(), expected.end(), '\n'), 40);
  EXPECT_EQ(Snapshot(*migrated, {"p", "q", "r"}), expected);
  absl::StatusOr<std::string> fragment = migrated->FindTraceIdOfObservation("r", "run");
  ASSERT_TRUE(fragment.ok()) << fragment.status();
  EXPECT_EQ(*fragment, "langsmith");

  // Reopening finds it done; what is written next goes to the writer's class, and expiry treats
  // the migrated rows by the projects in them.
  migrated.reset();
  clock_.Advance(kHourNs);
  migrated = Open(layout4);
  ASSERT_NE(migrated, nullptr);
  migrated->NoteRetention("p", 1, 2);
  migrated->NoteRetention("q", 1, 2);
  migrated->NoteRetention("r", 1, 2);
  ASSERT_TRUE(WriteAndWait(*migrated, WriteBatch{.project = "p", .observations = TraceOn("fresh", kToday)}).ok());
  EXPECT_EQ(Count("SELECT count() FROM observations WHERE retention_payload_days = 1 AND retention_summary_days = 2",
                  layout4),
            2u);
  absl::StatusOr<ExpireStats> stats = migrated->Expire(RequestAtToday("p", 1, 2));
  ASSERT_TRUE(stats.ok()) << stats.status();
  // Days -4 and -3 of every moved table hold p, q and r, each expired: whole.
  EXPECT_GT(stats->partitions_dropped, 0);
  EXPECT_TRUE(absl::IsNotFound(migrated->GetTrace("q", absl::StrCat("t", kToday - 3)).status()));
  EXPECT_TRUE(migrated->GetTrace("p", "fresh").ok());
}

// A migration stopped at any step (here: each table at a different one) is finished by the next
// start without losing or doubling a row, even in workflow_cells, whose rows add up.
TEST_F(MigrationTest, ResumesAfterACrashAtAnyStepWithoutLosingOrDoublingRows) {
  std::unique_ptr<ClickHouseStore> source = Open(database_);
  ASSERT_NE(source, nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteData(*source));
  const std::string db = NewDatabase();
  ASSERT_NO_FATAL_FAILURE(CopyAsLayout4(database_, db));
  ApplyMigrations(5, 5, db);
  // observations: swapped, the newest day partly copied, a scratch table left behind.
  Run("RENAME TABLE observations TO observations__layout4, observations__layout5 TO observations", db);
  CopyMigrated("observations", "day = (SELECT max(day) FROM observations__layout4) LIMIT 1", db);
  Run("CREATE TABLE observations__copy_0123456789abcdef AS observations", db);
  // workflow_cells: swapped, one day copied twice over (what a plain re-run of an INSERT would do).
  Run("RENAME TABLE workflow_cells TO workflow_cells__layout4, workflow_cells__layout5 TO workflow_cells", db);
  for (int i = 0; i < 2; ++i) {
    Run("INSERT INTO workflow_cells (project, name, hour, environment, release, item, edge_kind, path, to_path, day, "
        "retention_payload_days, retention_summary_days, runs, calls) SELECT project, name, hour, environment, release, "
        "item, edge_kind, path, to_path, day, 65535, 65535, runs, calls FROM workflow_cells__layout4 WHERE day = "
        "(SELECT min(day) FROM workflow_cells__layout4)",
        db);
  }
  // traces: stopped between the two renames.
  Run("RENAME TABLE traces TO traces__layout4", db);
  // rollups: moved completely, old table dropped; the 005 statements ran again afterwards.
  Run("RENAME TABLE rollups TO rollups__layout4, rollups__layout5 TO rollups", db);
  CopyMigrated("rollups", "1", db);
  Run("DROP TABLE rollups__layout4", db);
  Run(clickhouse::MigrationStatements(5, 5, clickhouse::ServerInfo{})[2], db);  // rollups__layout5 again, empty
  // The other tables: not started.

  clock_.Advance(kHourNs);
  std::unique_ptr<ClickHouseStore> migrated = Open(db);
  ASSERT_NE(migrated, nullptr);
  ExpectMoved(database_, db);
  EXPECT_EQ(Snapshot(*migrated, {"p", "q", "r"}), Snapshot(*source, {"p", "q", "r"}));
}

// A node still writing while the tables are being copied computes summaries from the spans copied
// so far; the migrating node rewrites the summaries of every trace written meanwhile.
TEST_F(MigrationTest, TracesWrittenDuringTheCopyGetTheirSummariesRewritten) {
  std::unique_ptr<ClickHouseStore> source = Open(database_);
  ASSERT_NE(source, nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteData(*source));
  const std::string db = NewDatabase();
  ASSERT_NO_FATAL_FAILURE(CopyAsLayout4(database_, db));
  ApplyMigrations(5, 5, db);
  for (const char* table : kMovedTables) {
    Run(absl::StrCat("RENAME TABLE ", table, " TO ", table, "__layout4, ", table, "__layout5 TO ", table), db);
  }
  // The writer below also marks the hours it writes dirty (layout 7 tables, which another node
  // of this build has created).
  ApplyMigrations(7, 7, db);
  // Another node adds a span to an existing trace now, when none of its spans is copied yet. (Its
  // versions, like those of every writer started later, are above those written so far.)
  clock_.Advance(kHourNs);
  model::Observation late = TraceOn("t20598", kToday - 2)[1];
  late.id = "late";
  late.usage.input_tokens = 1000;
  for (const std::string& database : {database_, db}) {
    ASSERT_TRUE(WriteAsAnotherNode(database, WriteBatch{.project = "q", .observations = {late}}).ok());
  }
  clock_.Advance(kHourNs);
  std::unique_ptr<ClickHouseStore> migrated = Open(db);
  ASSERT_NE(migrated, nullptr);
  absl::StatusOr<TraceDetail> trace = migrated->GetTrace("q", "t20598");
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->trace.counts.observations, 3);
  absl::StatusOr<TraceDetail> expected = source->GetTrace("q", "t20598");
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_EQ(model::DumpJson(model::ToJson(trace->trace)), model::DumpJson(model::ToJson(expected->trace)));
  EXPECT_EQ(Snapshot(*migrated, {"p", "q", "r"}), Snapshot(*source, {"p", "q", "r"}));
}

}  // namespace
}  // namespace trackly::store
