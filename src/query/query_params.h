// Query API v1 parameters (docs/api.md): parsing and validation of a request's query string into
// store queries. Knows nothing of HTTP beyond "a list of name=value pairs".
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "store/catalog.h"
#include "store/store.h"

namespace trackly::query {

// Query-string parameters in request order, names and values already percent-decoded.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// GET /api/v1/traces: from, to (RFC 3339 or epoch s/ms/us/ns), limit (1..1000, default 50),
// cursor, name, user_id, session_id, status, environment, release, tag, model, min_latency_ms,
// min_cost, q, score (a score name) with score_min, score_max, score_value, order (asc|desc,
// default desc). An empty value means "not given".
// InvalidArgument naming the parameter for an unknown or repeated parameter or a bad value.
absl::StatusOr<store::TraceQuery> ParseTraceQuery(const QueryParams& params,
                                                  std::string_view project);

// GET /api/v1/sessions: from, to, limit, cursor, user_id; same rules as ParseTraceQuery.
absl::StatusOr<store::SessionQuery> ParseSessionQuery(const QueryParams& params,
                                                      std::string_view project);

// GET /api/v1/scores: from, to (score time), limit, cursor, trace_id, observation_id, name,
// source; same rules as ParseTraceQuery.
absl::StatusOr<store::ScoreQuery> ParseScoreQuery(const QueryParams& params, std::string_view project);

// GET /api/v1/audit: from, to (event time), limit, cursor, action, actor, target; same rules as
// ParseTraceQuery. The events of `project` only.
absl::StatusOr<store::AuditQuery> ParseAuditQuery(const QueryParams& params, std::string_view project);

// GET /api/v1/traces/{id}/observations: limit (1..1000, default 100), cursor, fields (summary |
// full, default full); same rules as ParseTraceQuery.
absl::StatusOr<store::ObservationQuery> ParseObservationQuery(const QueryParams& params, std::string_view project,
                                                             std::string_view trace_id);

// GET /api/v1/metrics (docs/api.md "Metrics"): from, to; measures (comma-separated, default
// count); group_by (comma-separated dimensions and at most one of minute, hour, day); level
// (observation | trace; default trace when a per-run measure or user_id, session_id or feature
// is used, else observation); and every dimension name (model=gpt-4o, ...) as an exact-match
// filter. Same rules as ParseTraceQuery; whether the dimensions fit the level is the store's
// check (store::RollupKindFor).
absl::StatusOr<store::MetricsQuery> ParseMetricsQuery(const QueryParams& params, std::string_view project);

// GET /api/v1/metrics/scores (docs/api.md "Metrics"): name or name_prefix (not both), source,
// from, to (score time); measures (comma-separated, default count); group_by (comma-separated
// name, value, source and at most one of minute, hour, day). Same rules as ParseTraceQuery.
absl::StatusOr<store::ScoreMetricsQuery> ParseScoreMetricsQuery(const QueryParams& params,
                                                                 std::string_view project);

// GET /api/v1/metrics/what-if: the stored usage of `model` priced as `as`, over [from, to).
struct WhatIfQuery {
  std::string model;  // required
  std::string as;     // required
  int64_t from_ns = 0;  // required
  int64_t to_ns = 0;    // required
};
// model, as, from and to, all required; same rules as ParseTraceQuery.
absl::StatusOr<WhatIfQuery> ParseWhatIfQuery(const QueryParams& params);

// GET /api/v1/traces/{id}/diff: what the trace is compared against.
struct DiffQuery {
  std::string against;  // a trace id, or kTypicalTrace
  int typical_of = 20;  // with kTypicalTrace: how many earlier traces of the same name (2..50)
  bool text = false;    // include line diffs of changed inputs and outputs
};
inline constexpr char kTypicalTrace[] = "typical";
// against (required), n (2..50, only with against=typical), text (true | false); same rules as
// ParseTraceQuery.
absl::StatusOr<DiffQuery> ParseDiffQuery(const QueryParams& params);

}  // namespace trackly::query
