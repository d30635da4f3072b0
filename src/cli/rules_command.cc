// `trackly rules show|set`: a project's process rules (docs/insight.md "Process rules"), on the data
// directory's catalog, beside a running server (whose trace finisher reads them on each pass, so a
// change applies to traces finished from then on). Changes are recorded in the audit log with the
// same details as the API's (server/process_rules_handlers.h).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "analysis/process_rules.h"
#include "base/status.h"
#include "cli/command.h"
#include "server/audit_log.h"
#include "server/process_rules_handlers.h"
#include "store/catalog.h"

namespace trackly::cli {
namespace {

struct RulesArgs {
  std::string data_dir;
  std::string project;
  std::string file;  // "-" = stdin
  bool json = false;
};

// What a rule checks, in a few words for the table.
std::string Check(const analysis::ProcessRule& rule) {
  switch (rule.kind) {
    case analysis::RuleKind::kToolBeforeAnswer:
      return absl::StrCat("tool \"", rule.tool, "\" called before the final answer");
    case analysis::RuleKind::kMaxModelCalls: return absl::StrCat("at most ", rule.max, " model call(s)");
    case analysis::RuleKind::kMaxToolCalls: return absl::StrCat("at most ", rule.max, " tool call(s)");
    case analysis::RuleKind::kRetrievalReturns:
      return absl::StrCat("each retrieval returns at least ", rule.min_documents, " document(s)");
    case analysis::RuleKind::kMaxCost: return absl::StrFormat("cost at most $%g", rule.max_usd);
    case analysis::RuleKind::kMaxLatency: return absl::StrFormat("latency at most %g ms", rule.max_ms);
  }
  return "";
}

// JSON: {"project", "rules": [...]}, the rules as `set` reads them.
void PrintRules(const std::string& project, const std::vector<analysis::ProcessRule>& rules, bool json) {
  if (json) {
    model::Json out = analysis::ProcessRulesToJson(rules);
    out["project"] = project;
    PrintJson(out);
    return;
  }
  if (rules.empty()) {
    std::cout << "Project '" << project << "' has no process rules" << std::endl;
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "KIND", "TRACES", "CHECKS"}};
  for (const analysis::ProcessRule& rule : rules) {
    rows.push_back({rule.name, std::string(analysis::ToString(rule.kind)),
                    rule.trace_name.empty() ? "all" : rule.trace_name, Check(rule)});
  }
  PrintTable(rows);
}

absl::StatusOr<std::vector<analysis::ProcessRule>> StoredRules(const store::ProcessRulesRecord& record) {
  absl::StatusOr<std::vector<analysis::ProcessRule>> rules = analysis::ParseProcessRulesText(record.rules_json);
  if (!rules.ok()) {
    return absl::InternalError(absl::StrCat("stored process rules of project '", record.project,
                                            "' do not parse: ", rules.status().message()));
  }
  return rules;
}

absl::Status ShowRules(const RulesArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(store::ProcessRulesRecord record, catalog->GetProcessRules(args.project));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<analysis::ProcessRule> rules, StoredRules(record));
  PrintRules(args.project, rules, args.json);
  return absl::OkStatus();
}

absl::Status SetRules(const RulesArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(std::string text, ReadFileOrStdin(args.file));
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  const std::string source = args.file == "-" ? "stdin" : absl::StrCat("--file '", args.file, "'");
  absl::StatusOr<store::ProcessRulesRecord> record =
      catalog->PutProcessRules(args.project, text, SystemClock::Get().NowNanos());
  if (!record.ok()) {
    return absl::Status(record.status().code(), absl::StrCat(source, ": ", record.status().message()));
  }
  TRACKLY_ASSIGN_OR_RETURN(std::vector<analysis::ProcessRule> rules, StoredRules(*record));
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, args.project, server::audit_action::kRulesUpdate, "",
                                         server::ProcessRulesAuditDetails(rules)));
  if (!args.json) {
    std::cout << "Set " << rules.size() << " process rule(s) for project '" << args.project
              << "'; they apply to traces finished from now on. Traces evaluated before keep their results."
              << std::endl;
  }
  PrintRules(args.project, rules, args.json);
  return absl::OkStatus();
}

}  // namespace

void AddRulesCommand(CLI::App& app, int* exit_code) {
  // Owned by the callbacks (which live as long as `app`), as CLI11 binds options to addresses.
  auto args = std::make_shared<RulesArgs>();
  CLI::App* rules = app.add_subcommand("rules", "Show or set a project's process rules");
  rules->require_subcommand(1);
  auto run = [args, exit_code](absl::Status (*command)(const RulesArgs&)) {
    return [args, exit_code, command] {
      absl::Status status = command(*args);
      *exit_code = status.ok() ? 0 : ReportError(status);
    };
  };

  CLI::App* show = rules->add_subcommand("show", "Print a project's process rules");
  show->add_option("--project", args->project, "Project")->required();
  AddDataOption(*show, &args->data_dir);
  show->add_flag("--json", args->json, "Print JSON ({\"rules\": [...]}, as `set` reads it)");
  show->callback(run(&ShowRules));

  CLI::App* set = rules->add_subcommand("set", "Replace a project's process rules ({\"rules\": []} removes them)");
  set->add_option("--project", args->project, "Project")->required();
  set->add_option("--file", args->file, "JSON file {\"rules\": [{\"name\", \"kind\", ...}]}, or - for stdin")
      ->required();
  AddDataOption(*set, &args->data_dir);
  set->add_flag("--json", args->json, "Print JSON");
  set->callback(run(&SetRules));
}

}  // namespace trackly::cli
