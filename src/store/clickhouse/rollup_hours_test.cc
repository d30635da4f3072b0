// The hour sums of the metrics rollups (rollups.h "Hour sums"): a query answered from them must
// equal the uncached collapse of `rollups` after every kind of change to an hour they cover.
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/hour_sums_filler.h"
#include "store/clickhouse/http_client.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/rollups.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/schema.h"
#include "store/clickhouse/test_server.h"
#include "store/store.h"

namespace trackly::store {
namespace {

using clickhouse::HttpClient;
using clickhouse::TestServer;
using clickhouse::TestServerEnvironment;
using model::MetricsDimension;

constexpr int64_t kSecondNs = 1'000'000'000;
constexpr int64_t kHourNs = 3600 * kSecondNs;
constexpr int64_t kDayNs = 24 * kHourNs;
constexpr int64_t kDay = 20'500;  // the day the spans start on, 2026-02-16
constexpr int64_t kBaseNs = kDay * kDayNs;
// Long enough for every hour touched to settle (HourSumsOptions::recompute_after_ns).
constexpr int64_t kSettleNs = 10 * 60 * kSecondNs;

// Thread-safe. A clock shared by every node of a test, so their clocks agree (the clock
// assumption): each reading is 1 µs after the previous one, and Jump() moves it forward.
class TickingClock final : public Clock {
 public:
  explicit TickingClock(int64_t now_ns) : now_ns_(now_ns) {}
  int64_t NowNanos() const override { return now_ns_.fetch_add(1000) + 1000; }
  void Jump(int64_t delta_ns) { now_ns_.fetch_add(delta_ns); }

