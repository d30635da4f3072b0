// POST /api/v1/scores (docs/api.md "Scores"): a score (an evaluation, user feedback, a label) on a
// trace or one of its observations, from any client.
#pragma once

#include "base/clock.h"
#include "model/observation.h"
#include "normalize/batch_normalizer.h"
#include "server/router.h"
#include "store/store.h"

namespace trackly::server {

// Reads a score body: {"id"?, "trace_id"?, "observation_id"?, "name", "value", "data_type"?,
// "comment"?, "source"?, "time"?}. `value` is a number, a string or a boolean; data_type
// ("numeric", "categorical", "boolean"), when given, must match it. At least one of trace_id and
// observation_id. InvalidArgument naming the field otherwise. Leaves id and time_ns 0/empty
// when absent (the handler fills them), source "API" when absent.
absl::StatusOr<model::Score> ParseScoreBody(std::string_view body);

// Thread-compatible; its methods are const and borrow everything, which must outlive it.
class ScoreHandler {
 public:
  ScoreHandler(const normalize::BatchNormalizer& normalizer, store::Store& store, const Clock& clock)
      : normalizer_(normalizer), store_(store), clock_(clock) {}

  // Stores the score (an upsert on its id: posting an id again replaces that score) and answers
  // 201 with it as stored (redacted, with its id and time). A score naming only an observation
  // gets its trace id from the store (404 when the project has no such observation). Ingest scope.
  void Post(RequestContext context, Responder respond) const;

 private:
  const normalize::BatchNormalizer& normalizer_;
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace trackly::server
