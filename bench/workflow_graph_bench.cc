// Cost of the workflow graph (src/analysis/workflow_graph.h, docs/insight.md "Workflow graph") on
// synthetic agent runs: the graph of 10,000 runs of ~50 spans each, and the diff of two such
// graphs (a release before and after a prompt change).
//
//   build/bench/workflow_graph_bench [--benchmark_filter=BuildWorkflowGraph]
//
// CPU time on the 2-core development VM, RelWithDebInfo build (docs/insight.md "Workflow graph"):
//   BuildWorkflowGraph/10000   ~190 ms    DiffWorkflowGraphs/10000   ~5 µs
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "analysis/workflow_graph.h"
#include "bench/agent_run.h"

namespace trackly::bench {
namespace {

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
