#include "server/langsmith_handler.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status.h"
#include "ingest/decompress.h"
#include "ingest/media_type.h"
#include "model/codec.h"
#include "server/http_status.h"

namespace trackly::server {
namespace {

using ingest::langsmith::RunBatch;
using ingest::langsmith::RunDecoder;
using ingest::langsmith::RunOperation;
using model::Json;

// What a request left out: malformed runs and, from the normalizer, runs with invalid usage.
struct Rejections {
  Json runs = Json::array();  // [{run_id, message}]
  std::string first_message;
  int64_t count = 0;

  void Add(std::string run_id, std::string message) {
    if (first_message.empty()) first_message = message;
    runs.push_back({{"run_id", std::move(run_id)}, {"message", std::move(message)}});
    ++count;
  }
};

// What a request stored.
struct Accepted {
  int64_t runs = 0;
  int64_t feedback = 0;
  int64_t ignored_parts = 0;
};

HttpResponse AcceptedResponse(const Accepted& accepted) {
  return JsonResponse(http::status::accepted, Json{{"accepted_runs", accepted.runs},
                                                   {"accepted_feedback", accepted.feedback},
                                                   {"ignored_parts", accepted.ignored_parts}});
}

// 400 naming the first rejected item, listing all of them, and saying how many were stored.
HttpResponse RejectedResponse(const Rejections& rejected, const Accepted& accepted) {
  std::string message = rejected.first_message;
  if (rejected.count > 1) absl::StrAppend(&message, " (", rejected.count, " runs or feedback rejected in all)");
  const absl::Status status = absl::InvalidArgumentError(message);
  Json body = ErrorBody(status);
  body["rejected"] = rejected.runs;
  body["accepted_runs"] = accepted.runs;
  body["accepted_feedback"] = accepted.feedback;
  return JsonResponse(HttpErrorOf(status).status, body);
}

}  // namespace

void LangsmithHandler::Info(RequestContext, Responder respond) const {
  // The clients size their batches by uncompressed bytes; half the body cap leaves room for the
  // multipart framing and for their estimate being rough.
  const int64_t batch_bytes = std::max<int64_t>(max_body_bytes_ / 2, 1);
  respond(JsonResponse(
      http::status::ok,
      Json{{"batch_ingest_config",
            {{"use_multipart_endpoint", true},
             {"size_limit", 100},
             {"size_limit_bytes", batch_bytes},
             {"scale_up_qsize_trigger", 1000},
             {"scale_up_nthreads_limit", 16},
             {"scale_down_nempty_trigger", 4}}},
           {"instance_flags",
            {{"gzip_body_enabled", true},
             {"zstd_compression_enabled", true},
             {"dataset_examples_multipart_enabled", false}}}}));
}

void LangsmithHandler::PostBatch(RequestContext context, Responder respond) const {
  Ingest(std::move(context), std::move(respond),
         [](const RunDecoder& decoder, const RequestContext&, std::string_view body) {
           return decoder.DecodeBatch(body);
         });
}

void LangsmithHandler::PostMultipart(RequestContext context, Responder respond) const {
  Ingest(std::move(context), std::move(respond),
         [](const RunDecoder& decoder, const RequestContext& context,
            std::string_view body) -> absl::StatusOr<RunBatch> {
           std::string_view content_type = HeaderValue(context.request, http::field::content_type);
           if (ingest::BareMediaType(content_type) != "multipart/form-data") {
             return ingest::UnsupportedMediaTypeError(absl::StrCat(
                 "Content-Type must be multipart/form-data, got \"", Sv(content_type), "\""));
           }
           return decoder.DecodeMultipart(body, content_type);
         });
}

void LangsmithHandler::PostRun(RequestContext context, Responder respond) const {
  Ingest(std::move(context), std::move(respond),
         [](const RunDecoder& decoder, const RequestContext&, std::string_view body) {
           return decoder.DecodeOne(body, RunOperation::kPost, "");
         });
}

void LangsmithHandler::PatchRun(RequestContext context, Responder respond) const {
  Ingest(std::move(context), std::move(respond),
         [](const RunDecoder& decoder, const RequestContext& context, std::string_view body) {
           return decoder.DecodeOne(body, RunOperation::kPatch, context.path_params.at(0));
         });
}

void LangsmithHandler::PostFeedback(RequestContext context, Responder respond) const {
  absl::StatusOr<std::string> body =
      ingest::Decompress(std::move(context.request.body()),
                         HeaderValue(context.request, http::field::content_encoding), max_body_bytes_);
  if (!body.ok()) return respond(ErrorResponse(body.status()));
  absl::StatusOr<model::Score> score = decoder_.DecodeFeedbackBody(*body);
  if (!score.ok()) return respond(ErrorResponse(score.status()));
  if (absl::Status status = CompleteFeedback(context.project, *score); !status.ok()) {
    return respond(ErrorResponse(status));
  }
  store::WriteBatch write{.project = context.project};
  write.scores.push_back(*std::move(score));
  normalizer_.RedactScores(write.scores, context.project);
  model::Json stored = model::ToJson(write.scores.front());  // the answer shows what is stored
  store_.Write(std::move(write), [respond = std::move(respond), stored = std::move(stored)](absl::Status status) {
    if (!status.ok()) {
      if (status.code() != absl::StatusCode::kUnavailable) {
        LogWarn("storing LangSmith feedback failed: ", status.ToString());
      }
      return respond(ErrorResponse(status));
    }
    respond(JsonResponse(http::status::ok, stored));
  });
}

absl::Status LangsmithHandler::CompleteFeedback(std::string_view project, model::Score& score) const {
  if (score.time_ns == 0) score.time_ns = clock_.NowNanos();
  if (!score.trace_id.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> trace_id = store_.FindTraceIdOfObservation(project, score.observation_id);
  if (absl::IsNotFound(trace_id.status())) {
    return absl::NotFoundError(absl::StrCat("feedback ", score.id, ": run ", score.observation_id,
                                            " not found (send the run first, or give the feedback a trace_id)"));
  }
  TRACKLY_RETURN_IF_ERROR(trace_id.status());
  score.trace_id = *std::move(trace_id);
  return absl::OkStatus();
}

void LangsmithHandler::Ingest(RequestContext context, Responder respond, DecodeBody decode) const {
  // The raw body moves into Decompress (no copy when uncompressed) and is freed once decoded.
  absl::StatusOr<std::string> body =
      ingest::Decompress(std::move(context.request.body()),
                         HeaderValue(context.request, http::field::content_encoding), max_body_bytes_);
  if (!body.ok()) return respond(ErrorResponse(body.status()));
  absl::StatusOr<RunBatch> batch = decode(decoder_, context, *body);
  body->clear();
  if (!batch.ok()) return respond(ErrorResponse(batch.status()));

  Rejections rejected;
  for (ingest::langsmith::RunError& error : batch->errors) {
    rejected.Add(std::move(error.run_id), std::move(error.message));
  }
  normalize::NormalizedFragments normalized =
      normalizer_.NormalizeFragments(std::move(batch->fragments), context.project);
  if (normalized.rejected_fragments > 0) {
    // The normalizer names only the first; its message carries the count.
    rejected.Add("", std::move(normalized.rejection_message));
    rejected.count += normalized.rejected_fragments - 1;
  }
  store::WriteBatch write;
  write.project = context.project;
  for (model::Score& score : batch->scores) {
    absl::Status status = CompleteFeedback(context.project, score);
    if (absl::IsNotFound(status)) {
      rejected.Add(score.observation_id, std::string(status.message()));
      continue;
    }
    if (!status.ok()) return respond(ErrorResponse(status));
    write.scores.push_back(std::move(score));
  }
  normalizer_.RedactScores(write.scores, context.project);
  const Accepted accepted{.runs = static_cast<int64_t>(normalized.fragments.size()),
                          .feedback = static_cast<int64_t>(write.scores.size()),
                          .ignored_parts = batch->ignored_parts};
  if (accepted.runs == 0 && accepted.feedback == 0) {
    return respond(rejected.count > 0 ? RejectedResponse(rejected, accepted) : AcceptedResponse(accepted));
  }

  write.fragments = std::move(normalized.fragments);
  write.finish_merged = normalizer_.MergedPricer(context.project);
  store_.Write(std::move(write), [respond = std::move(respond), rejected = std::move(rejected),
                                  accepted](absl::Status status) {
    if (!status.ok()) {
      if (status.code() != absl::StatusCode::kUnavailable) {
        LogWarn("storing LangSmith runs failed: ", status.ToString());
      }
      return respond(ErrorResponse(status));
    }
    respond(rejected.count > 0 ? RejectedResponse(rejected, accepted) : AcceptedResponse(accepted));
  });
}

}  // namespace trackly::server
