#include "query/workflow.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "analysis/workflow_graph.h"
#include "base/status.h"
#include "model/time_format.h"

namespace trackly::query {
namespace {

// The default range of a graph read from the rollups: the last 7 days.
constexpr int64_t kDefaultRollupRangeNs = 7 * store::kNanosPerDay;

// The traces one side of a graph aggregates.
struct RunSelection {
  store::TraceQuery query;
  bool selects = false;  // a release, environment or time bound was given
};

// Where a graph is read from: the workflow rollups maintained at completion, or the newest
// `limit` runs themselves (exact; also covers runs finished before the rollups existed).
enum class Source { kRollups, kRuns };

std::string_view ToString(Source source) { return source == Source::kRollups ? "rollups" : "runs"; }

// Sets `field` of `side` from a parameter (release, environment, from, to); false for another name.
absl::StatusOr<bool> SetSideField(std::string_view field, const std::string& value, RunSelection& side) {
  if (field == "release") {
    side.query.release = value;
  } else if (field == "environment") {
    side.query.environment = value;
  } else if (field == "from" || field == "to") {
    absl::StatusOr<int64_t> ns = model::ParseTimestamp(value);
    if (!ns.ok()) return absl::InvalidArgumentError("must be an RFC 3339 time or a Unix timestamp");
    (field == "from" ? side.query.from_ns : side.query.to_ns) = *ns;
  } else {
    return false;
  }
  side.selects = true;
  return true;
}

// Reads the parameters: `name` and `limit` for both sides, the others for the side whose prefix
// they carry ("" for a single graph).
absl::Status ParseParams(const QueryParams& params, std::string_view project,
                         std::vector<std::pair<std::string, RunSelection*>> sides, Source& source) {
  source = Source::kRollups;
  std::string name;
  int limit = kDefaultWorkflowRuns;
  std::vector<std::string> seen;
  for (const auto& [key, value] : params) {
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return absl::InvalidArgumentError(absl::StrCat("parameter '", key, "' is repeated"));
    }
    seen.push_back(key);
    if (value.empty()) continue;
    if (key == "name") {
      name = value;
      continue;
    }
    if (key == "limit") {
      if (!absl::SimpleAtoi(value, &limit) || limit < 1 || limit > kMaxWorkflowRuns) {
        return absl::InvalidArgumentError(
            absl::StrCat("parameter 'limit' must be an integer from 1 to ", kMaxWorkflowRuns, ", got '", value, "'"));
      }
      source = Source::kRuns;
      continue;
    }
    bool known = false;
    for (auto& [prefix, side] : sides) {
      if (!key.starts_with(prefix)) continue;
      absl::StatusOr<bool> set = SetSideField(std::string_view(key).substr(prefix.size()), value, *side);
      if (!set.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("parameter '", key, "' ", set.status().message(), ", got '", value, "'"));
      }
      if (*set) {
        known = true;
        break;
      }
    }
    if (!known) return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", key, "'"));
  }
  if (name.empty()) return absl::InvalidArgumentError("parameter 'name' is required (the trace name of the agent)");
  for (auto& [prefix, side] : sides) {
    side->query.project = std::string(project);
    side->query.name = name;
    side->query.limit = limit;
    if (side->query.from_ns != 0 && side->query.to_ns != 0 && side->query.from_ns >= side->query.to_ns) {
      return absl::InvalidArgumentError(absl::StrCat("parameter '", prefix, "from' must be before '", prefix, "to'"));
    }
  }
  return absl::OkStatus();
}

// The newest query.limit traces the query selects, each as its observations' summaries.
absl::StatusOr<std::vector<std::vector<model::Observation>>> LoadRuns(store::Store& store,
                                                                      const store::TraceQuery& query) {
  TRACKLY_ASSIGN_OR_RETURN(store::TracePage page, store.ListTraces(query));
  std::vector<std::vector<model::Observation>> runs;
  runs.reserve(page.traces.size());
  for (const model::Trace& trace : page.traces) {
    std::vector<model::Observation>& run = runs.emplace_back();
    store::ObservationQuery pages{.project = query.project, .trace_id = trace.id, .limit = store::kMaxListLimit,
                                  .summary_only = true};
    do {
      absl::StatusOr<store::ObservationPage> observations = store.ListTraceObservations(pages);
      if (absl::IsNotFound(observations.status())) break;  // erased meanwhile
      TRACKLY_RETURN_IF_ERROR(observations.status());
      for (store::PagedObservation& item : observations->observations) run.push_back(std::move(item.observation));
      pages.cursor = std::move(observations->next_cursor);
    } while (!pages.cursor.empty());
  }
  return runs;
}

