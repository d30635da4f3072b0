#include "server/retention_handlers.h"

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "server/http_status.h"
#include "store/retention.h"

namespace trackly::server {
namespace {

absl::Status NoQuery(const RequestContext& context) {
  if (context.query.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", context.query[0].first, "'"));
}

// A member of the body as a whole number of days. Out of int32 range is reported as
// ValidateRetention would, rather than wrapped into a value that might pass.
absl::StatusOr<int32_t> DaysMember(const model::Json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  if (!it->is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be a whole number of days, got ", it->dump()));
  }
  const bool too_big = it->is_number_unsigned() ? it->get<uint64_t>() > uint64_t{std::numeric_limits<int32_t>::max()}
                                                : it->get<int64_t>() > std::numeric_limits<int32_t>::max();
  const bool too_small = !it->is_number_unsigned() && it->get<int64_t>() < std::numeric_limits<int32_t>::min();
  if (too_big || too_small) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be from 0 (keep forever) to ",
                                                   store::kMaxRetentionDays, " days, got ", it->dump()));
  }
  return static_cast<int32_t>(it->get<int64_t>());
}

absl::StatusOr<store::RetentionRecord> RecordOfBody(const RequestContext& context) {
  model::Json body = model::Json::parse(context.request.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return absl::InvalidArgumentError(R"(body: must be a JSON object {"payload_days": N, "summary_days": M})");
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "payload_days" && key != "summary_days") {
      return absl::InvalidArgumentError(absl::StrCat(key, ": unknown field"));
    }
  }
  store::RetentionRecord record{.project = context.project};
  TRACKLY_ASSIGN_OR_RETURN(record.payload_days, DaysMember(body, "payload_days"));
  TRACKLY_ASSIGN_OR_RETURN(record.summary_days, DaysMember(body, "summary_days"));
  return record;
}

model::Json OwnJson(const std::optional<store::RetentionRecord>& own) {
  if (!own) return nullptr;
  return model::Json{{"payload_days", own->payload_days}, {"summary_days", own->summary_days}};
}

}  // namespace

model::Json RetentionJson(const EffectiveRetention& retention) {
  return model::Json{{"payload_days", retention.record.payload_days},
                     {"summary_days", retention.record.summary_days},
                     {"source", retention.from_project ? "project" : "default"}};
}

model::Json RetentionAuditDetails(const std::optional<store::RetentionRecord>& before,
                                  const std::optional<store::RetentionRecord>& after) {
  return model::Json{{"before", OwnJson(before)}, {"after", OwnJson(after)}};
}

Handler GetRetentionHandler(store::Catalog& catalog, RetentionDefaults defaults) {
  return [&catalog, defaults](RequestContext context, Responder respond) {
    absl::StatusOr<EffectiveRetention> result = [&]() -> absl::StatusOr<EffectiveRetention> {
      TRACKLY_RETURN_IF_ERROR(NoQuery(context));
      return EffectiveRetentionOf(catalog, defaults, context.project);
    }();
    respond(result.ok() ? JsonResponse(http::status::ok, RetentionJson(*result)) : ErrorResponse(result.status()));
  };
}

Handler PutRetentionHandler(store::Catalog& catalog, RetentionExpirer& expirer, AuditLog& audit) {
  return [&catalog, &expirer, &audit](RequestContext context, Responder respond) {
    std::optional<store::RetentionRecord> before;
    absl::StatusOr<store::RetentionRecord> stored = [&]() -> absl::StatusOr<store::RetentionRecord> {
      TRACKLY_RETURN_IF_ERROR(NoQuery(context));
      TRACKLY_ASSIGN_OR_RETURN(store::RetentionRecord record, RecordOfBody(context));
      TRACKLY_RETURN_IF_ERROR(store::ValidateRetention(record));
      // Read just before the put for the audit details; a change by another process in between
      // would show as this one's "before" (the log still has both changes, in order).
      TRACKLY_ASSIGN_OR_RETURN(before, catalog.GetRetention(context.project));
      return catalog.PutRetention(record);
    }();
    if (!stored.ok()) return respond(ErrorResponse(stored.status()));
    expirer.NoteRetention(*stored);
    const model::Json answer = RetentionJson(EffectiveRetention{.record = *stored, .from_project = true});
    respond(RecordedOr(audit,
                       RequestEvent(context, audit_action::kRetentionUpdate, "", RetentionAuditDetails(before, *stored)),
                       JsonResponse(http::status::ok, answer)));
  };
}

Handler DeleteRetentionHandler(store::Catalog& catalog, RetentionDefaults defaults, RetentionExpirer& expirer,
                               AuditLog& audit) {
  return [&catalog, defaults, &expirer, &audit](RequestContext context, Responder respond) {
    absl::StatusOr<std::optional<store::RetentionRecord>> removed =
        [&]() -> absl::StatusOr<std::optional<store::RetentionRecord>> {
      TRACKLY_RETURN_IF_ERROR(NoQuery(context));
      return catalog.RemoveRetention(context.project);
    }();
    if (!removed.ok()) return respond(ErrorResponse(removed.status()));
    const EffectiveRetention now{.record = {.project = context.project,
                                            .payload_days = defaults.payload_days,
                                            .summary_days = defaults.summary_days},
                                 .from_project = false};
    expirer.NoteRetention(now.record);
    respond(RecordedOr(audit,
                       RequestEvent(context, audit_action::kRetentionRemove, "",
                                    RetentionAuditDetails(*removed, std::nullopt)),
                       JsonResponse(http::status::ok, RetentionJson(now))));
  };
}

Handler RunRetentionHandler(RetentionExpirer& expirer, AuditLog& audit) {
  return [&expirer, &audit](RequestContext context, Responder respond) {
    if (absl::Status query = NoQuery(context); !query.ok()) return respond(ErrorResponse(query));
    absl::StatusOr<store::ExpireStats> stats = expirer.RunProject(context.project);
    if (!stats.ok()) return respond(ErrorResponse(stats.status()));
    model::Json counts = {{"partitions_dropped", stats->partitions_dropped},
                          {"traces_cleared", stats->traces_cleared},
                          {"traces_removed", stats->traces_removed}};
    respond(RecordedOr(audit, RequestEvent(context, audit_action::kRetentionRun, "", counts),
                       JsonResponse(http::status::ok, model::Json{{"expired", counts}})));
  };
}

}  // namespace trackly::server
