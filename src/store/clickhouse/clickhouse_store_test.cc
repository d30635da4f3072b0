#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/clickhouse_catalog.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "model/summary.h"
#include "store/clickhouse/conformance_backend.h"
#include "store/clickhouse/http_client.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/rollups.h"
#include "store/clickhouse/rows.h"
#include "store/clickhouse/schema.h"
#include "store/clickhouse/test_server.h"
#include "store/clickhouse/workflow.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store {
namespace {

using clickhouse::HttpClient;
using clickhouse::TestServer;
using clickhouse::TestServerEnvironment;
using conformance::Backend;
using conformance::BackendName;
using conformance::CatalogConformanceTest;
using conformance::StoreConformanceTest;

// One clickhouse-server for the whole binary.
[[maybe_unused]] const ::testing::Environment* const kServer =
    ::testing::AddGlobalTestEnvironment(new TestServerEnvironment);

std::string SkipReason() {
  if (::access(clickhouse::kClickHouseServerBinary, X_OK) == 0) return "";
  return absl::StrCat(clickhouse::kClickHouseServerBinary, " is not installed; ClickHouse tests skipped");
}

// Drops `database` on `server`, so the server's data directory (tens of thousands of small part
// files per run otherwise) stays small and its removal at the end quick.
void DropDatabase(const TestServer& server, const std::string& database) {
  HttpClient client(server.client_options());
  absl::Status dropped = client.Query(absl::StrCat("DROP DATABASE IF EXISTS ", database)).status();
  EXPECT_TRUE(dropped.ok()) << dropped;
}

ClickHouseStoreOptions OptionsFor(const TestServer& server, std::string database) {
  return ClickHouseStoreOptions{.server = server.client_options(), .database = std::move(database)};
}

Backend ClickHouseBackend() {
  return clickhouse::ConformanceBackend({
      .name = "clickhouse",
      .skip_reason = SkipReason(),
      .options = [](const std::string& database, int) -> absl::StatusOr<ClickHouseStoreOptions> {
        absl::StatusOr<const TestServer*> server = TestServerEnvironment::Server();
        if (!server.ok()) return server.status();
        return OptionsFor(**server, database);
      },
      .drop = [](const std::string& database) {
        absl::StatusOr<const TestServer*> server = TestServerEnvironment::Server();
        if (server.ok()) DropDatabase(**server, database);
      },
  });
}

INSTANTIATE_TEST_SUITE_P(ClickHouse, StoreConformanceTest, ::testing::Values(ClickHouseBackend()), BackendName);
INSTANTIATE_TEST_SUITE_P(ClickHouse, CatalogConformanceTest, ::testing::Values(ClickHouseBackend()), BackendName);

// Not thread-safe (a gtest fixture): the running test server and a fresh database name.
class ClickHouseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string reason = SkipReason(); !reason.empty()) GTEST_SKIP() << reason;
    absl::StatusOr<const TestServer*> server = TestServerEnvironment::Server();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *server;
    database_ = clickhouse::NewDatabaseName();
  }
  void TearDown() override {
    if (server_ != nullptr) DropDatabase(*server_, database_);
  }

  // The first UInt64 of `sql`'s RowBinary result, run in the test's database.
  uint64_t Count(const std::string& sql) { return clickhouse::CountIn(server_->client_options(), database_, sql); }

  // OPTIMIZE TABLE … FINAL on each of `tables` until `merged()` holds (at most 100 times).
  // OPTIMIZE may answer OK without merging, e.g. while a background merge holds the parts (seen
  // once in CI), so one call does not make a test's "after the merge" true.
  void OptimizeUntil(std::initializer_list<const char*> tables, const std::function<bool()>& merged) {
    HttpClient client(server_->client_options());
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      for (const char* table : tables) {
        ASSERT_TRUE(client.Query(absl::StrCat("OPTIMIZE TABLE ", table, " FINAL"), {{"database", database_}}).ok());
      }
      if (merged()) return;
    }
  }

  const TestServer* server_ = nullptr;
  std::string database_;
};

constexpr int64_t kDayNs = int64_t{86'400} * 1'000'000'000;

model::Observation Span(std::string id, std::string parent_id, int64_t start_ns) {
  model::Observation o;
  o.trace_id = "t";
  o.id = std::move(id);
  o.parent_id = std::move(parent_id);
  o.name = "step";
  o.start_time_ns = start_ns;
  o.end_time_ns = start_ns + 1'000'000;
  return o;
}

TEST_F(ClickHouseStoreTest, SchemaIsAppliedOnceAndReopeningIsIdempotent) {
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(*server_, database_));
    ASSERT_TRUE(store.ok()) << store.status();
  }
  EXPECT_EQ(Count("SELECT count() FROM schema_version"), static_cast<uint64_t>(clickhouse::LatestSchemaVersion()));
  EXPECT_EQ(Count("SELECT toUInt64(max(version)) FROM schema_version"),
            static_cast<uint64_t>(clickhouse::LatestSchemaVersion()));
}

TEST_F(ClickHouseStoreTest, RefusesADatabaseMigratedByANewerBuild) {
  ASSERT_TRUE(ClickHouseStore::Open(OptionsFor(*server_, database_)).ok());
  HttpClient client(server_->client_options());
  ASSERT_TRUE(client
                  .Query(absl::StrCat("INSERT INTO schema_version VALUES (", clickhouse::LatestSchemaVersion() + 1, ", 0)"),
                         {{"database", database_}})
                  .ok());
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(*server_, database_));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_TRUE(absl::StrContains(store.status().message(), database_)) << store.status();
}

TEST_F(ClickHouseStoreTest, ServerErrorCarriesTheHttpCodeAndClickHouseText) {
  HttpClient client(server_->client_options());
  absl::StatusOr<std::string> result = client.Query("SELECT no_such_column_xyz");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StartsWith(result.status().message(), "ClickHouse HTTP 4")) << result.status();
  EXPECT_TRUE(absl::StrContains(result.status().message(), "no_such_column_xyz")) << result.status();
}

