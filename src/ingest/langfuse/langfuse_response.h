// Reply bodies of POST /api/public/ingestion (shared/reference/wire-formats.md §6a). Langfuse
// clients parse every reply as JSON, even errors, so every reply has a JSON body.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "ingest/langfuse/langfuse_batch_decoder.h"

namespace trackly::ingest::langfuse {

// The 207 multi-status body: {"successes":[{"id","status":201}], "errors":[{"id","status",
// "message","error"}]}, one entry per event in batch order. An event whose status is
// InvalidArgument is a 400 "Invalid request data" with the reason in "error"; any other non-OK
// status is a 500 "Internal Server Error".
std::string EncodeMultiStatus(std::span<const LangfuseEvent> events);

// The body of a whole-request 400 (no batch array, not JSON): {"message":"Invalid request
// data","errors":[reason]}.
std::string EncodeRequestError(std::string_view reason);

}  // namespace trackly::ingest::langfuse
