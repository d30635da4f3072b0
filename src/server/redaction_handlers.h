// Handlers of the redaction API (docs/api.md "Redaction"): what a project's data is redacted with,
// and replacing its own rules. A change is recorded in the audit log (server/audit_log.h
// "redaction.update") before it answers success, and applies from the next ingested batch.
#pragma once

#include "base/clock.h"
#include "server/audit_log.h"
#include "server/catalog_redaction_source.h"
#include "server/router.h"
#include "store/catalog.h"

namespace trackly::server {

// GET /api/v1/redaction → {"builtin": [class names], "default_rules": [rule] (the server's
// redact_rules option, every project), "rules": [rule] (the project's own), "updated": RFC 3339
// time of the last change or null}. Read from the Catalog, so a change made a moment ago by
// another process shows.
Handler GetRedactionHandler(store::Catalog& catalog, const CatalogRedactionSource& redaction);
// PUT /api/v1/redaction, body {"rules": [rule]} → as GET after the change. Replaces the project's
// rules ([] removes them). 400 naming the bad rule.
Handler PutRedactionHandler(store::Catalog& catalog, const CatalogRedactionSource& redaction, const Clock& clock,
                            AuditLog& audit);

}  // namespace trackly::server