// The graph of one side: its rollups merged (a `from` defaulting to 7 days before `to` or now), or
// its newest query.limit runs aggregated.
absl::StatusOr<analysis::WorkflowGraph> ReadGraph(store::Store& store, const store::TraceQuery& query, Source source,
                                                  int64_t now_ns) {
  if (source == Source::kRuns) {
    TRACKLY_ASSIGN_OR_RETURN(auto runs, LoadRuns(store, query));
    return analysis::BuildWorkflowGraph(runs);
  }
  store::WorkflowRollupQuery rollups{.project = query.project, .name = query.name, .from_ns = query.from_ns,
                                     .to_ns = query.to_ns};
  if (!query.environment.empty()) rollups.environment = query.environment;
  if (!query.release.empty()) rollups.release = query.release;
  if (rollups.from_ns == 0) rollups.from_ns = (rollups.to_ns != 0 ? rollups.to_ns : now_ns) - kDefaultRollupRangeNs;
  TRACKLY_ASSIGN_OR_RETURN(model::WorkflowRollup rollup, store.QueryWorkflowRollup(rollups));
  return analysis::WorkflowGraphOfRollup(rollup);
}

// Whether `store` keeps workflow rollups; a backend without them (Unimplemented) is read run by
// run instead, and the answer says so ("source": "runs").
Source SourceFor(store::Store& store, std::string_view project, Source asked) {
  if (asked == Source::kRuns) return Source::kRuns;
  // A query every backend rejects before reading anything: no name.
  const absl::Status probe = store.QueryWorkflowRollup(store::WorkflowRollupQuery{.project = std::string(project)}).status();
  return absl::IsUnimplemented(probe) ? Source::kRuns : Source::kRollups;
}

model::Json TotalsJson(const analysis::WorkflowRunTotals& t) {
  return model::Json{{"runs", t.runs},
                     {"spans_per_run", t.spans_per_run},
                     {"model_calls_per_run", t.model_calls_per_run},
                     {"tool_calls_per_run", t.tool_calls_per_run},
                     {"errors_per_run", t.errors_per_run},
                     {"cost_per_run", t.cost_per_run_usd},
                     {"total_tokens_per_run", t.total_tokens_per_run},
                     {"latency_p50_ms", t.latency_p50_ms},
                     {"latency_p95_ms", t.latency_p95_ms}};
}

model::Json EdgeJson(const analysis::WorkflowGraph& graph, const analysis::WorkflowEdge& edge, bool paths) {
  model::Json json{{"kind", analysis::ToString(edge.kind)}, {"runs", edge.runs}, {"count", edge.count}};
  if (paths) {
    json["from"] = analysis::WorkflowPath(graph, edge.from);
    json["to"] = analysis::WorkflowPath(graph, edge.to);
  } else {
    json["from"] = edge.from;
    json["to"] = edge.to;
  }
  return json;
}

}  // namespace

