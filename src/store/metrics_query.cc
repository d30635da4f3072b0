#include "store/metrics_query.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "base/status.h"

namespace trackly::store {
namespace {

struct MeasureName {
  Measure measure;
  std::string_view name;
};

constexpr std::array<MeasureName, 26> kMeasureNames = {{
    {Measure::kCount, "count"},
    {Measure::kErrorRate, "error_rate"},
    {Measure::kSuccessRate, "success_rate"},
    {Measure::kAvgLatency, "avg_latency"},
    {Measure::kP50Latency, "p50_latency"},
    {Measure::kP90Latency, "p90_latency"},
    {Measure::kP95Latency, "p95_latency"},
    {Measure::kP99Latency, "p99_latency"},
    {Measure::kInputTokens, "input_tokens"},
    {Measure::kOutputTokens, "output_tokens"},
    {Measure::kTotalTokens, "total_tokens"},
    {Measure::kCachedTokens, "cached_tokens"},
    {Measure::kCacheWriteTokens, "cache_write_tokens"},
    {Measure::kReasoningTokens, "reasoning_tokens"},
    {Measure::kCost, "cost"},
    {Measure::kCacheSavings, "cache_savings"},
    {Measure::kUnpricedCount, "unpriced_count"},
    {Measure::kModelCalls, "model_calls"},
    {Measure::kToolCalls, "tool_calls"},
    {Measure::kRetrievals, "retrievals"},
    {Measure::kRetries, "retries"},
    {Measure::kModelCallsPerRun, "model_calls_per_run"},
    {Measure::kToolCallsPerRun, "tool_calls_per_run"},
    {Measure::kRetrievalsPerRun, "retrievals_per_run"},
    {Measure::kCostPerRun, "cost_per_run"},
    {Measure::kCostPerSuccessfulRun, "cost_per_successful_run"},
}};

std::optional<double> Ratio(double numerator, int64_t denominator) {
  if (denominator <= 0) return std::nullopt;
  return numerator / static_cast<double>(denominator);
}

std::optional<double> LatencyQuantileMs(const model::RollupValues& v, double q) {
  if (v.latency.count() <= 0) return std::nullopt;
  return v.latency.Quantile(q) / 1000.0;
}

double Usd(int64_t nusd) { return static_cast<double>(nusd) / 1e9; }

}  // namespace

std::string_view ToString(Measure measure) {
  for (const MeasureName& entry : kMeasureNames) {
    if (entry.measure == measure) return entry.name;
  }
  return "";
}

bool ParseMeasure(std::string_view text, Measure* out) {
  for (const MeasureName& entry : kMeasureNames) {
    if (entry.name == text) {
      *out = entry.measure;
      return true;
    }
  }
  return false;
}

bool IsRunMeasure(Measure measure) {
  return measure == Measure::kModelCallsPerRun || measure == Measure::kToolCallsPerRun ||
         measure == Measure::kRetrievalsPerRun || measure == Measure::kCostPerRun ||
         measure == Measure::kCostPerSuccessfulRun;
}

bool IsCountMeasure(Measure measure) {
  switch (measure) {
    case Measure::kCount: case Measure::kInputTokens: case Measure::kOutputTokens: case Measure::kTotalTokens:
    case Measure::kCachedTokens: case Measure::kCacheWriteTokens: case Measure::kReasoningTokens:
    case Measure::kUnpricedCount: case Measure::kModelCalls: case Measure::kToolCalls: case Measure::kRetrievals:
    case Measure::kRetries:
      return true;
    default:
      return false;
  }
}

std::optional<double> MeasureValue(Measure measure, const model::RollupValues& v) {
  switch (measure) {
    case Measure::kCount: return static_cast<double>(v.count);
    case Measure::kErrorRate: return Ratio(static_cast<double>(v.errors), v.count);
    case Measure::kSuccessRate: return Ratio(static_cast<double>(v.count - v.errors), v.count);
    case Measure::kAvgLatency: {
      std::optional<double> us = Ratio(static_cast<double>(v.latency_sum_us), v.latency.count());
      if (!us) return std::nullopt;
      return *us / 1000.0;
    }
    case Measure::kP50Latency: return LatencyQuantileMs(v, 0.50);
    case Measure::kP90Latency: return LatencyQuantileMs(v, 0.90);
    case Measure::kP95Latency: return LatencyQuantileMs(v, 0.95);
    case Measure::kP99Latency: return LatencyQuantileMs(v, 0.99);
    case Measure::kInputTokens: return static_cast<double>(v.input_tokens);
    case Measure::kOutputTokens: return static_cast<double>(v.output_tokens);
    case Measure::kTotalTokens: return static_cast<double>(v.total_tokens);
    case Measure::kCachedTokens: return static_cast<double>(v.cache_read_tokens);
    case Measure::kCacheWriteTokens: return static_cast<double>(v.cache_write_tokens);
    case Measure::kReasoningTokens: return static_cast<double>(v.reasoning_tokens);
    case Measure::kCost: return Usd(v.cost_nusd);
    case Measure::kCacheSavings: return Usd(v.cache_savings_nusd);
    case Measure::kUnpricedCount: return static_cast<double>(v.unpriced);
    case Measure::kModelCalls: return static_cast<double>(v.model_calls);
    case Measure::kToolCalls: return static_cast<double>(v.tool_calls);
    case Measure::kRetrievals: return static_cast<double>(v.retrievals);
    case Measure::kRetries: return static_cast<double>(v.retries);
    case Measure::kModelCallsPerRun: return Ratio(static_cast<double>(v.model_calls), v.count);
    case Measure::kToolCallsPerRun: return Ratio(static_cast<double>(v.tool_calls), v.count);
    case Measure::kRetrievalsPerRun: return Ratio(static_cast<double>(v.retrievals), v.count);
    case Measure::kCostPerRun: return Ratio(Usd(v.cost_nusd), v.count);
    case Measure::kCostPerSuccessfulRun: return Ratio(Usd(v.ok_cost_nusd), v.count - v.errors);
  }
  return std::nullopt;
}

std::vector<int64_t model::RollupValues::*> SumsOf(Measure measure) {
  using V = model::RollupValues;
  switch (measure) {
    case Measure::kCount: return {&V::count};
    case Measure::kErrorRate:
    case Measure::kSuccessRate: return {&V::count, &V::errors};
    case Measure::kAvgLatency: return {&V::latency_sum_us};
    case Measure::kP50Latency:
    case Measure::kP90Latency:
    case Measure::kP95Latency:
    case Measure::kP99Latency: return {};
    case Measure::kInputTokens: return {&V::input_tokens};
    case Measure::kOutputTokens: return {&V::output_tokens};
    case Measure::kTotalTokens: return {&V::total_tokens};
    case Measure::kCachedTokens: return {&V::cache_read_tokens};
    case Measure::kCacheWriteTokens: return {&V::cache_write_tokens};
    case Measure::kReasoningTokens: return {&V::reasoning_tokens};
    case Measure::kCost: return {&V::cost_nusd};
    case Measure::kCacheSavings: return {&V::cache_savings_nusd};
    case Measure::kUnpricedCount: return {&V::unpriced};
    case Measure::kModelCalls: return {&V::model_calls};
    case Measure::kToolCalls: return {&V::tool_calls};
    case Measure::kRetrievals: return {&V::retrievals};
    case Measure::kRetries: return {&V::retries};
    case Measure::kModelCallsPerRun: return {&V::model_calls, &V::count};
    case Measure::kToolCallsPerRun: return {&V::tool_calls, &V::count};
    case Measure::kRetrievalsPerRun: return {&V::retrievals, &V::count};
    case Measure::kCostPerRun: return {&V::cost_nusd, &V::count};
    case Measure::kCostPerSuccessfulRun: return {&V::ok_cost_nusd, &V::count, &V::errors};
  }
  return {};
}

std::string_view ToString(TimeGrain grain) {
  switch (grain) {
    case TimeGrain::kNone: return "";
    case TimeGrain::kMinute: return "minute";
    case TimeGrain::kHour: return "hour";
    case TimeGrain::kDay: return "day";
  }
  return "";
}

int64_t GrainNs(TimeGrain grain) {
  constexpr int64_t kMinuteNs = 60'000'000'000;
  switch (grain) {
    case TimeGrain::kNone: return 0;
    case TimeGrain::kMinute: return kMinuteNs;
    case TimeGrain::kHour: return 60 * kMinuteNs;
    case TimeGrain::kDay: return 24 * 60 * kMinuteNs;
  }
  return 0;
}

absl::Status ValidateMetricsQuery(const MetricsQuery& query) {
  if (query.project.empty()) return absl::InvalidArgumentError("metrics query without project");
  if (query.measures.empty()) return absl::InvalidArgumentError("measures: at least one is required");
  for (size_t i = 0; i < query.group_by.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (query.group_by[i] == query.group_by[j]) {
        return absl::InvalidArgumentError(
            absl::StrCat("group_by: '", Sv(model::ToString(query.group_by[i])), "' is repeated"));
      }
    }
  }
  for (size_t i = 0; i < query.filters.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (query.filters[i].first == query.filters[j].first) {
        return absl::InvalidArgumentError(
            absl::StrCat(Sv(model::ToString(query.filters[i].first)), ": filtered twice"));
      }
    }
  }
  if (query.from_ns != 0 && query.to_ns != 0 && query.from_ns >= query.to_ns) {
    return absl::InvalidArgumentError("from: must be before to");
  }
  return absl::OkStatus();
}

