// The alert rule language: every field read and normalized, every bad rule refused naming the
// rule and the field, the webhook check applied, and the queries and readings a rule makes.
#include "store/alert_rules.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trackly::store {
namespace {

using ::testing::HasSubstr;
using model::Json;

constexpr char kHook[] = R"("webhook": "https://hooks.example.com/t")";

// {"rules": [rule]} of one rule given as the fields inside its braces.
std::string One(const std::string& fields) { return absl::StrCat(R"({"rules": [{)", fields, "}]}"); }

// A valid rule's fields with `metric` as its metric.
std::string WithMetric(const std::string& metric) {
  return absl::StrCat(R"("name": "r", "metric": )", metric,
                      R"(, "window_minutes": 5, "condition": "above", "threshold": 1, )", kHook);
}

// {"rules": [rule]} of a valid rule with `field` set to `value` (JSON text), or removed when
// `value` is empty.
std::string Changed(const std::string& field, const std::string& value) {
  Json rule = Json::parse(absl::StrCat("{", WithMetric(R"({"measure": "count"})"), "}"));
  if (value.empty()) {
    rule.erase(field);
  } else {
    rule[field] = Json::parse(value);
  }
  return Json{{"rules", Json::array({rule})}}.dump();
}

TEST(AlertRulesTest, ReadsEveryFieldOfARollupRule) {
  absl::StatusOr<std::vector<AlertRule>> rules = ParseAlertRulesText(One(absl::StrCat(
      R"("name": "search errors", "metric": {"measure": "error_rate", "level": "observation",
         "filters": {"tool": "search", "environment": "production"}},
         "window_minutes": 15, "condition": "above", "threshold": 0.2, "min_count": 20, "enabled": false, )",
      kHook)));
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->size(), 1u);
  const AlertRule& rule = (*rules)[0];
  EXPECT_EQ(rule.name, "search errors");
  EXPECT_EQ(rule.metric.measure, Measure::kErrorRate);
  EXPECT_EQ(rule.metric.level, MetricsLevel::kObservation);
  EXPECT_FALSE(rule.metric.score.has_value());
  // Filters come in dimension-name order (a JSON object's keys are sorted).
  using Filter = std::pair<model::MetricsDimension, std::string>;
  EXPECT_THAT(rule.metric.filters, ::testing::ElementsAre(Filter{model::MetricsDimension::kEnvironment, "production"},
                                                          Filter{model::MetricsDimension::kTool, "search"}));
  EXPECT_EQ(rule.window_minutes, 15);
  EXPECT_EQ(rule.condition, AlertCondition::kAbove);
  EXPECT_EQ(rule.threshold, 0.2);
  EXPECT_EQ(rule.min_count, 20);
  EXPECT_EQ(rule.webhook, "https://hooks.example.com/t");
  EXPECT_FALSE(rule.enabled);
}

TEST(AlertRulesTest, ReadsScoreMetricsAndDefaultsTheLevelByMeasure) {
  struct Case {
    std::string metric;
    AlertMetric expected;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"measure": "cost"})", AlertMetric{.measure = Measure::kCost, .level = MetricsLevel::kObservation}},
           // A per-run measure is about runs.
           {R"({"measure": "cost_per_run"})",
            AlertMetric{.measure = Measure::kCostPerRun, .level = MetricsLevel::kTrace}},
           {R"({"measure": "p95_latency", "level": "trace", "filters": {"name": "support_agent"}})",
            AlertMetric{.measure = Measure::kP95Latency,
                        .level = MetricsLevel::kTrace,
                        .filters = {{model::MetricsDimension::kName, "support_agent"}}}},
           {R"({"score": {"name_prefix": "trackly.finding.", "measure": "count"}})",
            AlertMetric{.score = AlertMetric::Score{.name_prefix = "trackly.finding.",
                                                    .measure = ScoreMeasure::kCount}}},
           {R"({"score": {"name": "trackly.rule.few tools", "source": "trackly", "measure": "true_rate"}})",
            AlertMetric{.score = AlertMetric::Score{.name = "trackly.rule.few tools",
                                                    .source = "trackly",
                                                    .measure = ScoreMeasure::kTrueRate}}},
       }) {
    SCOPED_TRACE(c.metric);
    absl::StatusOr<std::vector<AlertRule>> rules = ParseAlertRulesText(One(WithMetric(c.metric)));
    ASSERT_TRUE(rules.ok()) << rules.status();
    EXPECT_EQ((*rules)[0].metric, c.expected);
  }
}

