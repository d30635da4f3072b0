#include "query/query_params.h"

#include <cmath>
#include <functional>
#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status.h"
#include "model/time_format.h"
#include "query/param_setters.h"

namespace trackly::query {
namespace {


template <typename Query>
using Setter = ParamSetter<Query>;

absl::Status ParseLimit(std::string_view value, int* out) {
  int limit = 0;
  if (!absl::SimpleAtoi(Sv(value), &limit) || limit < 1 || limit > store::kMaxListLimit) {
    return absl::InvalidArgumentError(absl::StrCat("must be an integer from 1 to ", store::kMaxListLimit));
  }
  *out = limit;
  return absl::OkStatus();
}

absl::Status ParseTime(std::string_view value, int64_t* out) {
  absl::StatusOr<int64_t> ns = model::ParseTimestamp(value);
  if (!ns.ok()) {
    return absl::InvalidArgumentError("must be an RFC 3339 time or a Unix timestamp");
  }
  *out = *ns;
  return absl::OkStatus();
}

absl::Status ParseFinite(std::string_view value, std::optional<double>& out) {
  double number = 0;
  if (!absl::SimpleAtod(Sv(value), &number) || !std::isfinite(number)) {
    return absl::InvalidArgumentError("must be a number");
  }
  out = number;
  return absl::OkStatus();
}

template <typename Query>
Setter<Query> Text(std::string Query::*member) {
  return [member](std::string_view value, Query& query) {
    query.*member = std::string(value);
    return absl::OkStatus();
  };
}

// The time range and paging parameters every list has.
template <typename Query>
std::map<std::string, Setter<Query>, std::less<>> PageSetters() {
  return {
      {"from", [](std::string_view v, Query& q) { return ParseTime(v, &q.from_ns); }},
      {"to", [](std::string_view v, Query& q) { return ParseTime(v, &q.to_ns); }},
      {"limit", [](std::string_view v, Query& q) { return ParseLimit(v, &q.limit); }},
      {"cursor", Text(&Query::cursor)},
  };
}

// The parameters of the trace and session lists.
template <typename Query>
std::map<std::string, Setter<Query>, std::less<>> CommonSetters() {
  std::map<std::string, Setter<Query>, std::less<>> setters = PageSetters<Query>();
  setters.insert({"user_id", Text(&Query::user_id)});
  return setters;
}

const std::map<std::string, Setter<store::TraceQuery>, std::less<>>& TraceSetters() {
  using Q = store::TraceQuery;
  static const auto* const setters = [] {
    auto* out = new std::map<std::string, Setter<Q>, std::less<>>(CommonSetters<Q>());
    out->insert({
        {"name", Text(&Q::name)},
        {"session_id", Text(&Q::session_id)},
        {"environment", Text(&Q::environment)},
        {"release", Text(&Q::release)},
        {"tag", Text(&Q::tag)},
        {"model", Text(&Q::model)},
        {"q", Text(&Q::text)},
        {"status",
         [](std::string_view v, Q& q) {
           model::Status status;
           if (!model::ParseStatus(v, &status)) {
             return absl::InvalidArgumentError(
                 "must be one of ok, error, timeout, cancelled, skipped, unset");
           }
           q.status = status;
           return absl::OkStatus();
         }},
        {"min_latency_ms",
         [](std::string_view v, Q& q) { return ParseNonNegative(v, &q.min_latency_ms); }},
        {"min_cost", [](std::string_view v, Q& q) { return ParseNonNegative(v, &q.min_cost); }},
        {"score", Text(&Q::score_name)},
        {"score_min", [](std::string_view v, Q& q) { return ParseFinite(v, q.score_min); }},
        {"score_max", [](std::string_view v, Q& q) { return ParseFinite(v, q.score_max); }},
        {"score_value", Text(&Q::score_value)},
        {"order",
         [](std::string_view v, Q& q) {
           if (v != "asc" && v != "desc") return absl::InvalidArgumentError("must be asc or desc");
           q.oldest_first = v == "asc";
           return absl::OkStatus();
         }},
        {"sort",
         [](std::string_view v, Q& q) {
           if (v == "start_time") {
             q.order_by = store::TraceOrder::kStartTime;
           } else if (v == "latency") {
             q.order_by = store::TraceOrder::kLatency;
           } else if (v == "cost") {
             q.order_by = store::TraceOrder::kCost;
           } else if (v == "tokens") {
             q.order_by = store::TraceOrder::kTokens;
           } else {
             return absl::InvalidArgumentError("must be start_time, latency, cost or tokens");
           }
           return absl::OkStatus();
         }},
    });
    return out;
  }();
  return *setters;
}

const std::map<std::string, Setter<store::SessionQuery>, std::less<>>& SessionSetters() {
  static const auto* const setters =
      new std::map<std::string, Setter<store::SessionQuery>, std::less<>>(
          CommonSetters<store::SessionQuery>());
  return *setters;
}

const std::map<std::string, Setter<store::ScoreQuery>, std::less<>>& ScoreSetters() {
  using Q = store::ScoreQuery;
  static const auto* const setters = [] {
    auto* out = new std::map<std::string, Setter<Q>, std::less<>>(PageSetters<Q>());
    out->insert({
        {"trace_id", Text(&Q::trace_id)},
        {"observation_id", Text(&Q::observation_id)},
        {"name", Text(&Q::name)},
        {"source", Text(&Q::source)},
    });
    return out;
  }();
  return *setters;
}

const std::map<std::string, Setter<store::AuditQuery>, std::less<>>& AuditSetters() {
  using Q = store::AuditQuery;
  static const auto* const setters = [] {
    auto* out = new std::map<std::string, Setter<Q>, std::less<>>(PageSetters<Q>());
    out->insert({
        {"action", Text(&Q::action)},
        {"actor", Text(&Q::actor)},
        {"target", Text(&Q::target)},
    });
    return out;
  }();
  return *setters;
}

const std::map<std::string, Setter<store::ObservationQuery>, std::less<>>& ObservationSetters() {
  using Q = store::ObservationQuery;
  static const auto* const setters = new std::map<std::string, Setter<Q>, std::less<>>{
      {"limit", [](std::string_view v, Q& q) { return ParseLimit(v, &q.limit); }},
      {"cursor", Text(&Q::cursor)},
      {"fields",
       [](std::string_view v, Q& q) {
         if (v != "summary" && v != "full") return absl::InvalidArgumentError("must be summary or full");
         q.summary_only = v == "summary";
         return absl::OkStatus();
       }},
  };
  return *setters;
}


// What the metrics parameters set before the level is settled (ParseMetricsQuery).
struct MetricsParams {
  int64_t from_ns = 0;
  int64_t to_ns = 0;
  std::optional<store::MetricsLevel> level;
  store::MetricsQuery query;
};

// Splits a comma-separated list, refusing empty items.
absl::StatusOr<std::vector<std::string_view>> CommaList(std::string_view value) {
  std::vector<std::string_view> items;
  for (absl::string_view item : absl::StrSplit(Sv(value), ',')) {
    if (item.empty()) return absl::InvalidArgumentError("has an empty item");
    items.emplace_back(item.data(), item.size());
  }
  return items;
}

// A time grain item of a group_by list (minute, hour or day) into `grain`: true when `item` is
// one, false when it is something else; InvalidArgument for a second grain.
absl::StatusOr<bool> TakeTimeGrain(std::string_view item, store::TimeGrain& grain) {
  for (store::TimeGrain candidate : {store::TimeGrain::kMinute, store::TimeGrain::kHour, store::TimeGrain::kDay}) {
    if (item != store::ToString(candidate)) continue;
    if (grain != store::TimeGrain::kNone) return absl::InvalidArgumentError("has more than one of minute, hour, day");
    grain = candidate;
    return true;
  }
  return false;
}

std::string MeasureNames() {
  std::vector<std::string> names;
  for (int m = 0; m <= static_cast<int>(store::Measure::kCostPerSuccessfulRun); ++m) {
    names.emplace_back(store::ToString(static_cast<store::Measure>(m)));
  }
  return absl::StrJoin(names, ", ");
}

std::string DimensionNames() {
  std::vector<std::string> names;
  for (int d = 0; d <= static_cast<int>(model::MetricsDimension::kFeature); ++d) {
    names.emplace_back(model::ToString(static_cast<model::MetricsDimension>(d)));
  }
  return absl::StrJoin(names, ", ");
}

const std::map<std::string, Setter<MetricsParams>, std::less<>>& MetricsSetters() {
  using P = MetricsParams;
  static const auto* const setters = [] {
    auto* out = new std::map<std::string, Setter<P>, std::less<>>{
        {"from", [](std::string_view v, P& p) { return ParseTime(v, &p.from_ns); }},
        {"to", [](std::string_view v, P& p) { return ParseTime(v, &p.to_ns); }},
        {"level",
         [](std::string_view v, P& p) {
           if (v != "observation" && v != "trace") return absl::InvalidArgumentError("must be observation or trace");
           p.level = v == "trace" ? store::MetricsLevel::kTrace : store::MetricsLevel::kObservation;
           return absl::OkStatus();
         }},
        {"measures",
         [](std::string_view v, P& p) -> absl::Status {
           TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string_view> items, CommaList(v));
           for (std::string_view item : items) {
             store::Measure measure;
             if (!store::ParseMeasure(item, &measure)) {
               return absl::InvalidArgumentError(
                   absl::StrCat("has unknown measure '", Sv(item), "' (known: ", MeasureNames(), ")"));
             }
             p.query.measures.push_back(measure);
           }
           return absl::OkStatus();
         }},
        {"group_by",
         [](std::string_view v, P& p) -> absl::Status {
           TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string_view> items, CommaList(v));
           for (std::string_view item : items) {
             TRACKLY_ASSIGN_OR_RETURN(bool grain, TakeTimeGrain(item, p.query.time_grain));
             if (grain) continue;
             model::MetricsDimension dimension;
             if (!model::ParseMetricsDimension(item, &dimension)) {
               return absl::InvalidArgumentError(absl::StrCat("has unknown dimension '", Sv(item),
                                                              "' (known: minute, hour, day, ", DimensionNames(), ")"));
             }
             if (std::find(p.query.group_by.begin(), p.query.group_by.end(), dimension) != p.query.group_by.end()) {
               return absl::InvalidArgumentError(absl::StrCat("repeats '", Sv(item), "'"));
             }
             p.query.group_by.push_back(dimension);
           }
           return absl::OkStatus();
         }},
    };
    // Every dimension is also an exact-match filter under its own name.
    for (int d = 0; d <= static_cast<int>(model::MetricsDimension::kFeature); ++d) {
      const auto dimension = static_cast<model::MetricsDimension>(d);
      out->emplace(std::string(model::ToString(dimension)), [dimension](std::string_view v, P& p) {
        p.query.filters.emplace_back(dimension, std::string(v));
        return absl::OkStatus();
      });
    }
    return out;
  }();
  return *setters;
}

