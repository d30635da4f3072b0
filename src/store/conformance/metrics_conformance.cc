// Conformance of Store::QueryMetrics (store/store.h): the rollups a backend maintains at ingest
// always equal a recomputation from the stored observations with model/rollup.h, after
// out-of-order arrival, replaced observations and RewriteObservations.
#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "model/rollup.h"
#include "model/summary.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::conformance {
namespace {

using model::MetricsDimension;
using model::Observation;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kMinuteMs = 60'000;
// A day boundary, so ranges cross day, hour and minute buckets.
constexpr int64_t kBase = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z

const std::vector<Measure>& AllMeasures(MetricsLevel level) {
  static const auto* observation = new std::vector<Measure>{
      Measure::kCount, Measure::kErrorRate, Measure::kSuccessRate, Measure::kAvgLatency, Measure::kP50Latency,
      Measure::kP90Latency, Measure::kP95Latency, Measure::kP99Latency, Measure::kInputTokens,
      Measure::kOutputTokens, Measure::kTotalTokens, Measure::kCachedTokens, Measure::kCacheWriteTokens,
      Measure::kReasoningTokens, Measure::kCost, Measure::kCacheSavings, Measure::kUnpricedCount,
      Measure::kModelCalls, Measure::kToolCalls, Measure::kRetrievals, Measure::kRetries};
  static const auto* trace = [] {
    auto* out = new std::vector<Measure>(*observation);
    out->insert(out->end(), {Measure::kModelCallsPerRun, Measure::kToolCallsPerRun, Measure::kRetrievalsPerRun,
                             Measure::kCostPerRun, Measure::kCostPerSuccessfulRun});
    return out;
  }();
  return level == MetricsLevel::kTrace ? *trace : *observation;
}

// One trace's observation of the varied shapes the rollups key on.
Observation MakeObservation(const std::string& trace_id, const std::string& id, const std::string& parent_id,
                            int64_t start_ms, int variant) {
  Observation o;
  o.trace_id = trace_id;
  o.id = id;
  o.parent_id = parent_id;
  o.start_time_ns = kBase + start_ms * kMs;
  o.end_time_ns = o.start_time_ns + (5 + variant * 37 % 400) * kMs;
  o.environment = variant % 3 == 0 ? "prod" : "dev";
  o.release = absl::StrCat("r", variant % 2);
  switch (variant % 4) {
    case 0:
      o.type = model::ObservationType::kGeneration;
      o.name = "chat";
      o.model = variant % 8 == 0 ? "gpt-4o" : "claude";
      o.provider = variant % 8 == 0 ? "openai" : "anthropic";
      o.prompt = model::PromptRef{.name = "answer", .version = absl::StrCat(variant % 3)};
      o.usage = model::Usage{.input_tokens = 100 + variant, .output_tokens = 20, .total_tokens = 120 + variant,
                             .cache_read_tokens = 50, .reasoning_tokens = 5};
      o.cost = model::Cost{.input = 0.001 * variant, .output = 0.0003, .total = 0.001 * variant + 0.0003,
                           .source = model::CostSource::kComputed, .price_id = "p", .cache_savings = 0.0001};
      break;
    case 1:
      o.type = model::ObservationType::kTool;
      o.name = "search";
      o.tool = model::ToolRef{.name = variant % 5 == 0 ? "web" : "db", .call_id = id};
      if (variant % 5 == 1) {
        o.status = model::Status::kError;
        o.error_type = "timeout";
      }
      break;
    case 2:
      o.type = model::ObservationType::kGeneration;
      o.name = "chat";
      o.model = "mystery";
      o.usage = model::Usage{.input_tokens = 7, .output_tokens = 3, .total_tokens = 10};
      o.cost.note = "no price for model \"mystery\"";
      break;
    default:
      o.type = model::ObservationType::kSpan;
      o.name = "step";
      o.status = model::Status::kOk;
  }
  return o;
}

// A trace of `size` observations; the root carries the trace's user, session and feature.
std::vector<Observation> MakeTrace(const std::string& trace_id, int64_t start_ms, int size, int seed) {
  std::vector<Observation> out;
  Observation root = MakeObservation(trace_id, trace_id + "-root", "", start_ms, seed);
  root.type = model::ObservationType::kAgent;
  root.name = seed % 2 == 0 ? "support-agent" : "research-agent";
  root.end_time_ns = root.start_time_ns + 90 * kMinuteMs * kMs / 60;
  root.trace_hints.user_id = absl::StrCat("u", seed % 3);
  root.trace_hints.session_id = absl::StrCat("s", seed % 4);
  root.trace_hints.feature = "chat";
  out.push_back(root);
  for (int i = 1; i < size; ++i) {
    out.push_back(MakeObservation(trace_id, absl::StrCat(trace_id, "-", i), root.id, start_ms + i * 700, seed + i));
  }
  return out;
}

absl::Status WriteAll(Store& store, const std::string& project, std::vector<Observation> observations) {
  return WriteAndWait(store, WriteBatch{.project = project, .observations = std::move(observations)});
}

// Every stored trace of `project` with its observations.
std::vector<TraceDetail> StoredTraces(Store& store, const std::string& project) {
  std::vector<TraceDetail> out;
  absl::StatusOr<TracePage> page = store.ListTraces(TraceQuery{.project = project, .limit = kMaxListLimit});
  EXPECT_TRUE(page.ok()) << page.status();
  if (!page.ok()) return out;
  for (const model::Trace& trace : page->traces) {
    absl::StatusOr<TraceDetail> detail = store.GetTrace(project, trace.id);
    EXPECT_TRUE(detail.ok()) << detail.status();
    if (detail.ok()) out.push_back(*std::move(detail));
  }
  return out;
}

// What `query` must answer, computed from the stored observations with model/rollup.h.
MetricsResult Recompute(Store& store, const MetricsQuery& query) {
  const model::RollupKind kind = RollupKindFor(query).value();
  std::span<const MetricsDimension> dimensions = model::DimensionsOf(kind);
  const int64_t grain_ns = GrainNs(query.time_grain);
  std::map<std::pair<int64_t, std::vector<std::string>>, model::RollupValues> cells;
  auto add = [&](const std::vector<std::string>& key, int64_t start_ns, const model::RollupValues& values) {
    const int64_t minute_ns = start_ns / (kMinuteMs * kMs) * (kMinuteMs * kMs);
    if (query.from_ns != 0 && minute_ns < query.from_ns / (kMinuteMs * kMs) * (kMinuteMs * kMs)) return;
    if (query.to_ns != 0 && minute_ns >= query.to_ns / (kMinuteMs * kMs) * (kMinuteMs * kMs)) return;
    auto dim = [&](MetricsDimension d) { return key[std::find(dimensions.begin(), dimensions.end(), d) - dimensions.begin()]; };
    for (const auto& [d, value] : query.filters) {
      if (dim(d) != value) return;
    }
    std::vector<std::string> group;
    for (MetricsDimension d : query.group_by) group.push_back(dim(d));
    cells[{grain_ns == 0 ? 0 : start_ns / grain_ns * grain_ns, group}].Add(values);
  };
  for (const TraceDetail& detail : StoredTraces(store, query.project)) {
    if (kind == model::RollupKind::kObservation) {
      for (const Observation& o : detail.observations) {
        add(model::ObservationRollupKey(o), o.start_time_ns, model::ObservationRollupValues(o));
      }
    } else {
      const model::Trace trace = model::SummarizeTrace(detail.observations);
      add(model::TraceRollupKey(kind, trace), trace.start_time_ns,
          model::TraceRollupValues(trace, detail.observations));
    }
  }
  MetricsResult out;
  for (const auto& [cell, values] : cells) {
    if (values.count == 0) continue;
    MetricsRow row{.time_ns = cell.first, .group = cell.second, .values = {}};
    for (Measure m : query.measures) row.values.push_back(MeasureValue(m, values));
    out.rows.push_back(std::move(row));
  }
  return out;
}

std::string Describe(const MetricsResult& result) {
  std::string out;
  for (const MetricsRow& row : result.rows) {
    absl::StrAppend(&out, "\n  t=", row.time_ns, " [", absl::StrJoin(row.group, ","), "]");
    for (const std::optional<double>& v : row.values) absl::StrAppend(&out, " ", v ? absl::StrCat(*v) : "null");
  }
  return out;
}

// The queries whose answers are compared: every kind, every dimension, every time grain.
std::vector<MetricsQuery> CheckedQueries(const std::string& project) {
  using D = MetricsDimension;
  std::vector<MetricsQuery> queries;
  auto add = [&](MetricsLevel level, std::vector<D> group_by, TimeGrain grain,
                 std::vector<std::pair<D, std::string>> filters = {}, int64_t from_ns = 0, int64_t to_ns = 0) {
    queries.push_back(MetricsQuery{.project = project, .from_ns = from_ns, .to_ns = to_ns, .level = level,
                                   .measures = AllMeasures(level), .group_by = std::move(group_by),
                                   .time_grain = grain, .filters = std::move(filters)});
  };
  add(MetricsLevel::kObservation, {}, TimeGrain::kNone);
  add(MetricsLevel::kObservation,
      {D::kType, D::kName, D::kModel, D::kProvider, D::kPromptName, D::kPromptVersion, D::kTool, D::kEnvironment,
       D::kRelease, D::kStatus, D::kErrorType},
      TimeGrain::kMinute);
  add(MetricsLevel::kObservation, {D::kModel}, TimeGrain::kHour, {{D::kType, "generation"}});
  add(MetricsLevel::kObservation, {D::kTool}, TimeGrain::kDay, {}, kBase + 3 * kMinuteMs * kMs + 1,
      kBase + 50 * kMinuteMs * kMs);
  add(MetricsLevel::kTrace, {D::kName, D::kFeature, D::kEnvironment, D::kRelease, D::kStatus}, TimeGrain::kMinute);
  add(MetricsLevel::kTrace, {D::kName}, TimeGrain::kNone);
  add(MetricsLevel::kTrace, {D::kUserId, D::kSessionId}, TimeGrain::kHour);
  add(MetricsLevel::kTrace, {D::kSessionId}, TimeGrain::kNone, {{D::kUserId, "u1"}});
  return queries;
}

void ExpectMetricsEqualRecomputation(Store& store, const std::string& project) {
  for (const MetricsQuery& query : CheckedQueries(project)) {
    absl::StatusOr<MetricsResult> stored = store.QueryMetrics(query);
    ASSERT_TRUE(stored.ok()) << stored.status();
    MetricsResult expected = Recompute(store, query);
    ASSERT_EQ(stored->rows.size(), expected.rows.size())
        << "stored:" << Describe(*stored) << "\nexpected:" << Describe(expected);
    for (size_t i = 0; i < expected.rows.size(); ++i) {
      EXPECT_EQ(stored->rows[i].time_ns, expected.rows[i].time_ns) << i;
      EXPECT_EQ(stored->rows[i].group, expected.rows[i].group) << i;
      EXPECT_EQ(stored->rows[i].values, expected.rows[i].values)
          << "row " << i << "\nstored:" << Describe(*stored) << "\nexpected:" << Describe(expected);
    }
  }
}

TEST_P(StoreConformanceTest, MetricsEqualRecomputationAfterOutOfOrderArrival) {
  if (!HasMetrics(*store_)) GTEST_SKIP() << "backend has no metrics rollups (QueryMetrics is Unimplemented)";
  std::vector<Observation> all;
  for (int t = 0; t < 12; ++t) {
    std::vector<Observation> trace = MakeTrace(absl::StrCat("t", t), t * 7 * kMinuteMs, 9, t);
    all.insert(all.end(), trace.begin(), trace.end());
  }
  std::mt19937 random(11);
  std::shuffle(all.begin(), all.end(), random);
  // Batches of varied size, so roots arrive after their children and traces span many commits.
  for (size_t i = 0; i < all.size();) {
    const size_t n = std::min(all.size() - i, size_t{1} + random() % 9);
    ASSERT_TRUE(WriteAll(*store_, "p", std::vector<Observation>(all.begin() + i, all.begin() + i + n)).ok());
    i += n;
  }
  ExpectMetricsEqualRecomputation(*store_, "p");

  absl::StatusOr<MetricsResult> total = store_->QueryMetrics(
      MetricsQuery{.project = "p", .measures = {Measure::kCount}});
  ASSERT_TRUE(total.ok()) << total.status();
  ASSERT_EQ(total->rows.size(), 1u);
  EXPECT_EQ(total->rows[0].values[0], 12 * 9);
}

TEST_P(StoreConformanceTest, MetricsEqualRecomputationAfterReplacedObservations) {
  if (!HasMetrics(*store_)) GTEST_SKIP() << "backend has no metrics rollups (QueryMetrics is Unimplemented)";
  ASSERT_TRUE(WriteAll(*store_, "p", MakeTrace("a", 0, 6, 1)).ok());
  ASSERT_TRUE(WriteAll(*store_, "p", MakeTrace("b", 90 * kMinuteMs, 6, 2)).ok());
  // The same ids again with other values: another model, an error, a later start (another
  // minute, hour and day bucket), a cost change, and a root with another user and name.
  std::vector<Observation> replaced = MakeTrace("a", 0, 6, 1);
  replaced[1].model = "other-model";
  replaced[1].cost.total = 0.5;
  replaced[2].status = model::Status::kError;
  replaced[2].error_type = "rate_limit";
  replaced[3].start_time_ns += int64_t{26} * 60 * kMinuteMs * kMs;
  replaced[3].end_time_ns += int64_t{26} * 60 * kMinuteMs * kMs;
  replaced[0].trace_hints.user_id = "someone-else";
  replaced[0].name = "renamed-agent";
  ASSERT_TRUE(WriteAll(*store_, "p", {replaced[1], replaced[2]}).ok());
  ASSERT_TRUE(WriteAll(*store_, "p", {replaced[3], replaced[0]}).ok());
  ExpectMetricsEqualRecomputation(*store_, "p");

  // Writing the first version back restores the first answer.
  ASSERT_TRUE(WriteAll(*store_, "p", MakeTrace("a", 0, 6, 1)).ok());
  ExpectMetricsEqualRecomputation(*store_, "p");
}

TEST_P(StoreConformanceTest, MetricsEqualRecomputationAfterRewriteObservations) {
  if (!HasMetrics(*store_) || !HasRewrite(*store_)) GTEST_SKIP() << "backend lacks metrics rollups or RewriteObservations";
  for (int t = 0; t < 5; ++t) ASSERT_TRUE(WriteAll(*store_, "p", MakeTrace(absl::StrCat("t", t), t * 20 * kMinuteMs, 7, t)).ok());
  absl::StatusOr<RewriteStats> stats =
      store_->RewriteObservations(RewriteRange{.project = "p"}, [](Observation& o) {
        if (o.type != model::ObservationType::kGeneration) return false;
        o.cost = model::Cost{.input = 0.02, .output = 0.01, .total = 0.03, .source = model::CostSource::kComputed,
                             .price_id = "new", .cache_savings = 0.004};
        return true;
      });
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GT(stats->observations_rewritten, 0);
  ExpectMetricsEqualRecomputation(*store_, "p");
}

// The average's denominator is the latency sketch's count, so a backend that merged sketches
// only for percentiles answered null for avg_latency asked alone.
TEST_P(StoreConformanceTest, AverageLatencyIsAnsweredWithoutAPercentileInTheQuery) {
  if (!HasMetrics(*store_)) GTEST_SKIP() << "backend has no metrics rollups (QueryMetrics is Unimplemented)";
  ASSERT_TRUE(WriteAll(*store_, "p", MakeTrace("t", 0, 5, 1)).ok());
  absl::StatusOr<MetricsResult> alone =
      store_->QueryMetrics(MetricsQuery{.project = "p", .measures = {Measure::kAvgLatency}});
  absl::StatusOr<MetricsResult> with_percentile = store_->QueryMetrics(
      MetricsQuery{.project = "p", .measures = {Measure::kAvgLatency, Measure::kP50Latency}});
  ASSERT_TRUE(alone.ok()) << alone.status();
  ASSERT_TRUE(with_percentile.ok()) << with_percentile.status();
  ASSERT_EQ(alone->rows.size(), 1u);
  ASSERT_EQ(with_percentile->rows.size(), 1u);
  ASSERT_TRUE(alone->rows[0].values[0].has_value());
  EXPECT_GT(*alone->rows[0].values[0], 0);
  EXPECT_EQ(alone->rows[0].values[0], with_percentile->rows[0].values[0]);
}

TEST_P(StoreConformanceTest, MetricsAreScopedToTheProject) {
  if (!HasMetrics(*store_)) GTEST_SKIP() << "backend has no metrics rollups (QueryMetrics is Unimplemented)";
  ASSERT_TRUE(WriteAll(*store_, "p", MakeTrace("t", 0, 5, 1)).ok());
  ASSERT_TRUE(WriteAll(*store_, "q", MakeTrace("t", 0, 3, 1)).ok());
  absl::StatusOr<MetricsResult> q = store_->QueryMetrics(MetricsQuery{.project = "q", .measures = {Measure::kCount}});
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->rows.size(), 1u);
  EXPECT_EQ(q->rows[0].values[0], 3);
  absl::StatusOr<MetricsResult> none =
      store_->QueryMetrics(MetricsQuery{.project = "nobody", .measures = {Measure::kCount}});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->rows.empty());
}

