// What one observation or trace adds to the metrics rollups (docs/architecture.md "Metrics
// rollups"): the dimensions it is counted under and the additive values it contributes. Every
// backend maintains its rollups with these functions, so "rollups equal a recomputation from the
// stored observations" has one definition.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/latency_sketch.h"
#include "model/observation.h"

namespace trackly::model {

// Fields metrics can be grouped and filtered by.
enum class MetricsDimension {
  kType, kName, kModel, kProvider, kPromptName, kPromptVersion, kTool, kEnvironment, kRelease,
  kStatus, kErrorType, kUserId, kSessionId, kFeature,
};
std::string_view ToString(MetricsDimension dimension);  // the API name, e.g. "prompt_version"
bool ParseMetricsDimension(std::string_view text, MetricsDimension* out);

// The three rollups. Observation rollups count observations; trace rollups count runs (traces).
// User and session ids are high-cardinality, so they form their own trace rollup instead of
// multiplying the rows of the others.
enum class RollupKind {
  kObservation = 0,  // type, name, model, provider, prompt name/version, tool, environment, release, status, error_type
  kTrace = 1,        // trace name, feature, environment, release, status
  kTraceByUser = 2,  // user_id, session_id
};
// The dimensions of a kind, in key order.
std::span<const MetricsDimension> DimensionsOf(RollupKind kind);

// Additive values of a rollup cell. Every field is a sum, so a contribution added with sign +1
// and later -1 leaves no trace (exact: integers only). Costs are integer nano-USD (1e-9), each
// observation's rounded once, so sums do not depend on the order they were added in.
struct RollupValues {
  int64_t count = 0;         // observations (kObservation) or runs (trace kinds)
  int64_t errors = 0;        // is_error() observations / runs with status error
  int64_t latency_sum_us = 0;  // over ended observations / runs (the sketch's count of them)
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t total_tokens = 0;
  int64_t cache_read_tokens = 0;
  int64_t cache_write_tokens = 0;
  int64_t reasoning_tokens = 0;
  int64_t cost_nusd = 0;
  int64_t ok_cost_nusd = 0;       // cost of what did not error (cost per successful run)
  int64_t cache_savings_nusd = 0;
  int64_t unpriced = 0;      // calls with usage but no price (no cost source, cost.note says why)
  int64_t model_calls = 0;   // generations (of the run, for trace kinds)
  int64_t tool_calls = 0;    // tool observations (of the run, for trace kinds)
  int64_t retrievals = 0;    // retriever observations (of the run, for trace kinds)
  int64_t retries = 0;       // observations with a retry count (of the run, for trace kinds)
  LatencySketch latency;     // latency of ended observations / runs, microseconds

  // Adds sign (+1 / -1) times `other`.
  void Add(const RollupValues& other, int64_t sign = 1);
  // True when every sum is zero (e.g. all contributions were taken back).
  bool IsZero() const;
  bool operator==(const RollupValues&) const = default;
};

int64_t ToNanoUsd(double usd);

// The key of each kind for an observation or a trace: the values of DimensionsOf(kind), in order.
std::vector<std::string> ObservationRollupKey(const Observation& observation);
std::vector<std::string> TraceRollupKey(RollupKind kind, const Trace& trace);

// The rollup time of each (observation start / trace start) is its start_time_ns.
RollupValues ObservationRollupValues(const Observation& observation);
// `observations` are the trace's (for its count of unpriced calls).
RollupValues TraceRollupValues(const Trace& trace, std::span<const Observation> observations);

}  // namespace trackly::model
