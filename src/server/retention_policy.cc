#include "server/retention_policy.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "base/status.h"

namespace trackly::server {

absl::StatusOr<EffectiveRetention> EffectiveRetentionOf(store::Catalog& catalog, const RetentionDefaults& defaults,
                                                        std::string_view project) {
  TRACKLY_ASSIGN_OR_RETURN(std::optional<store::RetentionRecord> own, catalog.GetRetention(project));
  if (own) return EffectiveRetention{.record = *std::move(own), .from_project = true};
  return EffectiveRetention{.record = {.project = std::string(project),
                                       .payload_days = defaults.payload_days,
                                       .summary_days = defaults.summary_days},
                            .from_project = false};
}

absl::StatusOr<std::vector<store::RetentionRecord>> EffectiveRetentions(store::Catalog& catalog,
                                                                        const RetentionDefaults& defaults) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::Project> projects, catalog.ListProjects());
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::RetentionRecord> own, catalog.ListRetention());
  std::sort(projects.begin(), projects.end(),
            [](const store::Project& a, const store::Project& b) { return a.name < b.name; });
  std::sort(own.begin(), own.end(),
            [](const store::RetentionRecord& a, const store::RetentionRecord& b) { return a.project < b.project; });
  // Both sorted by name: one merge walk instead of a lookup per project.
  std::vector<store::RetentionRecord> out;
  out.reserve(projects.size());
  auto next_own = own.begin();
  for (const store::Project& project : projects) {
    while (next_own != own.end() && next_own->project < project.name) ++next_own;
    if (next_own != own.end() && next_own->project == project.name) {
      out.push_back(*next_own);
    } else {
      out.push_back({.project = project.name, .payload_days = defaults.payload_days,
                     .summary_days = defaults.summary_days});
    }
  }
  return out;
}

}  // namespace trackly::server
