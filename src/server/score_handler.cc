#include "server/score_handler.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status.h"
#include "model/codec.h"
#include "model/time_format.h"
#include "server/http_status.h"
#include "server/secret.h"

namespace trackly::server {
namespace {

// Longest id, name or source a score may carry; a comment may be longer.
constexpr size_t kMaxShortField = 256;
constexpr size_t kMaxComment = 64 * 1024;

absl::StatusOr<std::string> StringField(const model::Json& body, const char* name, size_t max_bytes, bool required) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required) return absl::InvalidArgumentError(absl::StrCat(name, ": required"));
    return std::string();
  }
  if (!it->is_string()) return absl::InvalidArgumentError(absl::StrCat(name, ": must be a string"));
  const std::string& value = it->get_ref<const std::string&>();
  if (required && value.empty()) return absl::InvalidArgumentError(absl::StrCat(name, ": must not be empty"));
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": longer than ", max_bytes, " bytes"));
  }
  return value;
}

}  // namespace

absl::StatusOr<model::Score> ParseScoreBody(std::string_view text) {
  model::Json body = model::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return absl::InvalidArgumentError("body: must be a JSON object");
  static constexpr const char* kFields[] = {"id", "trace_id", "observation_id", "name", "value",
                                            "data_type", "comment", "source", "time"};
  for (const auto& [key, value] : body.items()) {
    if (std::find_if(std::begin(kFields), std::end(kFields), [&](const char* f) { return key == f; }) ==
        std::end(kFields)) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": unknown field"));
    }
  }
  model::Score score;
  TRACKLY_ASSIGN_OR_RETURN(score.id, StringField(body, "id", kMaxShortField, false));
  TRACKLY_ASSIGN_OR_RETURN(score.trace_id, StringField(body, "trace_id", kMaxShortField, false));
  TRACKLY_ASSIGN_OR_RETURN(score.observation_id, StringField(body, "observation_id", kMaxShortField, false));
  if (score.trace_id.empty() && score.observation_id.empty()) {
    return absl::InvalidArgumentError("trace_id: required (or observation_id)");
  }
  TRACKLY_ASSIGN_OR_RETURN(score.name, StringField(body, "name", kMaxShortField, true));
  TRACKLY_ASSIGN_OR_RETURN(score.comment, StringField(body, "comment", kMaxComment, false));
  TRACKLY_ASSIGN_OR_RETURN(score.source, StringField(body, "source", kMaxShortField, false));
  if (score.source.empty()) score.source = "API";

  auto value = body.find("value");
  if (value == body.end() || value->is_null()) return absl::InvalidArgumentError("value: required");
  if (!value->is_number() && !value->is_string() && !value->is_boolean()) {
    return absl::InvalidArgumentError("value: must be a number, a string or a boolean");
  }
  if (value->is_number_float() && !std::isfinite(value->get<double>())) {
    return absl::InvalidArgumentError("value: must be a finite number");
  }
  if (value->is_string() && value->get_ref<const std::string&>().size() > kMaxShortField) {
    return absl::InvalidArgumentError(absl::StrCat("value: a category longer than ", kMaxShortField, " bytes"));
  }
  TRACKLY_ASSIGN_OR_RETURN(std::string data_type, StringField(body, "data_type", kMaxShortField, false));
  if (!data_type.empty()) {
    const bool matches = (data_type == "numeric" && value->is_number()) ||
                         (data_type == "categorical" && value->is_string()) ||
                         (data_type == "boolean" && value->is_boolean());
    if (data_type != "numeric" && data_type != "categorical" && data_type != "boolean") {
      return absl::InvalidArgumentError("data_type: must be numeric, categorical or boolean");
    }
    if (!matches) return absl::InvalidArgumentError(absl::StrCat("value: does not match data_type ", data_type));
  }
  score.value = *value;

  TRACKLY_ASSIGN_OR_RETURN(std::string time, StringField(body, "time", kMaxShortField, false));
  if (!time.empty()) {
    absl::StatusOr<int64_t> time_ns = model::ParseTimestamp(time);
    if (!time_ns.ok()) return absl::InvalidArgumentError(absl::StrCat("time: ", time_ns.status().message()));
    score.time_ns = *time_ns;
  }
  return score;
}

void ScoreHandler::Post(RequestContext context, Responder respond) const {
  if (!context.query.empty()) {
    return respond(ErrorResponse(
        absl::InvalidArgumentError(absl::StrCat("unknown parameter '", context.query[0].first, "'"))));
  }
  absl::StatusOr<model::Score> score = ParseScoreBody(context.request.body());
  if (!score.ok()) return respond(ErrorResponse(score.status()));
  if (score->id.empty()) {
    absl::StatusOr<std::string> id = RandomHex(16);
    if (!id.ok()) return respond(ErrorResponse(id.status()));
    score->id = *std::move(id);
  }
  if (score->time_ns == 0) score->time_ns = clock_.NowNanos();
  if (score->trace_id.empty()) {
    absl::StatusOr<std::string> trace_id = store_.FindTraceIdOfObservation(context.project, score->observation_id);
    if (!trace_id.ok()) {
      if (absl::IsNotFound(trace_id.status())) {
        return respond(ErrorResponse(absl::NotFoundError(absl::StrCat(
            "observation \"", score->observation_id, "\" not found; give trace_id with observation_id"))));
      }
      return respond(ErrorResponse(trace_id.status()));
    }
    score->trace_id = *std::move(trace_id);
  }
  store::WriteBatch write{.project = context.project};
  write.scores.push_back(*std::move(score));
  normalizer_.RedactScores(write.scores, context.project);
  model::Json stored = model::ToJson(write.scores.front());  // the answer shows what is stored
  store_.Write(std::move(write), [respond = std::move(respond), stored = std::move(stored)](absl::Status status) {
    if (!status.ok()) {
      if (!absl::IsUnavailable(status)) LogWarn("storing a score failed: ", status.ToString());
      return respond(ErrorResponse(status));
    }
    respond(JsonResponse(http::status::created, stored));
  });
}

}  // namespace trackly::server
