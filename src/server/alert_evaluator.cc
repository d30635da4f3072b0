#include "server/alert_evaluator.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status.h"
#include "model/time_format.h"
#include "server/secret.h"

namespace trackly::server {
namespace {

constexpr int64_t kNanosPerMinute = 60'000'000'000;

store::AlertDelivery DeliveryOf(const WebhookResult& result) {
  return store::AlertDelivery{
      .state = result.delivered ? store::AlertDelivery::State::kDelivered : store::AlertDelivery::State::kFailed,
      .attempts = result.attempts,
      .http_status = result.http_status,
      .error = result.error};
}

}  // namespace

std::string AlertRuleFingerprint(const store::AlertRule& rule) {
  return Sha256Hex(model::DumpJson(store::AlertRuleToJson(rule))).substr(0, 16);
}

std::pair<int64_t, int64_t> AlertWindow(int window_minutes, int64_t now_ns) {
  const int64_t to_ns = store::RollupMinuteS(now_ns) * 1'000'000'000 + kNanosPerMinute;
  const int64_t from_ns = store::RollupMinuteS(now_ns - window_minutes * kNanosPerMinute) * 1'000'000'000;
  return {from_ns, to_ns};
}

model::Json AlertPayload(std::string_view project, const store::AlertRule& rule, std::string_view state,
                         std::optional<double> value, int64_t time_ns) {
  return model::Json{{"alert", rule.name},
                     {"project", project},
                     {"state", state},
                     {"value", value ? model::Json(*value) : model::Json(nullptr)},
                     {"threshold", rule.threshold},
                     {"condition", store::ToString(rule.condition)},
                     {"window_minutes", rule.window_minutes},
                     {"metric", store::AlertMetricToJson(rule.metric)},
                     {"time", model::FormatRfc3339Micros(time_ns)}};
}

AlertEvaluator::AlertEvaluator(store::Store& store, store::Catalog& catalog, const Clock& clock, WebhookSend send,
                               AlertEvaluatorOptions options)
    : store_(store), catalog_(catalog), clock_(clock), send_(std::move(send)), options_(options) {}

AlertEvaluator::~AlertEvaluator() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<AlertStatus> AlertEvaluator::Derive(std::string_view project, const store::AlertRule& rule,
                                                   const std::string& fingerprint) {
  TRACKLY_ASSIGN_OR_RETURN(
      std::vector<store::AlertEvent> newest,
      catalog_.ListAlertEvents({.project = std::string(project), .alert = rule.name, .limit = 1}));
  AlertStatus status;
  if (!newest.empty() && newest[0].rule_fingerprint == fingerprint) {
    status.state = newest[0].state == store::AlertState::kFiring ? "firing" : "ok";
    status.since_ns = newest[0].time_ns;
  }
  return status;
}

absl::StatusOr<store::AlertReading> AlertEvaluator::Read(std::string_view project, const store::AlertRule& rule,
                                                         int64_t now_ns) {
  const auto [from_ns, to_ns] = AlertWindow(rule.window_minutes, now_ns);
  if (rule.metric.score) {
    const store::ScoreMetricsQuery query = store::ScoreQueryOf(rule.metric, std::string(project), from_ns, to_ns);
    TRACKLY_ASSIGN_OR_RETURN(store::MetricsResult result, store_.QueryScoreMetrics(query));
    return store::ReadingOf(rule.metric, result);
  }
  const store::MetricsQuery query = store::RollupQueryOf(rule.metric, std::string(project), from_ns, to_ns);
  TRACKLY_ASSIGN_OR_RETURN(store::MetricsResult result, store_.QueryMetrics(query));
  return store::ReadingOf(rule.metric, result);
}

absl::Status AlertEvaluator::Evaluate(const store::AlertRulesRecord& record, const store::AlertRule& rule,
                                      int64_t now_ns, AlertPassStats& stats) {
  const std::string fingerprint = AlertRuleFingerprint(rule);
  const Key key(record.project, rule.name);
  std::optional<AlertStatus> current;
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.fingerprint == fingerprint) current = it->second.status;
  }
  if (!current) {
    TRACKLY_ASSIGN_OR_RETURN(current, Derive(record.project, rule, fingerprint));
  }
  AlertStatus status = *std::move(current);
  auto keep = [&] {
    absl::MutexLock lock(&mu_);
    entries_[key] = Entry{.fingerprint = fingerprint, .status = status};
  };
  ++stats.rules;
  absl::StatusOr<store::AlertReading> reading = Read(record.project, rule, now_ns);
  if (!reading.ok()) {
    status.note = absl::StrCat("the metric could not be read: ", reading.status().message());
    keep();
    return reading.status();
  }
  status.evaluated_ns = now_ns;
  status.value = reading->value;
  status.count = reading->count;
  status.note.clear();
  if (reading->count < rule.min_count) {
    status.note = absl::StrCat("fewer than min_count (", rule.min_count, ") in the window");
  } else if (!reading->value) {
    status.note = "no value in the window";
  }
  const bool firing = status.state == "firing";
  if (!status.note.empty() || store::ConditionHolds(rule, *reading->value) == firing) {
    keep();
    return absl::OkStatus();
  }
  // A transition: recorded first, so a restart derives the state the receiver was told.
  store::AlertEvent event{.project = record.project,
                          .alert = rule.name,
                          .time_ns = now_ns,
                          .state = firing ? store::AlertState::kResolved : store::AlertState::kFiring,
                          .value = *reading->value,
                          .threshold = rule.threshold,
                          .rule_fingerprint = fingerprint};
  absl::StatusOr<int64_t> id = catalog_.AppendAlertEvent(event);
  if (!id.ok()) {
    status.note = absl::StrCat("the transition could not be recorded: ", id.status().message());
    keep();
    return id.status();
  }
  status.state = firing ? "ok" : "firing";
  status.since_ns = now_ns;
  keep();
  ++(firing ? stats.resolved : stats.fired);
  LogInfo("alert \"", rule.name, "\" of project ", record.project, " ", Sv(store::ToString(event.state)),
          ": value ", *reading->value, ", condition ", Sv(store::ToString(rule.condition)), " ", rule.threshold);
  std::string body = model::DumpJson(
      AlertPayload(record.project, rule, store::ToString(event.state), reading->value, now_ns));
  // The outcome only touches the catalog: the sender may report it after the evaluator is gone.
  send_(rule.webhook, std::move(body), record.webhook_secret,
        [&catalog = catalog_, project = record.project, id = *id](WebhookResult result) {
          if (absl::Status updated = catalog.UpdateAlertDelivery(project, id, DeliveryOf(result)); !updated.ok()) {
            LogWarn("alert event ", id, " of project ", project, ": delivery outcome not recorded: ",
                    updated.ToString());
          }
        });
  return absl::OkStatus();
}

