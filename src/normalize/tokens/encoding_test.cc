#include "normalize/tokens/encoding.h"

#include <string_view>

#include <gtest/gtest.h>

namespace trackly::tokens {
namespace {

struct ModelCase {
  std::string_view model;
  Encoding encoding;
  bool exact;
};

TEST(EncodingTest, ChoosesTheModelFamilysEncoding) {
  const ModelCase cases[] = {
      {"gpt-4o", Encoding::kO200kBase, true},
      {"gpt-4o-mini-2024-07-18", Encoding::kO200kBase, true},
      {"openai/gpt-4.1-nano", Encoding::kO200kBase, true},
      {"GPT-5", Encoding::kO200kBase, true},
      {"o1", Encoding::kO200kBase, true},
      {"o3-mini", Encoding::kO200kBase, true},
      {"o4-mini-2025-04-16", Encoding::kO200kBase, true},
      {"chatgpt-4o-latest", Encoding::kO200kBase, true},
      {"gpt-oss-120b", Encoding::kO200kBase, true},
      {"gpt-4", Encoding::kCl100kBase, true},
      {"gpt-4-turbo-2024-04-09", Encoding::kCl100kBase, true},
      {"azure/gpt-35-turbo", Encoding::kCl100kBase, true},
      {"gpt-3.5-turbo-0125", Encoding::kCl100kBase, true},
      {"text-embedding-3-small", Encoding::kCl100kBase, true},
      // No public tokenizer: o200k_base stands in.
      {"claude-3-5-sonnet-20241022", Encoding::kO200kBase, false},
      {"anthropic.claude-3-haiku-20240307-v1:0", Encoding::kO200kBase, false},
      {"gemini-1.5-pro", Encoding::kO200kBase, false},
      {"mistral-large-latest", Encoding::kO200kBase, false},
      {"o1x-custom", Encoding::kO200kBase, false},
      {"", Encoding::kO200kBase, false},
  };
  for (const ModelCase& c : cases) {
    EncodingChoice choice = EncodingForModel(c.model);
    EXPECT_EQ(choice.encoding, c.encoding) << c.model;
    EXPECT_EQ(choice.exact, c.exact) << c.model;
  }
}

TEST(EncodingTest, NamesAreTiktokens) {
  EXPECT_EQ(ToString(Encoding::kO200kBase), "o200k_base");
  EXPECT_EQ(ToString(Encoding::kCl100kBase), "cl100k_base");
}

}  // namespace
}  // namespace trackly::tokens
