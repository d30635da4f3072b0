// The redaction the server applies to each project's data: the built-in classes of the `redact`
// option, the rules of the `redact_rules` option (every project) and the project's own rules from
// the Catalog (docs/security.md "Redaction"), kept current while the server runs.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "base/clock.h"
#include "normalize/redaction/redactor.h"
#include "normalize/redaction/rules.h"
#include "server/catalog_snapshot.h"
#include "store/catalog.h"

namespace trackly::server {

// Thread-safe. Kept current through Catalog::RedactionRulesVersion() as CatalogSnapshot says: a
// change through this server's API applies from the next batch (the handler calls Reload()), one
// through another process on the same data directory (`trackly redaction set`) within about a
// second. Compiled redactors are cached per project and rebuilt only when the version moves, so
// For() costs a map lookup.
class CatalogRedactionSource final : public normalize::RedactorSource {
 public:
  // InvalidArgument when `default_rules` do not compile. `catalog` and `clock` must outlive this.
  static absl::StatusOr<std::unique_ptr<CatalogRedactionSource>> Create(
      normalize::RedactionClasses classes, std::vector<normalize::RedactionRule> default_rules,
      store::Catalog& catalog, const Clock& clock);

  std::shared_ptr<const normalize::Redactor> For(std::string_view project) const override;

  // Rebuilds from the Catalog now, whatever its version says.
  absl::Status Reload() const { return snapshot_.Reload(); }

  // Whether `project_rules` compile together with the built-in classes and default rules
  // (InvalidArgument naming the rule otherwise); the API checks this before storing them.
  absl::Status Check(const std::vector<normalize::RedactionRule>& project_rules) const;

  normalize::RedactionClasses classes() const { return classes_; }
  const std::vector<normalize::RedactionRule>& default_rules() const { return default_rules_; }

 private:
  struct Redactors {
    std::shared_ptr<const normalize::Redactor> base;  // projects without rules of their own
    absl::flat_hash_map<std::string, std::shared_ptr<const normalize::Redactor>> by_project;
  };

  CatalogRedactionSource(normalize::RedactionClasses classes, std::vector<normalize::RedactionRule> default_rules,
                         std::shared_ptr<const normalize::Redactor> base, store::Catalog& catalog, const Clock& clock);
  absl::StatusOr<std::shared_ptr<const normalize::Redactor>> Build(
      const std::vector<normalize::RedactionRule>& project_rules) const;
  absl::StatusOr<std::shared_ptr<const Redactors>> Load() const;

  const normalize::RedactionClasses classes_;
  const std::vector<normalize::RedactionRule> default_rules_;
  const std::shared_ptr<const normalize::Redactor> base_;
  store::Catalog& catalog_;
  CatalogSnapshot<Redactors> snapshot_;
};

}  // namespace trackly::server
