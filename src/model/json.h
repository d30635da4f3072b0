// The JSON value type used across the canonical model (inputs, outputs, metadata, attributes).
#pragma once

#include <nlohmann/json.hpp>

namespace trackly::model {

// A JSON value. Objects keep keys sorted, so serialization is deterministic.
using Json = nlohmann::json;

// Serializes compactly. Invalid UTF-8 in strings is replaced, never thrown.
std::string DumpJson(const Json& value);

}  // namespace trackly::model
