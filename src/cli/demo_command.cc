// `trackly demo --key KEY`: sends the sample runs of demo_runs.h to a running server as real
// OTLP/HTTP, so a fresh install has something to look at.
#include <iostream>
#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/clock.h"
#include "base/status.h"
#include "cli/command.h"
#include "cli/demo_runs.h"
#include "cli/otlp_http_exporter.h"

namespace trackly::cli {
namespace {

constexpr size_t kMaxBodyInMessage = 300;

struct DemoArgs {
  std::string endpoint = "http://127.0.0.1:4318";
  std::string key;
  std::string format = "protobuf";
  bool json = false;
};

std::string OneLineExcerpt(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (text.size() > kMaxBodyInMessage) text = absl::StrCat(text.substr(0, kMaxBodyInMessage), "…");
  return text;
}

absl::Status SendDemo(const DemoArgs& args) {
  OtlpHttpExporterOptions options;
  options.endpoint = args.endpoint;
  options.api_key = args.key;
  TRACKLY_ASSIGN_OR_RETURN(options.format, ParseOtlpFormat(args.format));
  TRACKLY_ASSIGN_OR_RETURN(auto exporter, OtlpHttpExporter::Create(options));

  // Fresh ids on every run, so repeated demos add traces instead of overwriting them.
  DemoRunBuilder builder(SystemClock::Get().NowNanos(), std::random_device{}());
  std::vector<DemoRun> runs = builder.All();

  size_t span_count = 0;
  size_t trace_count = 0;
  model::Json sent = model::Json::array();
  for (const DemoRun& run : runs) {
    absl::StatusOr<ExportResponse> response = exporter->Export(run.spans);
    if (!response.ok()) {
      return absl::Status(response.status().code(),
                          absl::StrCat("sending run '", run.name, "': ", response.status().message(),
                                       " (is `trackly serve` running?)"));
    }
    if (response->http_status != 200) {
      return absl::UnavailableError(absl::StrCat("the server answered HTTP ", response->http_status,
                                                 " to run '", run.name, "': ",
                                                 OneLineExcerpt(response->body)));
    }
    if (response->rejected_spans > 0) {
      return absl::InternalError(absl::StrCat("the server rejected ", response->rejected_spans, " of ",
                                              run.spans.size(), " spans of run '", run.name, "'"));
    }
    span_count += run.spans.size();
    trace_count += run.trace_ids.size();
    sent.push_back({{"name", run.name}, {"spans", run.spans.size()}, {"trace_ids", run.trace_ids}});
  }

  if (args.json) {
    PrintJson({{"endpoint", args.endpoint},
               {"format", args.format},
               {"spans", span_count},
               {"traces", trace_count},
               {"runs", std::move(sent)}});
    return absl::OkStatus();
  }
  std::cout << "Sent " << span_count << " spans in " << trace_count << " traces to " << args.endpoint
            << " (OTLP/HTTP " << args.format << ")\n";
  for (const DemoRun& run : runs) {
    std::string name = run.name;
    name.resize(std::max<size_t>(name.size(), 20), ' ');
    std::cout << "  " << name << absl::StrFormat("%3d", static_cast<int>(run.spans.size()))
              << " spans  " << (run.trace_ids.size() == 1 ? "trace  " : "traces ")
              << absl::StrJoin(run.trace_ids, " ") << "\n";
  }
  std::cout << "Look at them: trackly traces   |   trackly trace " << runs.front().trace_ids.front()
            << std::endl;
  return absl::OkStatus();
}

}  // namespace

void AddDemoCommand(CLI::App& app, int* exit_code) {
  // Owned by the callback (which lives as long as `app`), as CLI11 binds options to addresses.
  auto args = std::make_shared<DemoArgs>();
  CLI::App* demo = app.add_subcommand("demo", "Send sample agent runs to a running server");
  demo->add_option("--endpoint", args->endpoint, "OTLP/HTTP base URL (/v1/traces is appended)")
      ->default_str(args->endpoint);
  demo->add_option("--key", args->key, "API key with the ingest scope")
      ->required()
      ->envname("TRACKLY_API_KEY");
  demo->add_option("--format", args->format, "json or protobuf")->default_str(args->format);
  demo->add_flag("--json", args->json, "Print JSON");
  demo->callback([args, exit_code] {
    absl::Status status = SendDemo(*args);
    *exit_code = status.ok() ? 0 : ReportError(status);
  });
}

}  // namespace trackly::cli
