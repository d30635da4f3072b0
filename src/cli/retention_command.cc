// `trackly retention show|set|unset`: a project's own retention (docs/security.md "Retention"), on
// the data directory's catalog, beside a running server (which reads it on every use, so a change
// applies at once). A project without its own follows the server's options
// retention_payload_days / retention_summary_days. Changes are recorded in the audit log with the
// same details as the API's (server/retention_handlers.h).
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "cli/command.h"
#include "server/audit_log.h"
#include "server/retention_handlers.h"
#include "store/catalog.h"

namespace trackly::cli {
namespace {

struct RetentionArgs {
  std::string data_dir;
  std::string project;
  int32_t payload_days = 0;
  int32_t summary_days = 0;
  bool json = false;
};

std::string Days(int32_t days) { return days == 0 ? "forever" : absl::StrCat(days, " day(s)"); }

// JSON: {"project", "retention": {"payload_days", "summary_days"} or null (the server's defaults)}.
void PrintRetention(const std::string& project, const std::optional<store::RetentionRecord>& own, bool json) {
  if (json) {
    model::Json details = server::RetentionAuditDetails(own, std::nullopt);
    PrintJson(model::Json{{"project", project}, {"retention", details["before"]}});
    return;
  }
  if (!own) {
    std::cout << "Project '" << project
              << "' has no retention of its own: it follows the server's retention_payload_days and "
                 "retention_summary_days (by default, keep forever)"
              << std::endl;
    return;
  }
  std::cout << "Project '" << project << "' has its own retention:\n"
            << "  full payloads kept: " << Days(own->payload_days) << "\n"
            << "  summary kept:       " << Days(own->summary_days) << std::endl;
}

absl::Status ShowRetention(const RetentionArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(std::optional<store::RetentionRecord> own, catalog->GetRetention(args.project));
  PrintRetention(args.project, own, args.json);
  return absl::OkStatus();
}

absl::Status SetRetention(const RetentionArgs& args) {
  const store::RetentionRecord record{
      .project = args.project, .payload_days = args.payload_days, .summary_days = args.summary_days};
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(std::optional<store::RetentionRecord> before, catalog->GetRetention(args.project));
  absl::StatusOr<store::RetentionRecord> stored = catalog->PutRetention(record);
  if (!stored.ok()) {
    // The message starts with the field ("payload_days: ..."); name it as this command's option.
    const absl::string_view message = stored.status().message();
    const char* flag = absl::StartsWith(message, "summary_days") ? "--summary-days" : "--payload-days";
    return absl::Status(stored.status().code(), absl::StrCat(flag, " (", message, ")"));
  }
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, args.project, server::audit_action::kRetentionUpdate, "",
                                         server::RetentionAuditDetails(before, *stored)));
  if (!args.json) {
    std::cout << "Set the retention of project '" << args.project << "': full payloads "
              << Days(stored->payload_days) << ", summaries " << Days(stored->summary_days)
              << "; a running server uses it from its next expiry pass." << std::endl;
  }
  PrintRetention(args.project, *stored, args.json);
  return absl::OkStatus();
}

absl::Status UnsetRetention(const RetentionArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(std::optional<store::RetentionRecord> removed, catalog->RemoveRetention(args.project));
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, args.project, server::audit_action::kRetentionRemove, "",
                                         server::RetentionAuditDetails(removed, std::nullopt)));
  if (!args.json && !removed) std::cout << "Project '" << args.project << "' had no retention of its own." << std::endl;
  PrintRetention(args.project, std::nullopt, args.json);
  return absl::OkStatus();
}

}  // namespace

void AddRetentionCommand(CLI::App& app, int* exit_code) {
  // Owned by the callbacks (which live as long as `app`), as CLI11 binds options to addresses.
  auto args = std::make_shared<RetentionArgs>();
  CLI::App* retention = app.add_subcommand("retention", "Show, set or unset a project's own retention");
  retention->require_subcommand(1);
  auto run = [args, exit_code](absl::Status (*command)(const RetentionArgs&)) {
    return [args, exit_code, command] {
      absl::Status status = command(*args);
      *exit_code = status.ok() ? 0 : ReportError(status);
    };
  };

  CLI::App* show = retention->add_subcommand("show", "Print a project's own retention");
  show->add_option("--project", args->project, "Project")->required();
  AddDataOption(*show, &args->data_dir);
  show->add_flag("--json", args->json, "Print JSON ({\"project\", \"retention\": {...} or null})");
  show->callback(run(&ShowRetention));

  CLI::App* set = retention->add_subcommand("set", "Set a project's own retention (replacing any it had)");
  set->add_option("--project", args->project, "Project")->required();
  set->add_option("--payload-days", args->payload_days,
                  "Days its traces keep their full payloads (inputs, outputs, attributes, events, metadata); 0 = forever")
      ->required();
  set->add_option("--summary-days", args->summary_days,
                  "Days its traces keep their summary (names, timing, tokens, cost, status); 0 = forever")
      ->required();
  AddDataOption(*set, &args->data_dir);
  set->add_flag("--json", args->json, "Print JSON");
  set->callback(run(&SetRetention));

  CLI::App* unset = retention->add_subcommand("unset", "Remove a project's own retention: it follows the server's defaults");
  unset->add_option("--project", args->project, "Project")->required();
  AddDataOption(*unset, &args->data_dir);
  unset->add_flag("--json", args->json, "Print JSON");
  unset->callback(run(&UnsetRetention));
}

}  // namespace trackly::cli
