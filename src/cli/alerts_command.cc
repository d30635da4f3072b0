// `trackly alerts show|set`: a project's alert rules (docs/insight.md "Alerts"), on the data
// directory's catalog, beside a running server (whose evaluator reads them on each pass, so a
// change applies from its next pass; a changed rule starts again at ok). Changes are recorded in
// the audit log with the same details as the API's (server/alert_handlers.h).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/clock.h"
#include "base/status.h"
#include "cli/command.h"
#include "model/time_format.h"
#include "server/alert_handlers.h"
#include "server/audit_log.h"
#include "server/webhook_sender.h"
#include "store/alert_rules.h"
#include "store/catalog.h"

namespace trackly::cli {
namespace {

struct AlertsArgs {
  std::string data_dir;
  std::string project;
  std::string file;  // "-" = stdin
  bool allow_private = false;
  bool json = false;
};

// What a rule measures, in a few words for the table.
std::string MetricText(const store::AlertMetric& metric) {
  if (metric.score) {
    const std::string names =
        metric.score->name.empty() ? absl::StrCat(metric.score->name_prefix, "*") : metric.score->name;
    return absl::StrCat("score ", Sv(store::ToString(metric.score->measure)), " of ", names,
                        metric.score->source.empty() ? "" : absl::StrCat(" from ", metric.score->source));
  }
  std::vector<std::string> filters;
  for (const auto& [dimension, value] : metric.filters) {
    filters.push_back(absl::StrCat(Sv(model::ToString(dimension)), "=", value));
  }
  return absl::StrCat(Sv(store::ToString(metric.measure)), " (",
                      metric.level == store::MetricsLevel::kTrace ? "runs" : "spans",
                      filters.empty() ? "" : absl::StrCat("; ", absl::StrJoin(filters, ", ")), ")");
}

// The newest event of each rule, as "firing 2026-11-22T03:04:05Z (delivered)".
absl::StatusOr<std::string> LastEvent(store::Catalog& catalog, const std::string& project, const std::string& rule) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::AlertEvent> newest,
                           catalog.ListAlertEvents({.project = project, .alert = rule, .limit = 1}));
  if (newest.empty()) return std::string("-");
  const store::AlertEvent& event = newest[0];
  return absl::StrCat(Sv(store::ToString(event.state)), " ", model::FormatRfc3339Micros(event.time_ns), " (",
                      Sv(store::ToString(event.delivery.state)), ")");
}

// JSON: {"project", "rules": [...], "webhook_secret"}, the rules as `set` reads them.
absl::Status PrintRules(store::Catalog& catalog, const store::AlertRulesRecord& record,
                        const std::vector<store::AlertRule>& rules, bool json) {
  if (json) {
    model::Json out = store::AlertRulesToJson(rules);
    out["project"] = record.project;
    out["webhook_secret"] = record.webhook_secret.empty() ? model::Json(nullptr) : model::Json(record.webhook_secret);
    PrintJson(out);
    return absl::OkStatus();
  }
  if (rules.empty()) {
    std::cout << "Project '" << record.project << "' has no alert rules" << std::endl;
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "METRIC", "CONDITION", "WINDOW", "ENABLED", "WEBHOOK", "LAST EVENT"}};
    for (const store::AlertRule& rule : rules) {
      std::string condition = absl::StrFormat("%s %g", Sv(store::ToString(rule.condition)), rule.threshold);
      if (rule.min_count > 0) absl::StrAppend(&condition, " (at least ", rule.min_count, ")");
      TRACKLY_ASSIGN_OR_RETURN(std::string last, LastEvent(catalog, record.project, rule.name));
      rows.push_back({rule.name, MetricText(rule.metric), condition, absl::StrCat(rule.window_minutes, " min"),
                      rule.enabled ? "yes" : "no", rule.webhook, last});
    }
    PrintTable(rows);
  }
  if (!record.webhook_secret.empty()) {
    std::cout << "Webhook signing secret: " << record.webhook_secret << std::endl;
  }
  return absl::OkStatus();
}

absl::Status ShowAlerts(const AlertsArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(store::AlertRulesRecord record, catalog->GetAlertRules(args.project));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::AlertRule> rules, server::StoredAlertRules(record));
  return PrintRules(*catalog, record, rules, args.json);
}

absl::Status SetAlerts(const AlertsArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(std::string text, ReadFileOrStdin(args.file));
  const std::string source = args.file == "-" ? "stdin" : absl::StrCat("--file '", args.file, "'");
  // The server's address policy, as the API applies it; the server checks every address it
  // resolves again at delivery.
  const bool allow_private = args.allow_private;
  absl::StatusOr<std::vector<store::AlertRule>> rules = store::ParseAlertRulesText(
      text, [allow_private](std::string_view url) { return server::CheckWebhookUrl(url, allow_private); });
  if (!rules.ok()) return absl::Status(rules.status().code(), absl::StrCat(source, ": ", rules.status().message()));
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(std::string secret, server::NewWebhookSecret());
  TRACKLY_ASSIGN_OR_RETURN(store::AlertRulesRecord record,
                           catalog->PutAlertRules(args.project, text, secret, SystemClock::Get().NowNanos()));
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, args.project, server::audit_action::kAlertsUpdate, "",
                                         server::AlertRulesAuditDetails(*rules)));
  if (!args.json) {
    std::cout << "Set " << rules->size() << " alert rule(s) for project '" << args.project
              << "'; a running server evaluates them from its next pass." << std::endl;
  }
  return PrintRules(*catalog, record, *rules, args.json);
}

}  // namespace

void AddAlertsCommand(CLI::App& app, int* exit_code) {
  // Owned by the callbacks (which live as long as `app`), as CLI11 binds options to addresses.
  auto args = std::make_shared<AlertsArgs>();
  CLI::App* alerts = app.add_subcommand("alerts", "Show or set a project's alert rules");
  alerts->require_subcommand(1);
  auto run = [args, exit_code](absl::Status (*command)(const AlertsArgs&)) {
    return [args, exit_code, command] {
      absl::Status status = command(*args);
      *exit_code = status.ok() ? 0 : ReportError(status);
    };
  };

  CLI::App* show = alerts->add_subcommand(
      "show", "Print a project's alert rules, their last events and the webhook signing secret");
  show->add_option("--project", args->project, "Project")->required();
  AddDataOption(*show, &args->data_dir);
  show->add_flag("--json", args->json,
                 "Print JSON ({\"rules\": [...]} as `set` reads it, with project and webhook_secret)");
  show->callback(run(&ShowAlerts));

  CLI::App* set = alerts->add_subcommand("set", "Replace a project's alert rules ({\"rules\": []} removes them)");
  set->add_option("--project", args->project, "Project")->required();
  set->add_option("--file", args->file, "JSON file {\"rules\": [{\"name\", \"metric\", ...}]}, or - for stdin")
      ->required();
  set->add_flag("--allow-private-webhooks", args->allow_private,
                "Accept webhooks on private, loopback and link-local addresses (for a server run with "
                "alert_webhooks_allow_private)");
  AddDataOption(*set, &args->data_dir);
  set->add_flag("--json", args->json, "Print JSON");
  set->callback(run(&SetAlerts));
}

}  // namespace trackly::cli
