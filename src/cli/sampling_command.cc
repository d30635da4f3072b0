// `trackly sampling show|set`: a project's tail sampling policy and what it decided (docs/insight.md
// "Tail sampling"), on the data directory's catalog, beside a running server (whose trace finisher
// reads the policy on each pass, so a change applies to traces finished from then on). Changes are
// recorded in the audit log with the same details as the API's (server/sampling_handlers.h).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "analysis/sampling.h"
#include "base/clock.h"
#include "base/status.h"
#include "cli/command.h"
#include "server/audit_log.h"
#include "server/sampling_handlers.h"
#include "store/catalog.h"
#include "store/store.h"

namespace trackly::cli {
namespace {

struct SamplingArgs {
  std::string data_dir;
  std::string project;
  std::string file;  // "-" = stdin
  int days = static_cast<int>(server::kDefaultSamplingCountDays);
  bool json = false;
};

absl::StatusOr<analysis::SamplingPolicy> StoredPolicy(const store::SamplingPolicyRecord& record) {
  absl::StatusOr<analysis::SamplingPolicy> policy = analysis::ParseSamplingPolicyText(record.policy_json);
  if (!policy.ok()) {
    return absl::InternalError(absl::StrCat("stored sampling policy of project '", record.project,
                                            "' does not parse: ", policy.status().message()));
  }
  return policy;
}

// What the policy keeps, in a few words per line.
void PrintPolicy(const analysis::SamplingPolicy& policy) {
  if (!policy.enabled) {
    std::cout << "Tail sampling: off (every trace is kept)" << std::endl;
    return;
  }
  std::cout << "Tail sampling: on" << std::endl;
  std::vector<std::string> keeps;
  if (policy.keep_errors) keeps.push_back("with an error");
  if (policy.keep_findings) keeps.push_back("with a finding");
  if (policy.keep_rule_failures) keeps.push_back("that broke a process rule");
  for (const analysis::ScoreFloor& floor : policy.keep_scores_below) {
    keeps.push_back(absl::StrFormat("whose score \"%s\" is below %g", floor.name, floor.value));
  }
  if (policy.keep_cost_above_usd) keeps.push_back(absl::StrFormat("costing more than $%g", *policy.keep_cost_above_usd));
  if (policy.keep_latency_above_ms) {
    keeps.push_back(absl::StrFormat("taking longer than %g ms", *policy.keep_latency_above_ms));
  }
  for (const std::string& keep : keeps) std::cout << "  keeps every trace " << keep << std::endl;
  std::cout << absl::StrFormat("  keeps %g%% of the rest", policy.keep_fraction * 100) << std::endl;
}

void PrintCounts(const model::Json& counts) {
  const int64_t kept = counts["kept"].get<int64_t>();
  const int64_t dropped = counts["dropped"].get<int64_t>();
  std::cout << absl::StrFormat("Last %d day(s), %s to %s: %d kept, %d dropped", counts["days"].get<int64_t>(),
                               counts["from"].get<std::string>(), counts["to"].get<std::string>(), kept, dropped);
  if (kept + dropped > 0) std::cout << absl::StrFormat(" (%.1f%% kept)", 100.0 * kept / (kept + dropped));
  std::cout << std::endl;
  if (counts["daily"].empty()) return;
  std::vector<std::vector<std::string>> rows = {{"DAY", "KEPT", "DROPPED", "KEPT BECAUSE"}};
  for (const model::Json& day : counts["daily"]) {
    std::string reasons;
    for (const auto& [reason, traces] : day["kept_by_reason"].items()) {
      absl::StrAppend(&reasons, reasons.empty() ? "" : ", ", reason, " ", traces.get<int64_t>());
    }
    rows.push_back({day["day"].get<std::string>(), absl::StrCat(day["kept"].get<int64_t>()),
                    absl::StrCat(day["dropped"].get<int64_t>()), reasons});
  }
  PrintTable(rows);
}

absl::Status ShowSampling(const SamplingArgs& args) {
  if (args.days < 1 || args.days > server::kMaxSamplingCountDays) {
    return absl::InvalidArgumentError(absl::StrCat("--days: must be from 1 to ", server::kMaxSamplingCountDays));
  }
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(store::SamplingPolicyRecord record, catalog->GetSamplingPolicy(args.project));
  TRACKLY_ASSIGN_OR_RETURN(analysis::SamplingPolicy policy, StoredPolicy(record));
  const int64_t today = store::DayOf(SystemClock::Get().NowNanos());
  const int64_t from = today - args.days + 1;
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::SamplingDayCounts> days,
                           catalog->ListSamplingCounts(args.project, from, today));
  const model::Json counts = server::SamplingCountsToJson(days, from, today);
  if (args.json) {
    PrintJson(model::Json{{"project", args.project},
                          {"policy", analysis::SamplingPolicyToJson(policy)},
                          {"counts", counts}});
    return absl::OkStatus();
  }
  PrintPolicy(policy);
  PrintCounts(counts);
  return absl::OkStatus();
}

absl::Status SetSampling(const SamplingArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(std::string text, ReadFileOrStdin(args.file));
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  const std::string source = args.file == "-" ? "stdin" : absl::StrCat("--file '", args.file, "'");
  absl::StatusOr<store::SamplingPolicyRecord> record =
      catalog->PutSamplingPolicy(args.project, text, SystemClock::Get().NowNanos());
  if (!record.ok()) {
    return absl::Status(record.status().code(), absl::StrCat(source, ": ", record.status().message()));
  }
  TRACKLY_ASSIGN_OR_RETURN(analysis::SamplingPolicy policy, StoredPolicy(*record));
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, args.project, server::audit_action::kSamplingUpdate, "",
                                         server::SamplingAuditDetails(policy)));
  if (args.json) {
    PrintJson(model::Json{{"project", args.project}, {"policy", analysis::SamplingPolicyToJson(policy)}});
    return absl::OkStatus();
  }
  std::cout << "Set the tail sampling policy of project '" << args.project
            << "'; it applies to traces finished from now on." << std::endl;
  PrintPolicy(policy);
  return absl::OkStatus();
}

}  // namespace

