// The LangSmith runs API under /langsmith (shared/reference/wire-formats.md §7; docs/api.md,
// docs/integrations.md "LangSmith"), for the langsmith SDKs with LANGSMITH_ENDPOINT=<server>/langsmith:
//
//   GET   /langsmith/info            what this server supports, in the shape the clients read
//   POST  /langsmith/runs/batch      {"post":[run…],"patch":[run…]}
//   POST  /langsmith/runs/multipart  multipart/form-data, one part per run field
//   POST  /langsmith/runs            one run (create)
//   PATCH /langsmith/runs/{id}       one run (update)
//   POST  /langsmith/feedback        one feedback (the clients' createFeedback)
//
// Every run operation becomes an observation fragment (ingest/langsmith/run_decoder.h), normalized
// by normalize::BatchNormalizer and written to the caller's project; the store merges a run's
// post and patches, and prices the merge (WriteBatch::finish_merged). Feedback (multipart
// "feedback.<id>" parts and POST /feedback) becomes a score of the run, stored in the same write;
// feedback without a trace_id takes its run's trace from the store
// (Store::FindTraceIdOfObservation), and is rejected, naming the run, when the run is not stored.
// Content-Encoding (gzip, zstd, deflate) is undone under the body cap: 413 beyond it. Replies are
// sent once the write is durable:
//   202 {"accepted_runs": N, "accepted_feedback": F, "ignored_parts": M}
//                                                          everything stored
//   400 {"error": {...}, "rejected": [{"run_id","message"}], "accepted_runs": N, "accepted_feedback": F}
//                                                          some runs or feedback malformed; the
//                                                          good ones of the same request ARE stored
//   400 / 413 / 415                                        the body as a whole is unusable
//   503 + Retry-After                                      the store is full; nothing stored
// POST /feedback answers 200 with the stored score (model JSON), 400 naming a bad field, or 404
// naming a run that is not stored when the feedback has no trace_id.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/clock.h"
#include "ingest/decoder.h"
#include "ingest/langsmith/run_decoder.h"
#include "normalize/batch_normalizer.h"
#include "server/router.h"
#include "store/store.h"

namespace trackly::server {

// Thread-safe; borrows everything it is given.
class LangsmithHandler {
 public:
  // `clock` stamps feedback that carries no created_at.
  LangsmithHandler(const normalize::BatchNormalizer& normalizer, store::Store& store, const Clock& clock,
                   const ingest::DecodeLimits& limits, int64_t max_body_bytes)
      : normalizer_(normalizer), store_(store), clock_(clock), decoder_(limits), max_body_bytes_(max_body_bytes) {}

  // GET /langsmith/info: multipart ingest with gzip / zstd bodies, batches sized to the body cap.
  void Info(RequestContext context, Responder respond) const;
  // The run endpoints. Decode and normalize on the calling (I/O) thread; `respond` is called
  // from the store's callback.
  void PostBatch(RequestContext context, Responder respond) const;
  void PostMultipart(RequestContext context, Responder respond) const;
  void PostRun(RequestContext context, Responder respond) const;
  void PatchRun(RequestContext context, Responder respond) const;
  // POST /langsmith/feedback. Decodes on the calling thread; `respond` is called from the store's
  // callback.
  void PostFeedback(RequestContext context, Responder respond) const;

 private:
  // Decodes the (decompressed) body of one request.
  using DecodeBody = absl::StatusOr<ingest::langsmith::RunBatch> (*)(
      const ingest::langsmith::RunDecoder& decoder, const RequestContext& context,
      std::string_view body);
  void Ingest(RequestContext context, Responder respond, DecodeBody decode) const;
  // Stamps a feedback score without a time with the clock, and gives one without a trace id the
  // trace of its run. NotFound naming the run when the store does not have it.
  absl::Status CompleteFeedback(std::string_view project, model::Score& score) const;

  const normalize::BatchNormalizer& normalizer_;
  store::Store& store_;
  const Clock& clock_;
  const ingest::langsmith::RunDecoder decoder_;
  const int64_t max_body_bytes_;
};

}  // namespace trackly::server