TEST_F(ClickHouseStoreTest, UnreachableServerIsUnavailable) {
  // The test server's port with nothing behind it: stop nothing, just use a port no one binds.
  clickhouse::HttpClientOptions options = server_->client_options();
  options.port = 1;  // privileged and unused: connecting is refused
  options.timeout_ms = 2000;
  HttpClient client(options);
  EXPECT_EQ(client.Ping().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ClickHouseStore::Open(ClickHouseStoreOptions{.server = options, .database = database_}).status().code(),
            absl::StatusCode::kUnavailable);
}

// Upserts leave several rows per key until ClickHouse merges them; reads must not depend on it.
TEST_F(ClickHouseStoreTest, ReadsAreCorrectBeforeAndAfterMerges) {
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(*server_, database_));
  ASSERT_TRUE(store.ok()) << store.status();
  model::Observation root = Span("root", "", 1'000'000'000);
  model::Observation child = Span("child", "root", 1'001'000'000);
  child.usage.input_tokens = 5;
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = {root, child}}).ok());
  child.usage.input_tokens = 7;
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = {child}}).ok());
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = {child}}).ok());  // a retry

  EXPECT_EQ(Count("SELECT count() FROM observations"), 4u) << "expected unmerged rows";
  for (bool merged : {false, true}) {
    if (merged) {
      OptimizeUntil({"observations", "traces"}, [&] { return Count("SELECT count() FROM observations") == 2u; });
      EXPECT_EQ(Count("SELECT count() FROM observations"), 2u);
    }
    absl::StatusOr<TraceDetail> detail = (*store)->GetTrace("p", "t");
    ASSERT_TRUE(detail.ok()) << detail.status();
    ASSERT_EQ(detail->observations.size(), 2u) << "merged " << merged;
    EXPECT_EQ(detail->trace.usage.input_tokens, 7) << "merged " << merged;
    EXPECT_EQ(detail->trace.counts.observations, 2) << "merged " << merged;
    absl::StatusOr<TracePage> page = (*store)->ListTraces(TraceQuery{.project = "p"});
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->traces.size(), 1u) << "merged " << merged;
  }
}

// Two nodes (stores) writing spans of the same traces and sessions at once: the summaries with
// the highest versions must equal a recomputation from everything stored (the clock assumption
// of clickhouse_store.h holds trivially: both use this machine's clock).
TEST_F(ClickHouseStoreTest, TwoStoresWritingTheSameTracesKeepExactSummaries) {
  std::vector<std::unique_ptr<ClickHouseStore>> nodes;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(*server_, database_));
    ASSERT_TRUE(store.ok()) << store.status();
    nodes.push_back(*std::move(store));
  }
  constexpr int kTraces = 4;
  constexpr int kSpansPerNode = 30;
  std::vector<std::thread> writers;
  for (int n = 0; n < 2; ++n) {
    writers.emplace_back([&, n] {
      for (int i = 0; i < kSpansPerNode; ++i) {
        model::Observation o = Span(absl::StrCat("n", n, "-", i), i == 0 && n == 0 ? "" : "n0-0", 1'000'000'000 + i * 1000);
        o.trace_id = absl::StrCat("t", i % kTraces);
        if (i < kTraces && n == 0) o.parent_id = "";  // one root per trace, from node 0
        if (i < kTraces) o.id = absl::StrCat("root-", n, "-", i);
        o.type = model::ObservationType::kGeneration;
        o.usage = model::Usage{.input_tokens = i + 1, .output_tokens = n + 1, .total_tokens = i + n + 2};
        o.trace_hints.session_id = absl::StrCat("s", i % 2);
        EXPECT_TRUE(WriteAndWait(*nodes[n], WriteBatch{.project = "p", .observations = {o}}).ok());
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  std::map<std::string, std::vector<model::Trace>> sessions;
  for (int t = 0; t < kTraces; ++t) {
    absl::StatusOr<TraceDetail> detail = nodes[1]->GetTrace("p", absl::StrCat("t", t));
    ASSERT_TRUE(detail.ok()) << detail.status();
    size_t expected = 0;
    for (int i = 0; i < kSpansPerNode; ++i) expected += i % kTraces == t ? 2 : 0;  // one span per node
    EXPECT_EQ(detail->observations.size(), expected);
    EXPECT_EQ(detail->trace, model::SummarizeTrace(detail->observations)) << "trace t" << t;
    if (!detail->trace.session_id.empty()) sessions[detail->trace.session_id].push_back(detail->trace);
  }
  for (auto& [id, traces] : sessions) {
    std::sort(traces.begin(), traces.end(), [](const model::Trace& a, const model::Trace& b) {
      return std::tie(a.start_time_ns, a.id) < std::tie(b.start_time_ns, b.id);
    });
    absl::StatusOr<SessionDetail> session = nodes[0]->GetSession("p", id);
    ASSERT_TRUE(session.ok()) << session.status();
    EXPECT_EQ(session->session, model::SummarizeSession(id, traces)) << "session " << id;
  }
}

// Newer servers refuse an insert touching more than max_partitions_per_insert_block (100)
// partitions unless the store lifts the limit; 18.16 has no such limit.
TEST_F(ClickHouseStoreTest, OneBatchMaySpanMoreThanAHundredDays) {
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(*server_, database_));
  ASSERT_TRUE(store.ok()) << store.status();
  WriteBatch batch{.project = "p"};
  for (int day = 0; day < 150; ++day) {
    batch.observations.push_back(Span(absl::StrCat("d", day), day == 0 ? "" : "d0", 1'700'000'000'000'000'000 + day * kDayNs));
  }
  ASSERT_TRUE(WriteAndWait(**store, std::move(batch)).ok());
  absl::StatusOr<TraceDetail> detail = (*store)->GetTrace("p", "t");
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->observations.size(), 150u);
  EXPECT_EQ(detail->trace.counts.observations, 150);
}

// Every value a query carries is a quoted literal (sql.h); quotes, backslashes and other bytes
// in ids must neither break a query nor change what it matches.
TEST_F(ClickHouseStoreTest, IdsWithQuotesAndBackslashesAreMatchedLiterally) {
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(*server_, database_));
  ASSERT_TRUE(store.ok()) << store.status();
  const std::string project = "p'; DROP TABLE traces; --";
  const std::string trace_id = std::string("t\\'\"\n\t\x01\0end", 11);  // with a NUL byte
  model::Observation root = Span("root\\'", "", 1'000'000'000);
  root.trace_id = trace_id;
  root.trace_hints.session_id = "s'\\";
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = project, .observations = {root}}).ok());
  absl::StatusOr<TraceDetail> detail = (*store)->GetTrace(project, trace_id);
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->trace.id, trace_id);
  EXPECT_EQ(detail->observations.at(0).id, "root\\'");
  EXPECT_EQ((*store)->GetTrace(project, "t").status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<TracePage> page = (*store)->ListTraces(TraceQuery{.project = project, .session_id = "s'\\"});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->traces.size(), 1u);
  EXPECT_EQ(page->traces[0].id, trace_id);
  EXPECT_TRUE((*store)->GetSession(project, "s'\\").ok());
}

