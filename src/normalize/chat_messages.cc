#include "normalize/chat_messages.h"

#include <string>
#include <utility>

#include "normalize/attribute_reader.h"

namespace trackly::normalize {
namespace {

// The first of `keys` present in `object`, or nullptr.
const Json* FirstMember(const Json& object, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    if (const Json* v = Member(object, key); v && !v->is_null()) return v;
  }
  return nullptr;
}

Json ToolArguments(const Json* arguments) {
  if (arguments == nullptr) return nullptr;
  return ParseIfJson(*arguments);
}

std::optional<Json> ToToolCall(const Json& raw) {
  if (!raw.is_object()) return std::nullopt;
  const Json* inner = Member(raw, "tool_call");  // OpenInference wraps each call
  const Json& call = inner && inner->is_object() ? *inner : raw;
  const Json* function = Member(call, "function");
  if (function && !function->is_object()) function = nullptr;
  Json out = Json::object();
  const Json* id = FirstMember(call, {"id", "toolCallId", "tool_call_id"});
  out["id"] = id ? *id : Json(nullptr);
  const Json* name = function ? Member(*function, "name") : nullptr;
  if (name == nullptr) name = FirstMember(call, {"name", "toolName"});
  out["name"] = name ? *name : Json(nullptr);
  const Json* args = function ? Member(*function, "arguments") : nullptr;
  if (args == nullptr) args = FirstMember(call, {"arguments", "input", "args"});
  out["arguments"] = ToolArguments(args);
  return out;
}

bool IsPartType(std::string_view type, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) {
    if (type == n) return true;
  }
  return false;
}

// The message being built from one source message.
struct Message {
  Json content;  // null when absent
  Json tool_calls = Json::array();
  std::string tool_call_id;
};

// Folds a parts list (OTel `parts`, OpenAI/Vercel/Anthropic content arrays, OpenInference
// `contents`) into content, tool calls and tool-call ids.
void FoldParts(const Json& parts, Message& m) {
  std::string text;
  int text_parts = 0;
  int other_parts = 0;                // neither text nor tool call
  const Json* response = nullptr;     // the payload when the last other part is a tool response
  Json kept = Json::array();          // every part except tool calls
  for (const Json& raw : parts) {
    if (raw.is_string()) {
      if (text_parts++ > 0) text += '\n';
      text += raw.get_ref<const std::string&>();
      kept.push_back(Json{{"type", "text"}, {"text", raw}});
      continue;
    }
    const Json* wrapped = Member(raw, "message_content");  // OpenInference
    const Json& part = wrapped && wrapped->is_object() ? *wrapped : raw;
    std::string_view type = MemberString(part, "type");
    if (IsPartType(type, {"text", "input_text", "output_text"})) {
      const Json* t = FirstMember(part, {"content", "text"});
      if (t && t->is_string()) {
        if (text_parts++ > 0) text += '\n';
        text += t->get_ref<const std::string&>();
        kept.push_back(part);
        continue;
      }
    }
    if (IsPartType(type, {"tool_call", "tool-call", "tool_use", "function_call"})) {
      if (std::optional<Json> call = ToToolCall(part)) {
        m.tool_calls.push_back(*std::move(call));
        continue;
      }
    }
    ++other_parts;
    response = nullptr;
    if (IsPartType(type, {"tool_call_response", "tool-result", "tool_result", "function_call_output"})) {
      const Json* id = FirstMember(part, {"id", "toolCallId", "tool_use_id", "call_id"});
      if (id && id->is_string() && m.tool_call_id.empty()) m.tool_call_id = id->get<std::string>();
      response = FirstMember(part, {"response", "result", "output", "content"});
    }
    kept.push_back(part);
  }
  if (other_parts == 0) {
    m.content = text_parts > 0 ? Json(std::move(text)) : Json(nullptr);
  } else if (other_parts == 1 && text_parts == 0 && response != nullptr) {
    // Vercel (v5+) wraps tool output as {type: "json"|"text"|…, value}.
    const Json* value = Member(*response, "value");
    m.content = value && response->size() == 2 && Member(*response, "type") ? ParseIfStructured(*value)
                                                                             : ParseIfStructured(*response);
  } else {
    m.content = std::move(kept);
  }
}

// Parses `text` as a parts array when it is one (OpenLLMetry multimodal content).
const Json* JsonParts(const Json& content, Json& storage) {
  if (!content.is_string()) return nullptr;
  Json parsed = ParseIfStructured(content);
  if (!parsed.is_array() || parsed.empty()) return nullptr;
  for (const Json& p : parsed) {
    if (!p.is_object() || !Member(p, "type")) return nullptr;
  }
  storage = std::move(parsed);
  return &storage;
}

