// Conformance of Store::QueryScoreMetrics (store/store.h, store/score_metrics.h): aggregates of
// boolean, categorical and numeric scores, by name, name prefix, value, source and time bucket,
// over a time range floored to the minute; each score counted once as last written; another
// project's scores never counted.
#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::conformance {
namespace {

using model::Json;
using model::Score;
using M = ScoreMeasure;
using D = ScoreDimension;

constexpr int64_t kSecondNs = 1'000'000'000;
constexpr int64_t kMinuteNs = 60 * kSecondNs;
constexpr int64_t kHourNs = 60 * kMinuteNs;
// 10:00 UTC of the day of 2026-11-22, and of the day after.
constexpr int64_t kDay0 = (1'795'314'529 * kSecondNs / kNanosPerDay) * kNanosPerDay + 10 * kHourNs;
constexpr int64_t kDay1 = kDay0 + kNanosPerDay;

// A categorical value that needs escaping in JSON: both backends must group by the string itself.
const char kAwkwardLabel[] = "a \"quoted\" caf\xc3\xa9 \\ label\n\x01 \xe2\x9c\x93";

bool HasScoreMetrics(Store& store) {
  return !absl::IsUnimplemented(store.QueryScoreMetrics(ScoreMetricsQuery{}).status());
}

Score MakeScore(std::string id, std::string trace_id, std::string name, Json value, int64_t time_ns,
                std::string source = "trackly") {
  return Score{.id = std::move(id),
               .trace_id = std::move(trace_id),
               .name = std::move(name),
               .value = std::move(value),
               .source = std::move(source),
               .time_ns = time_ns};
}

// Project "p": what the server's evaluation writes for four traces (rule results, findings,
// stop reasons), numeric user scores from two sources over two days, and one categorical label.
// Project "other" has scores of the same names that would change every answer if counted.
absl::Status WriteDataset(Store& store) {
  const int64_t m = kMinuteNs;
  std::vector<Score> p = {
      MakeScore("r1", "t1", "trackly.rule.few_tools", true, kDay0 + 1 * m),
      MakeScore("r2", "t2", "trackly.rule.few_tools", false, kDay0 + 2 * m),
      MakeScore("r3", "t3", "trackly.rule.few_tools", true, kDay0 + 3 * m),
      MakeScore("r4", "t1", "trackly.rule.cheap", true, kDay0 + 1 * m),
      MakeScore("r5", "t2", "trackly.rule.cheap", true, kDay0 + 2 * m),
      MakeScore("f1", "t1", "trackly.finding.tool_error_storm", true, kDay0 + 1 * m),
      MakeScore("f2", "t4", "trackly.finding.tool_error_storm", true, kDay0 + 4 * m),
      MakeScore("f3", "t2", "trackly.finding.repeated_tool_call", true, kDay0 + 2 * m),
      MakeScore("s1", "t1", "trackly.stop_reason", "final_answer", kDay0 + 1 * m),
      MakeScore("s2", "t2", "trackly.stop_reason", "max_iterations", kDay0 + 2 * m),
      MakeScore("s3", "t3", "trackly.stop_reason", "final_answer", kDay0 + 3 * m),
      MakeScore("s4", "t4", "trackly.stop_reason", "error", kDay0 + 4 * m),
      MakeScore("q1", "t1", "quality", 0.5, kDay0 + 1 * m + 5 * kSecondNs, "API"),
      MakeScore("q2", "t2", "quality", 1, kDay0 + 2 * m, "API"),
      MakeScore("q3", "t3", "quality", 0.75, kDay0 + 3 * m, "EVAL"),
      MakeScore("q4", "t4", "quality", 0.25, kDay1, "API"),
      MakeScore("l1", "t1", "label", kAwkwardLabel, kDay0 + 5 * m, "API"),
  };
  if (absl::Status written = WriteAndWait(store, WriteBatch{.project = "p", .scores = std::move(p)}); !written.ok()) {
    return written;
  }
  std::vector<Score> other = {
      MakeScore("r1", "t1", "trackly.rule.few_tools", false, kDay0 + 1 * m),
      MakeScore("o2", "t9", "trackly.stop_reason", "final_answer", kDay0 + 1 * m),
      MakeScore("o3", "t1", "quality", 100, kDay0 + 1 * m, "API"),
      MakeScore("o4", "t1", "trackly.finding.tool_error_storm", true, kDay0 + 1 * m),
  };
  return WriteAndWait(store, WriteBatch{.project = "other", .scores = std::move(other)});
}

// An expected row; nullopt values are "no value" (an average or rate of nothing).
struct Row {
  int64_t time_ns = 0;
  std::vector<std::string> group;
  std::vector<std::optional<double>> values;
};

std::string Describe(const std::vector<Row>& rows) {
  std::ostringstream out;
  for (const Row& row : rows) {
    out << "\n  time " << row.time_ns << " [" << absl::StrJoin(row.group, "|") << "]";
    for (const std::optional<double>& value : row.values) {
      if (value) {
        out << " " << *value;
      } else {
        out << " null";
      }
    }
  }
  return out.str();
}

std::vector<Row> RowsOf(const MetricsResult& result) {
  std::vector<Row> rows;
  for (const MetricsRow& row : result.rows) rows.push_back(Row{row.time_ns, row.group, row.values});
  return rows;
}

bool SameRows(const std::vector<Row>& actual, const std::vector<Row>& expected) {
  if (actual.size() != expected.size()) return false;
  for (size_t i = 0; i < actual.size(); ++i) {
    if (actual[i].time_ns != expected[i].time_ns || actual[i].group != expected[i].group ||
        actual[i].values.size() != expected[i].values.size()) {
      return false;
    }
    for (size_t j = 0; j < actual[i].values.size(); ++j) {
      const std::optional<double>& a = actual[i].values[j];
      const std::optional<double>& e = expected[i].values[j];
      if (a.has_value() != e.has_value()) return false;
      if (a && std::abs(*a - *e) > 1e-12) return false;
    }
  }
  return true;
}

void ExpectRows(Store& store, const ScoreMetricsQuery& query, const std::vector<Row>& expected) {
  absl::StatusOr<MetricsResult> result = store.QueryScoreMetrics(query);
  ASSERT_TRUE(result.ok()) << result.status();
  const std::vector<Row> actual = RowsOf(*result);
  EXPECT_TRUE(SameRows(actual, expected)) << "actual:" << Describe(actual) << "\nexpected:" << Describe(expected);
}

TEST_P(StoreConformanceTest, ScoreMetricsAggregateBooleanCategoricalAndNumericScores) {
  if (!HasScoreMetrics(*store_)) GTEST_SKIP() << "backend cannot aggregate scores (QueryScoreMetrics is Unimplemented)";
  ASSERT_TRUE(WriteDataset(*store_).ok());
  const int64_t m = kMinuteNs;
  const std::optional<double> null;
  struct Case {
    std::string what;
    ScoreMetricsQuery query;
    std::vector<Row> expected;
  };
  const std::vector<Case> cases = {
      {"rule pass rates",
       {.project = "p", .name_prefix = "trackly.rule.", .measures = {M::kTrueRate, M::kCount}, .group_by = {D::kName}},
       {{0, {"trackly.rule.cheap"}, {1.0, 2}}, {0, {"trackly.rule.few_tools"}, {2.0 / 3, 3}}}},
      {"traces flagged per finding kind",
       {.project = "p", .name_prefix = "trackly.finding.", .measures = {M::kCount, M::kTraces}, .group_by = {D::kName}},
       {{0, {"trackly.finding.repeated_tool_call"}, {1, 1}}, {0, {"trackly.finding.tool_error_storm"}, {2, 2}}}},
      {"stop reasons",
       {.project = "p", .name = "trackly.stop_reason", .measures = {M::kCount}, .group_by = {D::kValue}},
       {{0, {"error"}, {1}}, {0, {"final_answer"}, {2}}, {0, {"max_iterations"}, {1}}}},
      {"numbers: average and extremes; no booleans, so no rate",
       {.project = "p",
        .name = "quality",
        .measures = {M::kCount, M::kAvg, M::kMin, M::kMax, M::kTrueCount, M::kFalseCount, M::kTrueRate}},
       {{0, {}, {4, 0.625, 0.25, 1, 0, 0, null}}}},
      {"booleans count as 1 and 0 in averages and extremes",
       {.project = "p",
        .name_prefix = "trackly.rule.",
        .measures = {M::kCount, M::kTraces, M::kAvg, M::kMin, M::kMax, M::kTrueCount, M::kFalseCount}},
       {{0, {}, {5, 3, 0.8, 0, 1, 4, 1}}}},
      {"a categorical value has no average or rate",
       {.project = "p", .name = "label", .measures = {M::kCount, M::kAvg, M::kMin, M::kTrueRate}},
       {{0, {}, {1, null, null, null}}}},
      {"a categorical value is grouped by its string, unescaped",
       {.project = "p", .name = "label", .measures = {M::kCount}, .group_by = {D::kValue}},
       {{0, {kAwkwardLabel}, {1}}}},
      {"numbers and booleans are grouped by their JSON text",
       {.project = "p", .name_prefix = "q", .measures = {M::kCount}, .group_by = {D::kValue}},
       {{0, {"0.25"}, {1}}, {0, {"0.5"}, {1}}, {0, {"0.75"}, {1}}, {0, {"1"}, {1}}}},
      {"group by name and value",
       {.project = "p", .name_prefix = "trackly.rule.", .measures = {M::kCount}, .group_by = {D::kName, D::kValue}},
       {{0, {"trackly.rule.cheap", "true"}, {2}},
        {0, {"trackly.rule.few_tools", "false"}, {1}},
        {0, {"trackly.rule.few_tools", "true"}, {2}}}},
      {"group by day (UTC)",
       {.project = "p", .name = "quality", .measures = {M::kCount, M::kAvg}, .time_grain = TimeGrain::kDay},
       {{kDay0 - 10 * kHourNs, {}, {3, 0.75}}, {kDay1 - 10 * kHourNs, {}, {1, 0.25}}}},
      {"group by minute and name",
       {.project = "p", .name_prefix = "trackly.finding.", .measures = {M::kCount}, .group_by = {D::kName},
        .time_grain = TimeGrain::kMinute},
       {{kDay0 + 1 * m, {"trackly.finding.tool_error_storm"}, {1}},
        {kDay0 + 2 * m, {"trackly.finding.repeated_tool_call"}, {1}},
        {kDay0 + 4 * m, {"trackly.finding.tool_error_storm"}, {1}}}},
      {"time range, both ends floored to the minute",
       {.project = "p", .name = "trackly.stop_reason", .from_ns = kDay0 + 2 * m + 30 * kSecondNs,
        .to_ns = kDay0 + 4 * m + 59 * kSecondNs, .measures = {M::kCount}, .group_by = {D::kValue}},
       {{0, {"final_answer"}, {1}}, {0, {"max_iterations"}, {1}}}},
      {"time range across days",
       {.project = "p", .name = "quality", .from_ns = kDay0 + 2 * m, .measures = {M::kCount, M::kMin}},
       {{0, {}, {3, 0.25}}}},
      {"source filter",
       {.project = "p", .name = "quality", .source = "API", .measures = {M::kCount, M::kMax}},
       {{0, {}, {3, 1}}}},
      {"group by source",
       {.project = "p", .name = "quality", .measures = {M::kCount}, .group_by = {D::kSource}},
       {{0, {"API"}, {3}}, {0, {"EVAL"}, {1}}}},
      {"a longer prefix",
       {.project = "p", .name_prefix = "trackly.rule.c", .measures = {M::kCount}, .group_by = {D::kName}},
       {{0, {"trackly.rule.cheap"}, {2}}}},
      {"every score of the project",
       {.project = "p", .measures = {M::kCount, M::kTraces}},
       {{0, {}, {17, 4}}}},
      {"nothing matches: no row",
       {.project = "p", .name = "missing", .measures = {M::kCount, M::kAvg}},
       {}},
      {"the other project sees only its own scores",
       {.project = "other", .name_prefix = "trackly.", .measures = {M::kCount, M::kTrueRate}, .group_by = {D::kName}},
       {{0, {"trackly.finding.tool_error_storm"}, {1, 1}},
        {0, {"trackly.rule.few_tools"}, {1, 0}},
        {0, {"trackly.stop_reason"}, {1, null}}}},
      {"a project without scores has no row",
       {.project = "nobody", .measures = {M::kCount}},
       {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ExpectRows(*store_, c.query, c.expected);
  }
}

TEST_P(StoreConformanceTest, ScoreMetricsCountAReplacedScoreOnceAsLastWritten) {
  if (!HasScoreMetrics(*store_)) GTEST_SKIP() << "backend cannot aggregate scores (QueryScoreMetrics is Unimplemented)";
  // A re-evaluated trace: the score of the same id is written again, a day later, with another
  // value (and again within the day).
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "p",
                                               .scores = {MakeScore("moved", "t1", "trackly.rule.r", true, kDay0),
                                                          MakeScore("kept", "t2", "trackly.rule.r", true, kDay0)}})
                  .ok());
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "p",
                                               .scores = {MakeScore("moved", "t1", "trackly.rule.r", true, kDay1)}})
                  .ok());
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "p",
                                               .scores = {MakeScore("moved", "t1", "trackly.rule.r", false, kDay1)}})
                  .ok());
  const std::vector<M> measures = {M::kCount, M::kTrueCount, M::kFalseCount};
  ExpectRows(*store_, {.project = "p", .name = "trackly.rule.r", .measures = measures, .time_grain = TimeGrain::kDay},
             {{kDay0 - 10 * kHourNs, {}, {1, 1, 0}}, {kDay1 - 10 * kHourNs, {}, {1, 0, 1}}});
  // Its earlier time on day 0 no longer counts.
  ExpectRows(*store_, {.project = "p", .name = "trackly.rule.r", .to_ns = kDay1, .measures = measures},
             {{0, {}, {1, 1, 0}}});
  // Renamed: counted under its new name only.
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "p",
                                               .scores = {MakeScore("kept", "t2", "trackly.rule.s", true, kDay0)}})
                  .ok());
  ExpectRows(*store_, {.project = "p", .name_prefix = "trackly.rule.", .measures = {M::kCount}, .group_by = {D::kName}},
             {{0, {"trackly.rule.r"}, {1}}, {0, {"trackly.rule.s"}, {1}}});
}

