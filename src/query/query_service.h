// The read side of Query API v1 (docs/api.md): validates parameters, asks the Store, and shapes
// the JSON answer. Every call is scoped to one project, which the caller took from the
// credential.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "model/json.h"
#include "normalize/cost/price_catalog.h"
#include "query/export.h"
#include "query/query_params.h"
#include "store/store.h"

namespace trackly::query {

// {"trace": Trace, "observations": [Observation + "subtree": {counts, usage, cost}]}: each
// observation with its subtree's totals (model::SummarizeSubtrees), what a sub-agent cost
// including the model calls of its tools. The one shape of a trace detail, for the API and the CLI.
model::Json TraceDetailJson(const store::TraceDetail& detail);

// Thread-safe (the Store is). Reads run on the calling thread.
class QueryService {
 public:
  // `clock` (must outlive the service) is "now" for the insight of traces with open spans.
  explicit QueryService(store::Store& store, const Clock& clock = SystemClock::Get())
      : store_(store), clock_(clock) {}

  // {"data":[Trace], "next_cursor": string|null}. InvalidArgument names a bad parameter.
  absl::StatusOr<model::Json> ListTraces(std::string_view project, const QueryParams& params);
  // TraceDetailJson of the trace plus "scores": [Score], all of the trace's scores, newest
  // first. NotFound when not in `project`.
  absl::StatusOr<model::Json> GetTrace(std::string_view project, std::string_view trace_id);
  // GET /api/v1/traces/{id}/insight → TraceInsightJson (query/insight.h) of the whole trace.
  // NotFound when not in `project`.
  absl::StatusOr<model::Json> GetTraceInsight(std::string_view project, std::string_view trace_id);
  // GET /api/v1/traces/{id}/diff → TraceDiffJson (query/diff.h) of `against` (the baseline: a
  // trace id, or the typical trace of the last n traces of the same name that started before
  // this one) and this trace (ParseDiffQuery). NotFound when either trace is not in `project`;
  // InvalidArgument when there is no earlier trace of the name; PermissionDenied for text=true
  // unless `raw_io` (line diffs show inputs and outputs).
  absl::StatusOr<model::Json> DiffTrace(std::string_view project, std::string_view trace_id,
                                        const QueryParams& params, bool raw_io);
  // GET /api/v1/traces/{id}/observations → {"data":[Observation + "stored_bytes"], "next_cursor":
  // string|null, "trace": Trace (first page only)}; with fields=summary each observation leaves
  // out the keys store::ObservationQuery::summary_only does not read (docs/api.md). NotFound when
  // the trace is not in `project`; InvalidArgument names a bad parameter.
  absl::StatusOr<model::Json> ListTraceObservations(std::string_view project, std::string_view trace_id,
                                                    const QueryParams& params);
  // GET /api/v1/traces/{id}/observations/{observation_id} → Observation, every field. NotFound
  // when the trace has no such observation in `project`.
  absl::StatusOr<model::Json> GetObservation(std::string_view project, std::string_view trace_id,
                                             std::string_view observation_id);
  // GET /api/v1/scores → {"data":[Score], "next_cursor": string|null}, newest first.
  // InvalidArgument names a bad parameter.
  absl::StatusOr<model::Json> ListScores(std::string_view project, const QueryParams& params);
  // {"data":[Session], "next_cursor": string|null}.
  absl::StatusOr<model::Json> ListSessions(std::string_view project, const QueryParams& params);
  // {"session": Session, "traces": [Trace]}. NotFound when not in `project`.
  absl::StatusOr<model::Json> GetSession(std::string_view project, std::string_view session_id);
  // GET /api/v1/metrics → {"level", "granularity", "data":[{"time"?, <dimension>..., <measure>...}]}
  // (docs/api.md "Metrics"); a measure without a value (a rate of nothing) is null.
  absl::StatusOr<model::Json> Metrics(std::string_view project, const QueryParams& params);
  // GET /api/v1/metrics/scores → {"granularity", "data":[{"time"?, <group_by field>..., <measure>...}]}
  // (docs/api.md "Metrics"): aggregates of the project's scores (ParseScoreMetricsQuery,
  // store::Store::QueryScoreMetrics); counts are integers, a measure without a value is null.
  absl::StatusOr<model::Json> ScoreMetrics(std::string_view project, const QueryParams& params);
  // GET /api/v1/metrics/what-if → the stored usage of model A over [from, to) priced at B's
  // current prices in `prices`, the difference to what it cost, and a 30-day projection. The
  // calls are priced as `calls` calls of their average usage, so a price with prompt-size tiers
  // is applied at the average prompt size. InvalidArgument naming 'as' when B has no price.
  absl::StatusOr<model::Json> WhatIf(std::string_view project, const QueryParams& params,
                                     const cost::PriceCatalog& prices);

  // GET /api/v1/export: `format` (jsonl | otlp, required) and the trace list's parameters
  // (ParseTraceQuery: filters, limit = traces per export, cursor). query/export.h.
  absl::StatusOr<ExportResult> Export(std::string_view project, const QueryParams& params);

 private:
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace trackly::query
