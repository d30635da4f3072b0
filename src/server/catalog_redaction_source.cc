#include "server/catalog_redaction_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status.h"

namespace trackly::server {

using normalize::RedactionRule;
using normalize::Redactor;

absl::StatusOr<std::unique_ptr<CatalogRedactionSource>> CatalogRedactionSource::Create(
    normalize::RedactionClasses classes, std::vector<RedactionRule> default_rules, store::Catalog& catalog,
    const Clock& clock) {
  TRACKLY_ASSIGN_OR_RETURN(std::shared_ptr<const Redactor> base, Redactor::Create(classes, default_rules));
  std::unique_ptr<CatalogRedactionSource> source(
      new CatalogRedactionSource(classes, std::move(default_rules), std::move(base), catalog, clock));
  TRACKLY_RETURN_IF_ERROR(source->Reload());
  return source;
}

CatalogRedactionSource::CatalogRedactionSource(normalize::RedactionClasses classes,
                                               std::vector<RedactionRule> default_rules,
                                               std::shared_ptr<const Redactor> base, store::Catalog& catalog,
                                               const Clock& clock)
    : classes_(classes),
      default_rules_(std::move(default_rules)),
      base_(base),
      catalog_(catalog),
      snapshot_(
          "redaction rules", std::make_shared<const Redactors>(Redactors{.base = std::move(base)}),
          [&catalog] { return catalog.RedactionRulesVersion(); }, [this] { return Load(); }, clock) {}

std::shared_ptr<const Redactor> CatalogRedactionSource::For(std::string_view project) const {
  const std::shared_ptr<const Redactors> redactors = snapshot_.Current();
  if (auto it = redactors->by_project.find(Sv(project)); it != redactors->by_project.end()) return it->second;
  return redactors->base;
}

absl::StatusOr<std::shared_ptr<const Redactor>> CatalogRedactionSource::Build(
    const std::vector<RedactionRule>& project_rules) const {
  std::vector<RedactionRule> rules = default_rules_;
  rules.insert(rules.end(), project_rules.begin(), project_rules.end());
  return Redactor::Create(classes_, rules);
}

absl::Status CatalogRedactionSource::Check(const std::vector<RedactionRule>& project_rules) const {
  return Build(project_rules).status();
}

absl::StatusOr<std::shared_ptr<const CatalogRedactionSource::Redactors>> CatalogRedactionSource::Load() const {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::RedactionRulesRecord> records, catalog_.ListRedactionRules());
  auto redactors = std::make_shared<Redactors>(Redactors{.base = base_});
  for (const store::RedactionRulesRecord& record : records) {
    absl::StatusOr<std::shared_ptr<const Redactor>> redactor =
        [&]() -> absl::StatusOr<std::shared_ptr<const Redactor>> {
      TRACKLY_ASSIGN_OR_RETURN(std::vector<RedactionRule> rules, normalize::ParseRedactionRulesText(record.rules_json));
      return Build(rules);
    }();
    // Stored rules were checked when they were put; failing here means the whole reload fails, so
    // the previous redactors (with the project's previous rules) stay in effect.
    if (!redactor.ok()) {
      return absl::DataLossError(
          absl::StrCat("stored redaction rules of project ", record.project, ": ", redactor.status().message()));
    }
    redactors->by_project.emplace(record.project, *std::move(redactor));
  }
  return redactors;
}

}  // namespace trackly::server
