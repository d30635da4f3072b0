// Evaluates every project's alert rules (store/alert_rules.h; docs/insight.md "Alerts") and
// delivers their transitions to webhooks. A pass reads each enabled rule's metric over its window
// (the metrics rollups or the scores, without grouping: one value) and compares it with the
// threshold. A rule is ok or firing; when a pass finds it breaking its condition while ok it
// fires, when it finds it keeping the condition while firing it resolves. Each transition is
// recorded as an alert event in the catalog (delivery pending) and sent to the rule's webhook;
// the delivery's outcome updates the event. Staying in a state sends nothing.
//
// A pass with too little data for a rule (fewer than min_count observations, runs or scores in
// the window, or a measure without a value such as the error rate of nothing) leaves its state
// as it was.
//
// State is kept in memory per rule, tied to the rule's definition (AlertRuleFingerprint): it
// survives a restart because a rule without state takes it from its newest event (firing when
// that event fired under the same definition), and a changed rule (through the API or the CLI,
// any field) starts again at ok, no delivery sent for the old definition.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "model/json.h"
#include "server/webhook_sender.h"
#include "store/alert_rules.h"
#include "store/catalog.h"
#include "store/store.h"

namespace trackly::server {

// Sends one webhook delivery: WebhookSender::Send in the server, a capture in tests. `done` is
// called exactly once with the outcome, from any thread.
using WebhookSend = std::function<void(std::string url, std::string body, std::string secret,
                                       std::function<void(WebhookResult)> done)>;

// Identifies a rule's definition: the first 16 hex characters of the SHA-256 of its normal form
// (store::AlertRuleToJson), so any change of any field gives another fingerprint.
std::string AlertRuleFingerprint(const store::AlertRule& rule);

// The window a pass at `now_ns` reads for a rule of `window_minutes`, as the half-open range of
// the rollups' UTC minute buckets: from the minute of now - window through the current minute
// (so at least the whole window, and the spans of the last seconds too).
std::pair<int64_t, int64_t> AlertWindow(int window_minutes, int64_t now_ns);

// The body of a delivery (docs/insight.md "Alerts"): {"alert", "project", "state", "value",
// "threshold", "condition", "window_minutes", "metric", "time"}; `state` is "firing", "resolved"
// or "test", `value` null when there is none.
model::Json AlertPayload(std::string_view project, const store::AlertRule& rule, std::string_view state,
                         std::optional<double> value, int64_t time_ns);

// What the evaluator knows of one rule.
struct AlertStatus {
  std::string state = "ok";     // "ok", "firing" or "disabled"
  int64_t since_ns = 0;         // when the event that set the state happened; 0 = no event
  int64_t evaluated_ns = 0;     // the last pass that read the rule; 0 = none since start or change
  std::optional<double> value;  // what that pass read; none without a value
  int64_t count = 0;            // observations, runs or scores that pass found in the window
  std::string note;             // why that pass left the state alone ("" when it compared)
};

struct AlertPassStats {
  int64_t rules = 0;     // enabled rules read
  int64_t fired = 0;     // ok → firing
  int64_t resolved = 0;  // firing → ok
};

struct AlertEvaluatorOptions {
  absl::Duration interval = absl::Seconds(60);  // between passes (server option alert_interval_s)
};

// Thread-safe. Passes never overlap.
class AlertEvaluator {
 public:
  // `store`, `catalog` and `clock` must outlive the evaluator; so must whatever `send` uses, until
  // every `done` it was given has been called (the server destroys its WebhookSender after the
  // evaluator: that reports the deliveries still open as failed). The `done` callbacks only use
  // `catalog`.
  AlertEvaluator(store::Store& store, store::Catalog& catalog, const Clock& clock, WebhookSend send,
                 AlertEvaluatorOptions options = {});
  ~AlertEvaluator();  // stops the background thread, after the pass running (if any)
  AlertEvaluator(const AlertEvaluator&) = delete;
  AlertEvaluator& operator=(const AlertEvaluator&) = delete;

  // One pass over every project's enabled rules at the clock's now. A project whose rules cannot
  // be read, or a rule whose metric or event cannot be read or written, is logged and skipped
  // (its state unchanged, tried again next pass); the first such error is returned after the
  // others ran.
  absl::StatusOr<AlertPassStats> RunPass();

  // The status of each of `rules` (the project's current ones), in their order. A rule the
  // evaluator has no state for yet shows what the next pass will start from.
  std::vector<AlertStatus> Statuses(std::string_view project, const std::vector<store::AlertRule>& rules);

  // Starts a thread that runs a pass at once and then every options.interval. Call at most once.
  void Start();

 private:
  using Key = std::pair<std::string, std::string>;  // (project, rule name)
  struct Entry {
    std::string fingerprint;
    AlertStatus status;
  };

  // The state a rule without an entry starts from: its newest event's, when that event is of the
  // same definition.
  absl::StatusOr<AlertStatus> Derive(std::string_view project, const store::AlertRule& rule,
                                     const std::string& fingerprint);
  // Reads and compares one rule; records and sends a transition.
  absl::Status Evaluate(const store::AlertRulesRecord& record, const store::AlertRule& rule, int64_t now_ns,
                        AlertPassStats& stats) ABSL_EXCLUSIVE_LOCKS_REQUIRED(pass_mu_);
  absl::StatusOr<store::AlertReading> Read(std::string_view project, const store::AlertRule& rule, int64_t now_ns);

  store::Store& store_;
  store::Catalog& catalog_;
  const Clock& clock_;
  const WebhookSend send_;
  const AlertEvaluatorOptions options_;
  absl::Mutex pass_mu_;  // held for a whole pass
  mutable absl::Mutex mu_;
  absl::flat_hash_map<Key, Entry> entries_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace trackly::server
