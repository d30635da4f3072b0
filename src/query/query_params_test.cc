#include "query/query_params.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trackly::query {
namespace {

TEST(QueryParamsTest, EmptyParamsGiveDefaults) {
  absl::StatusOr<store::TraceQuery> query = ParseTraceQuery({}, "proj");
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->project, "proj");
  EXPECT_EQ(query->limit, 50);
  EXPECT_FALSE(query->oldest_first);
  EXPECT_FALSE(query->status.has_value());
}

TEST(QueryParamsTest, ParsesEveryTraceFilter) {
  absl::StatusOr<store::TraceQuery> query = ParseTraceQuery(
      {{"from", "2026-01-01T00:00:00Z"}, {"to", "1767225601"}, {"limit", "10"},
       {"cursor", "abc"}, {"name", "agent run"}, {"user_id", "u1"}, {"session_id", "s1"},
       {"status", "error"}, {"environment", "prod"}, {"release", "1.2"}, {"tag", "beta"},
       {"model", "gpt-4o"}, {"min_latency_ms", "250.5"}, {"min_cost", "0.01"},
       {"q", "weather"}, {"order", "asc"}},
      "proj");
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->from_ns, 1767225600000000000);
  EXPECT_EQ(query->to_ns, 1767225601000000000);
  EXPECT_EQ(query->limit, 10);
  EXPECT_EQ(query->cursor, "abc");
  EXPECT_EQ(query->name, "agent run");
  EXPECT_EQ(query->user_id, "u1");
  EXPECT_EQ(query->session_id, "s1");
  EXPECT_EQ(query->status, model::Status::kError);
  EXPECT_EQ(query->environment, "prod");
  EXPECT_EQ(query->release, "1.2");
  EXPECT_EQ(query->tag, "beta");
  EXPECT_EQ(query->model, "gpt-4o");
  EXPECT_DOUBLE_EQ(query->min_latency_ms, 250.5);
  EXPECT_DOUBLE_EQ(query->min_cost, 0.01);
  EXPECT_EQ(query->text, "weather");
  EXPECT_TRUE(query->oldest_first);
}

TEST(QueryParamsTest, EmptyValueMeansNotGiven) {
  absl::StatusOr<store::TraceQuery> query = ParseTraceQuery({{"limit", ""}, {"status", ""}}, "p");
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->limit, 50);
  EXPECT_FALSE(query->status.has_value());
}

TEST(QueryParamsTest, BadTraceParametersAreNamed) {
  struct Case {
    QueryParams params;
    std::string message;
  };
  const Case cases[] = {
      {{{"limit", "0"}}, "parameter 'limit' must be an integer from 1 to 1000, got '0'"},
      {{{"limit", "1001"}}, "parameter 'limit' must be an integer from 1 to 1000, got '1001'"},
      {{{"limit", "ten"}}, "parameter 'limit' must be an integer from 1 to 1000, got 'ten'"},
      {{{"from", "yesterday"}},
       "parameter 'from' must be an RFC 3339 time or a Unix timestamp, got 'yesterday'"},
      {{{"status", "broken"}},
       "parameter 'status' must be one of ok, error, timeout, cancelled, skipped, unset, got "
       "'broken'"},
      {{{"order", "up"}}, "parameter 'order' must be asc or desc, got 'up'"},
      {{{"min_cost", "-1"}}, "parameter 'min_cost' must be a non-negative number, got '-1'"},
      {{{"min_latency_ms", "nan"}},
       "parameter 'min_latency_ms' must be a non-negative number, got 'nan'"},
      {{{"usr_id", "u"}}, "unknown parameter 'usr_id'"},
      {{{"tag", "a"}, {"tag", "b"}}, "parameter 'tag' is repeated"},
      {{{"from", "200"}, {"to", "100"}}, "parameter 'from' must be before 'to'"},
      // Found by fuzz/query_params_fuzzer: seconds past 2262 overflowed int64 nanoseconds.
      {{{"from", "21765225600"}},
       "parameter 'from' must be an RFC 3339 time or a Unix timestamp, got '21765225600'"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseTraceQuery(c.params, "p").status(), absl::InvalidArgumentError(c.message))
        << c.message;
  }
}