TEST(AlertRulesTest, RefusesBadRulesNamingTheRuleAndTheField) {
  const std::string valid = WithMetric(R"({"measure": "error_rate"})");
  struct Case {
    std::string text;
    std::string message;  // the whole message, or a part of it
  };
  for (const Case& c : std::vector<Case>{
           {"", R"(rules: must be a JSON object {"rules": [...]})"},
           {"[]", R"(rules: must be a JSON object)"},
           {R"({"rules": {}})", "rules: must be an array"},
           {R"({"rules": [], "secret": "x"})", "secret: unknown field"},
           {R"({"rules": [3]})", "rule 0: must be an object"},
           {Changed("name", ""), "rule 0: name: required"},
           {Changed("extra", "1"), R"(rule 0 ("r"): extra: unknown field)"},
           {Changed("name", R"("")"), "name: must be a non-empty string"},
           {Changed("name", R"("a\nb")"), "name: has a control character"},
           {Changed("name", Json(std::string(101, 'x')).dump()), "name: longer than 100 characters"},
           {One(WithMetric(R"("error_rate")")), R"(rule 0 ("r"): metric: must be an object)"},
           {One(WithMetric("{}")), "metric: needs a measure (or a score)"},
           {One(WithMetric(R"({"measure": "errors"})")), R"(metric.measure: unknown "errors")"},
           {One(WithMetric(R"({"measure": "count", "group_by": "model"})")), "metric.group_by: unknown field"},
           {One(WithMetric(R"({"measure": "count", "level": "span"})")), "metric.level: must be observation or trace"},
           {One(WithMetric(R"({"measure": "count", "filters": ["tool"]})")), "metric.filters: must be an object"},
           {One(WithMetric(R"({"measure": "count", "filters": {"colour": "red"}})")),
            "metric.filters.colour: unknown dimension"},
           {One(WithMetric(R"({"measure": "count", "filters": {"tool": ""}})")),
            "metric.filters.tool: must be a non-empty string"},
           // The metrics API's own checks.
           {One(WithMetric(R"({"measure": "cost_per_run", "level": "observation"})")),
            "metric: measure 'cost_per_run' is a per-run measure: it needs level=trace"},
           {One(WithMetric(R"({"measure": "count", "level": "trace", "filters": {"tool": "search"}})")),
            "metric: dimension 'tool' is not available at the trace level"},
           {One(WithMetric(R"({"measure": "count", "filters": {"user_id": "u1"}})")),
            "metric: dimension 'user_id' is not available at the observation level"},
           {One(WithMetric(R"({"score": {"measure": "count"}})")),
            "metric.score: needs exactly one of name and name_prefix"},
           {One(WithMetric(R"({"score": {"name": "a", "name_prefix": "b", "measure": "count"}})")),
            "metric.score: needs exactly one of name and name_prefix"},
           {One(WithMetric(R"({"score": {"name": "a"}})")), "metric.score.measure: required"},
           {One(WithMetric(R"({"score": {"name": "a", "measure": "median"}})")),
            R"(metric.score.measure: unknown "median")"},
           {One(WithMetric(R"({"score": {"name": "a", "measure": "count", "value": "x"}})")),
            "metric.score.value: unknown field"},
           {One(WithMetric(R"({"score": {"name": "a", "measure": "count"}, "measure": "count"})")),
            "metric.measure: unknown field"},
           {Changed("window_minutes", ""), R"(rule 0 ("r"): window_minutes: required)"},
           {Changed("window_minutes", "0"), "window_minutes: must be a whole number from 1 to 10080"},
           {Changed("window_minutes", "10081"), "window_minutes: must be a whole number from 1 to 10080"},
           {Changed("window_minutes", "1.5"), "window_minutes: must be a whole number from 1 to 10080"},
           {Changed("condition", R"("over")"), "condition: must be above or below"},
           {Changed("threshold", R"("1")"), "threshold: must be a finite number"},
           {Changed("threshold", ""), "threshold: required"},
           {Changed("min_count", "-1"), "min_count: must be a whole number of at least 0"},
           {Changed("enabled", R"("no")"), "enabled: must be true or false"},
           {Changed("webhook", ""), "webhook: required"},
           {Changed("webhook", R"("")"), "webhook: must be a non-empty string"},
           {Changed("webhook", Json("https://x/" + std::string(2048, 'a')).dump()),
            "webhook: longer than 2048 characters"},
           {absl::StrCat(R"({"rules": [{)", valid, "}, {", valid, "}]}"),
            R"(rule 1 ("r"): name: used by an earlier rule)"},
       }) {
    SCOPED_TRACE(c.text.substr(0, 300));
    absl::StatusOr<std::vector<AlertRule>> rules = ParseAlertRulesText(c.text);
    ASSERT_FALSE(rules.ok());
    EXPECT_EQ(rules.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(rules.status().message(), HasSubstr(c.message));
  }
}

TEST(AlertRulesTest, AtMostFiftyRules) {
  Json list = Json::array();
  for (int i = 0; i <= 50; ++i) {
    Json rule = Json::parse(absl::StrCat("{", WithMetric(R"({"measure": "count"})"), "}"));
    rule["name"] = absl::StrCat("r", i);
    list.push_back(rule);
  }
  EXPECT_EQ(ParseAlertRulesText(Json{{"rules", list}}.dump()).status().message(), "rules: more than 50 rules");
  list.erase(list.size() - 1);
  EXPECT_TRUE(ParseAlertRulesText(Json{{"rules", list}}.dump()).ok());
}

TEST(AlertRulesTest, TheWebhookCheckIsAppliedWhenGiven) {
  const std::string text = One(WithMetric(R"({"measure": "count"})"));
  std::vector<std::string> checked;
  auto refuse = [&checked](std::string_view url) {
    checked.emplace_back(url);
    return absl::InvalidArgumentError("webhook: host \"hooks.example.com\" is not allowed");
  };
  EXPECT_EQ(ParseAlertRulesText(text, refuse).status().message(),
            R"(rule 0 ("r"): webhook: host "hooks.example.com" is not allowed)");
  EXPECT_THAT(checked, ::testing::ElementsAre("https://hooks.example.com/t"));
  // A check whose message does not name the field gets it named.
  auto terse = [](std::string_view) { return absl::InvalidArgumentError("private address"); };
  EXPECT_EQ(ParseAlertRulesText(text, terse).status().message(), R"(rule 0 ("r"): webhook: private address)");
  auto accept = [](std::string_view) { return absl::OkStatus(); };
  EXPECT_TRUE(ParseAlertRulesText(text, accept).ok());
}

TEST(AlertRulesTest, TheNormalFormReadsBackEqualAndIsTheSameForTheSameRules) {
  const std::string a = One(absl::StrCat(
      R"("name": "cost", "metric": {"filters": {"model": "gpt-4o", "environment": "prod"}, "measure": "cost"},
         "window_minutes": 60, "condition": "above", "threshold": 5, "min_count": 0, "enabled": true, )",
      kHook));
  const std::string b = One(absl::StrCat(
      kHook, R"(, "threshold": 5.0, "condition": "above", "window_minutes": 60,
         "metric": {"level": "observation", "measure": "cost", "filters": {"environment": "prod", "model": "gpt-4o"}},
         "name": "cost")"));
  absl::StatusOr<std::vector<AlertRule>> ra = ParseAlertRulesText(a);
  absl::StatusOr<std::vector<AlertRule>> rb = ParseAlertRulesText(b);
  ASSERT_TRUE(ra.ok()) << ra.status();
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_EQ(*ra, *rb);
  const Json normal = AlertRulesToJson(*ra);
  EXPECT_EQ(normal.dump(), AlertRulesToJson(*rb).dump());
  EXPECT_EQ(normal["rules"][0],
            Json::parse(R"({"name": "cost", "metric": {"measure": "cost", "level": "observation",
                              "filters": {"environment": "prod", "model": "gpt-4o"}},
                              "window_minutes": 60, "condition": "above", "threshold": 5.0,
                              "webhook": "https://hooks.example.com/t"})"));
  absl::StatusOr<std::vector<AlertRule>> again = ParseAlertRulesText(normal.dump());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *ra);
  // Optional fields appear only when they differ from their default.
  AlertRule rule = (*ra)[0];
  rule.min_count = 3;
  rule.enabled = false;
  rule.metric = AlertMetric{.score = AlertMetric::Score{.name = "quality", .measure = ScoreMeasure::kAvg}};
  const Json one = AlertRuleToJson(rule);
  EXPECT_EQ(one["min_count"], 3);
  EXPECT_EQ(one["enabled"], false);
  EXPECT_EQ(one["metric"], Json::parse(R"({"score": {"name": "quality", "measure": "avg"}})"));
  absl::StatusOr<std::vector<AlertRule>> back = ParseAlertRulesText(AlertRulesToJson({rule}).dump());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ((*back)[0], rule);
}