// The parameters of GET /api/v1/metrics/scores (ParseScoreMetricsQuery).
const std::map<std::string, Setter<store::ScoreMetricsQuery>, std::less<>>& ScoreMetricsSetters() {
  using Q = store::ScoreMetricsQuery;
  static const auto* const setters = new std::map<std::string, Setter<Q>, std::less<>>{
      {"name", Text(&Q::name)},
      {"name_prefix", Text(&Q::name_prefix)},
      {"source", Text(&Q::source)},
      {"from", [](std::string_view v, Q& q) { return ParseTime(v, &q.from_ns); }},
      {"to", [](std::string_view v, Q& q) { return ParseTime(v, &q.to_ns); }},
      {"measures",
       [](std::string_view v, Q& q) -> absl::Status {
         TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string_view> items, CommaList(v));
         for (std::string_view item : items) {
           store::ScoreMeasure measure;
           if (!store::ParseScoreMeasure(item, &measure)) {
             return absl::InvalidArgumentError(
                 absl::StrCat("has unknown measure '", Sv(item), "' (known: ", store::ScoreMeasureNames(), ")"));
           }
           if (std::find(q.measures.begin(), q.measures.end(), measure) != q.measures.end()) {
             return absl::InvalidArgumentError(absl::StrCat("repeats '", Sv(item), "'"));
           }
           q.measures.push_back(measure);
         }
         return absl::OkStatus();
       }},
      {"group_by",
       [](std::string_view v, Q& q) -> absl::Status {
         TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string_view> items, CommaList(v));
         for (std::string_view item : items) {
           TRACKLY_ASSIGN_OR_RETURN(bool grain, TakeTimeGrain(item, q.time_grain));
           if (grain) continue;
           store::ScoreDimension dimension;
           if (!store::ParseScoreDimension(item, &dimension)) {
             return absl::InvalidArgumentError(
                 absl::StrCat("has unknown dimension '", Sv(item), "' (known: minute, hour, day, name, value, source)"));
           }
           if (std::find(q.group_by.begin(), q.group_by.end(), dimension) != q.group_by.end()) {
             return absl::InvalidArgumentError(absl::StrCat("repeats '", Sv(item), "'"));
           }
           q.group_by.push_back(dimension);
         }
         return absl::OkStatus();
       }},
  };
  return *setters;
}

