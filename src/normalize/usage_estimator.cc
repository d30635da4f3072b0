#include "normalize/usage_estimator.h"

#include <string>

#include "normalize/tokens/encoding.h"

namespace trackly::normalize {
namespace {

using model::Json;

// OpenAI's published recipe for counting a chat request (its cookbook "How to count tokens with
// tiktoken", exact for gpt-3.5/gpt-4/gpt-4o): every message is wrapped in <|start|>role …
// <|end|>, and the reply is primed with <|start|>assistant<|message|>.
constexpr int64_t kTokensPerMessage = 3;
constexpr int64_t kTokensPerName = 1;
constexpr int64_t kTokensReplyPriming = 3;

int64_t CountString(const Json& value, const tokens::BpeTokenizer& tokenizer) {
  return value.is_string() ? tokenizer.CountTokens(value.get_ref<const std::string&>()) : 0;
}

// Message content: a string, or parts of which only the text ones count (an image's tokens
// depend on its size and detail, which Trackly does not see).
int64_t CountContent(const Json& content, const tokens::BpeTokenizer& tokenizer) {
  if (!content.is_array()) return CountString(content, tokenizer);
  int64_t tokens = 0;
  for (const Json& part : content) {
    if (part.is_string()) {
      tokens += CountString(part, tokenizer);
    } else if (part.is_object() && part.contains("text")) {
      tokens += CountString(part["text"], tokenizer);
    }
  }
  return tokens;
}

// Canonical tool calls [{id, name, arguments}]: the model writes the name and the arguments.
int64_t CountToolCalls(const Json& calls, const tokens::BpeTokenizer& tokenizer) {
  if (!calls.is_array()) return 0;
  int64_t tokens = 0;
  for (const Json& call : calls) {
    if (!call.is_object()) continue;
    if (call.contains("name")) tokens += CountString(call["name"], tokenizer);
    if (!call.contains("arguments")) continue;
    const Json& arguments = call["arguments"];
    tokens += arguments.is_string() ? CountString(arguments, tokenizer)
                                    : tokenizer.CountTokens(arguments.dump());
  }
  return tokens;
}

bool IsMessage(const Json& value) {
  return value.is_object() && (value.contains("role") || value.contains("content"));
}

// A list whose elements are all strings, or all messages; nullopt otherwise. `with_overhead`
// adds the chat request's per-message and priming tokens.
std::optional<int64_t> CountText(const Json& value, const tokens::BpeTokenizer& tokenizer, bool with_overhead) {
  if (value.is_string()) return CountString(value, tokenizer);
  if (IsMessage(value)) return CountText(Json::array({value}), tokenizer, with_overhead);
  if (!value.is_array() || value.empty()) return std::nullopt;
  int64_t tokens = 0;
  if (value.front().is_string()) {
    for (const Json& s : value) {
      if (!s.is_string()) return std::nullopt;
      tokens += CountString(s, tokenizer);
    }
    return tokens;
  }
  for (const Json& message : value) {
    if (!IsMessage(message)) return std::nullopt;
    if (message.contains("content")) tokens += CountContent(message["content"], tokenizer);
    if (message.contains("tool_calls")) tokens += CountToolCalls(message["tool_calls"], tokenizer);
    if (!with_overhead) continue;
    tokens += kTokensPerMessage;
    if (message.contains("role")) tokens += CountString(message["role"], tokenizer);
    if (message.contains("name")) tokens += CountString(message["name"], tokenizer) + kTokensPerName;
  }
  if (with_overhead) tokens += kTokensReplyPriming;
  return tokens;
}

}  // namespace

std::optional<int64_t> UsageEstimator::CountInput(const Json& input, const tokens::BpeTokenizer& tokenizer) {
  return CountText(input, tokenizer, /*with_overhead=*/true);
}

std::optional<int64_t> UsageEstimator::CountOutput(const Json& output, const tokens::BpeTokenizer& tokenizer) {
  return CountText(output, tokenizer, /*with_overhead=*/false);
}

bool UsageEstimator::Estimate(model::Observation& o) {
  if (o.type != model::ObservationType::kGeneration && o.type != model::ObservationType::kEmbedding) {
    return false;
  }
  if (!o.usage.empty() && !o.usage.estimated) return false;
  const tokens::BpeTokenizer& tokenizer = tokens::BpeTokenizer::Get(tokens::EncodingForModel(o.model).encoding);
  std::optional<int64_t> input = CountInput(o.input, tokenizer);
  std::optional<int64_t> output = CountOutput(o.output, tokenizer);
  model::Usage usage{.input_tokens = input.value_or(0), .output_tokens = output.value_or(0)};
  usage.total_tokens = usage.input_tokens + usage.output_tokens;
  if (usage.total_tokens == 0) return false;
  usage.estimated = true;
  o.usage = usage;
  return true;
}

}  // namespace trackly::normalize
