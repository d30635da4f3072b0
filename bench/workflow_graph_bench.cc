// Cost of the workflow graph (src/analysis/workflow_graph.h, docs/insight.md "Workflow graph") on
// synthetic agent runs: the graph of 10,000 runs of ~50 spans each, and the diff of two such
// graphs (a release before and after a prompt change).
//
//   build/bench/workflow_graph_bench [--benchmark_filter=BuildWorkflowGraph]
//
// CPU time on the 2-core development VM, RelWithDebInfo build (docs/insight.md "Workflow graph"):
//   BuildWorkflowGraph/10000   ~190 ms    DiffWorkflowGraphs/10000   ~5 µs
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "analysis/workflow_graph.h"

namespace trackly::bench {
namespace {

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

// One run of a research agent, ~50 spans: a root agent with a planner and a writer sub-agent,
// each a loop of model calls followed by one to three tool calls (some with an HTTP span under
// them) and now and then a retrieval. `extra_searches` more searches per turn model a prompt
// change that made the agent search more.
std::vector<Observation> AgentRun(uint32_t seed, int extra_searches) {
  std::mt19937 rng(seed);
  std::vector<Observation> run = {Span("root", "", "research_agent", ObservationType::kAgent, 0, 60'000'000)};
  const char* tools[] = {"search", "fetch_page", "calculator", "read_file", "write_file"};
  const char* agents[] = {"planner", "writer"};
  int64_t at = 0;
  int id = 0;
  auto next_id = [&] { return "s" + std::to_string(id++); };
  for (const char* name : agents) {
    const std::string agent = next_id();
    run.push_back(Span(agent, "root", name, ObservationType::kAgent, at, 20'000'000));
    const int turns = 5 + static_cast<int>(rng() % 4);
    for (int turn = 0; turn < turns; ++turn) {
      Observation g = Span(next_id(), agent, "chat gpt-4o", ObservationType::kGeneration, at, 400'000 + rng() % 800'000);
      g.model = "gpt-4o";
      g.usage = {.input_tokens = 800 + turn * 150, .output_tokens = 60, .total_tokens = 860 + turn * 150};
      g.cost.total = 0.0025 + turn * 0.0004;
      run.push_back(std::move(g));
      at += 1'000'000;
      const int calls = 1 + static_cast<int>(rng() % 2) + extra_searches;
      for (int c = 0; c < calls; ++c) {
        const char* tool = c >= calls - extra_searches ? "search" : tools[rng() % 5];
        Observation t = Span(next_id(), agent, tool, ObservationType::kTool, at, 50'000 + rng() % 300'000);
        t.tool = model::ToolRef{tool, ""};
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

std::vector<std::vector<Observation>> Runs(int count, uint32_t seed, int extra_searches) {
  std::vector<std::vector<Observation>> runs;
  runs.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) runs.push_back(AgentRun(seed + static_cast<uint32_t>(i), extra_searches));
  return runs;
}

size_t Spans(const std::vector<std::vector<Observation>>& runs) {
  size_t spans = 0;
  for (const std::vector<Observation>& run : runs) spans += run.size();
  return spans;
}

void BM_BuildWorkflowGraph(benchmark::State& state) {
  const std::vector<std::vector<Observation>> runs = Runs(static_cast<int>(state.range(0)), 1, 0);
  analysis::WorkflowGraph graph;
  for (auto _ : state) {
    graph = analysis::BuildWorkflowGraph(runs);
    benchmark::DoNotOptimize(graph);
  }
  state.counters["spans"] = static_cast<double>(Spans(runs));
  state.counters["nodes"] = static_cast<double>(graph.nodes.size());
  state.counters["edges"] = static_cast<double>(graph.edges.size());
}
BENCHMARK(BM_BuildWorkflowGraph)->Arg(10'000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DiffWorkflowGraphs(benchmark::State& state) {
  const int count = static_cast<int>(state.range(0));
  const analysis::WorkflowGraph before = analysis::BuildWorkflowGraph(Runs(count, 1, 0));
  const analysis::WorkflowGraph after = analysis::BuildWorkflowGraph(Runs(count, 100'000, 1));
  analysis::WorkflowGraphDiff diff;
  for (auto _ : state) {
    diff = analysis::DiffWorkflowGraphs(before, after);
    benchmark::DoNotOptimize(diff);
  }
  state.counters["nodes"] = static_cast<double>(after.nodes.size());
  state.counters["moved"] = static_cast<double>(diff.moved_nodes.size());
  state.counters["tool_calls_per_run_before"] = diff.before_totals.tool_calls_per_run;
  state.counters["tool_calls_per_run_after"] = diff.after_totals.tool_calls_per_run;
}
BENCHMARK(BM_DiffWorkflowGraphs)->Arg(10'000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace trackly::bench

BENCHMARK_MAIN();
