// `trackly traces` (the newest traces of a project), `trackly trace ID` (one trace as a tree) and
// `trackly export` (whole traces as JSON lines or OTLP/JSON, query/export.h), read straight from
// the store `trackly serve` stores into (store_access.h): the data directory's embedded store, where
// a server may be running on the same directory (SQLite in WAL mode lets this process read while
// the server writes), or ClickHouse.
#include <fstream>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/status.h"
#include "cli/command.h"
#include "cli/store_access.h"
#include "cli/trace_filters.h"
#include "cli/trace_view.h"
#include "model/codec.h"
#include "query/export.h"
#include "query/insight.h"
#include "query/query_service.h"
#include "server/audit_log.h"

namespace trackly::cli {
namespace {

struct TracesArgs {
  std::string data_dir;
  TraceFilterFlags filters;
  std::string trace_id;
  bool json = false;
  std::string format = "jsonl";  // export
  std::string out;               // export: a file; empty = stdout
  std::string against;           // diff: the baseline trace id
  bool typical = false;          // diff: against the typical trace of the same name
  int typical_of = 20;           // diff --typical: how many earlier traces
  bool text = false;             // diff: line diffs of changed inputs and outputs
};

// Opens the store for reading (store_access.h), after checking that the project exists so a typo
// gets a clear message instead of an empty list.
absl::StatusOr<std::unique_ptr<store::Store>> OpenStore(const std::string& data_dir, const std::string& project) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, project));
  return OpenStoreForReading(data_dir);
}

absl::Status ListTraces(const TracesArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(store::TraceQuery query,
                           BuildTraceQuery(args.filters, SystemClock::Get().NowNanos()));
  TRACKLY_ASSIGN_OR_RETURN(auto store, OpenStore(args.data_dir, query.project));
  TRACKLY_ASSIGN_OR_RETURN(store::TracePage page, store->ListTraces(query));
  if (args.json) {
    model::Json data = model::Json::array();
    for (const model::Trace& trace : page.traces) data.push_back(model::ToJson(trace));
    PrintJson({{"data", std::move(data)},
               {"next_cursor", page.next_cursor.empty() ? model::Json(nullptr)
                                                        : model::Json(page.next_cursor)}});
    return absl::OkStatus();
  }
  for (const std::string& line : FormatTraceList(page.traces)) std::cout << line << "\n";
  if (!page.next_cursor.empty()) {
    std::cout << "(more traces: raise --limit or narrow with --since/--until)\n";
  }
  std::cout.flush();
  return absl::OkStatus();
}

absl::Status ShowTrace(const TracesArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto store, OpenStore(args.data_dir, args.filters.project));
  absl::StatusOr<store::TraceDetail> detail = store->GetTrace(args.filters.project, args.trace_id);
  if (absl::IsNotFound(detail.status())) {
    return absl::NotFoundError(absl::StrCat("trace '", args.trace_id, "' not found in project '",
                                            args.filters.project, "'"));
  }
  TRACKLY_RETURN_IF_ERROR(detail.status());
  const int64_t now_ns = SystemClock::Get().NowNanos();
  if (args.json) {
    model::Json json = query::TraceDetailJson(*detail);
    json["insight"] = query::TraceInsightJson(*detail, now_ns);
    PrintJson(json);
    return absl::OkStatus();
  }
  for (const std::string& line : FormatTraceTree(detail->trace, detail->observations)) {
    std::cout << line << "\n";
  }
  const std::vector<analysis::Finding> findings =
      analysis::DetectPathologies(detail->observations, analysis::PathologyOptions(), now_ns);
  std::cout << "\n";
  for (const std::string& line : FormatRunInsight(analysis::ProfileRun(detail->observations), findings)) {
    std::cout << line << "\n";
  }
  std::cout.flush();
  return absl::OkStatus();
}

