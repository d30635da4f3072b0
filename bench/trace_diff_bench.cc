// Cost of the trace diff (src/analysis/trace_diff.h, docs/insight.md "Trace diff") on synthetic
// agent runs: two 10,000-span runs of one agent that differ as two real runs do (a few steps
// added or removed, latencies moved, some outputs changed), a 10,000-child flat list past the
// exact-alignment cap, two 100,000-deep chains, the typical trace of 20 runs, and a text diff.
//
//   build/bench/trace_diff_bench [--benchmark_filter=DiffAgentRuns]
//
// CPU time on the 2-core development VM, RelWithDebInfo build (docs/insight.md "Trace diff"):
//   DiffAgentRuns/10000     ~24 ms     DiffFlatSiblings/10000   ~20 ms    DiffDeepChains/100000 ~180 ms
//   TypicalTrace/20/1000    ~14 ms     DiffText/10000           ~1.5 ms
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "analysis/trace_diff.h"

namespace trackly::bench {
namespace {

using model::Json;
using model::Observation;
using model::ObservationType;

constexpr int64_t kBaseNs = 1'700'000'000'000'000'000;

Observation Span(std::string id, std::string parent, std::string name, ObservationType type, int64_t start_us,
                 int64_t duration_us) {
  Observation o;
  o.trace_id = "t";
  o.id = std::move(id);
  o.parent_id = std::move(parent);
  o.name = std::move(name);
  o.type = type;
  o.status = model::Status::kOk;
  o.start_time_ns = kBaseNs + start_us * 1000;
  o.end_time_ns = o.start_time_ns + duration_us * 1000;
  return o;
}

// An agent run of about `spans` spans: a root agent with sub-agents, each a loop of model calls
// (a ~600-byte chat input, an answer) followed by one to three tool calls (some with an HTTP span
// under them) and now and then a retrieval.
std::vector<Observation> AgentRun(int spans, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Observation> run = {Span("root", "", "research_agent", ObservationType::kAgent, 0, 600'000'000)};
  const char* tools[] = {"search", "fetch_page", "calculator", "read_file", "write_file"};
  int64_t at = 0;
  int id = 0;
  auto next_id = [&] { return "s" + std::to_string(id++); };
  while (static_cast<int>(run.size()) < spans) {
    const std::string agent = next_id();
    run.push_back(Span(agent, "root", "sub_agent", ObservationType::kAgent, at, 20'000'000));
    for (int turn = 0; turn < 12 && static_cast<int>(run.size()) < spans; ++turn) {
      Observation g =
          Span(next_id(), agent, "chat gpt-4o", ObservationType::kGeneration, at, 400'000 + rng() % 800'000);
      g.model = "gpt-4o";
      g.usage = {.input_tokens = 800 + turn * 150, .output_tokens = 60, .total_tokens = 860 + turn * 150};
      g.cost.total = 0.0025 + turn * 0.0004;
      g.input = Json::array({Json{{"role", "system"}, {"content", std::string(400, 's')}},
                             Json{{"role", "user"}, {"content", "step " + std::to_string(turn) + " of the task"}}});
      g.output =
          Json::array({Json{{"role", "assistant"}, {"content", "calling a tool for step " + std::to_string(turn)}}});
      run.push_back(g);
      at += 1'000'000;
      const int calls = 1 + static_cast<int>(rng() % 3);
      for (int c = 0; c < calls; ++c) {
        const char* tool = tools[rng() % 5];
        Observation t = Span(next_id(), agent, tool, ObservationType::kTool, at, 50'000 + rng() % 300'000);
        t.tool = model::ToolRef{tool, ""};
        t.input = Json{{"query", "q" + std::to_string(rng() % 50)}, {"limit", 10}};
        t.output = Json{{"result", std::string(100, 'r')}};
        const std::string tool_id = t.id;
        run.push_back(std::move(t));
        if (rng() % 3 == 0) run.push_back(Span(next_id(), tool_id, "GET", ObservationType::kSpan, at + 1000, 40'000));
        at += 400'000;
      }
      if (rng() % 4 == 0) {
        run.push_back(Span(next_id(), agent, "vector_search", ObservationType::kRetriever, at, 80'000));
        at += 100'000;
      }
    }
  }
  return run;
}

// A second run of the same agent: about 2% of the leaves removed, 2% of the tool calls retried
// once more, latencies moved by up to ±30%, and 5% of the outputs different.
std::vector<Observation> Perturbed(const std::vector<Observation>& run, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Observation> out;
  out.reserve(run.size() + run.size() / 50);
  for (const Observation& o : run) {
    const bool leaf = o.type == ObservationType::kTool || o.type == ObservationType::kRetriever;
    if (leaf && rng() % 50 == 0) continue;  // removed (its HTTP child becomes an orphan)
    Observation copy = o;
    if (o.parent_id != "" && o.parent_id != "root") {
      const int64_t duration = copy.end_time_ns - copy.start_time_ns;
      const int64_t scaled = duration / 100 * (70 + static_cast<int64_t>(rng() % 61));
      copy.end_time_ns = copy.start_time_ns + scaled / 1000 * 1000;
    }
    if (rng() % 20 == 0) copy.output = Json{{"result", "something else"}};
    out.push_back(copy);
    if (o.type == ObservationType::kTool && rng() % 50 == 0) {
      Observation retry = copy;
      retry.id += "-retry";
      retry.start_time_ns += 1000;
      retry.end_time_ns += 1000;
      out.push_back(std::move(retry));
    }
  }
  return out;
}

void BM_DiffAgentRuns(benchmark::State& state) {
  const std::vector<Observation> a = AgentRun(static_cast<int>(state.range(0)), 1);
  const std::vector<Observation> b = Perturbed(a, 2);
  analysis::TraceDiff diff;
  for (auto _ : state) {
    diff = analysis::DiffTraces(a, b);
    benchmark::DoNotOptimize(diff);
  }
  state.counters["a"] = static_cast<double>(a.size());
  state.counters["b"] = static_cast<double>(b.size());
  state.counters["same"] = static_cast<double>(diff.same);
  state.counters["changed"] = static_cast<double>(diff.changed);
  state.counters["added"] = static_cast<double>(diff.added);
  state.counters["removed"] = static_cast<double>(diff.removed);
}
BENCHMARK(BM_DiffAgentRuns)->Arg(10'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// One root with n children of 5 keys, a second run with every 40th child removed and every 60th
// doubled: far past max_alignment_cells, so the windowed alignment runs.
void BM_DiffFlatSiblings(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<Observation> a = {Span("root", "", "batch", ObservationType::kSpan, 0, 100'000'000)};
  std::vector<Observation> b = a;
  for (int i = 0; i < n; ++i) {
    Observation t = Span("c" + std::to_string(i), "root", "embed_" + std::to_string(i % 5), ObservationType::kTool,
                         i * 10, 5);
    if (i % 40 != 39) b.push_back(t);
    if (i % 60 == 59) {
      Observation again = t;
      again.id += "x";
      b.push_back(again);
    }
    a.push_back(std::move(t));
  }
  for (auto _ : state) benchmark::DoNotOptimize(analysis::DiffTraces(a, b));
}
BENCHMARK(BM_DiffFlatSiblings)->Arg(10'000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DiffDeepChains(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<Observation> a;
  for (int i = 0; i < n; ++i) {
    a.push_back(Span("s" + std::to_string(i), i == 0 ? "" : "s" + std::to_string(i - 1), "step", ObservationType::kSpan,
                     i, 2 * (n - i)));
  }
  std::vector<Observation> b = a;
  b[static_cast<size_t>(n / 2)].name = "other";
  for (auto _ : state) benchmark::DoNotOptimize(analysis::DiffTraces(a, b));
}
BENCHMARK(BM_DiffDeepChains)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_TypicalTrace(benchmark::State& state) {
  std::vector<std::vector<Observation>> runs;
  const std::vector<Observation> base = AgentRun(static_cast<int>(state.range(1)), 1);
  for (int i = 0; i < state.range(0); ++i) runs.push_back(Perturbed(base, static_cast<uint32_t>(10 + i)));
  for (auto _ : state) benchmark::DoNotOptimize(analysis::TypicalTrace(runs));
}
BENCHMARK(BM_TypicalTrace)->Args({20, 1000})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DiffText(benchmark::State& state) {
  std::mt19937 rng(5);
  std::string a;
  std::string b;
  for (int i = 0; i < state.range(0); ++i) {
    const std::string line = "line " + std::to_string(i) + " of a long prompt with some words\n";
    a += line;
    const uint32_t r = rng() % 100;
    if (r < 3) continue;  // removed
    b += r < 6 ? "changed " + line : line;
    if (r == 99) b += "inserted line\n";
  }
  for (auto _ : state) benchmark::DoNotOptimize(analysis::DiffText(a, b));
}
BENCHMARK(BM_DiffText)->Arg(10'000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace trackly::bench

BENCHMARK_MAIN();