// Cost and count of observations by model by day, all time.
absl::StatusOr<MetricsResult> CostByModelByDay(Store& store) {
  return store.QueryMetrics(MetricsQuery{.project = "p",
                                         .measures = {Measure::kCount, Measure::kCost},
                                         .group_by = {model::MetricsDimension::kModel},
                                         .time_grain = TimeGrain::kDay});
}

std::string Describe(const MetricsResult& result) {
  std::string out;
  for (const MetricsRow& row : result.rows) {
    absl::StrAppend(&out, "[", row.time_ns / kDayNs, " ", absl::StrJoin(row.group, ","), ":");
    for (const std::optional<double>& v : row.values) absl::StrAppend(&out, " ", v ? absl::StrCat(*v) : "null");
    absl::StrAppend(&out, "]");
  }
  return out;
}

// A trace whose observation moves to another day and model, with every batch sent twice (a
// client retry): the rollups must hold exactly the latest contribution, before and after
// ClickHouse merges the parts, and the trace's cell list must shrink back to its live cells.
TEST_F(ClickHouseStoreTest, RollupsKeepNoStaleOrDoubledContributionWhenATraceMovesOrABatchIsRetried) {
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(*server_, database_));
  ASSERT_TRUE(store.ok()) << store.status();
  const int64_t day0 = int64_t{20'500} * kDayNs;  // a UTC midnight
  model::Observation root = Span("root", "", day0 + 3'600'000'000'000);
  root.type = model::ObservationType::kAgent;
  model::Observation call = Span("call", "root", day0 + 3'601'000'000'000);
  call.type = model::ObservationType::kGeneration;
  call.model = "model-a";
  call.cost.total = 0.25;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = {root, call}}).ok());
  }
  absl::StatusOr<MetricsResult> first = CostByModelByDay(**store);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(Describe(*first), "[20500 : 1 0][20500 model-a: 1 0.25]");

  call.model = "model-b";
  call.cost.total = 0.5;
  call.start_time_ns += kDayNs;
  call.end_time_ns += kDayNs;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = {call}}).ok());
  }
  const std::string expected = "[20500 : 1 0][20501 model-b: 1 0.5]";
  const MetricsQuery runs{.project = "p", .level = MetricsLevel::kTrace, .measures = {Measure::kCount, Measure::kCost},
                          .time_grain = TimeGrain::kDay};
  EXPECT_GT(Count("SELECT count() FROM rollups"),
            Count("SELECT count() FROM (SELECT 1 FROM rollups GROUP BY kind, minute_s, dims, trace_id)"))
      << "expected unmerged rows";
  for (bool merged : {false, true}) {
    if (merged) {
      OptimizeUntil({"rollups", "rollup_cells"}, [&] {
        return Count("SELECT count() FROM rollups") ==
               Count("SELECT count() FROM (SELECT 1 FROM rollups GROUP BY kind, minute_s, dims, trace_id)");
      });
    }
    absl::StatusOr<MetricsResult> moved = CostByModelByDay(**store);
    ASSERT_TRUE(moved.ok()) << moved.status();
    EXPECT_EQ(Describe(*moved), expected) << "merged " << merged;
    absl::StatusOr<MetricsResult> by_run = (*store)->QueryMetrics(runs);
    ASSERT_TRUE(by_run.ok()) << by_run.status();
    EXPECT_EQ(Describe(*by_run), "[20500 : 1 0.5]") << "merged " << merged;
  }

  HttpClient client(server_->client_options());
  absl::StatusOr<clickhouse::ServerInfo> info = clickhouse::DescribeServer(client);
  ASSERT_TRUE(info.ok()) << info.status();
  clickhouse::Database db(client, database_, *info);
  absl::StatusOr<clickhouse::RollupCellsByTrace> cells = clickhouse::ReadRollupCells(db, "p", {"t"});
  ASSERT_TRUE(cells.ok()) << cells.status();
  absl::StatusOr<TraceDetail> detail = (*store)->GetTrace("p", "t");
  ASSERT_TRUE(detail.ok()) << detail.status();
  clickhouse::RollupCells live;
  for (const auto& [cell, values] :
       clickhouse::ContributionOf(model::SummarizeTrace(detail->observations), detail->observations)) {
    live.insert(cell);
  }
  EXPECT_EQ((*cells)["t"], live);
}

