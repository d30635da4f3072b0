#include "server/process_rules_handlers.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "server/http_status.h"

namespace trackly::server {
namespace {

absl::Status CheckNoQuery(const RequestContext& context) {
  if (context.query.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", context.query[0].first, "'"));
}

// The stored text parsed again, so the answer is built the same way whatever wrote it (this
// server, another one, or the CLI).
absl::StatusOr<std::vector<analysis::ProcessRule>> StoredRules(const store::ProcessRulesRecord& record) {
  absl::StatusOr<std::vector<analysis::ProcessRule>> rules = analysis::ParseProcessRulesText(record.rules_json);
  if (!rules.ok()) {
    // It was validated when put, so this is a damaged catalog, not a bad request.
    return absl::InternalError(
        absl::StrCat("stored process rules of project \"", record.project, "\": ", rules.status().message()));
  }
  return rules;
}

}  // namespace

model::Json ProcessRulesAuditDetails(const std::vector<analysis::ProcessRule>& rules) {
  model::Json names = model::Json::array();
  for (const analysis::ProcessRule& rule : rules) names.push_back(rule.name);
  return model::Json{{"rules", rules.size()}, {"names", std::move(names)}};
}

Handler GetProcessRulesHandler(store::Catalog& catalog) {
  return [&catalog](RequestContext context, Responder respond) {
    absl::StatusOr<model::Json> result = [&]() -> absl::StatusOr<model::Json> {
      TRACKLY_RETURN_IF_ERROR(CheckNoQuery(context));
      TRACKLY_ASSIGN_OR_RETURN(store::ProcessRulesRecord record, catalog.GetProcessRules(context.project));
      TRACKLY_ASSIGN_OR_RETURN(std::vector<analysis::ProcessRule> rules, StoredRules(record));
      return analysis::ProcessRulesToJson(rules);
    }();
    respond(result.ok() ? JsonResponse(http::status::ok, *result) : ErrorResponse(result.status()));
  };
}

Handler PutProcessRulesHandler(store::Catalog& catalog, const Clock& clock, AuditLog& audit) {
  return [&catalog, &clock, &audit](RequestContext context, Responder respond) {
    std::vector<analysis::ProcessRule> rules;
    absl::Status status = [&]() -> absl::Status {
      TRACKLY_RETURN_IF_ERROR(CheckNoQuery(context));
      // The catalog validates too; parsing here first gives the answer and audit details without
      // a second read.
      TRACKLY_ASSIGN_OR_RETURN(rules, analysis::ParseProcessRulesText(context.request.body()));
      return catalog.PutProcessRules(context.project, context.request.body(), clock.NowNanos()).status();
    }();
    if (!status.ok()) return respond(ErrorResponse(status));
    respond(RecordedOr(audit,
                       RequestEvent(context, audit_action::kRulesUpdate, "", ProcessRulesAuditDetails(rules)),
                       JsonResponse(http::status::ok, analysis::ProcessRulesToJson(rules))));
  };
}

}  // namespace trackly::server
