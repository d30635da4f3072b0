// Handlers of the tail sampling API (docs/api.md "Tail sampling"): a project's policy
// (analysis/sampling.h), read with the counts of what it decided, and replaced as a whole. A change
// is recorded in the audit log (server/audit_log.h "sampling.update") before it answers success;
// the trace finisher reads the policy on each pass, so it applies to traces finished from then on.
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/sampling.h"
#include "base/clock.h"
#include "model/json.h"
#include "server/audit_log.h"
#include "server/router.h"
#include "store/catalog.h"

namespace trackly::server {

// Days of counts GET /api/v1/sampling answers by default, and at most.
inline constexpr int64_t kDefaultSamplingCountDays = 30;
inline constexpr int64_t kMaxSamplingCountDays = 366;

// The details of a sampling.update event: the normalized policy (it holds no secrets), the same
// whether the change came through the API or the CLI.
model::Json SamplingAuditDetails(const analysis::SamplingPolicy& policy);

// {"days", "from", "to", "kept", "dropped", "kept_by_reason": {reason: n}, "daily": [{"day",
// "kept", "dropped", "kept_by_reason"}]} over the UTC days [from_day, to_day] (days as
// "YYYY-MM-DD"; `daily` only has the days with decisions, oldest first).
model::Json SamplingCountsToJson(const std::vector<store::SamplingDayCounts>& days, int64_t from_day,
                                 int64_t to_day);

// GET /api/v1/sampling[?days=N] → {"policy": {...}, "updated": time | null, "counts": {...}} of
// the caller's project: the policy as stored (every field; the default, disabled, when none was
// put) and the counts of the last N UTC days, today included (default 30, 1..366). Read from the
// Catalog, so a change made a moment ago by another process shows.
Handler GetSamplingHandler(store::Catalog& catalog, const Clock& clock);
// PUT /api/v1/sampling, body a policy → {"policy": {...}, "updated": time}, the stored policy
// (normalized). Replaces the project's policy. 400 naming the field; then nothing changes and
// nothing is recorded.
Handler PutSamplingHandler(store::Catalog& catalog, const Clock& clock, AuditLog& audit);

}  // namespace trackly::server
