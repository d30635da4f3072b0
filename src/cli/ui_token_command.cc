// `trackly ui-token --project NAME` or `--user NAME`: a one-time link that signs a browser into
// the web UI for one project, or as one user (server/ui_login.h, docs/ui.md "Signing in"). Works
// on the data directory directly, so it also works while the server runs.
#include <iostream>
#include <memory>

#include "base/clock.h"
#include "base/status.h"
#include "cli/command.h"
#include "server/audit_log.h"
#include "server/ui_login.h"

namespace trackly::cli {
namespace {

struct UiTokenArgs {
  std::string data_dir;
  std::string project;
  std::string user;
  std::string url = "http://127.0.0.1:4318";
  bool json = false;
};

absl::Status PrintUiToken(const UiTokenArgs& args) {
  if (args.project.empty() == args.user.empty()) {
    return absl::InvalidArgumentError("give either --project or --user");
  }
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  std::string url = args.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  const int64_t now = SystemClock::Get().NowNanos();
  std::string link;
  if (!args.user.empty()) {
    TRACKLY_ASSIGN_OR_RETURN(link, server::CreateUserLoginLink(*catalog, args.user, url, now));
    TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, "", server::audit_action::kLoginLinkCreate, args.user));
  } else {
    TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
    TRACKLY_ASSIGN_OR_RETURN(link, server::CreateLoginLink(*catalog, args.project, url, now));
    TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, args.project, server::audit_action::kLoginLinkCreate, args.project));
  }
  if (args.json) {
    model::Json out{{"url", link}};
    if (!args.user.empty()) out["user"] = args.user;
    if (!args.project.empty()) out["project"] = args.project;
    PrintJson(out);
  } else {
    std::cout << link << "\n(one use, valid for 15 minutes)" << std::endl;
  }
  return absl::OkStatus();
}

}  // namespace

void AddUiTokenCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<UiTokenArgs>();
  CLI::App* command = app.add_subcommand("ui-token", "Print a one-time link that signs a browser into the web UI");
  command->add_option("--project", args->project, "Project the browser session may see (all of it)");
  command->add_option("--user", args->user, "Sign in as this user (trackly users), with their roles");
  command->add_option("--url", args->url, "The server's address as the browser reaches it")
      ->capture_default_str();
  AddDataOption(*command, &args->data_dir);
  command->add_flag("--json", args->json, "Print JSON");
  command->callback([args, exit_code] {
    absl::Status status = PrintUiToken(*args);
    *exit_code = status.ok() ? 0 : ReportError(status);
  });
}

}  // namespace trackly::cli
