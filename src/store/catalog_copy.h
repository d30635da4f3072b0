// Copies what one catalog holds into another, through the Catalog interface (store/catalog.h):
// how a ClickHouse deployment adopts the catalog.db its nodes kept before the catalog moved into
// ClickHouse (docs/scale-out.md "The catalog").
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "store/catalog.h"

namespace trackly::store {

// What CopyCatalog copied.
struct CatalogCopyCounts {
  int64_t projects = 0;
  int64_t keys = 0;
  int64_t users = 0;
  int64_t audit_events = 0;
};

// Copies into `to` every project, key, user, role, project price, rules document (redaction,
// process, alert rules with the webhook secret), sampling policy and count, retention, alert event
// (the newest kMaxAlertEventsPerProject, with their delivery) and audit event of `from`. Records
// `to` already has (the same project, key id or user name) are kept as they are. Alert and audit
// events get new ids in `to`, in the same order. Not copied: UI sessions and sign-in links (people
// sign in again), and the webhook secret of a project that has no alert rules left. Stops at the
// first error; run again, it copies what is still missing (events are appended again).
absl::StatusOr<CatalogCopyCounts> CopyCatalog(Catalog& from, Catalog& to);

}  // namespace trackly::store