// A figure for docs/scale-out.md: typical dashboard queries over 30 days of 200k spans (10k
// traces of 20). Printed, never asserted; disabled because filling takes a minute. Run with
//   store_clickhouse_test --gtest_also_run_disabled_tests --gtest_filter='*DashboardQueryTime'
TEST_F(ClickHouseStoreTest, DISABLED_PrintsDashboardQueryTime) {
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> opened = ClickHouseStore::Open(OptionsFor(*server_, database_));
  ASSERT_TRUE(opened.ok()) << opened.status();
  ClickHouseStore& store = **opened;
  constexpr int kTraces = 10'000;
  constexpr int kSpansPerTrace = 20;
  constexpr int kTracesPerBatch = 100;
  const int64_t base = int64_t{20'500} * kDayNs;
  const char* const models[] = {"gpt-4o", "gpt-4o-mini", "claude-sonnet", "gemini-pro"};
  auto fill_start = std::chrono::steady_clock::now();
  for (int first = 0; first < kTraces; first += kTracesPerBatch) {
    WriteBatch batch{.project = "p"};
    for (int t = first; t < first + kTracesPerBatch; ++t) {
      const int64_t start = base + int64_t{t} * (30 * kDayNs / kTraces);
      for (int s = 0; s < kSpansPerTrace; ++s) {
        model::Observation o = Span(absl::StrCat("s", s), s == 0 ? "" : "s0", start + s * 50'000'000);
        o.trace_id = absl::StrCat("trace-", t);
        o.end_time_ns = o.start_time_ns + 1'000'000 + (t * 7919 + s * 104'729) % 3'000'000'000;
        if (s == 0) {
          o.type = model::ObservationType::kAgent;
          o.trace_hints.user_id = absl::StrCat("user-", t % 1000);
        } else if (s % 2 == 1) {
          o.type = model::ObservationType::kGeneration;
          o.model = models[(t + s) % 4];
          o.usage = model::Usage{.input_tokens = 500 + s, .output_tokens = 100, .total_tokens = 600 + s};
          o.cost.total = 0.001 + s * 1e-5;
        } else {
          o.type = model::ObservationType::kTool;
          o.tool = model::ToolRef{.name = absl::StrCat("tool-", s % 5), .call_id = o.id};
        }
        batch.observations.push_back(std::move(o));
      }
    }
    ASSERT_TRUE(WriteAndWait(store, std::move(batch)).ok());
  }
  const double fill_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_start).count();
  std::printf("[ figure ] filled %d spans in %.1f s (%.0f spans/s), %llu rollup rows\n", kTraces * kSpansPerTrace,
              fill_s, kTraces * kSpansPerTrace / fill_s,
              static_cast<unsigned long long>(Count("SELECT count() FROM rollups")));
  struct Case {
    const char* label;
    MetricsQuery query;
  };
  const int64_t end = base + 30 * kDayNs - 7 * 60'000'000'000;
  const std::vector<Case> cases = {
      {"cost by model by day, 30 days",
       {.project = "p", .from_ns = end - 30 * kDayNs, .to_ns = end, .measures = {Measure::kCost},
        .group_by = {model::MetricsDimension::kModel}, .time_grain = TimeGrain::kDay}},
      {"p95 latency by type by hour, 7 days",
       {.project = "p", .from_ns = end - 7 * kDayNs, .to_ns = end, .measures = {Measure::kP95Latency},
        .group_by = {model::MetricsDimension::kType}, .time_grain = TimeGrain::kHour}},
      {"runs and cost per run by day, 30 days",
       {.project = "p", .from_ns = end - 30 * kDayNs, .to_ns = end, .level = MetricsLevel::kTrace,
        .measures = {Measure::kCount, Measure::kCostPerRun}, .time_grain = TimeGrain::kDay}},
  };
  for (const Case& c : cases) {
    std::vector<double> ms;
    size_t rows = 0;
    for (int i = 0; i < 7; ++i) {
      auto start = std::chrono::steady_clock::now();
      absl::StatusOr<MetricsResult> result = store.QueryMetrics(c.query);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      ASSERT_TRUE(result.ok()) << result.status();
      rows = result->rows.size();
    }
    std::sort(ms.begin(), ms.end());
    std::printf("[ figure ] %s: median %.1f ms (min %.1f, max %.1f) over 7 runs, %zu result rows\n", c.label, ms[3],
                ms[0], ms[6], rows);
  }
}

TEST(ClickHouseRowsTest, DayLiteralIsTheUtcDayClampedToDateRange) {
  EXPECT_EQ(clickhouse::DayLiteral(1'795'314'529'000'000'000), "toDate('2026-11-22')");
  EXPECT_EQ(clickhouse::DayLiteral(-5), "toDate('1970-01-01')");
  EXPECT_EQ(clickhouse::DayLiteral(std::numeric_limits<int64_t>::max()), "toDate('2149-06-06')");
}

// A rough write-throughput figure for the report; printed, never asserted (bench/ will have the
// real benchmark). Traces of 10 spans in batches of 500, from two producer threads.
TEST_F(ClickHouseStoreTest, PrintsWriteThroughput) {
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> opened = ClickHouseStore::Open(OptionsFor(*server_, database_));
  ASSERT_TRUE(opened.ok()) << opened.status();
  ClickHouseStore& store = **opened;
  constexpr int kBatches = 40;
  constexpr int kBatchSpans = 500;
  auto make_batch = [&](int b) {
    WriteBatch batch{.project = "bench"};
    for (int i = 0; i < kBatchSpans; ++i) {
      int span = b * kBatchSpans + i;
      model::Observation o = Span(absl::StrCat("span-", span), span % 10 == 0 ? "" : absl::StrCat("span-", span - span % 10),
                                  1'795'314'529'000'000'000 + int64_t{span} * 1'000'000);
      o.trace_id = absl::StrCat("trace-", span / 10);
      o.type = span % 10 == 0 ? model::ObservationType::kAgent : model::ObservationType::kGeneration;
      o.model = "gpt-4o-mini";
      o.usage = model::Usage{.input_tokens = 120, .output_tokens = 40, .total_tokens = 160};
      o.input = model::Json::array({model::Json{{"role", "user"}, {"content", "Summarize the quarterly report."}}});
      o.output = model::Json::array({model::Json{{"role", "assistant"}, {"content", "Revenue grew 4 percent."}}});
      o.trace_hints.session_id = absl::StrCat("session-", span / 100);
      batch.observations.push_back(std::move(o));
    }
    return batch;
  };
  std::atomic<int> failures{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> producers;
  for (int t = 0; t < 2; ++t) {
    producers.emplace_back([&, t] {
      for (int b = t; b < kBatches; b += 2) {
        if (!WriteAndWait(store, make_batch(b)).ok()) ++failures;
      }
    });
  }
  for (std::thread& producer : producers) producer.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(failures.load(), 0);
  std::printf("[ sanity ] %d spans in %.2f s = %.0f spans/s (synchronous inserts, one worker)\n",
              kBatches * kBatchSpans, seconds, kBatches * kBatchSpans / seconds);
}

// A trace of project `project` on `day` whose root and child carry payloads (the child's trace
// hints carry trace-level text, which lives in trace_payload, never in summary).
std::vector<model::Observation> PayloadTrace(const std::string& trace_id, int64_t day) {
  model::Observation root = Span("root", "", day * kDayNs + kDayNs / 2);
  root.trace_id = trace_id;
  root.input = "secret input";
  root.output = "secret output";
  root.trace_hints.session_id = "s";
  model::Observation child = Span("child", "root", root.start_time_ns + 1'000'000);
  child.trace_id = trace_id;
  child.input = "secret prompt";
  child.trace_hints.trace_input = "secret trace input";
  child.trace_hints.trace_metadata = {{"k", "secret metadata"}};
  return {root, child};
}

// Retention acts on a partition holding one project's rows with CLEAR COLUMN / DROP PARTITION
// (no mutation), on a partition shared with another project with a mutation limited to the
// project, and leaves nothing of an expired payload in any column of the tables.
TEST_F(ClickHouseStoreTest, ExpiryClearsOwnPartitionsWholeAndMutatesSharedOnes) {
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(*server_, database_));
  ASSERT_TRUE(store.ok()) << store.status();
  constexpr int64_t kDay = 20'500;
  // Day kDay: p alone. Day kDay + 1: p and q. Day kDay + 2: p (kept).
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = PayloadTrace("a", kDay)}).ok());
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = PayloadTrace("b", kDay + 1)}).ok());
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "q", .observations = PayloadTrace("b", kDay + 1)}).ok());
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = PayloadTrace("c", kDay + 2)}).ok());
  EXPECT_EQ(Count("SELECT count() FROM observations WHERE position(summary, 'secret') > 0"), 0u)
      << "the summary column holds no payload";

  absl::StatusOr<ExpireStats> stats = (*store)->Expire(ExpireRequest{.project = "p", .payload_before_day = kDay + 2});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->partitions_dropped, 2);  // day kDay of observations and of traces
  EXPECT_EQ(stats->traces_cleared, 2);
  EXPECT_EQ(stats->traces_removed, 0);
  // One UPDATE on each table for the shared day, none for p's own day.
  EXPECT_EQ(Count(absl::StrCat("SELECT count() FROM system.mutations WHERE database = '", database_, "'")), 2u);
  const std::string secret_in_p = "position(payload, 'secret') + position(trace_payload, 'secret') > 0";
  EXPECT_EQ(Count(absl::StrCat("SELECT count() FROM observations WHERE project = 'p' AND trace_id != 'c' AND ",
                               secret_in_p)),
            0u);
  EXPECT_EQ(Count(absl::StrCat("SELECT count() FROM observations WHERE project = 'q' AND ", secret_in_p)), 2u);
  EXPECT_EQ(Count("SELECT count() FROM observations WHERE project = 'p' AND trace_id = 'c' AND payload != ''"), 2u);
  EXPECT_EQ(Count("SELECT count() FROM traces WHERE project = 'p' AND trace_id != 'c' AND input != ''"), 0u);
  EXPECT_EQ(Count("SELECT count() FROM traces WHERE project = 'q' AND input != ''"), 1u);

  absl::StatusOr<TraceDetail> shared = (*store)->GetTrace("q", "b");
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ(shared->trace.input, model::Json("secret trace input"));
  EXPECT_EQ(shared->trace.metadata, (model::Json{{"k", "secret metadata"}}));

  // Nothing left to do: no query but the checks, no mutation.
  absl::StatusOr<ExpireStats> again = (*store)->Expire(ExpireRequest{.project = "p", .payload_before_day = kDay + 2});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->partitions_dropped, 0);
  EXPECT_EQ(again->traces_cleared, 0);
  EXPECT_EQ(Count(absl::StrCat("SELECT count() FROM system.mutations WHERE database = '", database_, "'")), 2u);
}

