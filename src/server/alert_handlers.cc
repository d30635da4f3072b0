#include "server/alert_handlers.h"

#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/time_format.h"
#include "server/http_status.h"
#include "server/secret.h"
#include "server/webhook_sender.h"

namespace trackly::server {
namespace {

using model::Json;

Json TimeOrNull(int64_t time_ns) { return time_ns == 0 ? Json(nullptr) : Json(model::FormatRfc3339Micros(time_ns)); }

Json StatusJson(const AlertStatus& status) {
  Json out = {{"state", status.state},
              {"since", TimeOrNull(status.since_ns)},
              {"evaluated", TimeOrNull(status.evaluated_ns)},
              {"value", status.value ? Json(*status.value) : Json(nullptr)},
              {"count", status.count}};
  if (!status.note.empty()) out["note"] = status.note;
  return out;
}

// The answer of GET and PUT: the rules in their normal form, each with its status.
Json RulesAnswer(const AlertApi& api, const RequestContext& context, const store::AlertRulesRecord& record,
                 const std::vector<store::AlertRule>& rules, bool admin) {
  const std::vector<AlertStatus> statuses = api.evaluator.Statuses(context.project, rules);
  Json list = Json::array();
  for (size_t i = 0; i < rules.size(); ++i) {
    Json rule = store::AlertRuleToJson(rules[i]);
    rule["status"] = StatusJson(statuses[i]);
    list.push_back(std::move(rule));
  }
  Json out = {{"rules", std::move(list)}, {"interval_s", api.interval_s}};
  if (admin) out["webhook_secret"] = record.webhook_secret.empty() ? Json(nullptr) : Json(record.webhook_secret);
  return out;
}

absl::Status CheckNoQuery(const RequestContext& context) {
  if (context.query.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", context.query[0].first, "'"));
}

struct EventsParams {
  int limit = 50;
  std::string alert;
};

absl::StatusOr<EventsParams> ParseEventsParams(const query::QueryParams& params) {
  EventsParams out;
  for (const auto& [name, value] : params) {
    if (name == "limit") {
      if (!absl::SimpleAtoi(value, &out.limit) || out.limit < 1 || out.limit > store::kMaxListLimit) {
        return absl::InvalidArgumentError(
            absl::StrCat("parameter 'limit': must be an integer from 1 to ", store::kMaxListLimit));
      }
    } else if (name == "alert") {
      if (value.empty()) return absl::InvalidArgumentError("parameter 'alert': must not be empty");
      out.alert = value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", name, "'"));
    }
  }
  return out;
}

}  // namespace

Json AlertRulesAuditDetails(const std::vector<store::AlertRule>& rules) {
  Json names = Json::array();
  for (const store::AlertRule& rule : rules) names.push_back(rule.name);
  return Json{{"rules", rules.size()}, {"names", std::move(names)}};
}

absl::StatusOr<std::string> NewWebhookSecret() {
  TRACKLY_ASSIGN_OR_RETURN(std::string random, RandomHex(32));
  return absl::StrCat("whsec_", random);
}

absl::StatusOr<std::vector<store::AlertRule>> StoredAlertRules(const store::AlertRulesRecord& record) {
  absl::StatusOr<std::vector<store::AlertRule>> rules = store::ParseAlertRulesText(record.rules_json);
  if (!rules.ok()) {
    return absl::InternalError(
        absl::StrCat("stored alert rules of project \"", record.project, "\": ", rules.status().message()));
  }
  return rules;
}

Json AlertEventJson(const store::AlertEvent& event) {
  return Json{{"id", event.id},
              {"alert", event.alert},
              {"time", model::FormatRfc3339Micros(event.time_ns)},
              {"state", store::ToString(event.state)},
              {"value", event.value},
              {"threshold", event.threshold},
              {"delivery", store::ToString(event.delivery.state)},
              {"attempts", event.delivery.attempts},
              {"http_status", event.delivery.http_status == 0 ? Json(nullptr) : Json(event.delivery.http_status)},
              {"error", event.delivery.error.empty() ? Json(nullptr) : Json(event.delivery.error)}};
}

Handler GetAlertsHandler(const AlertApi& api) {
  return [api](RequestContext context, Responder respond) {
    absl::StatusOr<Json> result = [&]() -> absl::StatusOr<Json> {
      TRACKLY_RETURN_IF_ERROR(CheckNoQuery(context));
      TRACKLY_ASSIGN_OR_RETURN(store::AlertRulesRecord record, api.catalog.GetAlertRules(context.project));
      TRACKLY_ASSIGN_OR_RETURN(std::vector<store::AlertRule> rules, StoredAlertRules(record));
      // The route needs the read scope; the secret goes only to a caller that also holds admin.
      const bool admin = (context.scopes & store::kScopeAdmin) != 0;
      return RulesAnswer(api, context, record, rules, admin);
    }();
    respond(result.ok() ? JsonResponse(http::status::ok, *result) : ErrorResponse(result.status()));
  };
}

Handler PutAlertsHandler(const AlertApi& api) {
  return [api](RequestContext context, Responder respond) {
    std::vector<store::AlertRule> rules;
    store::AlertRulesRecord record;
    absl::Status status = [&]() -> absl::Status {
      TRACKLY_RETURN_IF_ERROR(CheckNoQuery(context));
      // The catalog checks the rules too, but cannot know the server's address policy.
      const bool allow_private = api.allow_private_webhooks;
      auto check = [allow_private](std::string_view url) { return CheckWebhookUrl(url, allow_private); };
      TRACKLY_ASSIGN_OR_RETURN(rules, store::ParseAlertRulesText(context.request.body(), check));
      TRACKLY_ASSIGN_OR_RETURN(std::string secret, NewWebhookSecret());
      TRACKLY_ASSIGN_OR_RETURN(record, api.catalog.PutAlertRules(context.project, context.request.body(), secret,
                                                                 api.clock.NowNanos()));
      return absl::OkStatus();
    }();
    if (!status.ok()) return respond(ErrorResponse(status));
    respond(RecordedOr(api.audit,
                       RequestEvent(context, audit_action::kAlertsUpdate, "", AlertRulesAuditDetails(rules)),
                       JsonResponse(http::status::ok, RulesAnswer(api, context, record, rules, /*admin=*/true))));
  };
}

Handler ListAlertEventsHandler(const AlertApi& api) {
  return [api](RequestContext context, Responder respond) {
    absl::StatusOr<Json> result = [&]() -> absl::StatusOr<Json> {
      TRACKLY_ASSIGN_OR_RETURN(EventsParams params, ParseEventsParams(context.query));
      TRACKLY_ASSIGN_OR_RETURN(
          std::vector<store::AlertEvent> events,
          api.catalog.ListAlertEvents({.project = context.project, .alert = params.alert, .limit = params.limit}));
      Json data = Json::array();
      for (const store::AlertEvent& event : events) data.push_back(AlertEventJson(event));
      return Json{{"data", std::move(data)}};
    }();
    respond(result.ok() ? JsonResponse(http::status::ok, *result) : ErrorResponse(result.status()));
  };
}

Handler TestAlertHandler(const AlertApi& api) {
  return [api](RequestContext context, Responder respond) {
    absl::Status status = [&]() -> absl::Status {
      std::string name;
      for (const auto& [param, value] : context.query) {
        if (param != "name") return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", param, "'"));
        name = value;
      }
      if (name.empty()) return absl::InvalidArgumentError("parameter 'name' is required (the rule's name)");
      TRACKLY_ASSIGN_OR_RETURN(store::AlertRulesRecord record, api.catalog.GetAlertRules(context.project));
      TRACKLY_ASSIGN_OR_RETURN(std::vector<store::AlertRule> rules, StoredAlertRules(record));
      for (const store::AlertRule& rule : rules) {
        if (rule.name != name) continue;
        const std::optional<double> value = api.evaluator.Statuses(context.project, {rule}).front().value;
        std::string body =
            model::DumpJson(AlertPayload(context.project, rule, "test", value, api.clock.NowNanos()));
        // Answered from the sender's thread once the delivery has ended.
        api.send_test(rule.webhook, std::move(body), record.webhook_secret, [respond, name](WebhookResult result) {
          respond(JsonResponse(
              http::status::ok,
              Json{{"alert", name},
                   {"delivered", result.delivered},
                   {"attempts", result.attempts},
                   {"http_status", result.http_status == 0 ? Json(nullptr) : Json(result.http_status)},
                   {"error", result.error.empty() ? Json(nullptr) : Json(result.error)}}));
        });
        return absl::OkStatus();
      }
      return absl::NotFoundError(absl::StrCat("alert rule \"", name, "\" not found"));
    }();
    if (!status.ok()) respond(ErrorResponse(status));
  };
}

}  // namespace trackly::server
