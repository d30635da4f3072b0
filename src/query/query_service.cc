#include "query/query_service.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "analysis/trace_diff.h"
#include "base/status.h"
#include "model/codec.h"
#include "model/summary.h"
#include "model/time_format.h"
#include "normalize/cost/cost_engine.h"
#include "query/diff.h"
#include "query/insight.h"

namespace trackly::query {
namespace {

// Ids longer than this are not ids any client sends; refusing them keeps them out of lookups.
constexpr size_t kMaxIdBytes = 512;

absl::Status CheckId(std::string_view what, std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(Sv(what), " must be 1 to ", kMaxIdBytes, " bytes long"));
  }
  return absl::OkStatus();
}

// InvalidArgument for a full-text query (`q`) on a store without full-text search.
absl::Status CheckTextSearch(const store::Store& store, const store::TraceQuery& query) {
  if (query.text.empty() || store.capabilities().full_text_search) return absl::OkStatus();
  return absl::InvalidArgumentError("parameter 'q' is not supported: this store has no full-text search");
}

model::Json CursorJson(const std::string& cursor) {
  return cursor.empty() ? model::Json(nullptr) : model::Json(cursor);
}

template <typename T>
model::Json ArrayJson(const std::vector<T>& items) {
  model::Json out = model::Json::array();
  for (const T& item : items) out.push_back(model::ToJson(item));
  return out;
}

// {"granularity", "data"} of a metrics answer (GET /api/v1/metrics and /metrics/scores): each row
// {"time"?, <dimension>..., <measure>...} under the API names (ToString) of `group_by` and
// `measures`; counts as integers, a measure without a value as null.
template <typename Dimension, typename Measure>
model::Json MetricsJson(const store::MetricsResult& result, store::TimeGrain grain,
                        const std::vector<Dimension>& group_by, const std::vector<Measure>& measures) {
  using model::ToString;
  using store::ToString;
  model::Json data = model::Json::array();
  for (const store::MetricsRow& row : result.rows) {
    model::Json item = model::Json::object();
    if (grain != store::TimeGrain::kNone) item["time"] = model::FormatRfc3339Micros(row.time_ns);
    for (size_t i = 0; i < group_by.size(); ++i) item[std::string(ToString(group_by[i]))] = row.group[i];
    for (size_t i = 0; i < measures.size(); ++i) {
      const std::optional<double>& value = row.values[i];
      model::Json json = nullptr;
      if (value) json = store::IsCountMeasure(measures[i]) ? model::Json(std::llround(*value)) : model::Json(*value);
      item[std::string(ToString(measures[i]))] = std::move(json);
    }
    data.push_back(std::move(item));
  }
  model::Json granularity = grain == store::TimeGrain::kNone ? model::Json(nullptr) : model::Json(store::ToString(grain));
  return model::Json{{"granularity", std::move(granularity)}, {"data", std::move(data)}};
}

}  // namespace

model::Json TraceDetailJson(const store::TraceDetail& detail) {
  const std::vector<model::SubtreeTotals> subtrees = model::SummarizeSubtrees(detail.observations);
  model::Json observations = model::Json::array();
  for (size_t i = 0; i < detail.observations.size(); ++i) {
    model::Json item = model::ToJson(detail.observations[i]);
    item["subtree"] = model::Json{{"counts", model::ToJson(subtrees[i].counts)},
                                  {"usage", model::ToJson(subtrees[i].usage)},
                                  {"cost", model::ToJson(subtrees[i].cost)}};
    observations.push_back(std::move(item));
  }
  return model::Json{{"trace", model::ToJson(detail.trace)}, {"observations", std::move(observations)}};
}

absl::StatusOr<model::Json> QueryService::ListTraces(std::string_view project,
                                                     const QueryParams& params) {
  TRACKLY_ASSIGN_OR_RETURN(store::TraceQuery query, ParseTraceQuery(params, project));
  TRACKLY_RETURN_IF_ERROR(CheckTextSearch(store_, query));
  TRACKLY_ASSIGN_OR_RETURN(store::TracePage page, store_.ListTraces(query));
  return model::Json{{"data", ArrayJson(page.traces)}, {"next_cursor", CursorJson(page.next_cursor)}};
}