// Only the trace-level rollups have these; a query using one is about runs.
bool ImpliesTraceLevel(const store::MetricsQuery& query) {
  auto trace_only = [](model::MetricsDimension d) {
    return d == model::MetricsDimension::kUserId || d == model::MetricsDimension::kSessionId ||
           d == model::MetricsDimension::kFeature;
  };
  return std::any_of(query.measures.begin(), query.measures.end(), store::IsRunMeasure) ||
         std::any_of(query.group_by.begin(), query.group_by.end(), trace_only) ||
         std::any_of(query.filters.begin(), query.filters.end(), [&](const auto& f) { return trace_only(f.first); });
}

const std::map<std::string, Setter<WhatIfQuery>, std::less<>>& WhatIfSetters() {
  using Q = WhatIfQuery;
  static const auto* const setters = new std::map<std::string, Setter<Q>, std::less<>>{
      {"from", [](std::string_view v, Q& q) { return ParseTime(v, &q.from_ns); }},
      {"to", [](std::string_view v, Q& q) { return ParseTime(v, &q.to_ns); }},
      {"model", Text(&Q::model)},
      {"as", Text(&Q::as)},
  };
  return *setters;
}

const std::map<std::string, Setter<DiffQuery>, std::less<>>& DiffSetters() {
  using Q = DiffQuery;
  static const auto* const setters = new std::map<std::string, Setter<Q>, std::less<>>{
      {"against", Text(&Q::against)},
      {"n",
       [](std::string_view v, Q& q) {
         if (!absl::SimpleAtoi(Sv(v), &q.typical_of) || q.typical_of < 2 || q.typical_of > 50) {
           return absl::InvalidArgumentError("must be an integer from 2 to 50");
         }
         return absl::OkStatus();
       }},
      {"text",
       [](std::string_view v, Q& q) {
         if (v != "true" && v != "false") return absl::InvalidArgumentError("must be true or false");
         q.text = v == "true";
         return absl::OkStatus();
       }},
  };
  return *setters;
}

}  // namespace

