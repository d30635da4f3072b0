// The `payload` column of the observations table: one observation as the JSON of model::ToJson,
// zstd-compressed when it is large enough for that to pay off. A blob starting with the zstd frame
// magic is compressed; anything else is plain JSON text (a JSON object starts with '{').
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "model/observation.h"

namespace trackly::store::sqlite {

// The codec keeps microseconds (the API's precision), so the store floors every timestamp of an
// observation to whole microseconds before using it: then a summary computed from the written
// observation equals one computed from what a later read decodes.
void FloorTimesToMicros(model::Observation& observation);
// `ns` floored to a whole microsecond (towards the past, also before 1970). A time within int64's
// first two microseconds, whose floor the codec cannot keep (or int64 cannot hold), becomes the
// earliest one it can: model::kEarliestExactTimeNs (-9223372036854774000).
int64_t FloorToMicros(int64_t ns);

// JSON of `observation`, compressed when the JSON is at least `compress_min_bytes` long.
std::string EncodePayload(const model::Observation& observation, size_t compress_min_bytes);
// The same from JSON already made: `json`, compressed when it is at least `compress_min_bytes`
// long. DecodePayload of it is model::ParseObservationJson(json).
std::string EncodeJsonPayload(std::string_view json, size_t compress_min_bytes);

// Internal (corrupt row) when the blob does not decode.
absl::StatusOr<model::Observation> DecodePayload(std::string_view blob);

// The payload of a row that keeps its summary fields in the observations columns (payload
// partitions, from layout 10 on): only the observation's detail (model::AppendDetailJson), so
// the ~40 summary fields are not stored twice. Compressed like EncodePayload.
std::string EncodeDetailPayload(const model::Observation& observation, size_t compress_min_bytes);

// A stored payload, either form: `observation` is the whole observation (EncodePayload, every
// row written before layout 10), or, when `detail_only`, only its detail fields, to be merged
// into the summary read from the row's columns (model::MergeDetail).
struct StoredPayload {
  model::Observation observation;
  bool detail_only = false;
};
absl::StatusOr<StoredPayload> DecodeStoredPayload(std::string_view blob);

}  // namespace trackly::store::sqlite