TEST(QueryParamsTest, SessionQueryTakesOnlySessionFilters) {
  absl::StatusOr<store::SessionQuery> query =
      ParseSessionQuery({{"user_id", "u1"}, {"limit", "5"}, {"cursor", "c"}}, "proj");
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->project, "proj");
  EXPECT_EQ(query->user_id, "u1");
  EXPECT_EQ(query->limit, 5);
  EXPECT_EQ(query->cursor, "c");
  EXPECT_EQ(ParseSessionQuery({{"model", "x"}}, "p").status(),
            absl::InvalidArgumentError("unknown parameter 'model'"));
}

TEST(QueryParamsTest, ObservationQueryTakesLimitCursorAndFields) {
  absl::StatusOr<store::ObservationQuery> query = ParseObservationQuery({}, "proj", "t1");
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->project, "proj");
  EXPECT_EQ(query->trace_id, "t1");
  EXPECT_EQ(query->limit, 100);
  EXPECT_FALSE(query->summary_only);
  query = ParseObservationQuery({{"limit", "1000"}, {"cursor", "abc"}, {"fields", "summary"}}, "proj", "t1");
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->limit, 1000);
  EXPECT_EQ(query->cursor, "abc");
  EXPECT_TRUE(query->summary_only);
  EXPECT_FALSE(ParseObservationQuery({{"fields", "full"}}, "proj", "t1")->summary_only);
}

TEST(QueryParamsTest, BadObservationParametersAreNamed) {
  for (const auto& [params, message] : std::vector<std::pair<QueryParams, std::string>>{
           {{{"fields", "input"}}, "parameter 'fields' must be summary or full, got 'input'"},
           {{{"limit", "1001"}}, "parameter 'limit' must be an integer from 1 to 1000, got '1001'"},
           {{{"from", "2026-01-01T00:00:00Z"}}, "unknown parameter 'from'"},
           {{{"limit", "5"}, {"limit", "6"}}, "parameter 'limit' is repeated"},
       }) {
    absl::StatusOr<store::ObservationQuery> query = ParseObservationQuery(params, "proj", "t1");
    EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(query.status().message(), message);
  }
}

TEST(QueryParamsTest, MetricsQueryParsesMeasuresGroupsAndFilters) {
  absl::StatusOr<store::MetricsQuery> query = ParseMetricsQuery(
      {{"measures", "cost,p95_latency"}, {"group_by", "model,hour"}, {"model", "gpt-4o"}, {"from", "100"}}, "proj");
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->project, "proj");
  EXPECT_EQ(query->level, store::MetricsLevel::kObservation);
  EXPECT_EQ(query->measures, (std::vector<store::Measure>{store::Measure::kCost, store::Measure::kP95Latency}));
  EXPECT_EQ(query->group_by, std::vector<model::MetricsDimension>{model::MetricsDimension::kModel});
  EXPECT_EQ(query->time_grain, store::TimeGrain::kHour);
  ASSERT_EQ(query->filters.size(), 1u);
  EXPECT_EQ(query->filters[0].first, model::MetricsDimension::kModel);
  EXPECT_EQ(query->filters[0].second, "gpt-4o");
  EXPECT_EQ(query->from_ns, 100'000'000'000);
}

TEST(QueryParamsTest, MetricsLevelDefaultsToTraceForRunMeasuresAndUserDimensions) {
  struct Case {
    QueryParams params;
    store::MetricsLevel level;
  };
  const std::vector<Case> cases = {
      {{}, store::MetricsLevel::kObservation},
      {{{"measures", "cost_per_successful_run"}}, store::MetricsLevel::kTrace},
      {{{"group_by", "user_id"}}, store::MetricsLevel::kTrace},
      {{{"feature", "chat"}}, store::MetricsLevel::kTrace},
      {{{"level", "trace"}}, store::MetricsLevel::kTrace},
      {{{"level", "observation"}, {"measures", "cost_per_run"}}, store::MetricsLevel::kObservation},
  };
  for (const Case& c : cases) {
    absl::StatusOr<store::MetricsQuery> query = ParseMetricsQuery(c.params, "p");
    ASSERT_TRUE(query.ok()) << query.status();
    EXPECT_EQ(query->level, c.level);
    EXPECT_FALSE(query->measures.empty());
  }
}

