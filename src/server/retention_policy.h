// The retention each project follows (docs/security.md "Retention"): its own record in the
// Catalog when it has one, else the server's defaults (options retention_payload_days and
// retention_summary_days, server/options.h).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "store/catalog.h"

namespace trackly::server {

// What a project without a record of its own follows; 0 = keep forever. Valid as
// store::ValidateRetention says (ValidateServerOptions checks the options).
struct RetentionDefaults {
  int32_t payload_days = 0;  // days a trace keeps its full payloads
  int32_t summary_days = 0;  // days a trace keeps its summary
};

// A project's retention and where it comes from.
struct EffectiveRetention {
  store::RetentionRecord record;  // record.project is the project asked for
  bool from_project = false;      // true: the project's own record; false: the defaults
};

// The retention `project` follows. One catalog read. NotFound if the project does not exist; the
// catalog's error otherwise (Unimplemented from a backend without retention).
absl::StatusOr<EffectiveRetention> EffectiveRetentionOf(store::Catalog& catalog, const RetentionDefaults& defaults,
                                                        std::string_view project);

// The retention of every project of the catalog, by project name. Two catalog reads whatever the
// number of projects (ListProjects and ListRetention), so the expirer can call it once per pass.
// A record of a project that no longer exists is left out.
absl::StatusOr<std::vector<store::RetentionRecord>> EffectiveRetentions(store::Catalog& catalog,
                                                                        const RetentionDefaults& defaults);

}  // namespace trackly::server