bool NeedsLatencySketch(const std::vector<Measure>& measures) {
  return std::any_of(measures.begin(), measures.end(), [](Measure m) {
    return m == Measure::kAvgLatency || m == Measure::kP50Latency || m == Measure::kP90Latency ||
           m == Measure::kP95Latency || m == Measure::kP99Latency;
  });
}

int64_t RollupMinuteS(int64_t time_ns) {
  auto floor_to = [](int64_t value, int64_t step) {
    int64_t q = value / step;
    if (value % step != 0 && value < 0) --q;
    return q * step;
  };
  return floor_to(floor_to(time_ns, 1'000'000'000) / 1'000'000'000, 60);
}

absl::StatusOr<model::RollupKind> RollupKindFor(const MetricsQuery& query) {
  std::vector<model::MetricsDimension> used = query.group_by;
  for (const auto& [dimension, value] : query.filters) used.push_back(dimension);
  model::RollupKind kind = model::RollupKind::kObservation;
  if (query.level == MetricsLevel::kTrace) {
    const bool by_user = std::any_of(used.begin(), used.end(), [](model::MetricsDimension d) {
      return d == model::MetricsDimension::kUserId || d == model::MetricsDimension::kSessionId;
    });
    kind = by_user ? model::RollupKind::kTraceByUser : model::RollupKind::kTrace;
  } else {
    for (Measure measure : query.measures) {
      if (IsRunMeasure(measure)) {
        return absl::InvalidArgumentError(
            absl::StrCat("measure '", Sv(ToString(measure)), "' is a per-run measure: it needs level=trace"));
      }
    }
  }
  std::span<const model::MetricsDimension> available = model::DimensionsOf(kind);
  for (model::MetricsDimension dimension : used) {
    if (std::find(available.begin(), available.end(), dimension) == available.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dimension '", Sv(model::ToString(dimension)), "' is not available at the ",
          query.level == MetricsLevel::kTrace ? "trace" : "observation", " level",
          kind == model::RollupKind::kTraceByUser ? " together with user_id or session_id" : ""));
    }
  }
  return kind;
}

}  // namespace trackly::store
