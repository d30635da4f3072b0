// Metrics read from the rollups every backend maintains at ingest (Store::QueryMetrics, contract
// in store.h; the rollups are defined by model/rollup.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "model/rollup.h"

namespace trackly::store {

enum class Measure {
  kCount,                // observations, or runs at the trace level
  kErrorRate,            // errors / count
  kSuccessRate,          // 1 - error_rate
  kAvgLatency,           // ms, over ended observations / runs
  kP50Latency, kP90Latency, kP95Latency, kP99Latency,  // ms, within 1 % (model/latency_sketch.h)
  kInputTokens, kOutputTokens, kTotalTokens,
  kCachedTokens,         // cache read tokens
  kCacheWriteTokens,
  kReasoningTokens,
  kCost,                 // USD
  kCacheSavings,         // USD saved by cache reads
  kUnpricedCount,        // generations with usage and no price
  kModelCalls,           // generations
  kToolCalls,            // tool observations
  kRetrievals,           // retriever observations
  kRetries,              // observations with a retry count
  kModelCallsPerRun,     // trace level only: generations / runs
  kToolCallsPerRun,      // trace level only: tool calls / runs
  kRetrievalsPerRun,     // trace level only: retrievals / runs
  kCostPerRun,           // trace level only: cost / runs
  kCostPerSuccessfulRun, // trace level only: cost of runs without error / those runs
};
std::string_view ToString(Measure measure);  // the API name, e.g. "p95_latency"
bool ParseMeasure(std::string_view text, Measure* out);
// True for the measures only trace-level rollups answer.
bool IsRunMeasure(Measure measure);
// True for the measures that count something (observations, runs, tokens, calls): their values
// are whole numbers, shown as integers.
bool IsCountMeasure(Measure measure);
// The measure over summed rollup values; nullopt where undefined (a rate or average of nothing).
std::optional<double> MeasureValue(Measure measure, const model::RollupValues& values);

enum class MetricsLevel {
  kObservation,  // counts observations; dimensions of model::RollupKind::kObservation
  kTrace,        // counts runs; dimensions of kTrace, or of kTraceByUser (user_id, session_id)
};

enum class TimeGrain { kNone, kMinute, kHour, kDay };
std::string_view ToString(TimeGrain grain);
int64_t GrainNs(TimeGrain grain);  // 0 for kNone

struct MetricsQuery {
  std::string project;       // required
  int64_t from_ns = 0;       // observation (or run) start >= from_ns, floored to the minute; 0 = unbounded
  int64_t to_ns = 0;         // start < to_ns, floored to the minute; 0 = unbounded
  MetricsLevel level = MetricsLevel::kObservation;
  std::vector<Measure> measures;                 // at least one
  std::vector<model::MetricsDimension> group_by;  // no repeats
  TimeGrain time_grain = TimeGrain::kNone;        // also group by time buckets of this size (UTC)
  // Exact-match filters, ANDed; a dimension may appear once.
  std::vector<std::pair<model::MetricsDimension, std::string>> filters;
};

struct MetricsRow {
  int64_t time_ns = 0;              // bucket start; 0 when not grouped by time
  std::vector<std::string> group;   // values of group_by, in its order
  std::vector<std::optional<double>> values;  // one per measure, in its order
};

struct MetricsResult {
  // One row per (time bucket, group) with a non-zero count, ordered by time, then group.
  std::vector<MetricsRow> rows;
};

// The checks every backend makes before answering `query`: InvalidArgument naming the field for
// a missing project or measure, a repeated group_by or filter dimension, or from >= to. (The
// dimension and measure checks of its rollup are RollupKindFor's.)
absl::Status ValidateMetricsQuery(const MetricsQuery& query);

// The sums of model::RollupValues that MeasureValue(measure, …) reads (the sketch aside, see
// NeedsLatencySketch), so a backend can read only those.
std::vector<int64_t model::RollupValues::*> SumsOf(Measure measure);

// True when a measure of `measures` reads the latency sketch (a percentile, or the average,
// whose denominator is the sketch's count): a backend must then merge the sketches.
bool NeedsLatencySketch(const std::vector<Measure>& measures);

// The rollup bucket of a start time: the start of its UTC minute, in unix seconds (floored, also
// for times before 1970). A query's from/to are floored the same way.
int64_t RollupMinuteS(int64_t time_ns);

// Which rollup answers `query`: kObservation at the observation level; at the trace level
// kTraceByUser when user_id or session_id is grouped or filtered, else kTrace. InvalidArgument
// naming the dimension or measure when the query uses one its rollup does not have.
absl::StatusOr<model::RollupKind> RollupKindFor(const MetricsQuery& query);

}  // namespace trackly::store
