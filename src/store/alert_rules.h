// Alert rules (docs/insight.md "Alerts"): thresholds on a project's metrics that the server
// evaluates continuously (server/alert_evaluator.h) and delivers to webhooks. A project keeps its
// rules as the JSON text {"rules": [Rule, ...]}, each Rule an object:
//   {"name": "search errors",
//    "metric": {"measure": "error_rate", "level": "observation", "filters": {"tool": "search"}},
//    "window_minutes": 15, "condition": "above", "threshold": 0.2, "min_count": 20,
//    "webhook": "https://hooks.example.com/trackly", "enabled": true}
// where the metric is a measure of the metrics API with exact-match filters (store/metrics_query.h),
// or a measure over scores (store/score_metrics.h):
//    "metric": {"score": {"name_prefix": "trackly.finding.", "measure": "count"}}
//    "metric": {"score": {"name": "trackly.rule.few tools", "source": "trackly", "measure": "true_rate"}}
// min_count (default 0) and enabled (default true) are optional; level defaults to "trace" for a
// per-run measure, else "observation".
//
// Kept here, beside the query types a rule is made of, so the catalog can validate what it stores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/json.h"
#include "model/rollup.h"
#include "store/metrics_query.h"
#include "store/score_metrics.h"

namespace trackly::store {

enum class AlertCondition { kAbove, kBelow };
std::string_view ToString(AlertCondition condition);  // "above", "below"

// What a rule measures: a rollup measure (the metrics API) or, when `score` is set, a measure over
// the project's scores.
struct AlertMetric {
  // Rollup metric.
  Measure measure = Measure::kCount;
  MetricsLevel level = MetricsLevel::kObservation;
  std::vector<std::pair<model::MetricsDimension, std::string>> filters;  // by dimension, each once
  // Score metric.
  struct Score {
    std::string name;         // exact score name, or
    std::string name_prefix;  // every score whose name starts with it (exactly one of the two)
    std::string source;       // exact source; "" = any
    ScoreMeasure measure = ScoreMeasure::kCount;
    bool operator==(const Score&) const = default;
  };
  std::optional<Score> score;
  bool operator==(const AlertMetric&) const = default;
};

struct AlertRule {
  std::string name;        // unique in the project, 1..100 characters, no control characters
  AlertMetric metric;
  int window_minutes = 5;  // 1..kMaxAlertWindowMinutes
  AlertCondition condition = AlertCondition::kAbove;
  double threshold = 0;    // finite
  int64_t min_count = 0;   // fewer observations / runs / scores in the window: not evaluated
  std::string webhook;     // where deliveries go (server/webhook_sender.h checks it)
  bool enabled = true;
  bool operator==(const AlertRule&) const = default;
};

// Most rules one project may have.
inline constexpr size_t kMaxAlertRules = 50;
// The longest window: one week.
inline constexpr int kMaxAlertWindowMinutes = 10'080;
// The longest webhook URL accepted.
inline constexpr size_t kMaxWebhookUrlLength = 2048;

// A check of a webhook URL (the server's address policy, server/webhook_sender.h CheckWebhookUrl);
// its InvalidArgument message names what is wrong.
using WebhookUrlCheck = std::function<absl::Status(std::string_view url)>;

// The rules of `text` ({"rules": [...]}, as above). InvalidArgument naming the rule (by index and
// name when it has one) and the field for anything else: not JSON, an unknown field, a missing or
// mistyped field, an unknown measure, level, dimension or condition, a dimension the level lacks
// (RollupKindFor), a value out of range, a repeated name, more than kMaxAlertRules. The webhook
// must be a non-empty string of at most kMaxWebhookUrlLength characters; with `check_webhook`
// it must pass that check too (the catalog, which does not know the server's address policy,
// parses without it).
absl::StatusOr<std::vector<AlertRule>> ParseAlertRulesText(std::string_view text,
                                                           const WebhookUrlCheck& check_webhook = nullptr);
// {"rules": [...]} in one normalized form (every field but min_count 0 and enabled true written
// out), so ParseAlertRulesText of it gives `rules` back and equal rule lists give equal text.
model::Json AlertRulesToJson(const std::vector<AlertRule>& rules);
// One rule in that form; its text identifies the rule's definition.
model::Json AlertRuleToJson(const AlertRule& rule);
// The metric of a rule in that form ({"measure", "level", "filters"?} or {"score": {...}}).
model::Json AlertMetricToJson(const AlertMetric& metric);

// Whether `value` breaks the rule's condition: strictly above or below the threshold.
bool ConditionHolds(const AlertRule& rule, double value);

// The query of a rollup metric over [from_ns, to_ns) in `project`: no grouping, the measure and
// the count of observations or runs (for min_count). The metric must not be a score metric.
MetricsQuery RollupQueryOf(const AlertMetric& metric, std::string project, int64_t from_ns, int64_t to_ns);
// The query of a score metric over [from_ns, to_ns) in `project`: no grouping, the measure and
// the count of scores (for min_count). The metric must be a score metric.
ScoreMetricsQuery ScoreQueryOf(const AlertMetric& metric, std::string project, int64_t from_ns, int64_t to_ns);

// What one evaluation read.
struct AlertReading {
  std::optional<double> value;  // none: a rate or average of nothing
  int64_t count = 0;            // observations, runs or scores in the window
};
// The reading of `metric` from the answer to its query (RollupQueryOf or ScoreQueryOf): its one
// row, or what a window without data measures (0 for sums and counts, none for rates) when it
// has none.
AlertReading ReadingOf(const AlertMetric& metric, const MetricsResult& result);

}  // namespace trackly::store