// The diff of args.trace_id against args.against (or the typical trace), through the same query
// as GET /api/v1/traces/{id}/diff.
absl::Status DiffTraces(TracesArgs args) {
  // With --typical the one positional given lands in `baseline` (CLI11 fills them in order).
  if (args.typical && args.trace_id.empty()) std::swap(args.trace_id, args.against);
  if (args.trace_id.empty() || args.typical == !args.against.empty()) {
    return absl::InvalidArgumentError("give a baseline trace id and a trace id, or --typical and a trace id");
  }
  TRACKLY_ASSIGN_OR_RETURN(auto store, OpenStore(args.data_dir, args.filters.project));
  query::QueryService queries(*store);
  query::QueryParams params = {{"against", args.typical ? query::kTypicalTrace : args.against},
                               {"text", args.text ? "true" : "false"}};
  if (args.typical) params.emplace_back("n", absl::StrCat(args.typical_of));
  TRACKLY_ASSIGN_OR_RETURN(model::Json diff, queries.DiffTrace(args.filters.project, args.trace_id, params,
                                                               /*raw_io=*/true));
  if (args.json) {
    PrintJson(diff);
    return absl::OkStatus();
  }
  for (const std::string& line : FormatTraceDiff(diff)) std::cout << line << "\n";
  std::cout.flush();
  return absl::OkStatus();
}

// Every trace the filters select, page after page (--limit traces per page), into --out or stdout.
absl::Status Export(const TracesArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(query::ExportFormat format, query::ParseExportFormat(args.format));
  TRACKLY_ASSIGN_OR_RETURN(store::TraceQuery query, BuildTraceQuery(args.filters, SystemClock::Get().NowNanos()));
  TRACKLY_ASSIGN_OR_RETURN(auto store, OpenStore(args.data_dir, query.project));
  std::ofstream file;
  if (!args.out.empty()) {
    file.open(args.out, std::ios::binary | std::ios::trunc);
    if (!file) return absl::UnavailableError(absl::StrCat("cannot write '", args.out, "'"));
  }
  std::ostream& out = args.out.empty() ? std::cout : file;
  int64_t traces = 0;
  int64_t observations = 0;
  model::Json resource_spans = model::Json::array();  // otlp: one document of every page
  do {
    TRACKLY_ASSIGN_OR_RETURN(query::ExportResult page, query::ExportTraces(*store, query, format));
    traces += page.traces;
    observations += page.observations;
    if (format == query::ExportFormat::kJsonLines) {
      out << page.body;
    } else {
      for (model::Json& r : model::Json::parse(page.body)["resourceSpans"]) resource_spans.push_back(std::move(r));
    }
    query.cursor = page.next_cursor;
  } while (!query.cursor.empty());
  if (format == query::ExportFormat::kOtlpJson) out << model::DumpJson(model::Json{{"resourceSpans", resource_spans}});
  out.flush();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write '", args.out.empty() ? "stdout" : args.out, "'"));
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, query.project, server::audit_action::kExport, args.out,
                                         {{"format", args.format}, {"traces", traces}, {"observations", observations}}));
  std::cerr << "exported " << traces << " traces (" << observations << " observations)"
            << (args.out.empty() ? "" : " to " + args.out) << std::endl;
  return absl::OkStatus();
}

// The filter flags of `trackly traces`, for a command listing traces.
void AddFilterOptions(CLI::App& command, TraceFilterFlags& f) {
  command.add_option("--name", f.name, "Trace name");
  command.add_option("--user", f.user, "User id");
  command.add_option("--session", f.session, "Session id");
  command.add_option("--status", f.status, "ok, error, timeout, cancelled, skipped or unset");
  command.add_option("--env", f.environment, "Environment");
  command.add_option("--release", f.release, "Release");
  command.add_option("--tag", f.tag, "Tag");
  command.add_option("--model", f.model, "A model used by some generation of the trace");
  command.add_option("--min-latency-ms", f.min_latency_ms, "Minimum latency in milliseconds");
  command.add_option("--min-cost", f.min_cost, "Minimum cost in USD");
  command.add_option("--score", f.score, "Traces with a score of this name (e.g. helpful)");
  command.add_option("--score-min", f.score_min, "…whose value is at least this (true counts as 1, false as 0)");
  command.add_option("--score-max", f.score_max, "…whose value is at most this");
  command.add_option("--score-value", f.score_value, "…whose categorical value is this");
  command.add_option("--since", f.since, "Start bound: 30m, 1h, 2d (ago) or a timestamp");
  command.add_option("--until", f.until, "End bound: same forms as --since");
}