TEST(AlertRulesTest, ConditionsAreStrict) {
  struct Case {
    AlertCondition condition;
    double value;
    bool holds;
  };
  for (const Case& c : std::vector<Case>{{AlertCondition::kAbove, 0.21, true},
                                         {AlertCondition::kAbove, 0.2, false},
                                         {AlertCondition::kAbove, 0.1, false},
                                         {AlertCondition::kBelow, 0.1, true},
                                         {AlertCondition::kBelow, 0.2, false},
                                         {AlertCondition::kBelow, 0.3, false}}) {
    AlertRule rule{.condition = c.condition, .threshold = 0.2};
    EXPECT_EQ(ConditionHolds(rule, c.value), c.holds) << ToString(c.condition) << " " << c.value;
  }
}

TEST(AlertRulesTest, QueriesAskForTheMeasureAndTheCountWithoutGrouping) {
  const AlertMetric rollup{.measure = Measure::kErrorRate, .filters = {{model::MetricsDimension::kTool, "search"}}};
  const MetricsQuery query = RollupQueryOf(rollup, "p", 10, 20);
  EXPECT_EQ(query.project, "p");
  EXPECT_EQ(query.from_ns, 10);
  EXPECT_EQ(query.to_ns, 20);
  EXPECT_THAT(query.measures, ::testing::ElementsAre(Measure::kErrorRate, Measure::kCount));
  EXPECT_TRUE(query.group_by.empty());
  EXPECT_EQ(query.filters, rollup.filters);
  EXPECT_THAT(RollupQueryOf(AlertMetric{.measure = Measure::kCount}, "p", 0, 1).measures,
              ::testing::ElementsAre(Measure::kCount));

  const AlertMetric score{
      .score = AlertMetric::Score{.name_prefix = "trackly.rule.", .measure = ScoreMeasure::kTrueRate}};
  const ScoreMetricsQuery scores = ScoreQueryOf(score, "p", 10, 20);
  EXPECT_EQ(scores.name_prefix, "trackly.rule.");
  EXPECT_THAT(scores.measures, ::testing::ElementsAre(ScoreMeasure::kTrueRate, ScoreMeasure::kCount));
  EXPECT_TRUE(ValidateScoreMetricsQuery(scores).ok());
  const AlertMetric count{.score = AlertMetric::Score{.name = "q"}};
  EXPECT_TRUE(ValidateScoreMetricsQuery(ScoreQueryOf(count, "p", 0, 1)).ok());
}