// Summary expiry drops the partitions holding only the project's rows and removes the rest of the
// traces (other days, shared partitions, sessions, rollups) as an erasure would.
TEST_F(ClickHouseStoreTest, SummaryExpiryDropsOwnPartitionsAndRemovesTheRestOfTheTraces) {
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(*server_, database_));
  ASSERT_TRUE(store.ok()) << store.status();
  constexpr int64_t kDay = 20'500;
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = PayloadTrace("a", kDay)}).ok());
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = PayloadTrace("b", kDay + 1)}).ok());
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "q", .observations = PayloadTrace("b", kDay + 1)}).ok());
  absl::StatusOr<ExpireStats> stats = (*store)->Expire(ExpireRequest{.project = "p", .summary_before_day = kDay + 2});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->traces_removed, 2);
  EXPECT_GE(stats->partitions_dropped, 3);  // day kDay of observations, traces and rollups
  for (const char* table : {"observations", "traces", "session_traces", "rollups", "rollup_cells", "sessions"}) {
    EXPECT_EQ(Count(absl::StrCat("SELECT count() FROM ", table, " WHERE project = 'p'")), 0u) << table;
    EXPECT_GT(Count(absl::StrCat("SELECT count() FROM ", table, " WHERE project = 'q'")), 0u) << table;
  }
  EXPECT_TRUE(absl::IsNotFound((*store)->GetSession("p", "s").status()));
  EXPECT_TRUE((*store)->GetTrace("q", "b").ok());
}

// Rows written before layout 3 carry the trace-level text inside `summary`; once their payload
// has expired, reads must not return it.
TEST_F(ClickHouseStoreTest, ExpiredRowsOfAnOlderLayoutReadWithoutTheirTraceLevelText) {
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(*server_, database_));
  ASSERT_TRUE(store.ok()) << store.status();
  constexpr int64_t kDay = 20'500;
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = PayloadTrace("a", kDay)}).ok());
  HttpClient client(server_->client_options());
  absl::StatusOr<clickhouse::ServerInfo> info = clickhouse::DescribeServer(client);
  ASSERT_TRUE(info.ok()) << info.status();
  clickhouse::Database db(client, database_, *info);
  // What layout 2 wrote: the summary with the hints' text (the payload is plain JSON this small).
  ASSERT_TRUE(db.Execute("ALTER TABLE observations UPDATE summary = payload, trace_payload = '' WHERE 1").ok());
  ASSERT_TRUE(clickhouse::WaitForMutations(db, absl::Minutes(1), "test update").ok());
  ASSERT_EQ(Count("SELECT count() FROM observations WHERE position(summary, 'secret trace input') > 0"), 1u);

  ASSERT_TRUE((*store)->Expire(ExpireRequest{.project = "p", .payload_before_day = kDay + 1}).ok());
  absl::StatusOr<model::Observation> child = (*store)->GetObservation("p", "a", "child");
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_TRUE(child->payload_expired);
  EXPECT_TRUE(child->trace_hints.trace_input.is_null());
  EXPECT_TRUE(child->trace_hints.trace_metadata.empty());
  EXPECT_EQ(child->trace_hints.session_id, "");  // the child's hints carried no session
  absl::StatusOr<TraceDetail> trace = (*store)->GetTrace("p", "a");
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_TRUE(trace->trace.input.is_null());
  EXPECT_EQ(trace->trace.session_id, "s");
}

