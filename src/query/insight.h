// What a trace's observations say about the run (the analysis layer, src/analysis/), as the JSON
// of GET /api/v1/traces/{id}/insight and `trackly trace` (docs/api.md, docs/insight.md).
#pragma once

#include <cstdint>

#include "model/json.h"
#include "store/store.h"

namespace trackly::query {

// {"trace_id", "profile": {"observations", "model_calls", "tool_calls", "retrievals", "retries",
// "errors", "max_depth", "planning_iterations", "stop_reason", "stop_observation_id" (null when
// none), "stop_evidence"}, "critical_path": [{"observation_id" (null for time no root covered),
// "start", "end", "duration_ms"}], "self_ms": {observation id: ms}, "findings": [{"kind",
// "message", "observation_ids"}]}. `detail` must hold full observations (inputs, outputs and
// attributes feed the stop reason and the findings); `now_ns` judges spans still open.
model::Json TraceInsightJson(const store::TraceDetail& detail, int64_t now_ns);

}  // namespace trackly::query
