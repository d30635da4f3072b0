// Which BPE encoding counts the tokens of a model's text (docs/cost.md "Estimated usage").
#pragma once

#include <string_view>

namespace trackly::tokens {

// The tiktoken encodings Trackly carries (ranks from the npm package js-tiktoken, embedded at
// build time: data/tokenizers/convert_ranks.mjs).
enum class Encoding {
  kO200kBase,   // gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1/o3/o4, gpt-oss
  kCl100kBase,  // gpt-4, gpt-4-turbo, gpt-3.5-turbo, text-embedding-*
};

std::string_view ToString(Encoding encoding);  // "o200k_base", "cl100k_base"

struct EncodingChoice {
  Encoding encoding = Encoding::kO200kBase;
  // True when `encoding` is the model's own tokenizer. False for every model outside OpenAI's
  // families: Anthropic, Google, Mistral, Meta, ... publish no tokenizer Trackly can carry, so
  // o200k_base stands in and the count is an approximation (typically within 10-20 %).
  bool exact = false;
};

// The encoding for a model name as a client sent it, case-insensitive, ignoring route prefixes
// ("openai/gpt-4o", "azure/gpt-35-turbo"): cl100k_base for gpt-4 (not gpt-4o / gpt-4.x),
// gpt-3.5 and text-embedding-*, o200k_base for every other OpenAI family, and o200k_base
// (inexact) for anything else, including an empty name.
EncodingChoice EncodingForModel(std::string_view model);

}  // namespace trackly::tokens