// Beyond the conformance suite's words: a word is a case-insensitive substring, also of text that
// JSON escapes (quotes, backslashes) or that is not ASCII, in the input or the output.
TEST_F(ClickHouseStoreTest, FullTextSearchFindsSubstringsAsWritten) {
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(*server_, database_));
  ASSERT_TRUE(store.ok()) << store.status();
  model::Observation quoted = Span("quoted", "", 1'000);
  quoted.trace_id = "quoted";
  quoted.input = model::Json("she said \"Überweisung\" twice");
  model::Observation path = Span("path", "", 2'000);
  path.trace_id = "path";
  path.output = model::Json{{"file", "C:\\Temp\\Report.PDF"}};
  ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = {quoted, path}}).ok());
  auto search = [&](const std::string& text) {
    absl::StatusOr<TracePage> page = (*store)->ListTraces(TraceQuery{.project = "p", .text = text});
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> ids;
    if (page.ok()) {
      for (const model::Trace& trace : page->traces) ids.push_back(trace.id);
    }
    return ids;
  };
  EXPECT_EQ(search("\"überweisung\""), std::vector<std::string>{"quoted"});
  EXPECT_EQ(search("SAID twi"), std::vector<std::string>{"quoted"});
  EXPECT_EQ(search("c:\\temp\\report.pdf"), std::vector<std::string>{"path"});
  EXPECT_EQ(search("report said"), std::vector<std::string>{});
}

// The workflow rollup as plain maps (items by path, zero items left out), so two rollups compare
// equal whatever order their nodes were added in.
struct FlatWorkflow {
  model::WorkflowTotalsValues totals;
  std::map<std::vector<std::string>, model::WorkflowNodeValues> nodes;
  std::map<std::tuple<int32_t, std::vector<std::string>, std::vector<std::string>>, model::WorkflowEdgeValues> edges;
  bool operator==(const FlatWorkflow&) const = default;
};

FlatWorkflow Flatten(const model::WorkflowRollup& rollup) {
  FlatWorkflow flat{.totals = rollup.totals(), .nodes = {}, .edges = {}};
  std::vector<std::vector<std::string>> paths(rollup.nodes().size());
  for (size_t i = 0; i < rollup.nodes().size(); ++i) {
    const model::WorkflowRollup::Node& node = rollup.nodes()[i];
    if (node.parent >= 0) paths[i] = paths[static_cast<size_t>(node.parent)];
    paths[i].push_back(node.key);
    if (!node.values.IsZero()) flat.nodes[paths[i]] = node.values;
  }
  for (const auto& [key, values] : rollup.edges()) {
    if (values == model::WorkflowEdgeValues{}) continue;
    flat.edges[{key.kind, paths[static_cast<size_t>(key.from)], paths[static_cast<size_t>(key.to)]}] = values;
  }
  return flat;
}

std::string Describe(const FlatWorkflow& flat) {
  std::string out = absl::StrCat("runs ", flat.totals.runs, " spans ", flat.totals.spans, " cost ", flat.totals.cost_nusd,
                                 " latency n ", flat.totals.latency.count(), ";");
  for (const auto& [path, v] : flat.nodes) {
    absl::StrAppend(&out, " [", absl::StrJoin(path, "/"), "] runs ", v.runs, " calls ", v.calls, " errors ", v.errors,
                    " cost ", v.cost_nusd, " p50 ", v.latency.Quantile(0.5), ";");
  }
  for (const auto& [key, v] : flat.edges) {
    absl::StrAppend(&out, " ", std::get<0>(key), ":", absl::StrJoin(std::get<1>(key), "/"), "->",
                    absl::StrJoin(std::get<2>(key), "/"), " ", v.runs, "x", v.count, ";");
  }
  return out;
}

// One run of a small agent: a root step calling `tool` twice, then a step whose key has bytes that
// need quoting or could break a naive path encoding.
model::WorkflowRollup AgentRun(const std::string& tool, int64_t latency_us, int64_t cost_nusd, bool error = false) {
  model::WorkflowRollup run;
  const int32_t root = run.FindOrAddNode(-1, "agent:plan");
  const int32_t call = run.FindOrAddNode(root, tool);
  const int32_t odd = run.FindOrAddNode(root, std::string("tool:a/b'\\\0,\xff", 11));
  model::WorkflowNodeValues& r = run.mutable_node(root);
  r.runs = 1;
  r.calls = 1;
  r.latency.Add(latency_us);
  model::WorkflowNodeValues& c = run.mutable_node(call);
  c.runs = 1;
  c.calls = 2;
  c.errors = error ? 1 : 0;
  c.cost_nusd = cost_nusd;
  c.input_tokens = 10;
  c.output_tokens = 5;
  c.total_tokens = 15;
  c.latency.Add(latency_us / 3, 2);
  model::WorkflowNodeValues& o = run.mutable_node(odd);
  o.runs = 1;
  o.calls = 1;
  o.latency.Add(0);
  run.mutable_edge({.kind = 0, .from = root, .to = call}) = {.runs = 1, .count = 2};
  run.mutable_edge({.kind = 0, .from = root, .to = odd}) = {.runs = 1, .count = 1};
  run.mutable_edge({.kind = 1, .from = call, .to = odd}) = {.runs = 1, .count = 1};
  model::WorkflowTotalsValues& t = run.mutable_totals();
  t.runs = 1;
  t.spans = 4;
  t.tool_calls = 3;
  t.errors = error ? 1 : 0;
  t.cost_nusd = cost_nusd;
  t.total_tokens = 15;
  t.latency.Add(latency_us);
  return run;
}

WorkflowRun RecordOf(std::string trace_id, std::string release, int64_t start_ns, model::WorkflowRollup rollup) {
  return WorkflowRun{.trace_id = std::move(trace_id), .name = "agent", .environment = "prod",
                     .release = std::move(release), .start_ns = start_ns, .rollup = std::move(rollup)};
}

