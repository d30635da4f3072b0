// `trackly redaction show|set`: a project's own redaction rules (docs/security.md "Custom rules"),
// on the data directory's catalog. A running server applies a change within about a second
// (server/catalog_redaction_source.h). Changes are recorded in the audit log.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/status.h"
#include "cli/command.h"
#include "normalize/redaction/rules.h"
#include "server/audit_log.h"

namespace trackly::cli {
namespace {

struct RedactionArgs {
  std::string data_dir;
  std::string project;
  std::string file;
  bool json = false;
};

void PrintRules(const std::string& project, const std::vector<normalize::RedactionRule>& rules, bool json) {
  if (json) {
    model::Json out = normalize::RedactionRulesToJson(rules);
    out["project"] = project;
    PrintJson(out);
    return;
  }
  if (rules.empty()) {
    std::cout << "Project '" << project << "' has no redaction rules of its own" << std::endl;
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "KIND", "VALUE"}};
  for (const normalize::RedactionRule& rule : rules) {
    rows.push_back({rule.name, std::string(normalize::RedactionRuleKindName(rule.kind)),
                    rule.value});
  }
  PrintTable(rows);
}

absl::Status ShowRules(const RedactionArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(store::RedactionRulesRecord record, catalog->GetRedactionRules(args.project));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<normalize::RedactionRule> rules,
                           normalize::ParseRedactionRulesText(record.rules_json));
  PrintRules(args.project, rules, args.json);
  return absl::OkStatus();
}

absl::Status SetRules(const RedactionArgs& args) {
  std::ifstream in(args.file);
  if (!in) return absl::NotFoundError(absl::StrCat("--file: cannot read '", args.file, "'"));
  std::stringstream content;
  content << in.rdbuf();
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  absl::StatusOr<store::RedactionRulesRecord> record =
      catalog->PutRedactionRules(args.project, content.str(), SystemClock::Get().NowNanos());
  if (!record.ok()) {
    return absl::Status(record.status().code(), absl::StrCat("--file '", args.file, "': ", record.status().message()));
  }
  TRACKLY_ASSIGN_OR_RETURN(std::vector<normalize::RedactionRule> rules,
                           normalize::ParseRedactionRulesText(record->rules_json));
  // The details carry how many rules, never the patterns (they may spell out what they hide).
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, args.project, server::audit_action::kRedactionUpdate, "",
                                         model::Json{{"rules", rules.size()}}));
  if (!args.json) {
    std::cout << "Set " << rules.size() << " redaction rule(s) for project '" << args.project
              << "'; a running server applies them within about a second. Data stored before is unchanged."
              << std::endl;
  }
  PrintRules(args.project, rules, args.json);
  return absl::OkStatus();
}

}  // namespace

void AddRedactionCommand(CLI::App& app, int* exit_code) {
  // Owned by the callbacks (which live as long as `app`), as CLI11 binds options to addresses.
  auto args = std::make_shared<RedactionArgs>();
  CLI::App* redaction = app.add_subcommand("redaction", "Show or set a project's own redaction rules");
  redaction->require_subcommand(1);
  auto run = [args, exit_code](absl::Status (*command)(const RedactionArgs&)) {
    return [args, exit_code, command] {
      absl::Status status = command(*args);
      *exit_code = status.ok() ? 0 : ReportError(status);
    };
  };

  CLI::App* show = redaction->add_subcommand("show", "Print a project's redaction rules");
  show->add_option("--project", args->project, "Project")->required();
  AddDataOption(*show, &args->data_dir);
  show->add_flag("--json", args->json, "Print JSON ({\"rules\": [...]}, as `set` reads it)");
  show->callback(run(&ShowRules));

  CLI::App* set = redaction->add_subcommand("set", "Replace a project's redaction rules");
  set->add_option("--project", args->project, "Project")->required();
  set->add_option("--file", args->file, "JSON file {\"rules\": [{\"name\", \"kind\", \"value\"}]}")->required();
  AddDataOption(*set, &args->data_dir);
  set->add_flag("--json", args->json, "Print JSON");
  set->callback(run(&SetRules));
}

}  // namespace trackly::cli