void AddProjectOption(CLI::App& command, TracesArgs& args) {
  command.add_option("--project", args.filters.project, "Project")->default_str("default");
}

}  // namespace

void AddTracesCommand(CLI::App& app, int* exit_code) {
  // Owned by the callbacks (which live as long as `app`), as CLI11 binds options to addresses.
  auto args = std::make_shared<TracesArgs>();
  TraceFilterFlags& f = args->filters;

  CLI::App* traces = app.add_subcommand("traces", "List the newest traces of a project");
  AddDataOption(*traces, &args->data_dir);
  AddProjectOption(*traces, *args);
  traces->add_option("--limit", f.limit, "Number of traces (1..1000)")->default_str("20");
  AddFilterOptions(*traces, f);
  traces->add_flag("--json", args->json, "Print the API's JSON ({data, next_cursor})");
  traces->callback([args, exit_code] {
    absl::Status status = ListTraces(*args);
    *exit_code = status.ok() ? 0 : ReportError(status);
  });

  CLI::App* exporter = app.add_subcommand("export", "Export whole traces as JSON lines or OTLP/JSON");
  AddDataOption(*exporter, &args->data_dir);
  AddProjectOption(*exporter, *args);
  exporter->add_option("--format", args->format, "jsonl (one trace per line) or otlp (an OTLP/JSON request)")
      ->capture_default_str();
  exporter->add_option("--out", args->out, "File to write (default: standard output)");
  exporter->add_option("--limit", f.limit, "Traces read per page (1..1000); every page is exported")
      ->default_str("20");
  AddFilterOptions(*exporter, f);
  exporter->callback([args, exit_code] {
    absl::Status status = Export(*args);
    *exit_code = status.ok() ? 0 : ReportError(status);
  });

  CLI::App* trace = app.add_subcommand("trace", "Show one trace as a tree");
  trace->add_option("trace_id", args->trace_id, "Trace id")->required();
  AddDataOption(*trace, &args->data_dir);
  AddProjectOption(*trace, *args);
  trace->add_flag("--json", args->json, "Print the API's JSON ({trace, observations})");
  trace->callback([args, exit_code] {
    absl::Status status = ShowTrace(*args);
    *exit_code = status.ok() ? 0 : ReportError(status);
  });

  // Its own arguments: `trace_id` above is bound to `trace`'s positional.
  auto diff_args = std::make_shared<TracesArgs>();
  CLI::App* diff = app.add_subcommand(
      "diff", "Compare two traces step by step (trackly diff BASELINE TRACE), or a trace with the typical one");
  diff->add_option("baseline", diff_args->against, "The trace to compare with (omit with --typical)");
  diff->add_option("trace_id", diff_args->trace_id, "The trace compared");
  diff->add_flag("--typical", diff_args->typical,
                 "Compare with the typical trace of the earlier traces of the same name");
  diff->add_option("--n", diff_args->typical_of, "With --typical: how many earlier traces (2..50)")->default_str("20");
  diff->add_flag("--text", diff_args->text, "Show line diffs of changed inputs and outputs");
  AddDataOption(*diff, &diff_args->data_dir);
  AddProjectOption(*diff, *diff_args);
  diff->add_flag("--json", diff_args->json, "Print the API's JSON");
  diff->callback([diff_args, exit_code] {
    absl::Status status = DiffTraces(*diff_args);
    *exit_code = status.ok() ? 0 : ReportError(status);
  });
}

}  // namespace trackly::cli
