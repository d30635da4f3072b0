// Workflow rollups on ClickHouse (src/store/clickhouse/workflow.h, docs/scale-out.md "Workflow
// rollups"): records --runs runs of the ~50-span research agent of agent_run.h (as
// workflow_rollup_bench.cc does on SQLite), spread evenly over --days days and two releases, into
// a fresh database through Store::RecordWorkflowRuns in batches of --batch (as the finisher
// flushes them), and prints the recording rate. Then it times, median of --repeat,
// the graph of all days (QueryWorkflowRollup + WorkflowGraphOfRollup) and the diff of the two
// releases (two queries, two graphs, DiffWorkflowGraphs): first as the data lies after recording
// (parts partly merged), then after OPTIMIZE TABLE … FINAL (every cell merged), with the row
// counts of workflow_cells at each point.
//
// Needs a running clickhouse-server (Debian's 18.16 is what the figures in docs/scale-out.md are
// from); the database is dropped first and at the end:
//   build/bench/clickhouse_workflow_bench --clickhouse-port 8123 --runs 1000000
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "analysis/workflow_graph.h"
#include "bench/agent_run.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/http_client.h"
#include "store/clickhouse/row_binary.h"

namespace trackly::bench {
namespace {

constexpr int64_t kDayNs = int64_t{86'400} * 1'000'000'000;
constexpr int64_t kFirstDayNs = (1'790'000'000'000'000'000 / kDayNs) * kDayNs;  // a midnight in late 2026
constexpr char kProject[] = "bench";
constexpr char kName[] = "research_agent";

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

uint64_t CountRows(store::clickhouse::HttpClient& client, const std::string& database, const std::string& sql) {
  absl::StatusOr<std::string> rows = client.Query(absl::StrCat(sql, " FORMAT RowBinary"), {{"database", database}});
  if (!rows.ok()) return 0;
  store::clickhouse::RowBinaryReader in(*rows, sql);
  return in.UInt64();
}

int Main(int argc, char** argv) {
  store::ClickHouseStoreOptions options{.database = "trackly_workflow_bench"};
  int64_t runs = 1'000'000;
  int days = 30;
  int batch = 1000;
  int repeat = 5;
  int variants = 2000;
  CLI::App app{"trackly workflow rollups on ClickHouse"};
  app.add_option("--clickhouse-host", options.server.host, "ClickHouse HTTP host")->capture_default_str();
  app.add_option("--clickhouse-port", options.server.port, "ClickHouse HTTP port")->capture_default_str();
  app.add_option("--database", options.database, "database (dropped first and at the end)")->capture_default_str();
  app.add_option("--runs", runs, "runs to record")->capture_default_str();
  app.add_option("--days", days, "days the runs are spread over")->capture_default_str();
  app.add_option("--batch", batch, "runs per RecordWorkflowRuns call")->capture_default_str();
  app.add_option("--repeat", repeat, "queries timed per figure (the median is printed)")->capture_default_str();
  app.add_option("--variants", variants, "distinct run shapes generated (runs reuse them)")->capture_default_str();
  bool keep = false;
  app.add_flag("--keep", keep, "keep the database at the end (to inspect it)");
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as soon as it is known
  options.server.timeout_ms = 600'000;  // OPTIMIZE … FINAL of a large table

  store::clickhouse::HttpClient client(options.server);
  const std::string drop = absl::StrCat("DROP DATABASE IF EXISTS ", options.database);
  if (absl::Status dropped = client.Query(drop).status(); !dropped.ok()) {
    std::fprintf(stderr, "%s\n", std::string(dropped.message()).c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<store::ClickHouseStore>> store = store::ClickHouseStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", std::string(store.status().message()).c_str());
    return 1;
  }

  // Shapes are generated once: building 1M rollups would time the generator, not the store.
  // Release v2 searches once more per turn (agent_run.h).
  std::mt19937_64 rng(42);
  std::vector<model::WorkflowRollup> shapes[2];
  for (int release = 0; release < 2; ++release) {
    for (int i = 0; i < variants / 2; ++i) {
      const uint32_t seed = static_cast<uint32_t>(1 + i + 100'000 * release);
      shapes[release].push_back(analysis::WorkflowRollupOfRun(AgentRun(seed, /*extra_searches=*/release)));
    }
  }
  const int64_t spacing_ns = days * kDayNs / runs;
  const Clock::time_point record_start = Clock::now();
  for (int64_t first = 0; first < runs; first += batch) {
    std::vector<store::WorkflowRun> records;
    for (int64_t i = first; i < std::min(runs, first + batch); ++i) {
      const int release = static_cast<int>(rng() % 2);
      records.push_back(store::WorkflowRun{.trace_id = absl::StrFormat("%032x", i + 1),
                                           .name = kName,
                                           .environment = "production",
                                           .release = release == 0 ? "v1" : "v2",
                                           .start_ns = kFirstDayNs + i * spacing_ns,
                                           .rollup = shapes[release][rng() % shapes[release].size()]});
    }
    if (absl::Status status = (*store)->RecordWorkflowRuns(kProject, std::move(records)); !status.ok()) {
      std::fprintf(stderr, "recording: %s\n", std::string(status.message()).c_str());
      return 1;
    }
  }
  const double record_ms = MsSince(record_start);
  std::printf("recorded %lld runs over %d days in %.1f s: %.0f runs/s (batches of %d)\n",
              static_cast<long long>(runs), days, record_ms / 1000, static_cast<double>(runs) / (record_ms / 1000),
              batch);

  const int64_t to_ns = kFirstDayNs + days * kDayNs;
  auto time_queries = [&](const char* when) {
    const uint64_t rows = CountRows(client, options.database, "SELECT count() FROM workflow_cells");
    std::vector<double> graph_ms;
    std::vector<double> diff_ms;
    size_t nodes = 0;
    int64_t counted = 0;
    for (int i = 0; i < repeat; ++i) {
      Clock::time_point start = Clock::now();
      absl::StatusOr<model::WorkflowRollup> all = (*store)->QueryWorkflowRollup(
          {.project = kProject, .name = kName, .from_ns = kFirstDayNs, .to_ns = to_ns});
      if (!all.ok()) {
        std::fprintf(stderr, "query: %s\n", std::string(all.status().message()).c_str());
        return false;
      }
      const analysis::WorkflowGraph graph = analysis::WorkflowGraphOfRollup(*all);
      graph_ms.push_back(MsSince(start));
      nodes = graph.nodes.size();
      counted = all->totals().runs;

      start = Clock::now();
      analysis::WorkflowGraph sides[2];
      for (int release = 0; release < 2; ++release) {
        absl::StatusOr<model::WorkflowRollup> side = (*store)->QueryWorkflowRollup(
            {.project = kProject, .name = kName, .release = release == 0 ? "v1" : "v2", .from_ns = kFirstDayNs,
             .to_ns = to_ns});
        if (!side.ok()) return false;
        sides[release] = analysis::WorkflowGraphOfRollup(*side);
      }
      [[maybe_unused]] const analysis::WorkflowGraphDiff diff = analysis::DiffWorkflowGraphs(sides[0], sides[1]);
      diff_ms.push_back(MsSince(start));
    }
    std::printf("%s: %llu workflow_cells rows; %d-day graph (%lld runs, %zu nodes) %.0f ms; diff of the releases "
                "%.0f ms (median of %d)\n",
                when, static_cast<unsigned long long>(rows), days, static_cast<long long>(counted), nodes,
                Median(graph_ms), Median(diff_ms), repeat);
    return true;
  };
  if (!time_queries("as recorded")) return 1;
  const Clock::time_point optimize_start = Clock::now();
  for (const char* table : {"workflow_cells", "workflow_runs"}) {
    absl::Status status =
        client.Query(absl::StrCat("OPTIMIZE TABLE ", table, " FINAL"), {{"database", options.database}}).status();
    if (!status.ok()) std::fprintf(stderr, "optimize: %s\n", std::string(status.message()).c_str());
  }
  std::printf("OPTIMIZE … FINAL took %.1f s\n", MsSince(optimize_start) / 1000);
  if (!time_queries("merged")) return 1;
  std::printf("on disk: workflow_cells %.1f MiB, workflow_runs %.1f MiB\n",
              static_cast<double>(CountRows(client, options.database,
                                            "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = "
                                            "currentDatabase() AND table = 'workflow_cells'")) / (1 << 20),
              static_cast<double>(CountRows(client, options.database,
                                            "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = "
                                            "currentDatabase() AND table = 'workflow_runs'")) / (1 << 20));
  store->reset();
  if (!keep) (void)client.Query(drop);
  return 0;
}

}  // namespace
}  // namespace trackly::bench

int main(int argc, char** argv) { return trackly::bench::Main(argc, argv); }
