// JSON form of the canonical model: exactly the shapes of the API (DESIGN.md, docs/api.md).
// FromJson accepts what ToJson produces (round trip); stores use it for their payload column.
//
// Hot paths (every ingested span is encoded once, every read decodes) use the text functions
// AppendJson and ParseObservationJson: same text and same results as going through a Json tree,
// several times faster.
#pragma once

#include <cstdint>
#include <limits>
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

// The earliest time the text of an observation holds exactly: the first whole microsecond after
// int64's first microsecond, which is before any time the text can write.
inline constexpr int64_t kEarliestExactTimeNs = std::numeric_limits<int64_t>::min() / 1000 * 1000 + 1000;

// Appends exactly DumpJson(ToJson(x)) to `out`, without building the Json tree.
// For an observation, returns whether the text holds every value exactly, so that
// ParseObservationJson of it gives back `observation`: false when a time is not in whole
// microseconds (the text floors it) or is before kEarliestExactTimeNs, a number is not finite (written as null), a string is not
// valid UTF-8 (written with replacement characters), a value is binary, or a field read back as
// an object (attributes, metadata, model parameters) is not one.
bool AppendJson(const Observation& observation, std::string* out);
void AppendJson(const Trace& trace, std::string* out);

// InvalidArgument naming the field when `json` is not the shape ToJson produces.
absl::StatusOr<Observation> ObservationFromJson(const Json& json);

// The detail of an observation: every field no summary reads, so that a store keeping the
// summary fields in columns (store/sqlite/payload.h) need not repeat them. The text is the
// observation's JSON (AppendJson's shape, keys sorted) reduced to "attributes", "events",
// "input", "metadata", "model_parameters", "output", "prompt", "service_name",
// "status_message", "tool", "redactions" (when > 0), cost "price_id" and usage "estimated"
// (when set), plus "type", "status" and "level" so that ParseObservationJson reads it (the other
// fields then have their defaults), and it starts with kDetailJsonPrefix.
// MergeDetail(ParseObservationJson(text), summary) gives back the observation whose summary
// fields `summary` holds.
inline constexpr std::string_view kDetailJsonPrefix = "{\"$detail\":1";
void AppendDetailJson(const Observation& observation, std::string* out);
// Moves the detail fields (above) of `detail` into `summary`.
void MergeDetail(Observation&& detail, Observation& summary);

// InvalidArgument naming the field when `json` is not the shape ToJson(Score) produces.
absl::StatusOr<Score> ScoreFromJson(const Json& json);

// ObservationFromJson(Json::parse(text)): the same observation or the same error, and
// InvalidArgument when `text` is not JSON. Thread-safe.
absl::StatusOr<Observation> ParseObservationJson(std::string_view text);

// Which fields of an observation's text ParseObservationJson reads.
enum class ObservationFields {
  kAll,
  // All but the free-form fields: input, output, metadata, attributes, events and
  // model_parameters keep their defaults. For a reader that keeps the text for those (a store
  // writing it as the payload), and is spared building them.
  kSummary,
};

// ParseObservationJson(text) read into `out`, a default Observation, but for the fields `fields`
// leaves out: those are neither read nor checked. `out` is unspecified after an error.
absl::Status ParseObservationJson(std::string_view text, ObservationFields fields, Observation& out);

}  // namespace trackly::model
