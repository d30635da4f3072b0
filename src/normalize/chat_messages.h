// Chat content from any convention → the canonical message list
// `[{role, content, tool_calls?, tool_call_id?, name?, finish_reason?}]` (docs/conventions.md).
#pragma once

#include <optional>
#include <string_view>

#include "model/json.h"

namespace trackly::normalize {

using model::Json;

struct ChatOptions {
  // Role given to message objects that carry none (flattened and event sources omit it);
  // empty = an object without a role is not a message.
  std::string_view default_role;
  // Content strings holding a JSON array of typed parts are parsed (OpenLLMetry writes
  // multimodal content that way).
  bool parse_json_content = false;
};

// Returns the canonical list when `value` is chat content in a known shape, else nullopt.
// Recognized: an array of messages (OTel GenAI `{role, parts}`, OpenAI/Anthropic/Vercel
// `{role, content}`, OpenInference `{message: {role, content|contents, tool_calls}}`), a single
// message object, a request wrapper `{messages, system?, prompt?}` (OpenAI request body, Vercel
// `ai.prompt`) and an OpenAI response `{choices: [{message|text, finish_reason}]}`.
// Message content becomes a string when it is only text parts (joined by "\n"), null when empty,
// else the list of non-tool-call parts. Tool calls in any spelling become `{id, name, arguments}`
// with `arguments` parsed when it is JSON text.
std::optional<Json> ToChatMessages(const Json& value, const ChatOptions& options);

// `[{id, name, arguments}]` from a list of tool calls in any supported spelling (OpenAI
// `{id, function: {name, arguments}}`, OpenInference `{tool_call: …}`, Vercel
// `{toolCallId, toolName, input|args}`, flat `{id, name, arguments}`); nullopt when `value` is not
// a list of objects.
std::optional<Json> ToToolCalls(const Json& value);

}  // namespace trackly::normalize
