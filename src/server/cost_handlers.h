// Handlers of the cost API (docs/api.md "Models and prices", "Cost recompute"): the prices a
// project is charged with, its own custom prices, and re-pricing stored observations. Price changes
// and recomputes are recorded in the audit log (server/audit_log.h) before they answer success.
#pragma once

#include "base/clock.h"
#include "server/audit_log.h"
#include "server/catalog_price_source.h"
#include "server/router.h"
#include "store/catalog.h"
#include "store/store.h"

namespace trackly::server {

// GET /api/v1/models → {"data":[entry]}: the project's own prices ("scope":"project", searched
// first), then the built-in ones ("scope":"builtin"), each in the catalog format with its id.
Handler ListModelsHandler(store::Catalog& catalog, const CatalogPriceSource& prices);
// POST /api/v1/models, body = one entry in the catalog format → 201 with the stored entry. A
// price with the same id is replaced. 400 naming the field for a bad entry or overlapping validity.
Handler AddModelHandler(store::Catalog& catalog, const CatalogPriceSource& prices, const Clock& clock,
                        AuditLog& audit);
// DELETE /api/v1/models/{id} → {"id", "deleted": true}; 404 for an id the project does not have
// (built-in prices cannot be removed).
Handler RemoveModelHandler(store::Catalog& catalog, const CatalogPriceSource& prices, AuditLog& audit);
// POST /api/v1/cost/recompute, body {"from"?, "to"?} (RFC 3339; absent = unbounded) → the
// query::RecomputeReport as JSON. Runs on the I/O thread that received it, until done.
Handler RecomputeCostHandler(store::Store& store, const CatalogPriceSource& prices, AuditLog& audit);

}  // namespace trackly::server