TEST_P(StoreConformanceTest, ScoreMetricsLeaveOutTheScoresOfAnErasedTrace) {
  if (!HasScoreMetrics(*store_)) GTEST_SKIP() << "backend cannot aggregate scores (QueryScoreMetrics is Unimplemented)";
  if (!HasErase(*store_)) GTEST_SKIP() << "backend cannot erase";
  ASSERT_TRUE(WriteDataset(*store_).ok());
  absl::StatusOr<EraseStats> erased = store_->Erase(EraseRequest{.project = "p", .trace_id = "t1"});
  ASSERT_TRUE(erased.ok()) << erased.status();
  ExpectRows(*store_,
             {.project = "p", .name_prefix = "trackly.finding.", .measures = {M::kCount}, .group_by = {D::kName}},
             {{0, {"trackly.finding.repeated_tool_call"}, {1}}, {0, {"trackly.finding.tool_error_storm"}, {1}}});
  // The other project's trace of the same id keeps its scores.
  ExpectRows(*store_, {.project = "other", .measures = {M::kCount}}, {{0, {}, {4}}});
}

TEST_P(StoreConformanceTest, BadScoreMetricsQueriesAreInvalidArgumentNamingTheField) {
  if (!HasScoreMetrics(*store_)) GTEST_SKIP() << "backend cannot aggregate scores (QueryScoreMetrics is Unimplemented)";
  struct Case {
    ScoreMetricsQuery query;
    std::string names;
  };
  const std::vector<Case> cases = {
      {{.measures = {M::kCount}}, "project"},
      {{.project = "p"}, "measures"},
      {{.project = "p", .name = "a", .name_prefix = "b", .measures = {M::kCount}}, "name_prefix"},
      {{.project = "p", .measures = {M::kCount, M::kAvg, M::kCount}}, "'count' is repeated"},
      {{.project = "p", .measures = {M::kCount}, .group_by = {D::kValue, D::kValue}}, "'value' is repeated"},
      {{.project = "p", .from_ns = kDay1, .to_ns = kDay0, .measures = {M::kCount}}, "from"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<MetricsResult> result = store_->QueryScoreMetrics(c.query);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << c.names;
    EXPECT_THAT(result.status().message(), ::testing::HasSubstr(c.names));
  }
}

}  // namespace
}  // namespace trackly::store::conformance
