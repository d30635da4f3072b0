#include "model/rollup.h"

#include <array>
#include <cmath>

#include "model/summary.h"

namespace trackly::model {
namespace {

struct DimensionName {
  MetricsDimension dimension;
  std::string_view name;
};

constexpr std::array<DimensionName, 14> kDimensionNames = {{
    {MetricsDimension::kType, "type"},
    {MetricsDimension::kName, "name"},
    {MetricsDimension::kModel, "model"},
    {MetricsDimension::kProvider, "provider"},
    {MetricsDimension::kPromptName, "prompt_name"},
    {MetricsDimension::kPromptVersion, "prompt_version"},
    {MetricsDimension::kTool, "tool"},
    {MetricsDimension::kEnvironment, "environment"},
    {MetricsDimension::kRelease, "release"},
    {MetricsDimension::kStatus, "status"},
    {MetricsDimension::kErrorType, "error_type"},
    {MetricsDimension::kUserId, "user_id"},
    {MetricsDimension::kSessionId, "session_id"},
    {MetricsDimension::kFeature, "feature"},
}};

constexpr MetricsDimension kObservationDimensions[] = {
    MetricsDimension::kType, MetricsDimension::kName, MetricsDimension::kModel,
    MetricsDimension::kProvider, MetricsDimension::kPromptName, MetricsDimension::kPromptVersion,
    MetricsDimension::kTool, MetricsDimension::kEnvironment, MetricsDimension::kRelease,
    MetricsDimension::kStatus, MetricsDimension::kErrorType,
};
constexpr MetricsDimension kTraceDimensions[] = {
    MetricsDimension::kName, MetricsDimension::kFeature, MetricsDimension::kEnvironment,
    MetricsDimension::kRelease, MetricsDimension::kStatus,
};
constexpr MetricsDimension kTraceByUserDimensions[] = {MetricsDimension::kUserId, MetricsDimension::kSessionId};

int64_t LatencyUs(int64_t start_ns, int64_t end_ns) { return (end_ns - start_ns) / 1000; }

// The cost engine found no price: no cost, and a note saying why (a note on a computed cost says
// the usage was estimated).
bool IsUnpriced(const Observation& o) { return o.cost.source == CostSource::kNone && !o.cost.note.empty(); }

}  // namespace

std::string_view ToString(MetricsDimension dimension) {
  for (const DimensionName& entry : kDimensionNames) {
    if (entry.dimension == dimension) return entry.name;
  }
  return "";
}

bool ParseMetricsDimension(std::string_view text, MetricsDimension* out) {
  for (const DimensionName& entry : kDimensionNames) {
    if (entry.name == text) {
      *out = entry.dimension;
      return true;
    }
  }
  return false;
}

std::span<const MetricsDimension> DimensionsOf(RollupKind kind) {
  switch (kind) {
    case RollupKind::kObservation: return kObservationDimensions;
    case RollupKind::kTrace: return kTraceDimensions;
    case RollupKind::kTraceByUser: return kTraceByUserDimensions;
  }
  return {};
}

void RollupValues::Add(const RollupValues& other, int64_t sign) {
  count += sign * other.count;
  errors += sign * other.errors;
  latency_sum_us += sign * other.latency_sum_us;
  input_tokens += sign * other.input_tokens;
  output_tokens += sign * other.output_tokens;
  total_tokens += sign * other.total_tokens;
  cache_read_tokens += sign * other.cache_read_tokens;
  cache_write_tokens += sign * other.cache_write_tokens;
  reasoning_tokens += sign * other.reasoning_tokens;
  cost_nusd += sign * other.cost_nusd;
  ok_cost_nusd += sign * other.ok_cost_nusd;
  cache_savings_nusd += sign * other.cache_savings_nusd;
  unpriced += sign * other.unpriced;
  model_calls += sign * other.model_calls;
  tool_calls += sign * other.tool_calls;
  retrievals += sign * other.retrievals;
  retries += sign * other.retries;
  latency.Merge(other.latency, sign);
}

bool RollupValues::IsZero() const { return *this == RollupValues(); }

int64_t ToNanoUsd(double usd) {
  if (!std::isfinite(usd)) return 0;
  return std::llround(usd * 1e9);
}

std::vector<std::string> ObservationRollupKey(const Observation& o) {
  return {std::string(ToString(o.type)),
          o.name,
          o.model,
          o.provider,
          o.prompt ? o.prompt->name : std::string(),
          o.prompt ? o.prompt->version : std::string(),
          o.tool ? o.tool->name : std::string(),
          o.environment,
          o.release,
          std::string(ToString(o.status)),
          o.error_type};
}

std::vector<std::string> TraceRollupKey(RollupKind kind, const Trace& trace) {
  if (kind == RollupKind::kTraceByUser) return {trace.user_id, trace.session_id};
  return {trace.name, trace.feature, trace.environment, trace.release, std::string(ToString(trace.status))};
}

namespace {

// One run or call: its count, error, latency, usage and cost; the caller adds what differs.
RollupValues OneRollupValue(bool error, int64_t start_ns, int64_t end_ns, const Usage& usage, const Cost& cost) {
  RollupValues v;
  v.count = 1;
  v.errors = error ? 1 : 0;
  if (end_ns > 0) {
    const int64_t latency_us = LatencyUs(start_ns, end_ns);
    v.latency_sum_us = latency_us;
    v.latency.Add(latency_us);
  }
  v.input_tokens = usage.input_tokens;
  v.output_tokens = usage.output_tokens;
  v.total_tokens = usage.total_tokens;
  v.cache_read_tokens = usage.cache_read_tokens;
  v.cache_write_tokens = usage.cache_write_tokens;
  v.reasoning_tokens = usage.reasoning_tokens;
  v.cost_nusd = ToNanoUsd(cost.total);
  v.ok_cost_nusd = error ? 0 : v.cost_nusd;
  v.cache_savings_nusd = ToNanoUsd(cost.cache_savings);
  return v;
}

void SetCallCounts(const TraceCounts& counts, RollupValues& v) {
  v.model_calls = counts.generations;
  v.tool_calls = counts.tool_calls;
  v.retrievals = counts.retrievals;
  v.retries = counts.retries;
}

}  // namespace

RollupValues ObservationRollupValues(const Observation& o) {
  RollupValues v = OneRollupValue(o.is_error(), o.start_time_ns, o.end_time_ns, o.usage, o.cost);
  v.unpriced = IsUnpriced(o) ? 1 : 0;
  SetCallCounts(CountsOf(o), v);
  return v;
}

RollupValues TraceRollupValues(const Trace& trace, std::span<const Observation> observations) {
  RollupValues v = OneRollupValue(trace.status == Status::kError, trace.start_time_ns, trace.end_time_ns,
                                  trace.usage, trace.cost);
  for (const Observation& o : observations) v.unpriced += IsUnpriced(o) ? 1 : 0;
  SetCallCounts(trace.counts, v);
  return v;
}

}  // namespace trackly::model
