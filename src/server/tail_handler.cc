#include "server/tail_handler.h"

#include <limits>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/codec.h"
#include "model/time_format.h"
#include "query/param_setters.h"
#include "server/http_status.h"
#include "store/store.h"

namespace trackly::server {
namespace {

using model::Json;

using query::ParseNonNegative;
using Setter = query::ParamSetter<TailRequest>;

absl::Status ParseInteger(std::string_view value, int64_t min, int64_t max, int64_t* out) {
  int64_t number = 0;
  if (!absl::SimpleAtoi(Sv(value), &number) || number < min || number > max) {
    return absl::InvalidArgumentError(absl::StrCat("must be an integer from ", min, " to ", max));
  }
  *out = number;
  return absl::OkStatus();
}

Setter Text(std::string TailFilter::*member) {
  return [member](std::string_view value, TailRequest& request) {
    request.filter.*member = std::string(value);
    return absl::OkStatus();
  };
}

const query::ParamSetters<TailRequest>& Setters() {
  static const auto* const setters = new query::ParamSetters<TailRequest>{
      {"after",
       [](std::string_view v, TailRequest& r) {
         int64_t after = 0;
         TRACKLY_RETURN_IF_ERROR(ParseInteger(v, 0, std::numeric_limits<int64_t>::max(), &after));
         r.after = after;
         return absl::OkStatus();
       }},
      {"wait_ms", [](std::string_view v, TailRequest& r) { return ParseInteger(v, 0, kMaxTailWaitMs, &r.wait_ms); }},
      {"limit",
       [](std::string_view v, TailRequest& r) {
         int64_t limit = 0;
         TRACKLY_RETURN_IF_ERROR(ParseInteger(v, 1, store::kMaxListLimit, &limit));
         r.limit = static_cast<int>(limit);
         return absl::OkStatus();
       }},
      {"type",
       [](std::string_view v, TailRequest& r) {
         model::ObservationType type;
         if (!model::ParseObservationType(v, &type)) {
           return absl::InvalidArgumentError(
               "must be one of span, generation, embedding, tool, retriever, reranker, agent, chain, evaluator, "
               "guardrail, event");
         }
         r.filter.type = type;
         return absl::OkStatus();
       }},
      {"status",
       [](std::string_view v, TailRequest& r) {
         if (v != "ok" && v != "error") return absl::InvalidArgumentError("must be ok or error");
         r.filter.error = v == "error";
         return absl::OkStatus();
       }},
      {"name", Text(&TailFilter::name)},
      {"trace_name", Text(&TailFilter::trace_name)},
      {"model", Text(&TailFilter::model)},
      {"environment", Text(&TailFilter::environment)},
      {"release", Text(&TailFilter::release)},
      {"user_id", Text(&TailFilter::user_id)},
      {"session_id", Text(&TailFilter::session_id)},
      {"min_latency_ms",
       [](std::string_view v, TailRequest& r) { return ParseNonNegative(v, &r.filter.min_latency_ms); }},
      {"min_cost", [](std::string_view v, TailRequest& r) { return ParseNonNegative(v, &r.filter.min_cost); }},
  };
  return *setters;
}

// Null for what is not known, so clients need not tell "" from "not said".
Json TextOrNull(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }
Json TimeOrNull(int64_t ns) { return ns == 0 ? Json(nullptr) : Json(model::FormatRfc3339Micros(ns)); }

}  // namespace

absl::StatusOr<TailRequest> ParseTailRequest(const query::QueryParams& params) {
  TailRequest request;
  TRACKLY_RETURN_IF_ERROR(query::ApplyParams(params, Setters(), request));
  return request;
}

Json TailEntryJson(const TailEntry& e, bool raw_io) {
  const std::optional<double> latency = e.latency_ms();
  Json json{{"seq", e.seq},
            {"trace_id", TextOrNull(e.trace_id)},
            {"id", e.observation_id},
            {"parent_id", TextOrNull(e.parent_id)},
            {"trace_name", TextOrNull(e.trace_name)},
            {"type", e.type ? Json(model::ToString(*e.type)) : Json(nullptr)},
            {"name", TextOrNull(e.name)},
            {"model", TextOrNull(e.model)},
            {"status", model::ToString(e.status)},
            {"level", model::ToString(e.level)},
            {"start_time", TimeOrNull(e.start_time_ns)},
            {"end_time", TimeOrNull(e.end_time_ns)},
            {"latency_ms", latency ? Json(*latency) : Json(nullptr)},
            {"usage", model::ToJson(e.usage)},
            {"cost", {{"total", e.cost_usd}, {"currency", "USD"}}},
            {"environment", TextOrNull(e.environment)},
            {"release", TextOrNull(e.release)},
            {"user_id", TextOrNull(e.user_id)},
            {"session_id", TextOrNull(e.session_id)},
            {"input_preview", raw_io ? TextOrNull(e.input_preview) : Json(nullptr)},
            {"output_preview", raw_io ? TextOrNull(e.output_preview) : Json(nullptr)},
            {"update", e.update}};
  return json;
}

Json TailResultJson(const TailResult& result, bool raw_io) {
  Json data = Json::array();
  for (const TailEntry& entry : result.entries) data.push_back(TailEntryJson(entry, raw_io));
  Json json{{"data", std::move(data)}, {"next", result.next}, {"dropped", result.dropped}};
  if (!raw_io) json["raw_io_withheld"] = true;
  return json;
}

Handler TailHandler(LiveTail& tail) {
  return [&tail](RequestContext context, Responder respond) {
    absl::StatusOr<TailRequest> request = ParseTailRequest(context.query);
    if (!request.ok()) return respond(ErrorResponse(request.status()));
    const bool raw_io = context.raw_io;
    // `respond` is needed again when Poll refuses, so the answer callback gets a copy.
    absl::Status status = tail.Poll(context.project, *request, [raw_io, respond](TailResult result) {
      respond(JsonResponse(http::status::ok, TailResultJson(result, raw_io)));
    });
    if (!status.ok()) respond(ErrorResponse(status));
  };
}

}  // namespace trackly::server
