// `trackly audit`: the audit log of the data directory's catalog (server/audit_log.h), newest
// first. Views a running server queued in the last second may not be written yet.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "cli/command.h"
#include "model/time_format.h"
#include "server/audit_log.h"
#include "store/store.h"

namespace trackly::cli {
namespace {

struct AuditArgs {
  std::string data_dir;
  std::string project;
  std::string action;
  std::string actor;
  int limit = 50;
  bool json = false;
};

absl::Status ListAudit(const AuditArgs& args) {
  if (args.limit < 1 || args.limit > store::kMaxListLimit) {
    return absl::InvalidArgumentError(absl::StrCat("--limit: must be from 1 to ", store::kMaxListLimit));
  }
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  store::AuditQuery query{.action = args.action, .actor = args.actor, .limit = args.limit};
  if (!args.project.empty()) {
    TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
    query.project = args.project;
  }
  TRACKLY_ASSIGN_OR_RETURN(store::AuditPage page, catalog->ListAudit(query));
  if (args.json) {
    model::Json data = model::Json::array();
    for (const store::AuditEvent& event : page.events) data.push_back(server::AuditEventJson(event));
    PrintJson({{"data", std::move(data)}});
    return absl::OkStatus();
  }
  if (page.events.empty()) {
    std::cout << "no audit events" << std::endl;
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {{"TIME (UTC)", "PROJECT", "ACTOR", "ACTION", "TARGET", "DETAILS"}};
  for (const store::AuditEvent& event : page.events) {
    rows.push_back({model::FormatRfc3339Micros(event.time_ns).substr(0, 19), event.project.empty() ? "-" : event.project,
                    event.actor, event.action, event.target.empty() ? "-" : event.target,
                    event.details_json == "{}" ? "-" : event.details_json});
  }
  PrintTable(rows);
  return absl::OkStatus();
}

}  // namespace

void AddAuditCommand(CLI::App& app, int* exit_code) {
  // Owned by the callback (which lives as long as `app`), as CLI11 binds options to addresses.
  auto args = std::make_shared<AuditArgs>();
  CLI::App* audit = app.add_subcommand("audit", "Show the audit log: who changed what, who viewed which trace");
  audit->add_option("--project", args->project, "Only events of this project (default: every event)");
  audit->add_option("--action", args->action, "Only this action, e.g. key.create or trace.view");
  audit->add_option("--actor", args->actor, "Only this actor, e.g. user:olga or key:<id>");
  audit->add_option("--limit", args->limit, "Newest events to show (1..1000)")->capture_default_str();
  AddDataOption(*audit, &args->data_dir);
  audit->add_flag("--json", args->json, "Print JSON");
  audit->callback([args, exit_code] {
    absl::Status status = ListAudit(*args);
    *exit_code = status.ok() ? 0 : ReportError(status);
  });
}

}  // namespace trackly::cli
