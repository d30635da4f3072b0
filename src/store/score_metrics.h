// Aggregates over stored scores (Store::QueryScoreMetrics, contract in store.h): how many scores
// there are, of how many traces, their average and extremes, and how many booleans were true,
// per score name, value, source and time bucket. The evaluation the server stores at a trace's
// completion (trackly.stop_reason, trackly.finding.<kind>, trackly.rule.<name>;
// server/trace_finisher.h) is read this way as well as any user score. The answer is a
// MetricsResult (store/metrics_query.h), as for the rollup metrics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "store/metrics_query.h"

namespace trackly::store {

// What is measured over the scores of a group. "Numeric" values are numbers and booleans (true
// counts as 1, false as 0); a categorical (string) value is counted by kCount and kTraces only.
enum class ScoreMeasure {
  kCount,       // scores
  kTraces,      // distinct traces with a score in the group
  kAvg,         // mean of the numeric values; none without one
  kMin,         // smallest numeric value; none without one
  kMax,         // largest numeric value; none without one
  kTrueCount,   // boolean scores that are true
  kFalseCount,  // boolean scores that are false
  kTrueRate,    // true / (true + false); none without a boolean
};
std::string_view ToString(ScoreMeasure measure);  // the API name, e.g. "true_rate"
bool ParseScoreMeasure(std::string_view text, ScoreMeasure* out);
// Every measure's API name, comma-separated, for error messages.
std::string ScoreMeasureNames();
// True for the measures that count (scores, traces, booleans): whole numbers, shown as integers.
bool IsCountMeasure(ScoreMeasure measure);

// What scores can be grouped by.
enum class ScoreDimension {
  kName,
  // The value as text: a categorical value's string, `true` or `false`, or a number as the JSON
  // text it was stored as (`0.5`, `3`).
  kValue,
  kSource,
};
std::string_view ToString(ScoreDimension dimension);  // the API name: "name", "value", "source"
bool ParseScoreDimension(std::string_view text, ScoreDimension* out);

struct ScoreMetricsQuery {
  std::string project;      // required
  std::string name;         // exact score name; empty = any
  std::string name_prefix;  // names that start with it (e.g. "trackly.rule."); empty = any; not with `name`
  std::string source;       // exact score source; empty = any
  int64_t from_ns = 0;      // score time >= from_ns, floored to the minute (as MetricsQuery); 0 = unbounded
  int64_t to_ns = 0;        // score time < to_ns, floored to the minute; 0 = unbounded
  std::vector<ScoreMeasure> measures;    // at least one, no repeats
  std::vector<ScoreDimension> group_by;  // no repeats
  TimeGrain time_grain = TimeGrain::kNone;  // also group by UTC time buckets of this size
};

// InvalidArgument naming the field for a missing project or measure, `name` together with
// `name_prefix`, a repeated measure or group_by dimension, or from >= to. Every backend checks
// this first.
absl::Status ValidateScoreMetricsQuery(const ScoreMetricsQuery& query);

// The query's range as a backend applies it: from_ns and to_ns floored to their UTC minute, 0
// kept as "unbounded".
struct ScoreTimeRange {
  int64_t from_ns = 0;
  int64_t to_ns = 0;
};
ScoreTimeRange ScoreMetricsRange(const ScoreMetricsQuery& query);

// True when a measure of `measures` needs the distinct traces of a group (kTraces), which costs
// a backend more than the sums.
bool NeedsDistinctTraces(const std::vector<ScoreMeasure>& measures);

// What a backend sums over the scores of one (time bucket, group), from which every measure is
// computed (ScoreMeasureValue), so the backends agree on the arithmetic.
struct ScoreAggregates {
  int64_t count = 0;
  int64_t traces = 0;          // distinct trace ids; 0 unless NeedsDistinctTraces
  int64_t numeric_count = 0;   // numbers and booleans
  double numeric_sum = 0;      // booleans as 1 and 0
  double numeric_min = 0;      // only meaningful when numeric_count > 0
  double numeric_max = 0;      // only meaningful when numeric_count > 0
  int64_t true_count = 0;
  int64_t false_count = 0;
};
std::optional<double> ScoreMeasureValue(ScoreMeasure measure, const ScoreAggregates& aggregates);

// One (time bucket, group) as a backend read it.
struct ScoreGroup {
  int64_t time_ns = 0;             // bucket start; 0 when not grouped by time
  std::vector<std::string> group;  // values of query.group_by, in its order
  ScoreAggregates aggregates;
};

// The answer to `query` from its groups: one row per group with count > 0, measures in the
// query's order, ordered by time, then group.
MetricsResult ScoreMetricsResult(const ScoreMetricsQuery& query, std::vector<ScoreGroup> groups);

}  // namespace trackly::store