absl::StatusOr<model::Json> WorkflowGraphJson(store::Store& store, std::string_view project, const QueryParams& params,
                                              const Clock& clock) {
  RunSelection selection;
  Source source;
  TRACKLY_RETURN_IF_ERROR(ParseParams(params, project, {{"", &selection}}, source));
  source = SourceFor(store, project, source);
  TRACKLY_ASSIGN_OR_RETURN(const analysis::WorkflowGraph graph,
                           ReadGraph(store, selection.query, source, clock.NowNanos()));
  model::Json nodes = model::Json::array();
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const analysis::WorkflowNode& n = graph.nodes[i];
    nodes.push_back({{"path", analysis::WorkflowPath(graph, static_cast<int32_t>(i))},
                     {"key", n.key},
                     {"parent", n.parent < 0 ? model::Json(nullptr) : model::Json(n.parent)},
                     {"depth", n.depth},
                     {"runs", n.runs},
                     {"calls", n.calls},
                     {"calls_per_run", n.calls_per_run},
                     {"latency_p50_ms", n.latency_p50_ms},
                     {"latency_p95_ms", n.latency_p95_ms},
                     {"cost", n.cost_usd},
                     {"mean_cost", n.mean_cost_usd},
                     {"total_tokens", n.total_tokens},
                     {"errors", n.errors}});
  }
  model::Json edges = model::Json::array();
  for (const analysis::WorkflowEdge& edge : graph.edges) edges.push_back(EdgeJson(graph, edge, /*paths=*/false));
  return model::Json{{"name", selection.query.name},
                     {"source", ToString(source)},
                     {"totals", TotalsJson(graph.totals)},
                     {"nodes", std::move(nodes)},
                     {"edges", std::move(edges)}};
}

absl::StatusOr<model::Json> WorkflowDiffJson(store::Store& store, std::string_view project, const QueryParams& params,
                                             const Clock& clock) {
  RunSelection before, after;
  Source source;
  TRACKLY_RETURN_IF_ERROR(ParseParams(params, project, {{"before_", &before}, {"after_", &after}}, source));
  if (!before.selects || !after.selects) {
    return absl::InvalidArgumentError(
        "each side needs a release, environment or time range (before_release=…, after_release=…, before_from=…)");
  }
  source = SourceFor(store, project, source);
  const int64_t now_ns = clock.NowNanos();
  TRACKLY_ASSIGN_OR_RETURN(const analysis::WorkflowGraph old_graph, ReadGraph(store, before.query, source, now_ns));
  TRACKLY_ASSIGN_OR_RETURN(const analysis::WorkflowGraph new_graph, ReadGraph(store, after.query, source, now_ns));
  const analysis::WorkflowGraphDiff diff = analysis::DiffWorkflowGraphs(old_graph, new_graph);
  auto paths = [](const analysis::WorkflowGraph& graph, const std::vector<int32_t>& nodes) {
    model::Json out = model::Json::array();
    for (int32_t node : nodes) out.push_back(analysis::WorkflowPath(graph, node));
    return out;
  };
  auto edges = [](const analysis::WorkflowGraph& graph, const std::vector<int32_t>& indexes) {
    model::Json out = model::Json::array();
    for (int32_t i : indexes) out.push_back(EdgeJson(graph, graph.edges[i], /*paths=*/true));
    return out;
  };
  model::Json moved = model::Json::array();
  for (const analysis::WorkflowNodeChange& c : diff.moved_nodes) {
    model::Json what = model::Json::array();
    for (const auto& [flag, label] : {std::pair{c.calls_per_run_moved, "calls_per_run"}, {c.latency_p50_moved, "latency_p50"},
                                      {c.latency_p95_moved, "latency_p95"}, {c.mean_cost_moved, "mean_cost"}}) {
      if (flag) what.push_back(label);
    }
    moved.push_back({{"path", analysis::WorkflowPath(new_graph, c.after)},
                     {"calls_per_run", {c.calls_per_run_before, c.calls_per_run_after}},
                     {"latency_p50_ms", {c.latency_p50_ms_before, c.latency_p50_ms_after}},
                     {"latency_p95_ms", {c.latency_p95_ms_before, c.latency_p95_ms_after}},
                     {"mean_cost", {c.mean_cost_usd_before, c.mean_cost_usd_after}},
                     {"moved", std::move(what)}});
  }
  return model::Json{{"name", before.query.name},
                     {"source", ToString(source)},
                     {"before", TotalsJson(diff.before_totals)},
                     {"after", TotalsJson(diff.after_totals)},
                     {"new_nodes", paths(new_graph, diff.new_nodes)},
                     {"vanished_nodes", paths(old_graph, diff.vanished_nodes)},
                     {"new_edges", edges(new_graph, diff.new_edges)},
                     {"vanished_edges", edges(old_graph, diff.vanished_edges)},
                     {"moved", std::move(moved)}};
}

}  // namespace trackly::query