std::optional<Json> ToMessage(const Json& raw, const ChatOptions& options) {
  if (!raw.is_object()) return std::nullopt;
  const Json* wrapped = Member(raw, "message");  // OpenInference element {message: {...}}
  const Json& msg = wrapped && wrapped->is_object() && raw.size() == 1 ? *wrapped : raw;
  const Json* role = Member(msg, "role");
  const Json* parts = Member(msg, "parts");
  const Json* content = Member(msg, "content");
  const Json* contents = Member(msg, "contents");
  const Json* calls = Member(msg, "tool_calls");
  if (role && !role->is_string()) return std::nullopt;
  if (role == nullptr) {
    if (options.default_role.empty() || (!parts && !content && !contents && !calls)) return std::nullopt;
  }
  Message m;
  Json parsed_parts;
  if (parts && parts->is_array()) {
    FoldParts(*parts, m);
  } else if (content && content->is_array()) {
    FoldParts(*content, m);
  } else if (const Json* json_parts = options.parse_json_content && content ? JsonParts(*content, parsed_parts) : nullptr) {
    FoldParts(*json_parts, m);
  } else if (content) {
    m.content = *content;
  } else if (contents && contents->is_array()) {
    FoldParts(*contents, m);
  }
  if (calls && calls->is_array()) {
    for (const Json& c : *calls) {
      if (std::optional<Json> call = ToToolCall(c)) m.tool_calls.push_back(*std::move(call));
    }
  }
  if (const Json* id = FirstMember(msg, {"tool_call_id", "toolCallId"}); id && id->is_string()) {
    m.tool_call_id = id->get<std::string>();
  }

  Json out = Json::object();
  out["role"] = role ? *role : Json(std::string(options.default_role));
  if (m.content.is_string() && m.content.get_ref<const std::string&>().empty() && !m.tool_calls.empty()) {
    m.content = nullptr;
  }
  out["content"] = std::move(m.content);
  if (!m.tool_calls.empty()) out["tool_calls"] = std::move(m.tool_calls);
  if (!m.tool_call_id.empty()) out["tool_call_id"] = std::move(m.tool_call_id);
  if (const Json* name = Member(msg, "name"); name && name->is_string()) out["name"] = *name;
  if (const Json* fr = Member(msg, "finish_reason"); fr && !fr->is_null()) out["finish_reason"] = *fr;
  return out;
}

std::optional<Json> ToMessageList(const Json& list, const ChatOptions& options) {
  if (!list.is_array() || list.empty()) return std::nullopt;
  Json out = Json::array();
  for (const Json& raw : list) {
    std::optional<Json> m = ToMessage(raw, options);
    if (!m) return std::nullopt;
    out.push_back(*std::move(m));
  }
  return out;
}

// `{messages?, system?, prompt?}`: OpenAI/Anthropic request bodies and Vercel's `ai.prompt`.
std::optional<Json> FromRequest(const Json& request, const ChatOptions& options) {
  const Json* messages = Member(request, "messages");
  const Json* prompt = Member(request, "prompt");
  if (!(messages && messages->is_array()) && !(prompt && prompt->is_string())) return std::nullopt;
  Json out = Json::array();
  if (const Json* system = Member(request, "system"); system && (system->is_string() || system->is_array())) {
    std::optional<Json> m =
        ToMessage(Json{{"role", "system"}, {"content", *system}}, options);
    if (m) out.push_back(*std::move(m));
  }
  if (messages && messages->is_array()) {
    for (const Json& raw : *messages) {
      std::optional<Json> m = ToMessage(raw, options);
      if (!m) return std::nullopt;
      out.push_back(*std::move(m));
    }
  }
  if (prompt && prompt->is_string()) out.push_back(Json{{"role", "user"}, {"content", *prompt}});
  return out;
}

// OpenAI chat/completions response `{choices: [{message|text, finish_reason}]}`.
std::optional<Json> FromResponse(const Json& response, const ChatOptions& options) {
  const Json* choices = Member(response, "choices");
  if (!choices || !choices->is_array() || choices->empty()) return std::nullopt;
  Json out = Json::array();
  for (const Json& choice : *choices) {
    std::optional<Json> m;
    if (const Json* message = Member(choice, "message")) {
      m = ToMessage(*message, ChatOptions{.default_role = "assistant", .parse_json_content = options.parse_json_content});
    } else if (const Json* text = Member(choice, "text"); text && text->is_string()) {
      m = Json{{"role", "assistant"}, {"content", *text}};
    }
    if (!m) return std::nullopt;
    if (const Json* fr = Member(choice, "finish_reason"); fr && !fr->is_null() && !m->contains("finish_reason")) {
      (*m)["finish_reason"] = *fr;
    }
    out.push_back(*std::move(m));
  }
  return out;
}

}  // namespace

std::optional<Json> ToChatMessages(const Json& value, const ChatOptions& options) {
  if (value.is_array()) return ToMessageList(value, options);
  if (!value.is_object()) return std::nullopt;
  if (Member(value, "role")) {
    std::optional<Json> m = ToMessage(value, options);
    if (!m) return std::nullopt;
    return Json::array({*std::move(m)});
  }
  if (std::optional<Json> request = FromRequest(value, options)) return request;
  return FromResponse(value, options);
}

std::optional<Json> ToToolCalls(const Json& value) {
  if (!value.is_array()) return std::nullopt;
  Json out = Json::array();
  for (const Json& raw : value) {
    std::optional<Json> call = ToToolCall(raw);
    if (!call) return std::nullopt;
    out.push_back(*std::move(call));
  }
  return out;
}

}  // namespace trackly::normalize
