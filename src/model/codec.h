// JSON form of the canonical model: exactly the shapes of the API (DESIGN.md, docs/api.md).
// FromJson accepts what ToJson produces (round trip); stores use it for their payload column.
//
// Hot paths (every ingested span is encoded once, every read decodes) use the text functions
// AppendJson and ParseObservationJson: same text and same results as going through a Json tree,
// several times faster.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "model/json.h"
#include "model/observation.h"

namespace trackly::model {

Json ToJson(const Usage& usage);
Json ToJson(const Cost& cost);
Json ToJson(const Observation& observation);
Json ToJson(const TraceCounts& counts);
Json ToJson(const Trace& trace);
Json ToJson(const Session& session);
Json ToJson(const Score& score);

// Appends exactly DumpJson(ToJson(x)) to `out`, without building the Json tree.
void AppendJson(const Observation& observation, std::string* out);
void AppendJson(const Trace& trace, std::string* out);

// InvalidArgument naming the field when `json` is not the shape ToJson produces.
absl::StatusOr<Observation> ObservationFromJson(const Json& json);

// InvalidArgument naming the field when `json` is not the shape ToJson(Score) produces.
absl::StatusOr<Score> ScoreFromJson(const Json& json);

// ObservationFromJson(Json::parse(text)): the same observation or the same error, and
// InvalidArgument when `text` is not JSON. Thread-safe.
absl::StatusOr<Observation> ParseObservationJson(std::string_view text);

}  // namespace trackly::model
