// Metrics query benchmark over a store seeded with N spans spread over 30 days: the typical
// dashboard questions, answered from the rollups (Store::QueryMetrics, no HTTP).
//
//   build/bench/metrics_bench --dir /tmp/trackly-metrics-10m --spans 10000000
//   build/bench/metrics_bench --store clickhouse --clickhouse-port 8123 --spans 10000000
// Seeds the store on first use (the directory, or the ClickHouse database, default
// metrics_bench_<spans>; reused afterwards), then prints p50/p90/p99 of each query.
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/str_format.h"
#include "bench/seeded_store.h"

namespace trackly::bench {
namespace {

using model::MetricsDimension;
using store::Measure;
constexpr int kSpansPerTrace = 20;
constexpr int64_t kDayNs = int64_t{86400} * 1'000'000'000;
constexpr int64_t kDays = 30;
constexpr int64_t kBaseNs = 1'790'000'000'000'000'000 / kDayNs * kDayNs;  // a UTC midnight, late 2026

const char* const kModels[] = {"gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "gemini-1.5-pro"};
const char* const kTools[] = {"web_search", "sql", "calculator", "fetch_url", "send_email"};
const char* const kAgents[] = {"support_agent", "research_agent", "sql_agent", "triage_agent"};

// One agent trace of kSpansPerTrace spans; the traces are spread evenly over kDays.
store::WriteBatch MakeTrace(int64_t i, int64_t traces, std::mt19937_64& rng) {
  store::WriteBatch batch;
  batch.project = "bench";
  const std::string trace_id = absl::StrFormat("%032x", i + 1);
  const int64_t start = kBaseNs + i * (kDays * kDayNs / traces);
  const std::string env = i % 4 == 0 ? "staging" : "production";
  const std::string release = absl::StrFormat("v1.%d", static_cast<int>(i * 3 / traces));
  for (int s = 0; s < kSpansPerTrace; ++s) {
    model::Observation o;
    o.trace_id = trace_id;
    o.id = absl::StrFormat("%016x", s + 1);
    o.parent_id = s == 0 ? "" : absl::StrFormat("%016x", 1);
    o.start_time_ns = start + s * 50'000'000;
    o.end_time_ns = o.start_time_ns + 1'000'000 + static_cast<int64_t>(rng() % 3'000'000'000);
    o.environment = env;
    o.release = release;
    o.status = model::Status::kOk;
    if (s == 0) {
      o.name = kAgents[i % 4];
      o.type = model::ObservationType::kAgent;
      o.trace_hints.user_id = absl::StrFormat("user-%d", static_cast<int>(rng() % 1000));
      o.trace_hints.session_id = absl::StrFormat("session-%d", static_cast<int>(i / 5));
    } else if (s % 2 == 1) {
      o.name = "chat";
      o.type = model::ObservationType::kGeneration;
      o.model = kModels[rng() % 4];
      o.provider = o.model.starts_with("gpt") ? "openai" : o.model.starts_with("claude") ? "anthropic" : "google";
      o.prompt = model::PromptRef{.name = "answer", .version = absl::StrFormat("%d", static_cast<int>(rng() % 3))};
      o.usage.input_tokens = 500 + static_cast<int64_t>(rng() % 2000);
      o.usage.output_tokens = 100;
      o.usage.total_tokens = o.usage.input_tokens + 100;
      o.cost.total = static_cast<double>(o.usage.input_tokens) * 2.5e-6 + 1e-3;
      o.cost.source = model::CostSource::kComputed;
      if (rng() % 40 == 0) {
        o.status = model::Status::kError;
        o.error_type = "rate_limit";
      }
    } else {
      o.name = "execute_tool";
      o.type = model::ObservationType::kTool;
      o.tool = model::ToolRef{.name = kTools[rng() % 5], .call_id = o.id};
      if (rng() % 30 == 0) {
        o.status = model::Status::kError;
        o.error_type = "upstream_error";
      }
    }
    batch.observations.push_back(std::move(o));
  }
  return batch;
}

int Main(int argc, char** argv) {
  StoreFlags flags;
  int64_t spans = 10'000'000;
  int iterations = 50;
  CLI::App app{"trackly metrics benchmark"};
  AddStoreFlags(app, flags);
  app.add_option("--spans", spans, "spans to seed over 30 days (20 per trace)")->capture_default_str();
  app.add_option("--iterations", iterations, "runs per query")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as soon as it is known

  const int64_t traces = spans / kSpansPerTrace;
  std::unique_ptr<store::Store> opened = OpenSeededStore(
      flags, {.sync_full = false},
      {.name = "metrics_bench", .traces = traces, .spans_per_trace = kSpansPerTrace, .in_flight = 256},
      [traces](int64_t i, std::mt19937_64& rng) { return MakeTrace(i, traces, rng); });
  if (opened == nullptr) return 1;
  store::Store& store = *opened;

  // Ranges end at an unaligned time, as a "last N days" dashboard asks.
  const int64_t end = kBaseNs + kDays * kDayNs - 7 * 60'000'000'000 - 13'000'000'000;
  struct Case {
    const char* label;
    store::MetricsQuery query;
  };
  const std::vector<Case> cases = {
      {"cost_by_model_by_day_30d",
       {.from_ns = end - kDays * kDayNs, .to_ns = end, .measures = {Measure::kCost},
        .group_by = {MetricsDimension::kModel}, .time_grain = store::TimeGrain::kDay}},
      {"p95_latency_by_name_by_hour_7d",
       {.from_ns = end - 7 * kDayNs, .to_ns = end, .measures = {Measure::kP95Latency},
        .group_by = {MetricsDimension::kName}, .time_grain = store::TimeGrain::kHour}},
      {"error_rate_by_tool_30d",
       {.from_ns = end - kDays * kDayNs, .to_ns = end, .measures = {Measure::kErrorRate, Measure::kCount},
        .group_by = {MetricsDimension::kTool}, .filters = {{MetricsDimension::kType, "tool"}}}},
      {"success_rate_by_prompt_version_30d",
       {.from_ns = end - kDays * kDayNs, .to_ns = end, .measures = {Measure::kSuccessRate},
        .group_by = {MetricsDimension::kPromptName, MetricsDimension::kPromptVersion}}},
      {"cost_per_successful_run_by_agent_30d",
       {.from_ns = end - kDays * kDayNs, .to_ns = end, .level = store::MetricsLevel::kTrace,
        .measures = {Measure::kCostPerSuccessfulRun, Measure::kModelCallsPerRun},
        .group_by = {MetricsDimension::kName}}},
  };
  int64_t errors = 0;
  for (Case c : cases) {
    c.query.project = "bench";
    size_t rows = 0;
    bool failed = false;
    const Percentiles times = TimeRuns(iterations, [&](int) {
      if (failed) return;
      absl::StatusOr<store::MetricsResult> result = store.QueryMetrics(c.query);
      if (!result.ok()) {
        std::fprintf(stderr, "%s: %s\n", c.label, std::string(result.status().message()).c_str());
        ++errors;
        failed = true;
        return;
      }
      rows = result->rows.size();
    });
    std::printf("spans=%lld %s_ms p50=%.3f p90=%.3f p99=%.3f rows=%zu\n", static_cast<long long>(spans), c.label,
                times.p50, times.p90, times.p99, rows);
  }
  std::printf("errors=%lld loadavg_at_end=%s\n", static_cast<long long>(errors), LoadAverage().c_str());
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace trackly::bench

int main(int argc, char** argv) { return trackly::bench::Main(argc, argv); }
