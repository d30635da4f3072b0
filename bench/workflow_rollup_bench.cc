// The workflow graph maintained at completion (docs/insight.md "Workflow graph", "Maintained at
// completion") on the embedded store: records N runs of a ~50-span research agent (bench/
// agent_run.h) over 30 days and two releases released side by side, through
// Store::RecordWorkflowRuns in the finisher's batches of 500, then times the graph of all 30 days
// (QueryWorkflowRollup + WorkflowGraphOfRollup) and the diff of the two releases, median of 7.
//
//   build/bench/workflow_rollup_bench [--runs 1000000] [--dir /tmp/somewhere] [--keep]
//
// Figures on the 2-core development VM, RelWithDebInfo build: docs/insight.md "Maintained at
// completion" (target: the 30-day graph of 1,000,000 runs in at most 500 ms).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "analysis/workflow_graph.h"
#include "bench/agent_run.h"
#include "store/sqlite/sqlite_store.h"

namespace trackly::bench {
namespace {

constexpr int kDistinctRunsPerRelease = 1'000;  // distinct shapes each release cycles through
constexpr size_t kRunsPerCall = 500;            // as server/trace_finisher.cc batches them
constexpr int kRepetitions = 7;
constexpr int64_t kDays = 30;
constexpr int64_t kNanosPerDay = int64_t{86'400} * 1'000'000'000;

double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

template <typename F>
double MedianMs(F&& f) {
  std::vector<double> ms;
  for (int i = 0; i < kRepetitions; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    ms.push_back(Seconds(std::chrono::steady_clock::now() - start) * 1e3);
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void Check(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

int Main(int argc, char** argv) {
  int64_t runs = 1'000'000;
  std::string dir;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--runs" && i + 1 < argc) {
      runs = std::atoll(argv[++i]);
    } else if (arg == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (arg == "--keep") {
      keep = true;
    } else {
      std::fprintf(stderr, "usage: %s [--runs N] [--dir DIR] [--keep]\n", argv[0]);
      return 2;
    }
  }
  if (dir.empty()) {
    dir = (std::filesystem::temp_directory_path() / absl::StrCat("trackly-workflow-rollup-bench-", getpid())).string();
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  // The rollups of the distinct runs: release v2 searches once more per turn (a prompt change).
  std::vector<model::WorkflowRollup> pool[2];
  size_t spans = 0;
  double rollup_s = 0;
  for (int release = 0; release < 2; ++release) {
    for (int i = 0; i < kDistinctRunsPerRelease; ++i) {
      const std::vector<Observation> run = AgentRun(static_cast<uint32_t>(1 + i + 100'000 * release), release);
      spans += run.size();
      const auto start = std::chrono::steady_clock::now();
      pool[release].push_back(analysis::WorkflowRollupOfRun(run));
      rollup_s += Seconds(std::chrono::steady_clock::now() - start);
    }
  }
  size_t encoded = 0;
  for (const auto& rollups : pool) {
    for (const model::WorkflowRollup& r : rollups) encoded += r.Encode().size();
  }
  std::printf("WorkflowRollupOfRun: %.1f us per run of %.1f spans; encoded %.0f bytes per run\n",
              rollup_s * 1e6 / (2 * kDistinctRunsPerRelease), static_cast<double>(spans) / (2 * kDistinctRunsPerRelease),
              static_cast<double>(encoded) / (2 * kDistinctRunsPerRelease));

  absl::StatusOr<std::unique_ptr<store::SqliteStore>> opened = store::SqliteStore::Open({.dir = dir});
  Check(opened.status(), "open");
  store::SqliteStore& store = **opened;

  // Runs in start order (as they complete), both releases every hour.
  const int64_t from_ns = (kBaseNs / kNanosPerDay) * kNanosPerDay;
  const int64_t span_ns = kDays * kNanosPerDay;
  const auto record_start = std::chrono::steady_clock::now();
  std::vector<store::WorkflowRun> batch;
  for (int64_t i = 0; i < runs; ++i) {
    const int release = static_cast<int>(i % 2);
    batch.push_back(store::WorkflowRun{
        .trace_id = absl::StrCat("run-", i),
        .name = "research_agent",
        .environment = "production",
        .release = release == 0 ? "v1" : "v2",
        .start_ns = from_ns + static_cast<int64_t>(static_cast<double>(i) / static_cast<double>(runs) * static_cast<double>(span_ns)),
        .rollup = pool[release][static_cast<size_t>((i / 2) % kDistinctRunsPerRelease)]});
    if (batch.size() == kRunsPerCall || i + 1 == runs) {
      Check(store.RecordWorkflowRuns("p", std::move(batch)), "record");
      batch.clear();
    }
    if ((i + 1) % 100'000 == 0) {
      std::printf("  recorded %lld runs, %.0f runs/s\n", static_cast<long long>(i + 1),
                  static_cast<double>(i + 1) / Seconds(std::chrono::steady_clock::now() - record_start));
      std::fflush(stdout);
    }
  }
  const double record_s = Seconds(std::chrono::steady_clock::now() - record_start);
  std::printf("RecordWorkflowRuns: %lld runs in %.1f s, %.0f runs/s; store.db %.0f MiB\n",
              static_cast<long long>(runs), record_s, static_cast<double>(runs) / record_s,
              static_cast<double>(std::filesystem::file_size(std::filesystem::path(dir) / "store.db")) / (1 << 20));

  const store::WorkflowRollupQuery all{.project = "p", .name = "research_agent", .from_ns = from_ns,
                                       .to_ns = from_ns + span_ns};
  analysis::WorkflowGraph graph;
  model::WorkflowRollup rollup;
  const double query_ms = MedianMs([&] {
    absl::StatusOr<model::WorkflowRollup> got = store.QueryWorkflowRollup(all);
    Check(got.status(), "query");
    rollup = *std::move(got);
  });
  const double graph_ms = MedianMs([&] { graph = analysis::WorkflowGraphOfRollup(rollup); });
  const double both_ms = MedianMs([&] {
    absl::StatusOr<model::WorkflowRollup> got = store.QueryWorkflowRollup(all);
    Check(got.status(), "query");
    graph = analysis::WorkflowGraphOfRollup(*got);
  });
  std::printf("graph of %lld runs over %lld days (%lld hour cells x 2 releases): %.1f ms "
              "(QueryWorkflowRollup %.1f ms, WorkflowGraphOfRollup %.1f ms); %zu nodes, %zu edges\n",
              static_cast<long long>(graph.totals.runs), static_cast<long long>(kDays),
              static_cast<long long>(kDays * 24), both_ms, query_ms, graph_ms, graph.nodes.size(), graph.edges.size());

  analysis::WorkflowGraphDiff diff;
  const double diff_ms = MedianMs([&] {
    analysis::WorkflowGraph sides[2];
    for (int release = 0; release < 2; ++release) {
      store::WorkflowRollupQuery side = all;
      side.release = release == 0 ? "v1" : "v2";
      absl::StatusOr<model::WorkflowRollup> got = store.QueryWorkflowRollup(side);
      Check(got.status(), "query");
      sides[release] = analysis::WorkflowGraphOfRollup(*got);
    }
    diff = analysis::DiffWorkflowGraphs(sides[0], sides[1]);
  });
  std::printf("diff of the two releases over %lld days: %.1f ms; tool calls per run %.2f -> %.2f, %zu new nodes, "
              "%zu moved\n",
              static_cast<long long>(kDays), diff_ms, diff.before_totals.tool_calls_per_run,
              diff.after_totals.tool_calls_per_run, diff.new_nodes.size(), diff.moved_nodes.size());

  opened->reset();
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace trackly::bench

int main(int argc, char** argv) { return trackly::bench::Main(argc, argv); }