TEST(QueryParamsTest, BadMetricsParametersNameTheParameter) {
  const std::vector<std::pair<QueryParams, std::string>> cases = {
      {{{"measures", "cost,,count"}}, "parameter 'measures' has an empty item, got 'cost,,count'"},
      {{{"group_by", "model,model"}}, "parameter 'group_by' repeats 'model', got 'model,model'"},
      {{{"group_by", "day,minute"}}, "parameter 'group_by' has more than one of minute, hour, day, got 'day,minute'"},
      {{{"level", "span"}}, "parameter 'level' must be observation or trace, got 'span'"},
      {{{"colour", "red"}}, "unknown parameter 'colour'"},
  };
  for (const auto& [params, message] : cases) {
    EXPECT_EQ(ParseMetricsQuery(params, "p").status(), absl::InvalidArgumentError(message)) << message;
  }
  EXPECT_THAT(std::string(ParseMetricsQuery({{"measures", "p42_latency"}}, "p").status().message()),
              ::testing::StartsWith("parameter 'measures' has unknown measure 'p42_latency' (known: count, "));
}

TEST(QueryParamsTest, ScoreMetricsQueryParsesFiltersMeasuresAndGroups) {
  using store::ScoreDimension;
  using store::ScoreMeasure;
  struct Case {
    QueryParams params;
    store::ScoreMetricsQuery expected;
  };
  const std::vector<Case> cases = {
      {{}, {.project = "p", .measures = {ScoreMeasure::kCount}}},
      {{{"name_prefix", "trackly.rule."}, {"group_by", "name"}, {"measures", "true_rate,count"}},
       {.project = "p", .name_prefix = "trackly.rule.", .measures = {ScoreMeasure::kTrueRate, ScoreMeasure::kCount},
        .group_by = {ScoreDimension::kName}}},
      {{{"name", "trackly.stop_reason"}, {"group_by", "value,day,source"}, {"source", "trackly"}, {"from", "120"},
        {"to", "240"}, {"measures", "traces,avg,min,max,true_count,false_count"}},
       {.project = "p", .name = "trackly.stop_reason", .source = "trackly", .from_ns = 120'000'000'000,
        .to_ns = 240'000'000'000,
        .measures = {ScoreMeasure::kTraces, ScoreMeasure::kAvg, ScoreMeasure::kMin, ScoreMeasure::kMax,
                     ScoreMeasure::kTrueCount, ScoreMeasure::kFalseCount},
        .group_by = {ScoreDimension::kValue, ScoreDimension::kSource}, .time_grain = store::TimeGrain::kDay}},
      {{{"name", ""}, {"name_prefix", "x"}}, {.project = "p", .name_prefix = "x", .measures = {ScoreMeasure::kCount}}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<store::ScoreMetricsQuery> query = ParseScoreMetricsQuery(c.params, "p");
    ASSERT_TRUE(query.ok()) << query.status();
    EXPECT_EQ(query->project, c.expected.project);
    EXPECT_EQ(query->name, c.expected.name);
    EXPECT_EQ(query->name_prefix, c.expected.name_prefix);
    EXPECT_EQ(query->source, c.expected.source);
    EXPECT_EQ(query->from_ns, c.expected.from_ns);
    EXPECT_EQ(query->to_ns, c.expected.to_ns);
    EXPECT_EQ(query->measures, c.expected.measures);
    EXPECT_EQ(query->group_by, c.expected.group_by);
    EXPECT_EQ(query->time_grain, c.expected.time_grain);
  }
}

TEST(QueryParamsTest, BadScoreMetricsParametersNameTheParameter) {
  const std::vector<std::pair<QueryParams, std::string>> cases = {
      {{{"name", "a"}, {"name_prefix", "b"}},
       "parameter 'name_prefix' cannot be combined with 'name': give one of them"},
      {{{"measures", "count,,avg"}}, "parameter 'measures' has an empty item, got 'count,,avg'"},
      {{{"measures", "avg,avg"}}, "parameter 'measures' repeats 'avg', got 'avg,avg'"},
      {{{"group_by", "value,value"}}, "parameter 'group_by' repeats 'value', got 'value,value'"},
      {{{"group_by", "day,minute"}}, "parameter 'group_by' has more than one of minute, hour, day, got 'day,minute'"},
      {{{"group_by", "model"}},
       "parameter 'group_by' has unknown dimension 'model' (known: minute, hour, day, name, value, source), got "
       "'model'"},
      {{{"measures", "cost"}},
       "parameter 'measures' has unknown measure 'cost' (known: count, traces, avg, min, max, true_count, "
       "false_count, true_rate), got 'cost'"},
      {{{"from", "later"}}, "parameter 'from' must be an RFC 3339 time or a Unix timestamp, got 'later'"},
      {{{"from", "200"}, {"to", "100"}}, "parameter 'from' must be before 'to'"},
      {{{"level", "trace"}}, "unknown parameter 'level'"},
  };
  for (const auto& [params, message] : cases) {
    EXPECT_EQ(ParseScoreMetricsQuery(params, "p").status(), absl::InvalidArgumentError(message)) << message;
  }
}

TEST(QueryParamsTest, WhatIfNeedsModelAsFromAndTo) {
  absl::StatusOr<WhatIfQuery> query = ParseWhatIfQuery({{"model", "a"}, {"as", "b"}, {"from", "1"}, {"to", "2"}});
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->model, "a");
  EXPECT_EQ(query->as, "b");
  EXPECT_EQ(ParseWhatIfQuery({{"model", "a"}, {"from", "1"}, {"to", "2"}}).status(),
            absl::InvalidArgumentError("parameter 'as' is required"));
  EXPECT_EQ(ParseWhatIfQuery({{"model", "a"}, {"as", "b"}, {"from", "1"}}).status(),
            absl::InvalidArgumentError("parameter 'to' is required"));
}

