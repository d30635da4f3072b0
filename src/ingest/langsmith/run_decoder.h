// LangSmith runs → observation fragments, and LangSmith feedback → scores. A run arrives as a post
// (create) and often a later patch (update), in one of three request shapes: POST /runs/batch
// {"post":[…],"patch":[…]}, POST /runs/multipart (one part per field, multipart_reader.h) and
// POST /runs / PATCH /runs/{id} with one run. Each run operation becomes one
// model::ObservationFragment; the store merges the fragments of a run whatever order they arrive
// in. The wire format is shared/reference/wire-formats.md §7; the mapping (§8.2) is documented in
// docs/integrations.md ("LangSmith").
//
// Feedback (the clients' createFeedback: POST /feedback with one object, or a multipart
// "feedback.<id>" part) becomes a model::Score: id → id, run_id → observation_id (LangSmith run
// ids are observation ids), trace_id → trace_id, key → name, score (a number or bool) or else
// value (a number, string or bool; an object or array becomes its JSON text) → value, comment →
// comment, feedback_source.type → source (default "api"), created_at → time.
//
// What the decoder does not do: it never picks the project (session_name is ignored; the project
// comes from the credential), does not turn chat content into the canonical message list and does
// not price (normalize::BatchNormalizer does both, for every format).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ingest/decoder.h"
#include "ingest/langsmith/multipart_reader.h"
#include "model/json.h"
#include "model/observation.h"
#include "model/observation_fragment.h"

namespace trackly::ingest::langsmith {

enum class RunOperation { kPost, kPatch };

// A run left out of a request, and why.
struct RunError {
  std::string run_id;   // empty when the run has no usable id
  std::string message;  // names the run and the field: "run 01a2…: start_time: not a time"
};

struct RunBatch {
  std::vector<model::ObservationFragment> fragments;  // one per accepted run operation, in order
  std::vector<RunError> errors;                       // runs left out, in request order
  // Multipart feedback.<id> parts, decoded (DecodeFeedback); a bad one lands in errors.
  std::vector<model::Score> scores;
  // Multipart parts the server does not keep: unknown names and attachment.<id>.<name>.
  int64_t ignored_parts = 0;
};

// Thread-safe (immutable).
class RunDecoder {
 public:
  explicit RunDecoder(const DecodeLimits& limits = {}, const MultipartLimits& multipart = {})
      : limits_(limits), multipart_(multipart) {}

  // POST /runs/batch. InvalidArgument when the body is not a JSON object whose "post" and
  // "patch" (both optional) are arrays; a run that is bad on its own lands in errors.
  absl::StatusOr<RunBatch> DecodeBatch(std::string_view body) const;

  // POST /runs (kPost, `path_run_id` empty) and PATCH /runs/{id} (kPatch): one run object. A
  // patch without "id" takes `path_run_id`; one with a different id is an error.
  absl::StatusOr<RunBatch> DecodeOne(std::string_view body, RunOperation operation,
                                     std::string_view path_run_id) const;

  // POST /runs/multipart with its Content-Type header value. Parts named "post.<id>" /
  // "patch.<id>" carry the run; "<op>.<id>.<field>" (inputs, outputs, events, extra, error,
  // serialized) carry one field each, in any order. InvalidArgument when the body is not
  // multipart/form-data; ResourceExhausted for too many parts.
  absl::StatusOr<RunBatch> DecodeMultipart(std::string_view body,
                                           std::string_view content_type) const;

  // One feedback object → its score. trace_id is empty when the feedback has none (the caller
  // finds it from the run), time_ns 0 when it has no created_at (the caller stamps the time of
  // receipt). InvalidArgument "feedback <id>: <field>: ..." when id or key is missing, neither
  // run_id nor trace_id is given, neither score nor value is, or a field has the wrong type.
  absl::StatusOr<model::Score> DecodeFeedback(const model::Json& feedback) const;

  // POST /feedback: DecodeFeedback of the body, which must be one JSON object.
  absl::StatusOr<model::Score> DecodeFeedbackBody(std::string_view body) const;

  // One run object → its fragment. InvalidArgument naming the field (not the run; callers add
  // it) when a field has the wrong type, a time does not parse, dotted_order is malformed or
  // disagrees with id, or a post's trace cannot be determined.
  absl::StatusOr<model::ObservationFragment> DecodeRun(const model::Json& run,
                                                       RunOperation operation) const;

 private:
  // Decodes every run of `runs` (and nested child_runs) into `out`.
  void DecodeRuns(std::vector<model::Json>&& runs, RunOperation operation, RunBatch& out) const;

  const DecodeLimits limits_;
  const MultipartLimits multipart_;
};

}  // namespace trackly::ingest::langsmith