absl::StatusOr<AlertPassStats> AlertEvaluator::RunPass() {
  absl::MutexLock pass(&pass_mu_);
  const int64_t now_ns = clock_.NowNanos();
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::AlertRulesRecord> records, catalog_.ListAlertRules());
  AlertPassStats stats;
  absl::Status first_error;
  auto failed = [&first_error](absl::Status status) {
    if (first_error.ok()) first_error = std::move(status);
  };
  absl::flat_hash_set<Key> current;
  for (const store::AlertRulesRecord& record : records) {
    absl::StatusOr<std::vector<store::AlertRule>> rules = store::ParseAlertRulesText(record.rules_json);
    if (!rules.ok()) {
      LogWarn("alert rules of project ", record.project, " not evaluated: ", rules.status().ToString());
      failed(rules.status());
      continue;
    }
    for (const store::AlertRule& rule : *rules) {
      if (!rule.enabled) continue;
      current.emplace(record.project, rule.name);
      if (absl::Status evaluated = Evaluate(record, rule, now_ns, stats); !evaluated.ok()) {
        LogWarn("alert \"", rule.name, "\" of project ", record.project, " not evaluated: ", evaluated.ToString());
        failed(std::move(evaluated));
      }
    }
  }
  {
    // Removed and disabled rules lose their state; they start from their events if they return.
    absl::MutexLock lock(&mu_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (current.contains(it->first)) {
        ++it;
      } else {
        entries_.erase(it++);
      }
    }
  }
  TRACKLY_RETURN_IF_ERROR(first_error);
  return stats;
}

std::vector<AlertStatus> AlertEvaluator::Statuses(std::string_view project,
                                                  const std::vector<store::AlertRule>& rules) {
  std::vector<AlertStatus> statuses;
  for (const store::AlertRule& rule : rules) {
    if (!rule.enabled) {
      statuses.push_back(AlertStatus{.state = "disabled"});
      continue;
    }
    const std::string fingerprint = AlertRuleFingerprint(rule);
    {
      absl::MutexLock lock(&mu_);
      auto it = entries_.find(Key(project, rule.name));
      if (it != entries_.end() && it->second.fingerprint == fingerprint) {
        statuses.push_back(it->second.status);
        continue;
      }
    }
    absl::StatusOr<AlertStatus> derived = Derive(project, rule, fingerprint);
    if (!derived.ok()) {
      derived = AlertStatus{.note = absl::StrCat("state unknown: ", derived.status().message())};
    }
    statuses.push_back(*std::move(derived));
  }
  return statuses;
}

void AlertEvaluator::Start() {
  thread_ = std::thread([this] {
    while (true) {
      absl::StatusOr<AlertPassStats> pass = RunPass();
      if (!pass.ok()) LogWarn("alert pass incomplete: ", pass.status().ToString());
      absl::MutexLock lock(&mu_);
      // Waits out the interval, waking at once when the evaluator is destroyed.
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.interval);
      if (stopping_) return;
    }
  });
}

}  // namespace trackly::server
