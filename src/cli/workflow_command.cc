// `trackly workflow --name AGENT [--release R | --since …] [--limit N]`: the workflow graph of an
// agent's runs; with --before-release/--after-release (or --before-since … --after-until …) what
// changed between two sets of runs (query/workflow.h, the same answers as GET /api/v1/workflow
// and /api/v1/workflow/diff). Read from the workflow rollups of the runs evaluated at completion
// (the last 7 days unless --since/--until say otherwise), or with --limit from the newest runs
// themselves. Reads the data directory of the embedded store.
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/clock.h"
#include "base/status.h"
#include "cli/command.h"
#include "cli/store_access.h"
#include "cli/trace_filters.h"
#include "cli/trace_view.h"
#include "query/workflow.h"

namespace trackly::cli {
namespace {

struct WorkflowArgs {
  std::string data_dir;
  std::string project = "default";
  std::string name;
  int limit = 0;  // 0: read the rollups; else the newest `limit` runs per side
  std::string release, since, until;                       // one graph
  std::string before_release, before_since, before_until;  // a diff
  std::string after_release, after_since, after_until;
  bool json = false;
};

// Adds `value` as parameter `name` (a time bound parsed like `trackly traces --since`).
absl::Status AddParam(query::QueryParams& params, const std::string& name, const std::string& value, bool is_time,
                      int64_t now_ns) {
  if (value.empty()) return absl::OkStatus();
  if (!is_time) {
    params.emplace_back(name, value);
    return absl::OkStatus();
  }
  TRACKLY_ASSIGN_OR_RETURN(int64_t ns, ParseTimeBound(value, absl::StrCat("--", name), now_ns));
  params.emplace_back(name, absl::StrCat(ns));
  return absl::OkStatus();
}

void PrintGraph(const model::Json& graph) {
  const model::Json& t = graph.at("totals");
  std::vector<std::string> lines = {absl::StrFormat(
      "%s: %d runs; per run %.1f spans, %.1f model calls, %.1f tool calls, %.2f errors, %s, latency p50 %s p95 %s",
      graph.at("name").get<std::string>(), t.at("runs").get<int64_t>(), t.at("spans_per_run").get<double>(),
      t.at("model_calls_per_run").get<double>(), t.at("tool_calls_per_run").get<double>(),
      t.at("errors_per_run").get<double>(), FormatCost(t.at("cost_per_run").get<double>()),
      FormatDurationMs(t.at("latency_p50_ms").get<double>()), FormatDurationMs(t.at("latency_p95_ms").get<double>()))};
  lines.push_back(graph.value("source", "") == "runs" ? "  read from the newest runs themselves (--limit)"
                                                     : "  read from the rollups of the runs evaluated at completion");
  for (const std::string& line : lines) std::cout << line << "\n";
  std::cout << "\n";
  std::vector<std::vector<std::string>> rows = {{"STEP", "RUNS", "CALLS/RUN", "P50", "P95", "MEAN COST", "ERRORS"}};
  for (const model::Json& node : graph.at("nodes")) {
    const int depth = std::min(node.at("depth").get<int>(), 20);
    rows.push_back({absl::StrCat(std::string(2 * (depth - 1), ' '), node.at("key").get<std::string>()),
                    absl::StrCat(node.at("runs").get<int64_t>()), absl::StrFormat("%.2f", node.at("calls_per_run").get<double>()),
                    FormatDurationMs(node.at("latency_p50_ms").get<double>()),
                    FormatDurationMs(node.at("latency_p95_ms").get<double>()),
                    FormatCost(node.at("mean_cost").get<double>()), absl::StrCat(node.at("errors").get<int64_t>())});
  }
  // Loops: a step followed by itself.
  for (const model::Json& edge : graph.at("edges")) {
    if (edge.at("kind") == "then" && edge.at("from") == edge.at("to")) {
      const model::Json& node = graph.at("nodes").at(edge.at("from").get<size_t>());
      rows.push_back({absl::StrCat("↻ ", node.at("path").get<std::string>(), " repeats in ", edge.at("runs").get<int64_t>(),
                                   " runs (", edge.at("count").get<int64_t>(), " times)"),
                      "", "", "", "", "", ""});
    }
  }
  PrintTable(rows);
}

std::vector<std::string> FormatDiff(const model::Json& diff) {
  const model::Json& b = diff.at("before");
  const model::Json& a = diff.at("after");
  std::vector<std::string> lines = {
      absl::StrFormat("%s: %d runs before, %d after", diff.at("name").get<std::string>(), b.at("runs").get<int64_t>(),
                      a.at("runs").get<int64_t>()),
      absl::StrFormat("  tool calls per run %.1f → %.1f, model calls per run %.1f → %.1f", b.at("tool_calls_per_run").get<double>(),
                      a.at("tool_calls_per_run").get<double>(), b.at("model_calls_per_run").get<double>(),
                      a.at("model_calls_per_run").get<double>()),
      absl::StrFormat("  cost per run %s → %s, latency p50 %s → %s", FormatCost(b.at("cost_per_run").get<double>()),
                      FormatCost(a.at("cost_per_run").get<double>()), FormatDurationMs(b.at("latency_p50_ms").get<double>()),
                      FormatDurationMs(a.at("latency_p50_ms").get<double>()))};
  for (const model::Json& path : diff.at("new_nodes")) lines.push_back(absl::StrCat("+ new step      ", path.get<std::string>()));
  for (const model::Json& path : diff.at("vanished_nodes")) {
    lines.push_back(absl::StrCat("- vanished step ", path.get<std::string>()));
  }
  for (const model::Json& edge : diff.at("new_edges")) {
    lines.push_back(absl::StrCat("+ new branch    ", edge.at("from").get<std::string>(), " → ", edge.at("to").get<std::string>(),
                                 " (", edge.at("runs").get<int64_t>(), " runs)"));
  }
  for (const model::Json& edge : diff.at("vanished_edges")) {
    lines.push_back(absl::StrCat("- gone branch   ", edge.at("from").get<std::string>(), " → ", edge.at("to").get<std::string>()));
  }
  for (const model::Json& node : diff.at("moved")) {
    lines.push_back(absl::StrFormat("~ moved         %s: calls/run %.2f → %.2f, p50 %s → %s, mean cost %s → %s",
                                    node.at("path").get<std::string>(), node.at("calls_per_run")[0].get<double>(),
                                    node.at("calls_per_run")[1].get<double>(),
                                    FormatDurationMs(node.at("latency_p50_ms")[0].get<double>()),
                                    FormatDurationMs(node.at("latency_p50_ms")[1].get<double>()),
                                    FormatCost(node.at("mean_cost")[0].get<double>()),
                                    FormatCost(node.at("mean_cost")[1].get<double>())));
  }
  return lines;
}

absl::Status Workflow(const WorkflowArgs& args) {
  const int64_t now_ns = SystemClock::Get().NowNanos();
  query::QueryParams params = {{"name", args.name}};
  if (args.limit != 0) params.emplace_back("limit", absl::StrCat(args.limit));
  const bool diff = !args.before_release.empty() || !args.before_since.empty() || !args.before_until.empty() ||
                    !args.after_release.empty() || !args.after_since.empty() || !args.after_until.empty();
  if (diff) {
    TRACKLY_RETURN_IF_ERROR(AddParam(params, "before_release", args.before_release, false, now_ns));
    TRACKLY_RETURN_IF_ERROR(AddParam(params, "before_from", args.before_since, true, now_ns));
    TRACKLY_RETURN_IF_ERROR(AddParam(params, "before_to", args.before_until, true, now_ns));
    TRACKLY_RETURN_IF_ERROR(AddParam(params, "after_release", args.after_release, false, now_ns));
    TRACKLY_RETURN_IF_ERROR(AddParam(params, "after_from", args.after_since, true, now_ns));
    TRACKLY_RETURN_IF_ERROR(AddParam(params, "after_to", args.after_until, true, now_ns));
  } else {
    TRACKLY_RETURN_IF_ERROR(AddParam(params, "release", args.release, false, now_ns));
    TRACKLY_RETURN_IF_ERROR(AddParam(params, "from", args.since, true, now_ns));
    TRACKLY_RETURN_IF_ERROR(AddParam(params, "to", args.until, true, now_ns));
  }
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store, OpenStoreForReading(args.data_dir));
  TRACKLY_ASSIGN_OR_RETURN(model::Json result, diff ? query::WorkflowDiffJson(*store, args.project, params)
                                                    : query::WorkflowGraphJson(*store, args.project, params));
  if (args.json) {
    PrintJson(result);
    return absl::OkStatus();
  }
  if (diff) {
    for (const std::string& line : FormatDiff(result)) std::cout << line << "\n";
  } else {
    PrintGraph(result);
  }
  std::cout.flush();
  return absl::OkStatus();
}

}  // namespace

void AddWorkflowCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<WorkflowArgs>();
  CLI::App* workflow = app.add_subcommand(
      "workflow", "The graph of an agent's steps over its runs, or what changed between two sets of runs");
  workflow->add_option("--name", args->name, "The agent: the trace name of its runs")->required();
  workflow->add_option("--project", args->project, "Project")->capture_default_str();
  workflow->add_option("--limit", args->limit,
                       "Read the newest N runs per side themselves (1..1000) instead of the rollups of evaluated runs");
  workflow->add_option("--release", args->release, "Only runs of this release");
  workflow->add_option("--since", args->since, "Runs that started at or after: 30m, 1h, 2d (ago) or a timestamp");
  workflow->add_option("--until", args->until, "Runs that started before: same forms");
  workflow->add_option("--before-release", args->before_release, "Compare: the runs of this release…");
  workflow->add_option("--after-release", args->after_release, "…with the runs of this one");
  workflow->add_option("--before-since", args->before_since, "Compare by time: before side from");
  workflow->add_option("--before-until", args->before_until, "Before side until");
  workflow->add_option("--after-since", args->after_since, "After side from");
  workflow->add_option("--after-until", args->after_until, "After side until");
  AddDataOption(*workflow, &args->data_dir);
  workflow->add_flag("--json", args->json, "Print the API's JSON");
  workflow->callback([args, exit_code] {
    absl::Status status = Workflow(*args);
    *exit_code = status.ok() ? 0 : ReportError(status);
  });
}

}  // namespace trackly::cli
