#include "server/sampling_handlers.h"

#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status.h"
#include "model/time_format.h"
#include "server/http_status.h"
#include "store/store.h"

namespace trackly::server {
namespace {

std::string DayText(int64_t day) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(day * 86'400), absl::UTCTimeZone());
}

model::Json TallyJson(const store::SamplingTally& tally) {
  model::Json reasons = model::Json::object();
  for (const auto& [reason, traces] : tally.kept_by_reason) reasons[reason] = traces;
  return model::Json{{"kept", tally.kept}, {"dropped", tally.dropped}, {"kept_by_reason", std::move(reasons)}};
}

// The days of counts a GET asks for: ?days=N, nothing else.
absl::StatusOr<int64_t> CountDays(const RequestContext& context) {
  int64_t days = kDefaultSamplingCountDays;
  bool seen = false;
  for (const auto& [name, value] : context.query) {
    if (name != "days") return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", name, "'"));
    if (seen) return absl::InvalidArgumentError("days: given twice");
    seen = true;
    if (!absl::SimpleAtoi(value, &days) || days < 1 || days > kMaxSamplingCountDays) {
      return absl::InvalidArgumentError(
          absl::StrCat("days: must be a whole number from 1 to ", kMaxSamplingCountDays, ", got '", value, "'"));
    }
  }
  return days;
}

// The stored text parsed again, so the answer is built the same way whatever wrote it.
absl::StatusOr<analysis::SamplingPolicy> StoredPolicy(const store::SamplingPolicyRecord& record) {
  absl::StatusOr<analysis::SamplingPolicy> policy = analysis::ParseSamplingPolicyText(record.policy_json);
  if (!policy.ok()) {
    // It was validated when put, so this is a damaged catalog, not a bad request.
    return absl::InternalError(
        absl::StrCat("stored sampling policy of project \"", record.project, "\": ", policy.status().message()));
  }
  return policy;
}

model::Json UpdatedJson(int64_t updated_ns) {
  return updated_ns == 0 ? model::Json(nullptr) : model::Json(model::FormatRfc3339Micros(updated_ns));
}

}  // namespace

model::Json SamplingAuditDetails(const analysis::SamplingPolicy& policy) {
  return analysis::SamplingPolicyToJson(policy);
}

model::Json SamplingCountsToJson(const std::vector<store::SamplingDayCounts>& days, int64_t from_day,
                                 int64_t to_day) {
  store::SamplingTally total;
  model::Json daily = model::Json::array();
  for (const store::SamplingDayCounts& day : days) {
    total.kept += day.tally.kept;
    total.dropped += day.tally.dropped;
    for (const auto& [reason, traces] : day.tally.kept_by_reason) total.kept_by_reason[reason] += traces;
    model::Json entry = TallyJson(day.tally);
    entry["day"] = DayText(day.day);
    daily.push_back(std::move(entry));
  }
  model::Json out = TallyJson(total);
  out["days"] = to_day - from_day + 1;
  out["from"] = DayText(from_day);
  out["to"] = DayText(to_day);
  out["daily"] = std::move(daily);
  return out;
}

Handler GetSamplingHandler(store::Catalog& catalog, const Clock& clock) {
  return [&catalog, &clock](RequestContext context, Responder respond) {
    absl::StatusOr<model::Json> result = [&]() -> absl::StatusOr<model::Json> {
      TRACKLY_ASSIGN_OR_RETURN(int64_t days, CountDays(context));
      TRACKLY_ASSIGN_OR_RETURN(store::SamplingPolicyRecord record, catalog.GetSamplingPolicy(context.project));
      TRACKLY_ASSIGN_OR_RETURN(analysis::SamplingPolicy policy, StoredPolicy(record));
      const int64_t today = store::DayOf(clock.NowNanos());
      TRACKLY_ASSIGN_OR_RETURN(std::vector<store::SamplingDayCounts> counts,
                               catalog.ListSamplingCounts(context.project, today - days + 1, today));
      return model::Json{{"policy", analysis::SamplingPolicyToJson(policy)},
                         {"updated", UpdatedJson(record.updated_ns)},
                         {"counts", SamplingCountsToJson(counts, today - days + 1, today)}};
    }();
    respond(result.ok() ? JsonResponse(http::status::ok, *result) : ErrorResponse(result.status()));
  };
}

Handler PutSamplingHandler(store::Catalog& catalog, const Clock& clock, AuditLog& audit) {
  return [&catalog, &clock, &audit](RequestContext context, Responder respond) {
    analysis::SamplingPolicy policy;
    int64_t updated_ns = 0;
    absl::Status status = [&]() -> absl::Status {
      if (!context.query.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", context.query[0].first, "'"));
      }
      // The catalog validates too; parsing here first gives the answer and audit details without
      // a second read.
      TRACKLY_ASSIGN_OR_RETURN(policy, analysis::ParseSamplingPolicyText(context.request.body()));
      TRACKLY_ASSIGN_OR_RETURN(store::SamplingPolicyRecord record,
                               catalog.PutSamplingPolicy(context.project, context.request.body(), clock.NowNanos()));
      updated_ns = record.updated_ns;
      return absl::OkStatus();
    }();
    if (!status.ok()) return respond(ErrorResponse(status));
    respond(RecordedOr(audit, RequestEvent(context, audit_action::kSamplingUpdate, "", SamplingAuditDetails(policy)),
                       JsonResponse(http::status::ok, model::Json{{"policy", analysis::SamplingPolicyToJson(policy)},
                                                                  {"updated", UpdatedJson(updated_ns)}})));
  };
}

}  // namespace trackly::server
