// Handlers of the process rules API (docs/api.md "Process rules"): what every run of a project's
// agents must do (analysis/process_rules.h), read and replaced as one list. A change is recorded
// in the audit log (server/audit_log.h "rules.update") before it answers success; the trace
// finisher reads the rules on each pass, so they apply to traces finished from then on.
#pragma once

#include <vector>

#include "analysis/process_rules.h"
#include "base/clock.h"
#include "model/json.h"
#include "server/audit_log.h"
#include "server/router.h"
#include "store/catalog.h"

namespace trackly::server {

// The details of a rules.update event: {"rules": count, "names": [rule names in order]}, the same
// whether the change came through the API or the CLI.
model::Json ProcessRulesAuditDetails(const std::vector<analysis::ProcessRule>& rules);

// GET /api/v1/rules → {"rules": [rule]} of the caller's project ([] when it has none). Read from
// the Catalog, so a change made a moment ago by another process shows.
Handler GetProcessRulesHandler(store::Catalog& catalog);
// PUT /api/v1/rules, body {"rules": [rule]} → the stored {"rules": [rule]} (normalized). Replaces
// the project's rules ([] removes them). 400 with the parser's message naming the bad rule and
// field; then nothing changes and nothing is recorded.
Handler PutProcessRulesHandler(store::Catalog& catalog, const Clock& clock, AuditLog& audit);

}  // namespace trackly::server