absl::StatusOr<model::Json> QueryService::GetTrace(std::string_view project,
                                                   std::string_view trace_id) {
  TRACKLY_RETURN_IF_ERROR(CheckId("trace id", trace_id));
  TRACKLY_ASSIGN_OR_RETURN(store::TraceDetail detail, store_.GetTrace(project, trace_id));
  model::Json json = TraceDetailJson(detail);
  // Every score of the trace, newest first: a trace has few, so all pages are read.
  model::Json& scores = json["scores"] = model::Json::array();
  store::ScoreQuery query{.project = std::string(project), .trace_id = std::string(trace_id),
                          .limit = store::kMaxListLimit};
  do {
    TRACKLY_ASSIGN_OR_RETURN(store::ScorePage page, store_.ListScores(query));
    for (const model::Score& score : page.scores) scores.push_back(model::ToJson(score));
    query.cursor = std::move(page.next_cursor);
  } while (!query.cursor.empty());
  return json;
}

absl::StatusOr<model::Json> QueryService::GetTraceInsight(std::string_view project, std::string_view trace_id) {
  TRACKLY_RETURN_IF_ERROR(CheckId("trace id", trace_id));
  TRACKLY_ASSIGN_OR_RETURN(store::TraceDetail detail, store_.GetTrace(project, trace_id));
  return TraceInsightJson(detail, clock_.NowNanos());
}

absl::StatusOr<model::Json> QueryService::DiffTrace(std::string_view project, std::string_view trace_id,
                                                    const QueryParams& params, bool raw_io) {
  TRACKLY_RETURN_IF_ERROR(CheckId("trace id", trace_id));
  // The trace first: an id of another project answers 404 whatever the parameters.
  TRACKLY_ASSIGN_OR_RETURN(store::TraceDetail detail, store_.GetTrace(project, trace_id));
  TRACKLY_ASSIGN_OR_RETURN(DiffQuery query, ParseDiffQuery(params));
  if (query.text && !raw_io) {
    return absl::PermissionDeniedError("text=true shows inputs and outputs, which your role does not have");
  }
  DiffSide b{.trace_id = detail.trace.id, .name = detail.trace.name, .observations = std::move(detail.observations)};
  DiffSide a;
  if (query.against != kTypicalTrace) {
    TRACKLY_RETURN_IF_ERROR(CheckId("against", query.against));
    absl::StatusOr<store::TraceDetail> baseline = store_.GetTrace(project, query.against);
    if (absl::IsNotFound(baseline.status())) {
      return absl::NotFoundError(absl::StrCat("trace \"", query.against, "\" not found"));
    }
    TRACKLY_RETURN_IF_ERROR(baseline.status());
    a = DiffSide{.trace_id = baseline->trace.id, .name = baseline->trace.name,
                 .observations = std::move(baseline->observations)};
  } else {
    // The last n traces of the same name that started before this one (newest first).
    TRACKLY_ASSIGN_OR_RETURN(store::TracePage page,
                             store_.ListTraces(store::TraceQuery{.project = std::string(project),
                                                                 .to_ns = detail.trace.start_time_ns,
                                                                 .limit = query.typical_of,
                                                                 .name = detail.trace.name}));
    std::vector<std::vector<model::Observation>> earlier;
    for (const model::Trace& trace : page.traces) {
      if (trace.id == b.trace_id) continue;
      absl::StatusOr<store::TraceDetail> run = store_.GetTrace(project, trace.id);
      if (absl::IsNotFound(run.status())) continue;  // erased meanwhile
      TRACKLY_RETURN_IF_ERROR(run.status());
      earlier.push_back(std::move(run->observations));
    }
    if (earlier.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("against=typical: no earlier trace named \"", b.name,
                                                     "\" to build a typical trace from"));
    }
    a.observations = analysis::TypicalTrace(earlier);
    a.typical_of = static_cast<int>(earlier.size());
    a.name = b.name;
    if (!a.observations.empty()) a.trace_id = a.observations.front().trace_id;
  }
  return TraceDiffJson(a, b, query.text);
}