TEST(ClickHouseWorkflowTest, SketchBucketsRoundTripThroughTheLatencyMapForm) {
  const std::vector<std::vector<int64_t>> cases = {{}, {0}, {0, 0, 5}, {1, 1'000, 1'000'000, 3'600'000'000}, {-3, 7}};
  for (const std::vector<int64_t>& values : cases) {
    model::LatencySketch sketch;
    for (int64_t value : values) sketch.Add(value);
    std::vector<int64_t> buckets;
    std::vector<int64_t> counts;
    for (const auto& [bucket, count] : clickhouse::SketchBuckets(sketch)) {
      buckets.push_back(bucket);
      counts.push_back(count);
    }
    EXPECT_TRUE(std::is_sorted(buckets.begin(), buckets.end())) << absl::StrJoin(values, ",");
    absl::StatusOr<model::LatencySketch> back = clickhouse::SketchOfBuckets(buckets, counts);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, sketch) << absl::StrJoin(values, ",");
  }
  // sumMap may hand back a bucket whose counts cancelled.
  absl::StatusOr<model::LatencySketch> cancelled = clickhouse::SketchOfBuckets({3, 9}, {0, 2});
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->count(), 2);
  EXPECT_EQ(clickhouse::SketchOfBuckets({3}, {}).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(clickhouse::SketchOfBuckets({9, 3}, {1, 1}).status().code(), absl::StatusCode::kDataLoss);
}

