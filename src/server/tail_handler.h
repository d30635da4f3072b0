// GET /api/v1/tail (docs/api.md): the live tail of the caller's project (server/live_tail.h) as a
// long poll. The request waits without holding an I/O thread: the LiveTail keeps the Responder.
#pragma once

#include "absl/status/statusor.h"
#include "model/json.h"
#include "query/query_params.h"
#include "server/live_tail.h"
#include "server/router.h"

namespace trackly::server {

// after (an integer >= 0), wait_ms (0..30000, default 25000), limit (1..1000, default 100), and
// the filters type, name, trace_name, model, status (ok | error), environment, release, user_id,
// session_id (exact match), min_latency_ms, min_cost (numbers >= 0). An empty value counts as not
// given. InvalidArgument naming the parameter for an unknown or repeated one or a bad value.
absl::StatusOr<TailRequest> ParseTailRequest(const query::QueryParams& params);

// One entry as the API shows it: {seq, trace_id, id, parent_id, trace_name, type, name, model,
// status, level, start_time, end_time, latency_ms, usage, cost, environment, release, user_id,
// session_id, input_preview, output_preview, update}; unknown values are null. `raw_io` false
// leaves the previews null.
model::Json TailEntryJson(const TailEntry& entry, bool raw_io);

// {"data": [entry…], "next", "dropped"}, plus "raw_io_withheld": true when `raw_io` is false.
model::Json TailResultJson(const TailResult& result, bool raw_io);

// GET /api/v1/tail. The handler borrows `tail`, which must outlive it.
Handler TailHandler(LiveTail& tail);

}  // namespace trackly::server