 private:
  mutable std::atomic<int64_t> now_ns_;
};

// A span of trace `trace_id` starting `offset_ns` after kBaseNs: a generation or a tool call.
model::Observation Span(const std::string& trace_id, const std::string& id, int64_t offset_ns, int variant) {
  model::Observation o;
  o.trace_id = trace_id;
  o.id = id;
  o.parent_id = id == "root" ? "" : "root";
  o.start_time_ns = kBaseNs + offset_ns;
  o.end_time_ns = o.start_time_ns + (1 + variant % 7) * 100'000'000;
  o.environment = "production";
  if (id == "root") {
    o.name = variant % 2 == 0 ? "support_agent" : "sql_agent";
    o.type = model::ObservationType::kAgent;
    o.trace_hints.user_id = absl::StrCat("user-", variant % 3);
  } else if (variant % 2 == 0) {
    o.name = "chat";
    o.type = model::ObservationType::kGeneration;
    o.model = variant % 4 == 0 ? "gpt-4o" : "claude-3-5-sonnet";
    o.usage = model::Usage{.input_tokens = 100 + variant, .output_tokens = 10, .total_tokens = 110 + variant};
    o.cost.total = 0.001 * (variant + 1);
    o.cost.source = model::CostSource::kComputed;
  } else {
    o.name = "execute_tool";
    o.type = model::ObservationType::kTool;
    o.tool = model::ToolRef{.name = variant % 3 == 0 ? "sql" : "web_search", .call_id = id};
    if (variant % 5 == 0) o.status = model::Status::kError;
  }
  return o;
}

// A trace whose root starts `offset_ns` after kBaseNs, with `spans` children a few minutes apart.
std::vector<model::Observation> Trace(const std::string& trace_id, int64_t offset_ns, int spans, int variant) {
  std::vector<model::Observation> out = {Span(trace_id, "root", offset_ns, variant)};
  for (int i = 1; i <= spans; ++i) {
    out.push_back(Span(trace_id, absl::StrCat("s", i), offset_ns + i * 7 * 60 * kSecondNs, variant + i));
  }
  return out;
}

std::string Describe(const MetricsResult& result) {
  std::vector<std::string> rows;
  for (const MetricsRow& row : result.rows) {
    std::vector<std::string> values;
    for (const std::optional<double>& v : row.values) values.push_back(v ? absl::StrCat(*v) : "null");
    rows.push_back(absl::StrCat(row.time_ns, " ", absl::StrJoin(row.group, "/"), ": ", absl::StrJoin(values, " ")));
  }
  return absl::StrCat("[", absl::StrJoin(rows, "; "), "]");
}

// Dashboard questions over kDay and the next day; ranges end at unaligned minutes, so partial
// hours at both edges are collapsed from `rollups`.
std::vector<MetricsQuery> Queries() {
  const int64_t from = kBaseNs + 17 * 60 * kSecondNs;
  const int64_t to = kBaseNs + 2 * kDayNs - 7 * 60 * kSecondNs;
  return {
      {.project = "p", .from_ns = from, .to_ns = to, .measures = {Measure::kCost, Measure::kCount},
       .group_by = {MetricsDimension::kModel}, .time_grain = TimeGrain::kDay},
      {.project = "p", .from_ns = from, .to_ns = to, .measures = {Measure::kP95Latency, Measure::kCount},
       .group_by = {MetricsDimension::kName}, .time_grain = TimeGrain::kHour},
      {.project = "p", .from_ns = from, .to_ns = to, .measures = {Measure::kErrorRate, Measure::kCount},
       .group_by = {MetricsDimension::kTool}, .filters = {{MetricsDimension::kType, "tool"}}},
      {.project = "p", .from_ns = kBaseNs, .to_ns = kBaseNs + 2 * kDayNs, .level = MetricsLevel::kTrace,
       .measures = {Measure::kCount, Measure::kCostPerSuccessfulRun}, .group_by = {MetricsDimension::kName},
       .time_grain = TimeGrain::kHour},
      {.project = "p", .level = MetricsLevel::kTrace, .measures = {Measure::kCount}},  // open range
  };
}

// Not thread-safe (a gtest fixture): nodes of one database, sharing one TickingClock.
class RollupHoursTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(clickhouse::kClickHouseServerBinary, X_OK) != 0) GTEST_SKIP() << "clickhouse-server not installed";
    absl::StatusOr<const TestServer*> server = TestServerEnvironment::Server();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *server;
    database_ = clickhouse::NewDatabaseName();
    client_ = std::make_unique<HttpClient>(server_->client_options());
    node_ = Open();
    ASSERT_NE(node_, nullptr);
    absl::StatusOr<clickhouse::ServerInfo> info = clickhouse::DescribeServer(*client_);
    ASSERT_TRUE(info.ok()) << info.status();
    info_ = *info;
    db_ = std::make_unique<clickhouse::Database>(*client_, database_, info_);
  }
  void TearDown() override {
    if (server_ == nullptr) return;
    nodes_.clear();
    EXPECT_TRUE(client_->Query(absl::StrCat("DROP DATABASE IF EXISTS ", database_)).ok());
  }

  // A node (store) on the test's database with the shared clock; owned by the fixture.
  ClickHouseStore* Open() {
    absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(
        ClickHouseStoreOptions{.server = server_->client_options(),
                               .database = database_,
                               .clock = &clock_,
                               .hour_sums_fill_interval = absl::ZeroDuration()});  // the tests say when
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return nullptr;
    nodes_.push_back(*std::move(store));
    return nodes_.back().get();
  }

  // Every query of Queries(), through the store (hour sums) and uncached, must agree. Returns the
  // hours the first query answered from sums.
  int64_t ExpectCachedEqualsUncached(const std::string& when) {
    int64_t cached_hours = -1;
    for (const MetricsQuery& query : Queries()) {
      clickhouse::HourSumsStats stats;
      absl::StatusOr<MetricsResult> cached = clickhouse::QueryRollups(
          *db_, query, clickhouse::HourSumsOptions{.clock = &clock_}, &stats);
      absl::StatusOr<MetricsResult> uncached = clickhouse::QueryRollups(*db_, query);
      absl::StatusOr<MetricsResult> store = node_->QueryMetrics(query);
      EXPECT_TRUE(cached.ok() && uncached.ok() && store.ok()) << when;
      if (!cached.ok() || !uncached.ok() || !store.ok()) return -1;
      EXPECT_FALSE(uncached->rows.empty()) << when;
      EXPECT_EQ(Describe(*cached), Describe(*uncached)) << when;
      EXPECT_EQ(Describe(*store), Describe(*uncached)) << when;
      if (cached_hours < 0) cached_hours = stats.hours_cached;
    }
    return cached_hours;
  }

  uint64_t Count(const std::string& sql) {
    absl::StatusOr<std::string> rows = client_->Query(absl::StrCat(sql, " FORMAT RowBinary"), {{"database", database_}});
    EXPECT_TRUE(rows.ok()) << rows.status();
    clickhouse::RowBinaryReader in(rows.ok() ? std::string_view(*rows) : std::string_view(), sql);
    return in.UInt64();
  }

  // Traces t0…t9 over the first 20 hours of kDay, and u0…u4 on the next day.
  void WriteTraces() {
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(WriteAndWait(*node_, WriteBatch{.project = "p",
                                                  .observations = Trace(absl::StrCat("t", i), i * 2 * kHourNs, 6, i)})
                      .ok());
    }
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(WriteAndWait(*node_, WriteBatch{.project = "p",
                                                  .observations = Trace(absl::StrCat("u", i),
                                                                        kDayNs + i * 3 * kHourNs, 4, i + 10)})
                      .ok());
    }
  }

  // The hour sums of every settled hour computed (through a query), then checked.
  void Settle(const std::string& when) {
    clock_.Jump(kSettleNs);
    ExpectCachedEqualsUncached(absl::StrCat(when, ", settled"));
  }

  TickingClock clock_{kBaseNs + 3 * kDayNs};  // "now": a day after the data's last hour
  const TestServer* server_ = nullptr;
  std::string database_;
  std::unique_ptr<HttpClient> client_;
  std::vector<std::unique_ptr<ClickHouseStore>> nodes_;
  ClickHouseStore* node_ = nullptr;
  clickhouse::ServerInfo info_;
  std::unique_ptr<clickhouse::Database> db_;
};