// Re-recorded runs leave signed rows until ClickHouse merges them; a query must sum to the same
// graph before and after OPTIMIZE, and the merge must collapse the rows.
TEST_F(ClickHouseStoreTest, WorkflowRollupIsExactBeforeAnyMergeAndAfterThem) {
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(*server_, database_));
  ASSERT_TRUE(store.ok()) << store.status();
  // Until the merged half, so that a background merge cannot fold the rows first (seen once
  // under ctest -j2).
  HttpClient client(server_->client_options());
  ASSERT_TRUE(client.Query("SYSTEM STOP MERGES workflow_cells", {{"database", database_}}).ok());
  const int64_t day0 = int64_t{20'500} * kDayNs;
  model::WorkflowRollup expected;
  for (int batch = 0; batch < 5; ++batch) {
    std::vector<WorkflowRun> runs;
    for (int i = 0; i < 10; ++i) {
      const int n = batch * 10 + i;
      runs.push_back(RecordOf(absl::StrCat("t", n), "v1", day0 + (n % 3) * kNanosPerHour,
                              AgentRun(n % 2 == 0 ? "tool:search" : "tool:fetch", 1'000 * (n + 1), 7 * n, n % 5 == 0)));
    }
    ASSERT_TRUE((*store)->RecordWorkflowRuns("p", std::move(runs)).ok());
  }
  // Re-evaluated: t0..t9 move to release v2 and a later hour, with another tool and cost.
  std::vector<WorkflowRun> again;
  for (int n = 0; n < 10; ++n) {
    again.push_back(RecordOf(absl::StrCat("t", n), "v2", day0 + 5 * kNanosPerHour, AgentRun("tool:browse", 500, 3)));
  }
  ASSERT_TRUE((*store)->RecordWorkflowRuns("p", std::move(again)).ok());
  for (int n = 0; n < 50; ++n) {
    expected.Add(n < 10 ? AgentRun("tool:browse", 500, 3)
                        : AgentRun(n % 2 == 0 ? "tool:search" : "tool:fetch", 1'000 * (n + 1), 7 * n, n % 5 == 0));
  }
  model::WorkflowRollup v2;
  for (int n = 0; n < 10; ++n) v2.Add(AgentRun("tool:browse", 500, 3));

  const uint64_t raw_rows = Count("SELECT count() FROM workflow_cells");
  EXPECT_GT(raw_rows, Count("SELECT count() FROM (SELECT 1 FROM workflow_cells GROUP BY name, hour, environment, "
                            "release, item, edge_kind, path, to_path)"))
      << "expected unmerged rows";
  for (bool merged : {false, true}) {
    if (merged) {
      ASSERT_TRUE(client.Query("SYSTEM START MERGES workflow_cells", {{"database", database_}}).ok());
      OptimizeUntil({"workflow_cells", "workflow_runs"}, [&] {
        return Count("SELECT count() FROM workflow_cells") < raw_rows &&
               Count("SELECT count() FROM workflow_runs") == 50u;
      });
      EXPECT_LT(Count("SELECT count() FROM workflow_cells"), raw_rows);
      EXPECT_EQ(Count("SELECT count() FROM workflow_runs"), 50u);
    }
    absl::StatusOr<model::WorkflowRollup> all = (*store)->QueryWorkflowRollup({.project = "p", .name = "agent"});
    ASSERT_TRUE(all.ok()) << all.status();
    EXPECT_EQ(Describe(Flatten(*all)), Describe(Flatten(expected))) << "merged " << merged;
    EXPECT_EQ(Flatten(*all), Flatten(expected)) << "merged " << merged;
    absl::StatusOr<model::WorkflowRollup> released =
        (*store)->QueryWorkflowRollup({.project = "p", .name = "agent", .release = "v2"});
    ASSERT_TRUE(released.ok()) << released.status();
    EXPECT_EQ(Flatten(*released), Flatten(v2)) << "merged " << merged;
    // Only hour 5 holds v2's runs; hours 0..2 hold what is left of v1.
    absl::StatusOr<model::WorkflowRollup> late = (*store)->QueryWorkflowRollup(
        {.project = "p", .name = "agent", .from_ns = day0 + 4 * kNanosPerHour, .to_ns = day0 + 5 * kNanosPerHour + 1});
    ASSERT_TRUE(late.ok()) << late.status();
    EXPECT_EQ(Flatten(*late), Flatten(v2)) << "merged " << merged;
  }
}

// The same trace twice in one call counts as recorded in turn; recording it again with the same
// contribution (a retried evaluation) changes nothing.
TEST_F(ClickHouseStoreTest, WorkflowRunNamedTwiceOrRecordedAgainCountsOnce) {
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(*server_, database_));
  ASSERT_TRUE(store.ok()) << store.status();
  const int64_t start = int64_t{20'500} * kDayNs;
  std::vector<WorkflowRun> runs = {RecordOf("t", "v1", start, AgentRun("tool:a", 100, 1)),
                                   RecordOf("t", "v2", start + kNanosPerHour, AgentRun("tool:b", 200, 2))};
  ASSERT_TRUE((*store)->RecordWorkflowRuns("p", runs).ok());
  ASSERT_TRUE((*store)->RecordWorkflowRuns("p", {runs[1]}).ok());
  absl::StatusOr<model::WorkflowRollup> all = (*store)->QueryWorkflowRollup({.project = "p", .name = "agent"});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(Flatten(*all), Flatten(AgentRun("tool:b", 200, 2)));
}

// An erasure takes each run back once, even when it is run again before its deletion of the run
// rows is applied (the tombstone row), and leaves other projects' runs alone.
TEST_F(ClickHouseStoreTest, WorkflowErasureTakesBackOnceEvenWhenRepeated) {
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(*server_, database_));
  ASSERT_TRUE(store.ok()) << store.status();
  const int64_t start = int64_t{20'500} * kDayNs;
  for (const char* project : {"p", "q"}) {
    ASSERT_TRUE((*store)->RecordWorkflowRuns(project, {RecordOf("a", "v1", start, AgentRun("tool:a", 100, 1)),
                                                       RecordOf("b", "v1", start, AgentRun("tool:b", 300, 5))})
                    .ok());
  }
  HttpClient client(server_->client_options());
  absl::StatusOr<clickhouse::ServerInfo> info = clickhouse::DescribeServer(client);
  ASSERT_TRUE(info.ok()) << info.status();
  clickhouse::Database db(client, database_, *info);
  // Twice back to back, as a retry would, then the mutations are waited for. Versions above
  // the store's (its clock's nanoseconds), as the store's next versions would be.
  constexpr uint64_t kLater = std::numeric_limits<uint64_t>::max() - 10;
  ASSERT_TRUE(clickhouse::TakeBackWorkflowRuns(db, "p", {}, {"a"}, kLater).ok());
  ASSERT_TRUE(clickhouse::TakeBackWorkflowRuns(db, "p", {}, {"a"}, kLater + 1).ok());
  ASSERT_TRUE(clickhouse::WaitForMutations(db, absl::Minutes(1), "test erasure").ok());
  absl::StatusOr<model::WorkflowRollup> p = (*store)->QueryWorkflowRollup({.project = "p", .name = "agent"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Flatten(*p), Flatten(AgentRun("tool:b", 300, 5)));
  EXPECT_EQ(Count("SELECT count() FROM workflow_runs WHERE project = 'p' AND trace_id = 'a'"), 0u);

  ASSERT_TRUE((*store)->Erase(EraseRequest{.project = "p", .trace_id = "b"}).ok());
  p = (*store)->QueryWorkflowRollup({.project = "p", .name = "agent"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Flatten(*p), Flatten(model::WorkflowRollup{}));
  EXPECT_EQ(Count("SELECT count() FROM workflow_runs WHERE project = 'p'"), 0u);
  model::WorkflowRollup both = AgentRun("tool:a", 100, 1);
  both.Add(AgentRun("tool:b", 300, 5));
  absl::StatusOr<model::WorkflowRollup> q = (*store)->QueryWorkflowRollup({.project = "q", .name = "agent"});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(Flatten(*q), Flatten(both));
}

// Expiry drops the cells of the expired days (whole partitions where the project is alone) and
// every row of a run counted there, even an older row of it on a later day, so a later record of
// the trace takes back nothing that is gone.
TEST_F(ClickHouseStoreTest, WorkflowExpiryDropsOldHoursAndEveryRowOfTheRunsCountedThere) {
  absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(OptionsFor(*server_, database_));
  ASSERT_TRUE(store.ok()) << store.status();
  constexpr int64_t kDay = 20'500;
  const int64_t day0 = kDay * kDayNs;
  // "moved" was first counted on day 5, then re-evaluated with its start on day 1.
  ASSERT_TRUE((*store)->RecordWorkflowRuns("p", {RecordOf("moved", "v1", day0 + 5 * kDayNs, AgentRun("tool:a", 100, 1)),
                                                 RecordOf("old", "v1", day0, AgentRun("tool:b", 100, 1)),
                                                 RecordOf("new", "v1", day0 + 4 * kDayNs, AgentRun("tool:c", 100, 1))})
                  .ok());
  ASSERT_TRUE((*store)->RecordWorkflowRuns("p", {RecordOf("moved", "v1", day0 + kDayNs, AgentRun("tool:a", 100, 1))}).ok());
  ASSERT_TRUE((*store)->RecordWorkflowRuns("q", {RecordOf("old", "v1", day0, AgentRun("tool:b", 100, 1))}).ok());

  absl::StatusOr<ExpireStats> stats = (*store)->Expire(ExpireRequest{.project = "p", .summary_before_day = kDay + 3});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GE(stats->partitions_dropped, 1);  // day kDay + 1 of workflow_cells and workflow_runs
  EXPECT_EQ(Count("SELECT count() FROM workflow_runs WHERE project = 'p' AND trace_id IN ('moved', 'old')"), 0u);
  EXPECT_EQ(Count("SELECT count() FROM workflow_cells WHERE project = 'p' AND hour < (20500 + 3) * 24"), 0u);
  absl::StatusOr<model::WorkflowRollup> p = (*store)->QueryWorkflowRollup({.project = "p", .name = "agent"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Flatten(*p), Flatten(AgentRun("tool:c", 100, 1)));
  absl::StatusOr<model::WorkflowRollup> q = (*store)->QueryWorkflowRollup({.project = "q", .name = "agent"});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(Flatten(*q), Flatten(AgentRun("tool:b", 100, 1)));

  // Recorded again later: counted once, nothing stale taken back.
  ASSERT_TRUE((*store)->RecordWorkflowRuns("p", {RecordOf("moved", "v1", day0 + 6 * kDayNs, AgentRun("tool:a", 100, 1))}).ok());
  p = (*store)->QueryWorkflowRollup({.project = "p", .name = "agent"});
  ASSERT_TRUE(p.ok()) << p.status();
  model::WorkflowRollup expected = AgentRun("tool:c", 100, 1);
  expected.Add(AgentRun("tool:a", 100, 1));
  EXPECT_EQ(Flatten(*p), Flatten(expected));
}

}  // namespace
}  // namespace trackly::store
