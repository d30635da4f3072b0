// Handlers of the alerts API (docs/api.md "Alerts"): a project's alert rules (store/alert_rules.h)
// with the state the evaluator has for each (server/alert_evaluator.h), their events, and a test
// delivery. A change of the rules is recorded in the audit log (server/audit_log.h
// "alerts.update") before it answers success; the evaluator reads the rules on each pass, so a
// change applies from the next pass, and a changed rule starts again at ok.
#pragma once

#include <vector>

#include "base/clock.h"
#include "model/json.h"
#include "server/alert_evaluator.h"
#include "server/audit_log.h"
#include "server/router.h"
#include "store/alert_rules.h"
#include "store/catalog.h"

namespace trackly::server {

// The details of an alerts.update event: {"rules": count, "names": [rule names in order]}, the
// same whether the change came through the API or the CLI.
model::Json AlertRulesAuditDetails(const std::vector<store::AlertRule>& rules);

// A fresh webhook signing secret: "whsec_" and 32 random bytes from the OS CSPRNG as hex.
absl::StatusOr<std::string> NewWebhookSecret();

// The stored rules of `record`, parsed again (Internal when they do not parse: they were checked
// when put, so the catalog is damaged).
absl::StatusOr<std::vector<store::AlertRule>> StoredAlertRules(const store::AlertRulesRecord& record);

// An alert event as the API and `trackly alerts show --json` show it: {"id", "alert", "time",
// "state", "value", "threshold", "delivery", "attempts", "http_status", "error"}.
model::Json AlertEventJson(const store::AlertEvent& event);

// What the alert routes use; borrowed, so each must outlive the router.
struct AlertApi {
  store::Catalog& catalog;
  AlertEvaluator& evaluator;
  const Clock& clock;
  AuditLog& audit;
  bool allow_private_webhooks = false;  // the server's alert_webhooks_allow_private (CheckWebhookUrl)
  WebhookSend send_test;                // test deliveries: one attempt, no retries
  int interval_s = 60;                  // the server's alert_interval_s, shown to readers
};

// GET /api/v1/alerts → {"rules": [rule + "status"], "interval_s", "webhook_secret" (admin scope
// only; null until the first PUT)}. Read from the Catalog, so a change made a moment ago by the
// CLI shows.
Handler GetAlertsHandler(const AlertApi& api);
// PUT /api/v1/alerts, body {"rules": [rule]} → as GET, after the change. Replaces the project's
// rules ([] removes them); the first PUT of a project draws its webhook secret. 400 naming the
// rule and field (the webhook checked against the server's address policy); then nothing changes
// and nothing is recorded.
Handler PutAlertsHandler(const AlertApi& api);
// GET /api/v1/alerts/events?limit=1..1000&alert=NAME → {"data": [event]}, newest first.
Handler ListAlertEventsHandler(const AlertApi& api);
// POST /api/v1/alerts/test?name=NAME → {"alert", "delivered", "attempts", "http_status",
// "error"} once a test delivery (AlertPayload with "state": "test" and the last value read) to the
// rule's webhook has ended; 404 for an unknown rule. Records no event and changes no state.
Handler TestAlertHandler(const AlertApi& api);

}  // namespace trackly::server
