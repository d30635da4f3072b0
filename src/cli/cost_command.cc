// `trackly cost recompute --project P [--from T] [--to T]`: re-prices the project's stored
// observations with the current prices (built-in + the project's own) and updates trace and
// session totals (query/cost_recompute.h). Works on the data directory directly, also while a
// server runs on it: both write store.db through SQLite's file lock, and the server's writer
// notices the change (store/sqlite/writer.h, ForgetCacheIfChangedElsewhere).
#include <iostream>
#include <memory>

#include "absl/strings/str_format.h"
#include "base/clock.h"
#include "base/status.h"
#include "cli/command.h"
#include "server/audit_log.h"
#include "cli/store_access.h"
#include "cli/trace_filters.h"
#include "model/time_format.h"
#include "normalize/cost/price_catalog.h"
#include "query/cost_recompute.h"
#include "store/model_prices.h"
#include "store/sqlite/sqlite_store.h"

namespace trackly::cli {
namespace {

struct CostArgs {
  std::string data_dir;
  std::string project;
  std::string from;
  std::string to;
  bool json = false;
};

absl::Status Recompute(const CostArgs& args) {
  const int64_t now_ns = SystemClock::Get().NowNanos();
  store::RewriteRange range{.project = args.project};
  if (!args.from.empty()) {
    TRACKLY_ASSIGN_OR_RETURN(range.from_ns, ParseTimeBound(args.from, "--from", now_ns));
  }
  if (!args.to.empty()) {
    TRACKLY_ASSIGN_OR_RETURN(range.to_ns, ParseTimeBound(args.to, "--to", now_ns));
  }
  if (range.to_ns != 0 && range.to_ns <= range.from_ns) {
    return absl::InvalidArgumentError("--to: must be after --from");
  }

  TRACKLY_RETURN_IF_ERROR(RequireEmbeddedStore("cost recompute", "POST /api/v1/cost/recompute"));
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<cost::PriceEntry> project_prices,
                           store::LoadProjectPrices(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(std::shared_ptr<const cost::PriceCatalog> builtin, cost::PriceCatalog::Builtin());
  TRACKLY_ASSIGN_OR_RETURN(std::shared_ptr<const cost::PriceCatalog> prices,
                           builtin->WithProjectEntries(args.project, std::move(project_prices)));

  store::SqliteStoreOptions options;
  options.dir = args.data_dir;
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<store::SqliteStore> store, store::SqliteStore::Open(options));
  TRACKLY_ASSIGN_OR_RETURN(query::RecomputeReport report, query::RecomputeCosts(*store, *prices, range));
  store->Drain();
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, args.project, server::audit_action::kCostRecompute, "",
                                         server::RecomputeAuditDetails(range, report)));

  if (args.json) {
    PrintJson(query::ToJson(report));
    return absl::OkStatus();
  }
  std::cout << absl::StrFormat(
                   "Re-priced %d of %d observations in project '%s' (%d traces changed, %d without a price)\n"
                   "Cost: $%.6f before, $%.6f after (%+.6f)",
                   report.observations_repriced, report.observations_visited, args.project, report.traces_changed,
                   report.unpriced_observations, report.cost_before, report.cost_after,
                   report.cost_after - report.cost_before)
            << std::endl;
  return absl::OkStatus();
}

}  // namespace

void AddCostCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<CostArgs>();
  CLI::App* cost = app.add_subcommand("cost", "Cost maintenance");
  cost->require_subcommand(1);
  CLI::App* recompute = cost->add_subcommand(
      "recompute", "Re-price stored observations with the current prices and update trace and session totals");
  recompute->add_option("--project", args->project, "Project to re-price")->required();
  recompute->add_option("--from", args->from, "Observations that started at or after (RFC 3339, or 7d = 7 days ago)");
  recompute->add_option("--to", args->to, "Observations that started before (same forms)");
  AddDataOption(*recompute, &args->data_dir);
  recompute->add_flag("--json", args->json, "Print JSON");
  recompute->callback([args, exit_code] {
    absl::Status status = Recompute(*args);
    *exit_code = status.ok() ? 0 : ReportError(status);
  });
}

}  // namespace trackly::cli