void AddSamplingCommand(CLI::App& app, int* exit_code) {
  // Owned by the callbacks (which live as long as `app`), as CLI11 binds options to addresses.
  auto args = std::make_shared<SamplingArgs>();
  CLI::App* sampling = app.add_subcommand("sampling", "Show or set a project's tail sampling policy");
  sampling->require_subcommand(1);
  auto run = [args, exit_code](absl::Status (*command)(const SamplingArgs&)) {
    return [args, exit_code, command] {
      absl::Status status = command(*args);
      *exit_code = status.ok() ? 0 : ReportError(status);
    };
  };

  CLI::App* show = sampling->add_subcommand("show", "Print a project's sampling policy and how many traces it kept");
  show->add_option("--project", args->project, "Project")->required();
  show->add_option("--days", args->days, "Counts of the last N UTC days, today included (1..366)")
      ->default_val(server::kDefaultSamplingCountDays);
  AddDataOption(*show, &args->data_dir);
  show->add_flag("--json", args->json, "Print JSON ({\"project\", \"policy\", \"counts\"}; `set` reads the policy)");
  show->callback(run(&ShowSampling));

  CLI::App* set = sampling->add_subcommand("set", "Replace a project's sampling policy");
  set->add_option("--project", args->project, "Project")->required();
  set->add_option("--file", args->file,
                  "JSON file {\"enabled\": true, \"keep_fraction\": 0.1, ...}, or - for stdin")
      ->required();
  AddDataOption(*set, &args->data_dir);
  set->add_flag("--json", args->json, "Print JSON");
  set->callback(run(&SetSampling));
}

}  // namespace trackly::cli
