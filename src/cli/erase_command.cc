// `trackly erase --project P (--trace ID | --session ID | --user ID)`: removes traces for an
// erasure request (store::Store::Erase; docs/security.md "Erasure"). Works on the data directory
// directly, also while a server runs on it (as `trackly cost recompute`); a ClickHouse deployment
// erases through the API (DELETE /api/v1/traces/{id}, POST /api/v1/erase).
#include <iostream>
#include <memory>

#include "absl/strings/str_format.h"
#include "base/status.h"
#include "cli/command.h"
#include "cli/store_access.h"
#include "server/audit_log.h"
#include "store/sqlite/sqlite_store.h"

namespace trackly::cli {
namespace {

struct EraseArgs {
  std::string data_dir;
  std::string project;
  std::string trace_id;
  std::string session_id;
  std::string user_id;
  bool json = false;
};

absl::Status Erase(const EraseArgs& args) {
  const store::EraseRequest request{
      .project = args.project, .trace_id = args.trace_id, .session_id = args.session_id, .user_id = args.user_id};
  if (absl::Status valid = store::ValidateEraseRequest(request); !valid.ok()) {
    return absl::InvalidArgumentError("give exactly one of --trace, --session and --user");
  }
  TRACKLY_RETURN_IF_ERROR(RequireEmbeddedStore("erase", "POST /api/v1/erase"));
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  store::SqliteStoreOptions options;
  options.dir = args.data_dir;
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<store::SqliteStore> store, store::SqliteStore::Open(options));
  TRACKLY_ASSIGN_OR_RETURN(store::EraseStats stats, store->Erase(request));
  store->Drain();
  const model::Json counts{{"traces", stats.traces}, {"observations", stats.observations}, {"scores", stats.scores}};
  const std::string_view action = !args.user_id.empty()      ? server::audit_action::kUserDataDelete
                                  : !args.session_id.empty() ? server::audit_action::kSessionDelete
                                                             : server::audit_action::kTraceDelete;
  TRACKLY_RETURN_IF_ERROR(
      RecordCliAudit(*catalog, args.project, action, args.user_id + args.session_id + args.trace_id, counts));
  if (args.json) {
    PrintJson(model::Json{{"erased", counts}});
    return absl::OkStatus();
  }
  std::cout << absl::StrFormat("Erased %d traces (%d observations, %d scores) from project '%s'", stats.traces,
                               stats.observations, stats.scores, args.project)
            << std::endl;
  return absl::OkStatus();
}

}  // namespace

void AddEraseCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<EraseArgs>();
  CLI::App* erase = app.add_subcommand(
      "erase", "Delete a trace, a session's traces or an end user's traces, for good (an erasure request)");
  erase->add_option("--project", args->project, "Project to erase from")->required();
  erase->add_option("--trace", args->trace_id, "The trace id to erase (and the scores on it)");
  erase->add_option("--session", args->session_id, "Erase every trace of this session id");
  erase->add_option("--user", args->user_id, "Erase every trace of this end user id (the traces' user_id)");
  AddDataOption(*erase, &args->data_dir);
  erase->add_flag("--json", args->json, "Print JSON");
  erase->callback([args, exit_code] {
    absl::Status status = Erase(*args);
    *exit_code = status.ok() ? 0 : ReportError(status);
  });
}

}  // namespace trackly::cli
