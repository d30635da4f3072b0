// Token usage for model calls that report none: the text they carry, counted with the model's
// BPE tokenizer (normalize/tokens), marked `usage.estimated` (docs/cost.md "Estimated usage").
#pragma once

#include <cstdint>
#include <optional>

#include "model/json.h"
#include "model/observation.h"
#include "normalize/tokens/bpe_tokenizer.h"

namespace trackly::normalize {

// Stateless; thread-safe.
class UsageEstimator {
 public:
  // When `o` is a generation or embedding whose usage is empty (or was estimated before) and
  // whose input or output is text, sets usage to {input_tokens, output_tokens, total_tokens =
  // their sum, estimated = true} and returns true; otherwise leaves `o` as it is and returns
  // false. Text is a string, a list of strings, or canonical chat messages; the encoding is
  // tokens::EncodingForModel(o.model). Re-estimating gives the same usage, so it may run on every
  // merge of an observation's fragments.
  static bool Estimate(model::Observation& o);

  // Tokens of a prompt: a string or list of strings as it is; chat messages as OpenAI counts a
  // chat request: 3 per message (the role markers) + role + content + tool calls (name and
  // arguments) + name (+1), and 3 for the reply's priming. nullopt when `input` is not text.
  static std::optional<int64_t> CountInput(const model::Json& input, const tokens::BpeTokenizer& tokenizer);

  // Tokens of a completion: a string or list of strings, or the messages' content and tool calls
  // without per-message overhead. nullopt when `output` is not text.
  static std::optional<int64_t> CountOutput(const model::Json& output, const tokens::BpeTokenizer& tokenizer);
};

}  // namespace trackly::normalize
