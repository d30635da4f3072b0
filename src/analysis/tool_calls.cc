#include "analysis/tool_calls.h"

#include "analysis/json_text.h"

namespace trackly::analysis {

std::string_view ToolName(const model::Observation& observation) {
  if (observation.tool.has_value() && !observation.tool->name.empty()) return observation.tool->name;
  return observation.name;
}

bool Failed(const model::Observation& observation) {
  return observation.is_error() || observation.status == model::Status::kTimeout;
}

std::string ArgumentsKey(const model::Observation& observation) { return CanonicalJson(observation.input); }

}  // namespace trackly::analysis