absl::Status ParseNonNegative(std::string_view value, double* out) {
  double number = 0;
  if (!absl::SimpleAtod(Sv(value), &number) || !std::isfinite(number) || number < 0) {
    return absl::InvalidArgumentError("must be a non-negative number");
  }
  *out = number;
  return absl::OkStatus();
}

absl::StatusOr<DiffQuery> ParseDiffQuery(const QueryParams& params) {
  DiffQuery query;
  TRACKLY_RETURN_IF_ERROR(ApplyParams(params, DiffSetters(), query));
  if (query.against.empty()) {
    return absl::InvalidArgumentError("parameter 'against' is required (a trace id, or 'typical')");
  }
  const bool has_n = std::any_of(params.begin(), params.end(), [](const auto& p) { return p.first == "n"; });
  if (has_n && query.against != kTypicalTrace) {
    return absl::InvalidArgumentError("parameter 'n' goes only with against=typical");
  }
  return query;
}

absl::StatusOr<store::MetricsQuery> ParseMetricsQuery(const QueryParams& params, std::string_view project) {
  MetricsParams parsed;
  TRACKLY_RETURN_IF_ERROR(ApplyParams(params, MetricsSetters(), parsed));
  store::MetricsQuery query = std::move(parsed.query);
  query.project = std::string(project);
  query.from_ns = parsed.from_ns;
  query.to_ns = parsed.to_ns;
  if (query.measures.empty()) query.measures.push_back(store::Measure::kCount);
  query.level = parsed.level.value_or(ImpliesTraceLevel(query) ? store::MetricsLevel::kTrace
                                                                : store::MetricsLevel::kObservation);
  return query;
}