TEST_P(StoreConformanceTest, BadMetricsQueriesAreInvalidArgumentNamingTheField) {
  if (!HasMetrics(*store_)) GTEST_SKIP() << "backend has no metrics rollups (QueryMetrics is Unimplemented)";
  struct Case {
    MetricsQuery query;
    std::string names;
  };
  const std::vector<Case> cases = {
      {MetricsQuery{.project = "p"}, "measures"},
      {MetricsQuery{.project = "p", .measures = {Measure::kCount}, .group_by = {MetricsDimension::kUserId}},
       "user_id"},
      {MetricsQuery{.project = "p", .measures = {Measure::kCostPerRun}}, "cost_per_run"},
      {MetricsQuery{.project = "p", .level = MetricsLevel::kTrace, .measures = {Measure::kCount},
                    .group_by = {MetricsDimension::kModel}},
       "model"},
      {MetricsQuery{.project = "p", .level = MetricsLevel::kTrace, .measures = {Measure::kCount},
                    .group_by = {MetricsDimension::kName}, .filters = {{MetricsDimension::kUserId, "u"}}},
       "name"},
      {MetricsQuery{.project = "p", .measures = {Measure::kCount}, .group_by = {MetricsDimension::kName, MetricsDimension::kName}},
       "name"},
      {MetricsQuery{.project = "p", .from_ns = 10, .to_ns = 10, .measures = {Measure::kCount}}, "from"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<MetricsResult> result = store_->QueryMetrics(c.query);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << c.names;
    EXPECT_THAT(result.status().message(), ::testing::HasSubstr(c.names));
  }
}

}  // namespace
}  // namespace trackly::store::conformance
