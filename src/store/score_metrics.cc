#include "store/score_metrics.h"

#include <algorithm>
#include <array>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status.h"

namespace trackly::store {
namespace {

struct ScoreMeasureName {
  ScoreMeasure measure;
  std::string_view name;
};

constexpr std::array<ScoreMeasureName, 8> kScoreMeasureNames = {{
    {ScoreMeasure::kCount, "count"},
    {ScoreMeasure::kTraces, "traces"},
    {ScoreMeasure::kAvg, "avg"},
    {ScoreMeasure::kMin, "min"},
    {ScoreMeasure::kMax, "max"},
    {ScoreMeasure::kTrueCount, "true_count"},
    {ScoreMeasure::kFalseCount, "false_count"},
    {ScoreMeasure::kTrueRate, "true_rate"},
}};

struct ScoreDimensionName {
  ScoreDimension dimension;
  std::string_view name;
};

constexpr std::array<ScoreDimensionName, 3> kScoreDimensionNames = {{
    {ScoreDimension::kName, "name"},
    {ScoreDimension::kValue, "value"},
    {ScoreDimension::kSource, "source"},
}};

// The first element of `items` that appears earlier too, or nullptr.
template <typename T>
const T* FirstRepeat(const std::vector<T>& items) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (std::find(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(i), items[i]) !=
        items.begin() + static_cast<std::ptrdiff_t>(i)) {
      return &items[i];
    }
  }
  return nullptr;
}

int64_t FloorToMinuteNs(int64_t time_ns) { return RollupMinuteS(time_ns) * 1'000'000'000; }

}  // namespace

std::string_view ToString(ScoreMeasure measure) {
  for (const ScoreMeasureName& entry : kScoreMeasureNames) {
    if (entry.measure == measure) return entry.name;
  }
  return "";
}

bool ParseScoreMeasure(std::string_view text, ScoreMeasure* out) {
  for (const ScoreMeasureName& entry : kScoreMeasureNames) {
    if (entry.name == text) {
      *out = entry.measure;
      return true;
    }
  }
  return false;
}

std::string ScoreMeasureNames() {
  std::vector<std::string> names;
  for (const ScoreMeasureName& entry : kScoreMeasureNames) names.emplace_back(entry.name);
  return absl::StrJoin(names, ", ");
}

bool IsCountMeasure(ScoreMeasure measure) {
  return measure == ScoreMeasure::kCount || measure == ScoreMeasure::kTraces || measure == ScoreMeasure::kTrueCount ||
         measure == ScoreMeasure::kFalseCount;
}

std::string_view ToString(ScoreDimension dimension) {
  for (const ScoreDimensionName& entry : kScoreDimensionNames) {
    if (entry.dimension == dimension) return entry.name;
  }
  return "";
}

bool ParseScoreDimension(std::string_view text, ScoreDimension* out) {
  for (const ScoreDimensionName& entry : kScoreDimensionNames) {
    if (entry.name == text) {
      *out = entry.dimension;
      return true;
    }
  }
  return false;
}

absl::Status ValidateScoreMetricsQuery(const ScoreMetricsQuery& query) {
  if (query.project.empty()) return absl::InvalidArgumentError("project: required");
  if (!query.name.empty() && !query.name_prefix.empty()) {
    return absl::InvalidArgumentError("name_prefix: give either name or name_prefix, not both");
  }
  if (query.measures.empty()) return absl::InvalidArgumentError("measures: at least one is required");
  if (const ScoreMeasure* repeat = FirstRepeat(query.measures)) {
    return absl::InvalidArgumentError(absl::StrCat("measures: '", Sv(ToString(*repeat)), "' is repeated"));
  }
  if (const ScoreDimension* repeat = FirstRepeat(query.group_by)) {
    return absl::InvalidArgumentError(absl::StrCat("group_by: '", Sv(ToString(*repeat)), "' is repeated"));
  }
  if (query.from_ns != 0 && query.to_ns != 0 && query.from_ns >= query.to_ns) {
    return absl::InvalidArgumentError("from: must be before to");
  }
  return absl::OkStatus();
}

ScoreTimeRange ScoreMetricsRange(const ScoreMetricsQuery& query) {
  return ScoreTimeRange{.from_ns = query.from_ns == 0 ? 0 : FloorToMinuteNs(query.from_ns),
                        .to_ns = query.to_ns == 0 ? 0 : FloorToMinuteNs(query.to_ns)};
}

bool NeedsDistinctTraces(const std::vector<ScoreMeasure>& measures) {
  return std::find(measures.begin(), measures.end(), ScoreMeasure::kTraces) != measures.end();
}

std::optional<double> ScoreMeasureValue(ScoreMeasure measure, const ScoreAggregates& a) {
  switch (measure) {
    case ScoreMeasure::kCount: return static_cast<double>(a.count);
    case ScoreMeasure::kTraces: return static_cast<double>(a.traces);
    case ScoreMeasure::kAvg:
      if (a.numeric_count <= 0) return std::nullopt;
      return a.numeric_sum / static_cast<double>(a.numeric_count);
    case ScoreMeasure::kMin:
      if (a.numeric_count <= 0) return std::nullopt;
      return a.numeric_min;
    case ScoreMeasure::kMax:
      if (a.numeric_count <= 0) return std::nullopt;
      return a.numeric_max;
    case ScoreMeasure::kTrueCount: return static_cast<double>(a.true_count);
    case ScoreMeasure::kFalseCount: return static_cast<double>(a.false_count);
    case ScoreMeasure::kTrueRate: {
      const int64_t booleans = a.true_count + a.false_count;
      if (booleans <= 0) return std::nullopt;
      return static_cast<double>(a.true_count) / static_cast<double>(booleans);
    }
  }
  return std::nullopt;
}

MetricsResult ScoreMetricsResult(const ScoreMetricsQuery& query, std::vector<ScoreGroup> groups) {
  // Sorted here rather than by each backend's ORDER BY, so both order text the same way (bytes).
  std::sort(groups.begin(), groups.end(), [](const ScoreGroup& a, const ScoreGroup& b) {
    return std::tie(a.time_ns, a.group) < std::tie(b.time_ns, b.group);
  });
  MetricsResult result;
  for (ScoreGroup& group : groups) {
    if (group.aggregates.count <= 0) continue;
    MetricsRow row{.time_ns = group.time_ns, .group = std::move(group.group), .values = {}};
    for (ScoreMeasure measure : query.measures) row.values.push_back(ScoreMeasureValue(measure, group.aggregates));
    result.rows.push_back(std::move(row));
  }
  return result;
}

}  // namespace trackly::store