// The 2-day range of the first query has 46 whole hours between its unaligned edges.
constexpr int64_t kWholeHours = 46;

TEST_F(RollupHoursTest, SettledHoursAreAnsweredFromTheirSums) {
  WriteTraces();
  // Hours just written have not settled; the others (no data) are summed already.
  EXPECT_LT(ExpectCachedEqualsUncached("before any sums"), kWholeHours);
  clock_.Jump(kSettleNs);
  EXPECT_EQ(ExpectCachedEqualsUncached("settled"), kWholeHours);
  EXPECT_GT(Count("SELECT count() FROM rollup_hours WHERE kind != 255"), 0u);
}

TEST_F(RollupHoursTest, LateSpanIntoASummedHourIsCountedAtOnce) {
  WriteTraces();
  Settle("written");
  // Hours later (by the clock), a span of t3 arrives, in an hour whose sums exist.
  ASSERT_TRUE(WriteAndWait(*node_, WriteBatch{.project = "p", .observations = {Span("t3", "late", 6 * kHourNs + 60 * kSecondNs, 2)}})
                  .ok());
  EXPECT_EQ(ExpectCachedEqualsUncached("late span"), kWholeHours - 1);  // its hour is collapsed
  clock_.Jump(kSettleNs);
  EXPECT_EQ(ExpectCachedEqualsUncached("late span, settled"), kWholeHours);
}

TEST_F(RollupHoursTest, RetriedAndChangedWritesKeepTheSumsExact) {
  WriteTraces();
  Settle("written");
  std::vector<model::Observation> again = Trace("t4", 8 * kHourNs, 6, 4);
  ASSERT_TRUE(WriteAndWait(*node_, WriteBatch{.project = "p", .observations = again}).ok());  // a retry
  ExpectCachedEqualsUncached("retried");
  // The same trace again, its root moved to another hour and a model changed: tombstones.
  again[0].start_time_ns += 3 * kHourNs;
  again[2].model = "gemini-1.5-pro";
  ASSERT_TRUE(WriteAndWait(*node_, WriteBatch{.project = "p", .observations = again}).ok());
  ExpectCachedEqualsUncached("changed");
  Settle("changed");
}

