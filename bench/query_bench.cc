// Query benchmark over a store seeded with N spans: trace detail of a 100-span trace and the
// newest-50 trace list, unfiltered and with a filter, as the API serves them (Store reads, no HTTP).
//
//   build/bench/query_bench --dir /tmp/trackly-bench-1m --spans 1000000
//   build/bench/query_bench --store clickhouse --clickhouse-port 8123 --spans 1000000 --iterations 200
// Seeds the store on first use (the directory, or the ClickHouse database, default
// query_bench_<spans>; reused afterwards: seeding 10M spans takes minutes), then prints
// p50/p90/p99 of each query: trace detail over --iterations runs, each list over a quarter of them.
#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/str_format.h"
#include "bench/seeded_store.h"

namespace trackly::bench {
namespace {

constexpr int kSpansPerTrace = 100;
constexpr int kUsers = 1000;
constexpr int64_t kBaseNs = 1'790'000'000'000'000'000;  // late 2026

std::string TraceId(int64_t i) { return absl::StrFormat("%032x", i + 1); }

// One 100-span agent trace; trace i starts i seconds after kBaseNs.
store::WriteBatch MakeTrace(int64_t i, std::mt19937_64& rng) {
  store::WriteBatch batch;
  batch.project = "bench";
  std::string trace_id = TraceId(i);
  int64_t start = kBaseNs + i * 1'000'000'000;
  std::string text(300, 'x');
  for (int s = 0; s < kSpansPerTrace; ++s) {
    model::Observation o;
    o.trace_id = trace_id;
    o.id = absl::StrFormat("%016x", s + 1);
    o.parent_id = s == 0 ? "" : absl::StrFormat("%016x", 1);
    o.start_time_ns = start + s * 1'000'000;
    o.end_time_ns = o.start_time_ns + 900'000;
    o.input = text;
    o.output = text;
    if (s == 0) {
      o.name = i % 10 == 0 ? "support_agent" : "research_agent";
      o.type = model::ObservationType::kAgent;
      o.trace_hints.user_id = "user-" + std::to_string(rng() % kUsers);
      o.trace_hints.session_id = "session-" + std::to_string(i / 5);
    } else if (s % 3 == 0) {
      o.name = "chat gpt-4o";
      o.type = model::ObservationType::kGeneration;
      o.model = i % 7 == 0 ? "claude-3-5-sonnet" : "gpt-4o";
      o.usage.input_tokens = 500 + static_cast<int64_t>(rng() % 2000);
      o.usage.output_tokens = 100;
      o.usage.total_tokens = o.usage.input_tokens + 100;
    } else {
      o.name = "execute_tool web_search";
      o.type = model::ObservationType::kTool;
      if (rng() % 50 == 0) o.status = model::Status::kError;
    }
    batch.observations.push_back(std::move(o));
  }
  return batch;
}

int Main(int argc, char** argv) {
  StoreFlags flags;
  int64_t spans = 1'000'000;
  int iterations = 2000;
  CLI::App app{"trackly query benchmark"};
  AddStoreFlags(app, flags);
  app.add_option("--spans", spans, "spans to seed (100 per trace)")->capture_default_str();
  app.add_option("--iterations", iterations, "runs per query")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as soon as it is known
  int64_t traces = spans / kSpansPerTrace;

  std::unique_ptr<store::Store> opened = OpenSeededStore(
      flags, {}, {.name = "query_bench", .traces = traces, .spans_per_trace = kSpansPerTrace, .in_flight = 64},
      MakeTrace);
  if (opened == nullptr) return 1;
  store::Store& store = *opened;

  std::mt19937_64 rng(7);
  std::vector<std::string> ids;
  for (int i = 0; i < iterations; ++i) ids.push_back(TraceId(static_cast<int64_t>(rng() % traces)));
  int64_t errors = 0;
  Percentiles detail = TimeRuns(iterations, [&](int i) {
    if (!store.GetTrace("bench", ids[i]).ok()) ++errors;
  });
  std::printf("spans=%lld trace_detail_100_spans_ms p50=%.3f p90=%.3f p99=%.3f\n", static_cast<long long>(spans),
              detail.p50, detail.p90, detail.p99);

  struct ListCase {
    const char* label;
    void (*apply)(store::TraceQuery&);
  } cases[] = {
      {"newest50", [](store::TraceQuery&) {}},
      {"newest50_name", [](store::TraceQuery& q) { q.name = "support_agent"; }},
      {"newest50_user", [](store::TraceQuery& q) { q.user_id = "user-17"; }},
      {"newest50_model", [](store::TraceQuery& q) { q.model = "claude-3-5-sonnet"; }},
      {"newest50_status_error", [](store::TraceQuery& q) { q.status = model::Status::kError; }},
      // Full-text search: a word in every trace's input, and one in none (the slowest: nothing
      // ends the search early).
      {"newest50_text_every", [](store::TraceQuery& q) { q.text = std::string(300, 'x'); }},
      {"newest50_text_none", [](store::TraceQuery& q) { q.text = "zebra"; }},
  };
  for (const ListCase& c : cases) {
    Percentiles list = TimeRuns(std::max(iterations / 4, 20), [&](int) {
      store::TraceQuery q;
      q.project = "bench";
      q.limit = 50;
      c.apply(q);
      if (!store.ListTraces(q).ok()) ++errors;
    });
    std::printf("spans=%lld list_%s_ms p50=%.3f p90=%.3f p99=%.3f\n", static_cast<long long>(spans), c.label,
                list.p50, list.p90, list.p99);
  }
  std::printf("errors=%lld loadavg_at_end=%s\n", static_cast<long long>(errors), LoadAverage().c_str());
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace trackly::bench

int main(int argc, char** argv) { return trackly::bench::Main(argc, argv); }
