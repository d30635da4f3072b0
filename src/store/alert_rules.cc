#include "store/alert_rules.h"

#include <cmath>
#include <initializer_list>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/rules_document.h"

namespace trackly::store {
namespace {

using model::Json;

constexpr size_t kMaxNameLength = 100;

absl::Status Invalid(std::string_view field, std::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(Sv(field), ": ", Sv(problem)));
}

// Every key of `json` is one of `allowed`; the error names the first that is not, under `where`.
absl::Status OnlyFields(const Json& json, std::initializer_list<std::string_view> allowed, std::string_view where) {
  for (const auto& [key, value] : json.items()) {
    bool known = false;
    for (std::string_view field : allowed) known = known || field == key;
    if (!known) return Invalid(absl::StrCat(Sv(where), key), "unknown field");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NonEmptyText(const Json& value, std::string_view field) {
  if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
    return Invalid(field, "must be a non-empty string");
  }
  return value.get<std::string>();
}

absl::StatusOr<AlertMetric::Score> ParseScoreMetric(const Json& json) {
  if (!json.is_object()) return Invalid("metric.score", "must be an object");
  TRACKLY_RETURN_IF_ERROR(OnlyFields(json, {"name", "name_prefix", "source", "measure"}, "metric.score."));
  AlertMetric::Score score;
  for (auto [field, target] : {std::pair<std::string_view, std::string*>{"name", &score.name},
                               {"name_prefix", &score.name_prefix},
                               {"source", &score.source}}) {
    auto it = json.find(field);
    if (it == json.end()) continue;
    TRACKLY_ASSIGN_OR_RETURN(*target, NonEmptyText(*it, absl::StrCat("metric.score.", Sv(field))));
  }
  if (score.name.empty() == score.name_prefix.empty()) {
    return Invalid("metric.score", "needs exactly one of name and name_prefix");
  }
  auto measure = json.find("measure");
  if (measure == json.end()) return Invalid("metric.score.measure", "required");
  TRACKLY_ASSIGN_OR_RETURN(std::string text, NonEmptyText(*measure, "metric.score.measure"));
  if (!ParseScoreMeasure(text, &score.measure)) {
    return Invalid("metric.score.measure", absl::StrCat("unknown \"", text, "\" (", ScoreMeasureNames(), ")"));
  }
  return score;
}

absl::StatusOr<AlertMetric> ParseMetric(const Json& json) {
  if (!json.is_object()) return Invalid("metric", "must be an object");
  AlertMetric metric;
  if (json.contains("score")) {
    TRACKLY_RETURN_IF_ERROR(OnlyFields(json, {"score"}, "metric."));
    TRACKLY_ASSIGN_OR_RETURN(metric.score, ParseScoreMetric(json["score"]));
    return metric;
  }
  TRACKLY_RETURN_IF_ERROR(OnlyFields(json, {"measure", "level", "filters"}, "metric."));
  auto measure = json.find("measure");
  if (measure == json.end()) return Invalid("metric", "needs a measure (or a score)");
  TRACKLY_ASSIGN_OR_RETURN(std::string text, NonEmptyText(*measure, "metric.measure"));
  if (!ParseMeasure(text, &metric.measure)) {
    return Invalid("metric.measure", absl::StrCat("unknown \"", text, "\" (a measure of GET /api/v1/metrics)"));
  }
  metric.level = IsRunMeasure(metric.measure) ? MetricsLevel::kTrace : MetricsLevel::kObservation;
  if (auto level = json.find("level"); level != json.end()) {
    if (*level != "observation" && *level != "trace") return Invalid("metric.level", "must be observation or trace");
    metric.level = *level == "trace" ? MetricsLevel::kTrace : MetricsLevel::kObservation;
  }
  if (auto filters = json.find("filters"); filters != json.end()) {
    if (!filters->is_object()) return Invalid("metric.filters", "must be an object of dimension: value");
    for (const auto& [key, value] : filters->items()) {
      const std::string field = absl::StrCat("metric.filters.", key);
      model::MetricsDimension dimension;
      if (!model::ParseMetricsDimension(key, &dimension)) return Invalid(field, "unknown dimension");
      TRACKLY_ASSIGN_OR_RETURN(std::string exact, NonEmptyText(value, field));
      metric.filters.emplace_back(dimension, std::move(exact));
    }
  }
  // The metrics API's own checks, so a rule can only ask what GET /api/v1/metrics answers.
  const MetricsQuery query = RollupQueryOf(metric, "check", 0, 0);
  for (const absl::Status& check : {ValidateMetricsQuery(query), RollupKindFor(query).status()}) {
    if (!check.ok()) return Invalid("metric", std::string(check.message()));
  }
  return metric;
}

// Reads one rule; errors name the field, the caller adds which rule.
absl::StatusOr<AlertRule> ParseRule(const Json& json, const WebhookUrlCheck& check_webhook) {
  if (!json.is_object()) return absl::InvalidArgumentError("must be an object");
  TRACKLY_RETURN_IF_ERROR(OnlyFields(
      json, {"name", "metric", "window_minutes", "condition", "threshold", "min_count", "webhook", "enabled"}, ""));
  AlertRule rule;
  auto required = [&json](std::string_view field) -> absl::StatusOr<const Json*> {
    auto it = json.find(field);
    if (it == json.end()) return Invalid(field, "required");
    return &*it;
  };
  {
    TRACKLY_ASSIGN_OR_RETURN(const Json* name, required("name"));
    TRACKLY_ASSIGN_OR_RETURN(rule.name, NonEmptyText(*name, "name"));
    if (rule.name.size() > kMaxNameLength) {
      return Invalid("name", absl::StrCat("longer than ", kMaxNameLength, " characters"));
    }
    for (unsigned char c : rule.name) {
      if (c < 0x20 || c == 0x7f) return Invalid("name", "has a control character");
    }
  }
  {
    TRACKLY_ASSIGN_OR_RETURN(const Json* metric, required("metric"));
    TRACKLY_ASSIGN_OR_RETURN(rule.metric, ParseMetric(*metric));
  }
  {
    TRACKLY_ASSIGN_OR_RETURN(const Json* window, required("window_minutes"));
    if (!window->is_number_integer() || window->get<int64_t>() < 1 || window->get<int64_t>() > kMaxAlertWindowMinutes) {
      return Invalid("window_minutes", absl::StrCat("must be a whole number from 1 to ", kMaxAlertWindowMinutes));
    }
    rule.window_minutes = window->get<int>();
  }
  {
    TRACKLY_ASSIGN_OR_RETURN(const Json* condition, required("condition"));
    if (*condition != "above" && *condition != "below") return Invalid("condition", "must be above or below");
    rule.condition = *condition == "above" ? AlertCondition::kAbove : AlertCondition::kBelow;
  }
  {
    TRACKLY_ASSIGN_OR_RETURN(const Json* threshold, required("threshold"));
    if (!threshold->is_number() || !std::isfinite(threshold->get<double>())) {
      return Invalid("threshold", "must be a finite number");
    }
    rule.threshold = threshold->get<double>();
  }
  if (auto min_count = json.find("min_count"); min_count != json.end()) {
    if (!min_count->is_number_integer() || min_count->get<int64_t>() < 0) {
      return Invalid("min_count", "must be a whole number of at least 0");
    }
    rule.min_count = min_count->get<int64_t>();
  }
  {
    TRACKLY_ASSIGN_OR_RETURN(const Json* webhook, required("webhook"));
    TRACKLY_ASSIGN_OR_RETURN(rule.webhook, NonEmptyText(*webhook, "webhook"));
    if (rule.webhook.size() > kMaxWebhookUrlLength) {
      return Invalid("webhook", absl::StrCat("longer than ", kMaxWebhookUrlLength, " characters"));
    }
    if (check_webhook) {
      if (absl::Status allowed = check_webhook(rule.webhook); !allowed.ok()) {
        // The check's message names the URL's problem; it says "webhook: ..." already when it
        // follows server/webhook_sender.h.
        const bool named = absl::string_view(allowed.message()).substr(0, 7) == "webhook";
        return absl::InvalidArgumentError(absl::StrCat(named ? "" : "webhook: ", allowed.message()));
      }
    }
  }
  if (auto enabled = json.find("enabled"); enabled != json.end()) {
    if (!enabled->is_boolean()) return Invalid("enabled", "must be true or false");
    rule.enabled = enabled->get<bool>();
  }
  return rule;
}

}  // namespace

std::string_view ToString(AlertCondition condition) {
  return condition == AlertCondition::kAbove ? "above" : "below";
}

absl::StatusOr<std::vector<AlertRule>> ParseAlertRulesText(std::string_view text,
                                                           const WebhookUrlCheck& check_webhook) {
  return model::ParseRulesDocument<AlertRule>(
      text, kMaxAlertRules, [&check_webhook](const Json& item) { return ParseRule(item, check_webhook); });
}

Json AlertMetricToJson(const AlertMetric& metric) {
  if (metric.score) {
    Json score = Json::object();
    if (!metric.score->name.empty()) score["name"] = metric.score->name;
    if (!metric.score->name_prefix.empty()) score["name_prefix"] = metric.score->name_prefix;
    if (!metric.score->source.empty()) score["source"] = metric.score->source;
    score["measure"] = ToString(metric.score->measure);
    return Json{{"score", std::move(score)}};
  }
  Json out = {{"measure", ToString(metric.measure)},
              {"level", metric.level == MetricsLevel::kTrace ? "trace" : "observation"}};
  if (!metric.filters.empty()) {
    Json filters = Json::object();
    for (const auto& [dimension, value] : metric.filters) filters[std::string(model::ToString(dimension))] = value;
    out["filters"] = std::move(filters);
  }
  return out;
}

Json AlertRuleToJson(const AlertRule& rule) {
  Json out = {{"name", rule.name},
              {"metric", AlertMetricToJson(rule.metric)},
              {"window_minutes", rule.window_minutes},
              {"condition", ToString(rule.condition)},
              {"threshold", rule.threshold},
              {"webhook", rule.webhook}};
  if (rule.min_count > 0) out["min_count"] = rule.min_count;
  if (!rule.enabled) out["enabled"] = false;
  return out;
}

Json AlertRulesToJson(const std::vector<AlertRule>& rules) {
  Json list = Json::array();
  for (const AlertRule& rule : rules) list.push_back(AlertRuleToJson(rule));
  return Json{{"rules", std::move(list)}};
}

bool ConditionHolds(const AlertRule& rule, double value) {
  return rule.condition == AlertCondition::kAbove ? value > rule.threshold : value < rule.threshold;
}

MetricsQuery RollupQueryOf(const AlertMetric& metric, std::string project, int64_t from_ns, int64_t to_ns) {
  MetricsQuery query{.project = std::move(project), .from_ns = from_ns, .to_ns = to_ns, .level = metric.level};
  query.measures = {metric.measure};
  if (metric.measure != Measure::kCount) query.measures.push_back(Measure::kCount);
  query.filters = metric.filters;
  return query;
}

ScoreMetricsQuery ScoreQueryOf(const AlertMetric& metric, std::string project, int64_t from_ns, int64_t to_ns) {
  const AlertMetric::Score& score = *metric.score;
  ScoreMetricsQuery query{.project = std::move(project),
                          .name = score.name,
                          .name_prefix = score.name_prefix,
                          .source = score.source,
                          .from_ns = from_ns,
                          .to_ns = to_ns};
  query.measures = {score.measure};
  if (score.measure != ScoreMeasure::kCount) query.measures.push_back(ScoreMeasure::kCount);
  return query;
}

AlertReading ReadingOf(const AlertMetric& metric, const MetricsResult& result) {
  AlertReading reading;
  if (result.rows.empty()) {
    reading.value = metric.score ? ScoreMeasureValue(metric.score->measure, ScoreAggregates{})
                                 : MeasureValue(metric.measure, model::RollupValues{});
    return reading;
  }
  // Without grouping there is one row; its values are the measure, then the count unless the
  // measure is the count itself.
  const std::vector<std::optional<double>>& values = result.rows.front().values;
  if (values.empty()) return reading;
  reading.value = values.front();
  const std::optional<double>& count = values.back();
  reading.count = count ? static_cast<int64_t>(std::llround(*count)) : 0;
  return reading;
}

}  // namespace trackly::store
