// Small readers of observation payloads shared by the analyses: a canonical form of tool
// arguments, the text of a model's output, the finish reason, and phrase matching. Every walk over
// a JSON value is iterative and bounded, so neither a deep nor a huge payload can hurt.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/json.h"
#include "model/observation.h"

namespace trackly::analysis {

// A canonical text of a JSON value, equal for values that differ only in object key order, in
// whitespace inside strings (runs collapsed to one space, trimmed) or in the spelling of an
// integral number (1 and 1.0). Used as a key, not meant to be parsed. Stops after `max_bytes`.
std::string CanonicalJson(const model::Json& value, size_t max_bytes = 64 * 1024);

// The lowercased alphanumeric words of `text`, sorted and unique.
std::vector<std::string> TokenSet(std::string_view text);

// |a ∩ b| / |a ∪ b| of two sorted unique sets; 1 when both are empty.
double Jaccard(const std::vector<std::string>& a, const std::vector<std::string>& b);

// The prose of a model output: every string in it except under the keys that hold no prose
// (role, finish_reason, id, tool_call_id, type, name, tool_calls), joined with '\n', at most
// `max_bytes`.
std::string OutputText(const model::Json& output, size_t max_bytes = 64 * 1024);

// Whether a model output asks for tool calls (a non-empty `tool_calls` list anywhere in it).
bool HasToolCalls(const model::Json& output);

// The finish reason a generation reported, lowercased with '-' turned into '_' ("tool-calls" →
// "tool_calls"), or "" when none. Looked up in attributes (gen_ai.response.finish_reasons, last
// element; gen_ai.response.finish_reason; llm.finish_reason; ai.response.finishReason), then the
// last finish_reason / finishReason / stop_reason in its output (normalized chat messages, OpenAI,
// LangChain and Anthropic shapes), then metadata.finish_reason.
std::string FinishReasonOf(const model::Observation& observation);

// Whether `lower_text` (already lowercased) contains `phrase` (lowercase) as whole words: the
// characters around the match are not letters or digits.
bool ContainsPhrase(std::string_view lower_text, std::string_view phrase);

// Whether any of `phrases` is in `lower_text` as whole words; the first such phrase, or "".
std::string_view FirstPhrase(std::string_view lower_text, std::span<const std::string_view> phrases);

}  // namespace trackly::analysis
