#include "ingest/langfuse/langfuse_response.h"

#include "model/json.h"

namespace trackly::ingest::langfuse {

std::string EncodeMultiStatus(std::span<const LangfuseEvent> events) {
  model::Json successes = model::Json::array();
  model::Json errors = model::Json::array();
  for (const LangfuseEvent& event : events) {
    if (event.status.ok()) {
      successes.push_back({{"id", event.id}, {"status", 201}});
    } else if (event.status.code() == absl::StatusCode::kInvalidArgument) {
      errors.push_back({{"id", event.id},
                        {"status", 400},
                        {"message", "Invalid request data"},
                        {"error", std::string(event.status.message())}});
    } else {
      errors.push_back({{"id", event.id}, {"status", 500}, {"error", "Internal Server Error"}});
    }
  }
  return model::DumpJson({{"successes", std::move(successes)}, {"errors", std::move(errors)}});
}

std::string EncodeRequestError(std::string_view reason) {
  return model::DumpJson({{"message", "Invalid request data"}, {"errors", model::Json::array({reason})}});
}

}  // namespace trackly::ingest::langfuse
