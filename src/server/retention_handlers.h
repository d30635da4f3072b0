// Handlers of the retention API (docs/api.md "Retention"): how long the caller's project keeps
// its traces, and setting or removing its own retention. A change is recorded in the audit log
// (server/audit_log.h "retention.update", "retention.remove") before it answers success; the
// details hold the project's own retention before and after ({"payload_days", "summary_days"},
// null when it had or has none of its own), the same whether the change came through the API or
// the CLI.
#pragma once

#include <optional>

#include "model/json.h"
#include "server/audit_log.h"
#include "server/retention_expirer.h"
#include "server/retention_policy.h"
#include "server/router.h"
#include "store/catalog.h"

namespace trackly::server {

// {"payload_days": N, "summary_days": M, "source": "project" | "default"}: the API's answer.
model::Json RetentionJson(const EffectiveRetention& retention);

// The details of a retention.update / retention.remove event: {"before": own, "after": own}, each
// {"payload_days", "summary_days"} or null.
model::Json RetentionAuditDetails(const std::optional<store::RetentionRecord>& before,
                                  const std::optional<store::RetentionRecord>& after);

// GET /api/v1/retention → RetentionJson of the caller's project. Read from the Catalog, so a
// change made a moment ago by another process shows.
Handler GetRetentionHandler(store::Catalog& catalog, RetentionDefaults defaults);
// PUT /api/v1/retention, body {"payload_days": N, "summary_days": M} (both required, whole
// numbers) → as GET after the change. 400 naming the field for a body that is not such an object
// or fails store::ValidateRetention. The store is told at once (RetentionExpirer::NoteRetention).
Handler PutRetentionHandler(store::Catalog& catalog, RetentionExpirer& expirer, AuditLog& audit);
// DELETE /api/v1/retention → as GET after the change: the project follows the defaults again.
// Audited also when the project had none of its own (before and after null). The store is told.
Handler DeleteRetentionHandler(store::Catalog& catalog, RetentionDefaults defaults, RetentionExpirer& expirer,
                               AuditLog& audit);
// POST /api/v1/retention/run → {"expired": {"partitions_dropped", "traces_cleared",
// "traces_removed"}}: the caller's project's retention applied now (RetentionExpirer::RunProject),
// blocking until the store is done; audited as retention.run with those counts.
Handler RunRetentionHandler(RetentionExpirer& expirer, AuditLog& audit);

}  // namespace trackly::server
