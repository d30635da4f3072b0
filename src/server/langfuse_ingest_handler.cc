#include "server/langfuse_ingest_handler.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "ingest/decompress.h"
#include "ingest/langfuse/langfuse_response.h"
#include "server/http_status.h"

namespace trackly::server {
namespace {

using ingest::langfuse::LangfuseBatch;
using ingest::langfuse::LangfuseEvent;

HttpResponse MultiStatus(const std::vector<LangfuseEvent>& events) {
  return BodyResponse(http::status::multi_status, "application/json", ingest::langfuse::EncodeMultiStatus(events));
}

}  // namespace

void LangfuseIngestHandler::Handle(RequestContext context, Responder respond) const {
  HttpRequest& request = context.request;
  std::string_view content_encoding = HeaderValue(request, http::field::content_encoding);
  absl::StatusOr<std::string> body = ingest::Decompress(std::move(request.body()), content_encoding, max_body_bytes_);
  if (!body.ok()) return respond(ErrorResponse(body.status()));
  absl::StatusOr<LangfuseBatch> batch = decoder_.Decode(*body, limits_);
  std::string().swap(*body);  // the events hold what they need; free the body while the write waits
  if (!batch.ok()) {
    return respond(BodyResponse(http::status::bad_request, "application/json",
                                ingest::langfuse::EncodeRequestError(
                                    std::string_view(batch.status().message().data(), batch.status().message().size()))));
  }

  store::WriteBatch write{.project = std::move(context.project)};
  for (LangfuseEvent& event : batch->events) {
    if (event.score.has_value()) {
      write.scores.push_back(*std::move(event.score));
      event.score.reset();
      continue;
    }
    if (!event.fragment.has_value()) continue;
    // One event at a time, so a rejection is reported against the event that caused it.
    std::vector<model::ObservationFragment> one;
    one.push_back(*std::move(event.fragment));
    event.fragment.reset();
    normalize::NormalizedFragments normalized = normalizer_.NormalizeFragments(std::move(one), write.project);
    if (normalized.rejected_fragments > 0) {
      event.status = absl::InvalidArgumentError(absl::StrCat("event ", event.id, ": ", normalized.rejection_message));
      continue;
    }
    for (model::ObservationFragment& fragment : normalized.fragments) write.fragments.push_back(std::move(fragment));
  }
  if (write.fragments.empty() && write.scores.empty()) return respond(MultiStatus(batch->events));
  normalizer_.RedactScores(write.scores, write.project);
  write.finish_merged = normalizer_.MergedPricer(write.project);

  auto events = std::make_shared<std::vector<LangfuseEvent>>(std::move(batch->events));
  store_.Write(std::move(write), [respond = std::move(respond), events](absl::Status status) {
    if (!status.ok()) {
      if (status.code() != absl::StatusCode::kUnavailable) {
        LogWarn("storing a Langfuse batch failed: ", status.ToString());
      }
      return respond(ErrorResponse(status));
    }
    respond(MultiStatus(*events));
  });
}

}  // namespace trackly::server
