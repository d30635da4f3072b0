#include "server/cost_handlers.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/time_format.h"
#include "query/cost_recompute.h"
#include "server/http_status.h"
#include "store/model_prices.h"

namespace trackly::server {
namespace {

model::Json EntryJson(const cost::PriceEntry& entry) {
  model::Json json = cost::ToJson(entry);
  json["scope"] = entry.custom ? "project" : "builtin";
  return json;
}

absl::StatusOr<model::Json> ListModels(store::Catalog& catalog, const CatalogPriceSource& prices,
                                       const RequestContext& context) {
  if (!context.query.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", context.query[0].first, "'"));
  }
  // The project's prices come from the Catalog itself, so a change made a moment ago by another
  // process is listed even before this server's pricing picked it up.
  TRACKLY_ASSIGN_OR_RETURN(std::vector<cost::PriceEntry> project_entries,
                           store::LoadProjectPrices(catalog, context.project));
  model::Json data = model::Json::array();
  for (const cost::PriceEntry& entry : project_entries) data.push_back(EntryJson(entry));
  for (const cost::PriceEntry& entry : prices.Current()->builtin_entries()) data.push_back(EntryJson(entry));
  return model::Json{{"data", std::move(data)}};
}

absl::StatusOr<store::RewriteRange> RecomputeRange(const RequestContext& context) {
  store::RewriteRange range{.project = context.project};
  const std::string& body = context.request.body();
  if (body.empty()) return range;
  model::Json json = model::Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError("body: must be a JSON object {\"from\", \"to\"}");
  }
  for (const auto& [key, value] : json.items()) {
    if (key != "from" && key != "to") return absl::InvalidArgumentError(absl::StrCat(key, ": unknown field"));
    if (value.is_null()) continue;
    if (!value.is_string()) return absl::InvalidArgumentError(absl::StrCat(key, ": must be an RFC 3339 time"));
    absl::StatusOr<int64_t> ns = model::ParseTimestamp(value.get<std::string>());
    if (!ns.ok()) return absl::InvalidArgumentError(absl::StrCat(key, ": ", ns.status().message()));
    (key == "from" ? range.from_ns : range.to_ns) = *ns;
  }
  return range;
}

}  // namespace

Handler ListModelsHandler(store::Catalog& catalog, const CatalogPriceSource& prices) {
  return [&catalog, &prices](RequestContext context, Responder respond) {
    absl::StatusOr<model::Json> result = ListModels(catalog, prices, context);
    respond(result.ok() ? JsonResponse(http::status::ok, *result) : ErrorResponse(result.status()));
  };
}

Handler AddModelHandler(store::Catalog& catalog, const CatalogPriceSource& prices, const Clock& clock,
                        AuditLog& audit) {
  return [&catalog, &prices, &clock, &audit](RequestContext context, Responder respond) {
    absl::StatusOr<store::ModelPriceRecord> record =
        catalog.PutModelPrice(context.project, context.request.body(), clock.NowNanos());
    if (!record.ok()) return respond(ErrorResponse(record.status()));
    // Durable now; reload so the next ingested batch is priced with it.
    if (absl::Status reloaded = prices.Reload(); !reloaded.ok()) return respond(ErrorResponse(reloaded));
    absl::StatusOr<cost::PriceEntry> entry = store::ParseModelPrice(record->entry_json);
    if (!entry.ok()) return respond(ErrorResponse(entry.status()));
    respond(RecordedOr(audit, RequestEvent(context, audit_action::kModelPricePut, record->id),
                       JsonResponse(http::status::created, EntryJson(*entry))));
  };
}

Handler RemoveModelHandler(store::Catalog& catalog, const CatalogPriceSource& prices, AuditLog& audit) {
  return [&catalog, &prices, &audit](RequestContext context, Responder respond) {
    const std::string& id = context.path_params.at(0);
    if (absl::Status removed = catalog.RemoveModelPrice(context.project, id); !removed.ok()) {
      return respond(ErrorResponse(removed));
    }
    if (absl::Status reloaded = prices.Reload(); !reloaded.ok()) return respond(ErrorResponse(reloaded));
    respond(RecordedOr(audit, RequestEvent(context, audit_action::kModelPriceRemove, id),
                       JsonResponse(http::status::ok, model::Json{{"id", id}, {"deleted", true}})));
  };
}

Handler RecomputeCostHandler(store::Store& store, const CatalogPriceSource& prices, AuditLog& audit) {
  return [&store, &prices, &audit](RequestContext context, Responder respond) {
    absl::StatusOr<store::RewriteRange> range = RecomputeRange(context);
    if (!range.ok()) return respond(ErrorResponse(range.status()));
    // Reload first: a price changed by the CLI a moment ago must be the one applied.
    if (absl::Status reloaded = prices.Reload(); !reloaded.ok()) return respond(ErrorResponse(reloaded));
    absl::StatusOr<query::RecomputeReport> report = query::RecomputeCosts(store, *prices.Current(), *range);
    if (!report.ok()) return respond(ErrorResponse(report.status()));
    respond(RecordedOr(audit, RequestEvent(context, audit_action::kCostRecompute, "", RecomputeAuditDetails(*range, *report)),
                       JsonResponse(http::status::ok, query::ToJson(*report))));
  };
}

}  // namespace trackly::server
