#include "server/redaction_handlers.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/time_format.h"
#include "normalize/redaction/rules.h"
#include "server/http_status.h"

namespace trackly::server {
namespace {

absl::StatusOr<model::Json> RedactionJson(const store::RedactionRulesRecord& record,
                                          const CatalogRedactionSource& redaction) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<normalize::RedactionRule> rules,
                           normalize::ParseRedactionRulesText(record.rules_json));
  model::Json builtin = model::Json::array();
  for (std::string_view name : normalize::RedactionClassNames(redaction.classes())) builtin.push_back(name);
  return model::Json{
      {"builtin", std::move(builtin)},
      {"default_rules", normalize::RedactionRulesToJson(redaction.default_rules())["rules"]},
      {"rules", normalize::RedactionRulesToJson(rules)["rules"]},
      {"updated", record.updated_ns > 0 ? model::Json(model::FormatRfc3339Micros(record.updated_ns)) : nullptr}};
}

absl::StatusOr<model::Json> PutRules(store::Catalog& catalog, const CatalogRedactionSource& redaction,
                                     const Clock& clock, const RequestContext& context, size_t* count) {
  if (!context.query.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", context.query[0].first, "'"));
  }
  TRACKLY_ASSIGN_OR_RETURN(std::vector<normalize::RedactionRule> rules,
                           normalize::ParseRedactionRulesText(context.request.body()));
  // Also together with the server's classes and default rules, so what is stored can be applied.
  TRACKLY_RETURN_IF_ERROR(redaction.Check(rules));
  *count = rules.size();
  TRACKLY_ASSIGN_OR_RETURN(store::RedactionRulesRecord record,
                           catalog.PutRedactionRules(context.project, context.request.body(), clock.NowNanos()));
  // Durable now; reload so the next ingested batch is redacted with them.
  TRACKLY_RETURN_IF_ERROR(redaction.Reload());
  return RedactionJson(record, redaction);
}

}  // namespace

Handler GetRedactionHandler(store::Catalog& catalog, const CatalogRedactionSource& redaction) {
  return [&catalog, &redaction](RequestContext context, Responder respond) {
    absl::StatusOr<model::Json> result = [&]() -> absl::StatusOr<model::Json> {
      if (!context.query.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", context.query[0].first, "'"));
      }
      TRACKLY_ASSIGN_OR_RETURN(store::RedactionRulesRecord record, catalog.GetRedactionRules(context.project));
      return RedactionJson(record, redaction);
    }();
    respond(result.ok() ? JsonResponse(http::status::ok, *result) : ErrorResponse(result.status()));
  };
}

Handler PutRedactionHandler(store::Catalog& catalog, const CatalogRedactionSource& redaction, const Clock& clock,
                            AuditLog& audit) {
  return [&catalog, &redaction, &clock, &audit](RequestContext context, Responder respond) {
    size_t count = 0;
    absl::StatusOr<model::Json> result = PutRules(catalog, redaction, clock, context, &count);
    if (!result.ok()) return respond(ErrorResponse(result.status()));
    // The details carry how many rules, never the patterns (they may spell out what they hide).
    respond(RecordedOr(audit, RequestEvent(context, audit_action::kRedactionUpdate, "", model::Json{{"rules", count}}),
                       JsonResponse(http::status::ok, *result)));
  };
}

}  // namespace trackly::server