TEST(QueryParamsTest, DiffTakesATraceOrTypicalWithN) {
  absl::StatusOr<DiffQuery> by_id = ParseDiffQuery({{"against", "abc"}, {"text", "true"}});
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(by_id->against, "abc");
  EXPECT_TRUE(by_id->text);
  absl::StatusOr<DiffQuery> typical = ParseDiffQuery({{"against", "typical"}, {"n", "5"}});
  ASSERT_TRUE(typical.ok()) << typical.status();
  EXPECT_EQ(typical->typical_of, 5);
  EXPECT_FALSE(typical->text);
  const struct {
    QueryParams params;
    const char* message;
  } kBad[] = {
      {{}, "parameter 'against' is required"},
      {{{"against", "typical"}, {"n", "1"}}, "parameter 'n' must be an integer from 2 to 50"},
      {{{"against", "abc"}, {"n", "5"}}, "parameter 'n' goes only with against=typical"},
      {{{"against", "abc"}, {"text", "yes"}}, "parameter 'text' must be true or false"},
      {{{"against", "abc"}, {"limit", "5"}}, "unknown parameter 'limit'"},
  };
  for (const auto& bad : kBad) {
    absl::Status status = ParseDiffQuery(bad.params).status();
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
    EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr(bad.message));
  }
}

TEST(QueryParamsTest, TraceListTakesScoreFilters) {
  absl::StatusOr<store::TraceQuery> query =
      ParseTraceQuery({{"score", "quality"}, {"score_min", "0.5"}, {"score_max", "1"}}, "p");
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->score_name, "quality");
  EXPECT_EQ(query->score_min, 0.5);
  EXPECT_EQ(query->score_max, 1.0);
  absl::StatusOr<store::TraceQuery> label = ParseTraceQuery({{"score", "label"}, {"score_value", "spam"}}, "p");
  ASSERT_TRUE(label.ok()) << label.status();
  EXPECT_EQ(label->score_value, "spam");
  EXPECT_FALSE(label->score_min.has_value());
  absl::Status without_name = ParseTraceQuery({{"score_min", "0.5"}}, "p").status();
  EXPECT_THAT(std::string(without_name.message()), ::testing::HasSubstr("need 'score'"));
  absl::Status bad = ParseTraceQuery({{"score", "q"}, {"score_max", "high"}}, "p").status();
  EXPECT_THAT(std::string(bad.message()), ::testing::HasSubstr("parameter 'score_max' must be a number"));
}

}  // namespace
}  // namespace trackly::query