absl::StatusOr<store::ScoreMetricsQuery> ParseScoreMetricsQuery(const QueryParams& params,
                                                                 std::string_view project) {
  store::ScoreMetricsQuery query;
  query.project = std::string(project);
  TRACKLY_RETURN_IF_ERROR(ApplyParams(params, ScoreMetricsSetters(), query));
  if (!query.name.empty() && !query.name_prefix.empty()) {
    return absl::InvalidArgumentError("parameter 'name_prefix' cannot be combined with 'name': give one of them");
  }
  if (query.measures.empty()) query.measures.push_back(store::ScoreMeasure::kCount);
  return query;
}

absl::StatusOr<WhatIfQuery> ParseWhatIfQuery(const QueryParams& params) {
  WhatIfQuery query;
  TRACKLY_RETURN_IF_ERROR(ApplyParams(params, WhatIfSetters(), query));
  for (const auto& [name, value] : {std::pair<const char*, bool>{"model", query.model.empty()},
                                    {"as", query.as.empty()},
                                    {"from", query.from_ns == 0},
                                    {"to", query.to_ns == 0}}) {
    if (value) return absl::InvalidArgumentError(absl::StrCat("parameter '", name, "' is required"));
  }
  return query;
}

absl::StatusOr<store::TraceQuery> ParseTraceQuery(const QueryParams& params,
                                                  std::string_view project) {
  store::TraceQuery query;
  query.project = std::string(project);
  TRACKLY_RETURN_IF_ERROR(ApplyParams(params, TraceSetters(), query));
  if (query.score_name.empty() && (query.score_min || query.score_max || !query.score_value.empty())) {
    return absl::InvalidArgumentError("parameters 'score_min', 'score_max' and 'score_value' need 'score' (its name)");
  }
  return query;
}

absl::StatusOr<store::SessionQuery> ParseSessionQuery(const QueryParams& params,
                                                      std::string_view project) {
  store::SessionQuery query;
  query.project = std::string(project);
  TRACKLY_RETURN_IF_ERROR(ApplyParams(params, SessionSetters(), query));
  return query;
}

absl::StatusOr<store::ScoreQuery> ParseScoreQuery(const QueryParams& params, std::string_view project) {
  store::ScoreQuery query;
  query.project = std::string(project);
  TRACKLY_RETURN_IF_ERROR(ApplyParams(params, ScoreSetters(), query));
  return query;
}

absl::StatusOr<store::AuditQuery> ParseAuditQuery(const QueryParams& params, std::string_view project) {
  store::AuditQuery query;
  query.project = std::string(project);
  TRACKLY_RETURN_IF_ERROR(ApplyParams(params, AuditSetters(), query));
  return query;
}

absl::StatusOr<store::ObservationQuery> ParseObservationQuery(const QueryParams& params, std::string_view project,
                                                             std::string_view trace_id) {
  store::ObservationQuery query;
  query.project = std::string(project);
  query.trace_id = std::string(trace_id);
  TRACKLY_RETURN_IF_ERROR(ApplyParams(params, ObservationSetters(), query));
  return query;
}

}  // namespace trackly::query