// Two nodes writing spans of the same traces at once (behind a load balancer) while queries on a
// third recompute hour sums as the clock moves on.
TEST_F(RollupHoursTest, TwoNodesWritingOneTraceWhileSumsAreComputedStayExact) {
  WriteTraces();
  Settle("written");
  ClickHouseStore* other = Open();
  ASSERT_NE(other, nullptr);
  std::atomic<bool> writing{true};
  std::vector<std::thread> threads;
  for (int n = 0; n < 2; ++n) {
    threads.emplace_back([&, n] {
      Store& node = n == 0 ? static_cast<Store&>(*node_) : static_cast<Store&>(*other);
      for (int i = 0; i < 12; ++i) {
        const std::string trace_id = absl::StrCat("t", i % 3);
        model::Observation o = Span(trace_id, absl::StrCat("n", n, "-", i), (i % 3) * 2 * kHourNs + i * 9 * 60 * kSecondNs, i);
        EXPECT_TRUE(WriteAndWait(node, WriteBatch{.project = "p", .observations = {o}}).ok());
      }
    });
  }
  std::thread dashboards([&] {
    while (writing.load()) {
      clock_.Jump(3 * 60 * kSecondNs);  // each pass finds the hours written before it settled
      for (const MetricsQuery& query : Queries()) EXPECT_TRUE(node_->QueryMetrics(query).ok());
    }
  });
  for (std::thread& t : threads) t.join();
  writing.store(false);
  dashboards.join();
  ExpectCachedEqualsUncached("two writers");
  Settle("two writers");
}

TEST_F(RollupHoursTest, ErasureMarksTheHoursItChangesStale) {
  WriteTraces();
  Settle("written");
  absl::StatusOr<EraseStats> erased = node_->Erase(EraseRequest{.project = "p", .trace_id = "t5"});
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->traces, 1);
  EXPECT_LT(ExpectCachedEqualsUncached("erased"), kWholeHours);
  Settle("erased");
}

TEST_F(RollupHoursTest, ExpiryRemovesTheSumsOfExpiredDays) {
  WriteTraces();
  // A trace of kDay with spans after midnight: its removal changes hours of the next day.
  ASSERT_TRUE(WriteAndWait(*node_, WriteBatch{.project = "p", .observations = Trace("late", kDayNs - 20 * 60 * kSecondNs, 5, 1)})
                  .ok());
  Settle("written");
  absl::StatusOr<ExpireStats> expired =
      node_->Expire(ExpireRequest{.project = "p", .summary_before_day = kDay + 1});
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(expired->traces_removed, 11);
  for (const char* table : {"rollup_hours", "rollup_dirty_hours"}) {
    EXPECT_EQ(Count(absl::StrCat("SELECT count() FROM ", table, " WHERE day < toDate('2026-02-17')")), 0u) << table;
  }
  ExpectCachedEqualsUncached("expired");
  Settle("expired");
}

// As after the upgrade to layout 7: rollups without dirty marks or sums, which no open-range
// query finds. The filler sums every settled hour from the first rollup minute to the last, so a
// dashboard over them computes nothing.
TEST_F(RollupHoursTest, TheFillerSumsEverySettledHourOfTheRollups) {
  WriteTraces();
  for (const char* table : {"rollup_hours", "rollup_dirty_hours"}) {
    ASSERT_TRUE(client_->Query(absl::StrCat("TRUNCATE TABLE ", table), {{"database", database_}}).ok()) << table;
  }
  clock_.Jump(kSettleNs);
  {
    clickhouse::RetentionClasses classes;
    clickhouse::HourSumsFiller filler(*db_, clock_, classes, absl::Milliseconds(1));
    filler.AwaitPasses(1);
  }
  // t0 starts at kBaseNs; u4's last span 28 minutes after kBaseNs + 36 h.
  EXPECT_EQ(Count("SELECT uniqExact(hour_s) FROM rollup_hours WHERE kind = 255"), 37u);
  absl::StatusOr<int64_t> again = clickhouse::FillHourSums(*db_, "p", clickhouse::HourSumsOptions{.clock = &clock_});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 0);
  clickhouse::HourSumsStats stats;
  const MetricsQuery filled_hours{.project = "p", .from_ns = kBaseNs, .to_ns = kBaseNs + 37 * kHourNs,
                                  .measures = {Measure::kCost, Measure::kCount},
                                  .group_by = {MetricsDimension::kModel}, .time_grain = TimeGrain::kHour};
  ASSERT_TRUE(clickhouse::QueryRollups(*db_, filled_hours, clickhouse::HourSumsOptions{.clock = &clock_}, &stats).ok());
  EXPECT_EQ(stats.hours_recomputed, 0);
  EXPECT_EQ(stats.hours_cached, 37);
  ExpectCachedEqualsUncached("filled");
}

}  // namespace
}  // namespace trackly::store
