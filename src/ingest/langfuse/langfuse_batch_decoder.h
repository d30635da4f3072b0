// Langfuse batch ingestion bodies (POST /api/public/ingestion, shared/reference/wire-formats.md
// §6a) → observation fragments and scores. The mapping is documented in docs/integrations.md
// ("Langfuse"); in short:
//   - trace-create becomes the trace's ROOT observation: id = trace id, type span, carrying the
//     trace's name, user, session, tags, metadata, environment and release as trace hints, and
//     the trace input/output as its own; repeated trace-create events of one id are its updates;
//   - every observation event (span/generation/event/agent/tool/chain/retriever/evaluator/
//     embedding/guardrail-create, span/generation-update, legacy observation-create/update)
//     becomes a fragment of its observation; a create without parentObservationId is a child of
//     the trace root; a create without traceId starts a trace of its own with itself as root;
//   - score-create becomes a model::Score; sdk-log is acknowledged and dropped.
// Each envelope event is decoded on its own: a malformed one is reported with its id and the
// rest of the batch is kept. Nothing in a body can name the project (it comes from the key).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ingest/decoder.h"
#include "model/observation.h"
#include "model/observation_fragment.h"

namespace trackly::ingest::langfuse {

// One envelope event of a batch, decoded.
struct LangfuseEvent {
  std::string id;        // the envelope id, as reported back in the 207 reply
  absl::Status status;   // OK, or InvalidArgument saying why this event was rejected
  std::optional<model::ObservationFragment> fragment;  // trace and observation events
  std::optional<model::Score> score;                   // score-create
};

struct LangfuseBatch {
  std::vector<LangfuseEvent> events;  // in batch order; sdk-log events have neither fragment nor score
};

// Thread-safe (stateless).
class LangfuseBatchDecoder {
 public:
  // InvalidArgument for a body that is not JSON, nests deeper than limits.max_nesting_depth, or
  // has no `batch` array (the whole request is then a 400); otherwise one LangfuseEvent per batch
  // element. Strings longer than limits.max_attribute_value_bytes are not cut here: Langfuse
  // bodies are limited as a whole by the server's body cap.
  absl::StatusOr<LangfuseBatch> Decode(std::string_view body, const DecodeLimits& limits) const;
};

}  // namespace trackly::ingest::langfuse
