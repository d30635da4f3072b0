// What the analyses read off one tool call (docs/insight.md "Tool calls").
#pragma once

#include <string>
#include <string_view>

#include "model/observation.h"

namespace trackly::analysis {

// The tool's name: tool.name when set, else the observation's name.
std::string_view ToolName(const model::Observation& observation);

// Whether the observation failed: status error or timeout, or level error.
bool Failed(const model::Observation& observation);

// The tool call's arguments (its input) in canonical form (json_text.h CanonicalJson), so calls
// whose arguments differ only in key order or whitespace have equal keys.
std::string ArgumentsKey(const model::Observation& observation);

}  // namespace trackly::analysis
