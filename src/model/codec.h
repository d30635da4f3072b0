// JSON form of the canonical model: exactly the shapes of the API (DESIGN.md, docs/api.md).
// FromJson accepts what ToJson produces (round trip); stores use it for their payload column.
#pragma once

#include "absl/status/statusor.h"
#include "model/json.h"
#include "model/observation.h"

namespace trackly::model {

Json ToJson(const Usage& usage);
Json ToJson(const Cost& cost);
Json ToJson(const Observation& observation);
Json ToJson(const Trace& trace);
Json ToJson(const Session& session);
Json ToJson(const Score& score);

// InvalidArgument naming the field when `json` is not the shape ToJson produces.
absl::StatusOr<Observation> ObservationFromJson(const Json& json);

}  // namespace trackly::model