absl::StatusOr<model::Json> QueryService::ListTraceObservations(std::string_view project, std::string_view trace_id,
                                                               const QueryParams& params) {
  TRACKLY_RETURN_IF_ERROR(CheckId("trace id", trace_id));
  TRACKLY_ASSIGN_OR_RETURN(store::ObservationQuery query, ParseObservationQuery(params, project, trace_id));
  const bool first_page = query.cursor.empty();
  TRACKLY_ASSIGN_OR_RETURN(store::ObservationPage page, store_.ListTraceObservations(query));
  model::Json data = model::Json::array();
  for (const store::PagedObservation& item : page.observations) {
    model::Json json = model::ToJson(item.observation);
    if (query.summary_only) {
      // The keys a summary does not carry (store::ObservationQuery::summary_only) are left out
      // rather than sent empty, so no client mistakes them for "absent".
      for (const char* key : {"status_message", "model_parameters", "input", "output", "metadata", "attributes",
                              "events", "service_name"}) {
        json.erase(key);
      }
      if (json["tool"].is_object()) json["tool"].erase("call_id");
    }
    json["stored_bytes"] = item.stored_bytes;
    data.push_back(std::move(json));
  }
  model::Json out{{"data", std::move(data)}, {"next_cursor", CursorJson(page.next_cursor)}};
  if (first_page) out["trace"] = model::ToJson(page.trace);
  return out;
}

absl::StatusOr<model::Json> QueryService::GetObservation(std::string_view project, std::string_view trace_id,
                                                        std::string_view observation_id) {
  TRACKLY_RETURN_IF_ERROR(CheckId("trace id", trace_id));
  TRACKLY_RETURN_IF_ERROR(CheckId("observation id", observation_id));
  TRACKLY_ASSIGN_OR_RETURN(model::Observation observation, store_.GetObservation(project, trace_id, observation_id));
  return model::ToJson(observation);
}

absl::StatusOr<model::Json> QueryService::ListScores(std::string_view project, const QueryParams& params) {
  TRACKLY_ASSIGN_OR_RETURN(store::ScoreQuery query, ParseScoreQuery(params, project));
  TRACKLY_ASSIGN_OR_RETURN(store::ScorePage page, store_.ListScores(query));
  return model::Json{{"data", ArrayJson(page.scores)}, {"next_cursor", CursorJson(page.next_cursor)}};
}

absl::StatusOr<model::Json> QueryService::ListSessions(std::string_view project,
                                                       const QueryParams& params) {
  TRACKLY_ASSIGN_OR_RETURN(store::SessionQuery query, ParseSessionQuery(params, project));
  TRACKLY_ASSIGN_OR_RETURN(store::SessionPage page, store_.ListSessions(query));
  return model::Json{{"data", ArrayJson(page.sessions)},
                     {"next_cursor", CursorJson(page.next_cursor)}};
}

absl::StatusOr<model::Json> QueryService::GetSession(std::string_view project,
                                                     std::string_view session_id) {
  TRACKLY_RETURN_IF_ERROR(CheckId("session id", session_id));
  TRACKLY_ASSIGN_OR_RETURN(store::SessionDetail detail, store_.GetSession(project, session_id));
  return model::Json{{"session", model::ToJson(detail.session)},
                     {"traces", ArrayJson(detail.traces)}};
}

absl::StatusOr<model::Json> QueryService::Metrics(std::string_view project, const QueryParams& params) {
  TRACKLY_ASSIGN_OR_RETURN(store::MetricsQuery query, ParseMetricsQuery(params, project));
  TRACKLY_ASSIGN_OR_RETURN(store::MetricsResult result, store_.QueryMetrics(query));
  model::Json out = MetricsJson(result, query.time_grain, query.group_by, query.measures);
  out["level"] = query.level == store::MetricsLevel::kTrace ? "trace" : "observation";
  return out;
}

absl::StatusOr<model::Json> QueryService::ScoreMetrics(std::string_view project, const QueryParams& params) {
  TRACKLY_ASSIGN_OR_RETURN(store::ScoreMetricsQuery query, ParseScoreMetricsQuery(params, project));
  TRACKLY_ASSIGN_OR_RETURN(store::MetricsResult result, store_.QueryScoreMetrics(query));
  return MetricsJson(result, query.time_grain, query.group_by, query.measures);
}

