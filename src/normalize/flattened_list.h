// Rebuilds lists that OpenInference and OpenLLMetry flatten into attribute keys
// (`llm.input_messages.0.message.role`, `gen_ai.prompt.1.tool_calls.0.name`,
// `retrieval.documents.3.document.score`) into JSON arrays of nested objects.
#pragma once

#include <cstdint>
#include <string_view>

#include "normalize/attribute_reader.h"

namespace trackly::normalize {

// Indexes above this (at any level) are not rebuilt; their keys stay in the leftovers.
inline constexpr int64_t kMaxFlattenedIndex = 10'000;
// Keys with more path segments than this after the index are not rebuilt.
inline constexpr int kMaxFlattenedDepth = 16;

// Collects every `<prefix><index>[.<path>]` key (prefix includes the trailing dot) into an array
// ordered by index, gaps closed (memory is proportional to the keys present, never to the
// largest index). Path segments become nested objects; an object whose keys are all indexes
// becomes an array. Keys that were rebuilt are consumed; keys that are not canonical (index not
// a plain decimal, above kMaxFlattenedIndex, too deep, or colliding with a scalar at the same
// path) stay in the leftovers. Returns an empty array when no key matched.
Json RebuildFlattened(AttributeReader& attributes, std::string_view prefix);

// Consumes the keys RebuildFlattened would take, without building anything (for lists that are
// an alternative rendering of content already mapped from another source).
void ConsumeFlattened(AttributeReader& attributes, std::string_view prefix);

}  // namespace trackly::normalize