TEST(AlertRulesTest, ReadingsTakeTheOneRowOrWhatAnEmptyWindowMeasures) {
  struct Case {
    std::string what;
    AlertMetric metric;
    MetricsResult result;
    std::optional<double> value;
    int64_t count;
  };
  const AlertMetric error_rate{.measure = Measure::kErrorRate};
  const AlertMetric cost{.measure = Measure::kCost};
  const AlertMetric count{.measure = Measure::kCount};
  const AlertMetric true_rate{.score = AlertMetric::Score{.name = "q", .measure = ScoreMeasure::kTrueRate}};
  const AlertMetric score_count{.score = AlertMetric::Score{.name = "q", .measure = ScoreMeasure::kCount}};
  for (const Case& c : std::vector<Case>{
           {"rate", error_rate, MetricsResult{.rows = {MetricsRow{.values = {0.25, 8.0}}}}, 0.25, 8},
           {"count alone", count, MetricsResult{.rows = {MetricsRow{.values = {12.0}}}}, 12.0, 12},
           {"rate of nothing", error_rate, MetricsResult{}, std::nullopt, 0},
           {"sum of nothing", cost, MetricsResult{}, 0.0, 0},
           {"count of nothing", count, MetricsResult{}, 0.0, 0},
           {"score rate", true_rate, MetricsResult{.rows = {MetricsRow{.values = {0.5, 4.0}}}}, 0.5, 4},
           {"score rate of nothing", true_rate, MetricsResult{}, std::nullopt, 0},
           {"scores of nothing", score_count, MetricsResult{}, 0.0, 0},
       }) {
    SCOPED_TRACE(c.what);
    const AlertReading reading = ReadingOf(c.metric, c.result);
    EXPECT_EQ(reading.value, c.value);
    EXPECT_EQ(reading.count, c.count);
  }
}

}  // namespace
}  // namespace trackly::store