absl::StatusOr<model::Json> QueryService::WhatIf(std::string_view project, const QueryParams& params,
                                                 const cost::PriceCatalog& prices) {
  TRACKLY_ASSIGN_OR_RETURN(WhatIfQuery what_if, ParseWhatIfQuery(params));
  using store::Measure;
  const std::vector<Measure> measures = {Measure::kCount,           Measure::kInputTokens,   Measure::kOutputTokens,
                                         Measure::kCachedTokens,    Measure::kCacheWriteTokens,
                                         Measure::kReasoningTokens, Measure::kCost,          Measure::kUnpricedCount};
  TRACKLY_ASSIGN_OR_RETURN(
      store::MetricsResult result,
      store_.QueryMetrics(store::MetricsQuery{.project = std::string(project),
                                              .from_ns = what_if.from_ns,
                                              .to_ns = what_if.to_ns,
                                              .measures = measures,
                                              .filters = {{model::MetricsDimension::kModel, what_if.model}}}));
  std::vector<int64_t> sums(measures.size(), 0);
  double actual_cost = 0;
  if (!result.rows.empty()) {
    for (size_t i = 0; i < measures.size(); ++i) {
      const double value = result.rows[0].values[i].value_or(0);
      if (measures[i] == Measure::kCost) actual_cost = value;
      sums[i] = static_cast<int64_t>(value);
    }
  }
  const int64_t calls = sums[0];
  // Priced as `calls` calls of the average usage: cost is linear in tokens within a price tier.
  model::Observation average;
  average.type = model::ObservationType::kGeneration;
  average.model = what_if.as;
  if (calls > 0) {
    average.usage = model::Usage{.input_tokens = sums[1] / calls,
                                 .output_tokens = sums[2] / calls,
                                 .cache_read_tokens = sums[3] / calls,
                                 .cache_write_tokens = sums[4] / calls,
                                 .reasoning_tokens = sums[5] / calls};
    average.usage.total_tokens = average.usage.input_tokens + average.usage.output_tokens;
  } else {
    average.usage.input_tokens = 1;  // still checks that `as` has a price
  }
  if (cost::CostEngine::Apply(prices, project, average) == cost::CostOutcome::kUnpriced) {
    return absl::InvalidArgumentError(absl::StrCat("parameter 'as': no price for model \"", what_if.as, "\""));
  }
  const double what_if_cost = calls > 0 ? average.cost.total * static_cast<double>(calls) : 0;
  const double month_scale = 30.0 * 86400e9 / static_cast<double>(what_if.to_ns - what_if.from_ns);
  return model::Json{
      {"model", what_if.model},
      {"as", what_if.as},
      {"from", model::FormatRfc3339Micros(what_if.from_ns)},
      {"to", model::FormatRfc3339Micros(what_if.to_ns)},
      {"calls", calls},
      {"unpriced_calls", sums[7]},
      {"usage",
       {{"input_tokens", sums[1]},
        {"output_tokens", sums[2]},
        {"cache_read_tokens", sums[3]},
        {"cache_write_tokens", sums[4]},
        {"reasoning_tokens", sums[5]}}},
      {"price_id", average.cost.price_id},
      {"actual_cost", actual_cost},
      {"what_if_cost", what_if_cost},
      {"difference", what_if_cost - actual_cost},
      {"monthly_projection",
       {{"actual_cost", actual_cost * month_scale},
        {"what_if_cost", what_if_cost * month_scale},
        {"difference", (what_if_cost - actual_cost) * month_scale}}},
  };
}

absl::StatusOr<ExportResult> QueryService::Export(std::string_view project, const QueryParams& params) {
  QueryParams rest;
  std::string format;
  for (const auto& [name, value] : params) {
    if (name == "format") {
      format = value;
    } else {
      rest.emplace_back(name, value);
    }
  }
  if (format.empty()) return absl::InvalidArgumentError("parameter 'format' is required (jsonl or otlp)");
  TRACKLY_ASSIGN_OR_RETURN(ExportFormat parsed, ParseExportFormat(format));
  TRACKLY_ASSIGN_OR_RETURN(store::TraceQuery query, ParseTraceQuery(rest, project));
  TRACKLY_RETURN_IF_ERROR(CheckTextSearch(store_, query));
  return ExportTraces(store_, query, parsed);
}

}  // namespace trackly::query
