#include "normalize/usage_estimator.h"

#include <gtest/gtest.h>

namespace trackly::normalize {
namespace {

using model::Json;

// Token counts below are js-tiktoken's (o200k_base and cl100k_base agree on all of them):
// "system" "user" "assistant" "bob" "Bonjour" 1, "hello world" 2, "get_weather" 2,
// "You are a helpful assistant." 6, "What is the capital of France?" 7,
// "The capital of France is Paris." 7, "Describe this image." 4, {"city":"Paris"} 5.
const Json kChatInput = Json::array({
    Json{{"role", "system"}, {"content", "You are a helpful assistant."}},
    Json{{"role", "user"}, {"content", "What is the capital of France?"}},
});
constexpr int64_t kChatInputTokens = (3 + 1 + 6) + (3 + 1 + 7) + 3;  // per message, priming

model::Observation Generation(std::string model, Json input, Json output) {
  model::Observation o;
  o.id = "1df175526ec4215a";
  o.trace_id = "4d9c0ecc9f3a12846ae99b70de27a657";
  o.type = model::ObservationType::kGeneration;
  o.model = std::move(model);
  o.input = std::move(input);
  o.output = std::move(output);
  return o;
}

const tokens::BpeTokenizer& O200k() { return tokens::BpeTokenizer::Get(tokens::Encoding::kO200kBase); }

TEST(UsageEstimatorTest, EstimatesChatMessagesAndMarksTheUsage) {
  model::Observation o = Generation(
      "gpt-4o", kChatInput,
      Json::array({Json{{"role", "assistant"}, {"content", "The capital of France is Paris."}}}));
  ASSERT_TRUE(UsageEstimator::Estimate(o));
  EXPECT_EQ(o.usage, (model::Usage{.input_tokens = kChatInputTokens, .output_tokens = 7,
                                   .total_tokens = kChatInputTokens + 7, .estimated = true}));
}

TEST(UsageEstimatorTest, CountsPromptOverheadOnlyOnInput) {
  struct Case {
    const char* name;
    Json value;
    std::optional<int64_t> input;
    std::optional<int64_t> output;
  };
  const Case cases[] = {
      {"string", "hello world", 2, 2},
      {"list of strings (embedding input)", Json::array({"hello world", "Bonjour"}), 3, 3},
      {"named message", Json::array({Json{{"role", "user"}, {"name", "bob"}, {"content", "hello world"}}}),
       3 + 1 + 2 + 1 + 1 + 3, 2},
      {"text and image parts",
       Json::array({Json{{"role", "user"},
                         {"content", Json::array({Json{{"type", "text"}, {"text", "Describe this image."}},
                                                  Json{{"type", "image_url"}, {"url", "https://x/y.png"}}})}}}),
       3 + 1 + 4 + 3, 4},
      {"tool call", Json::array({Json{{"role", "assistant"}, {"content", nullptr},
                                      {"tool_calls", Json::array({Json{{"id", "call_1"},
                                                                       {"name", "get_weather"},
                                                                       {"arguments", Json{{"city", "Paris"}}}}})}}}),
       3 + 1 + 2 + 5 + 3, 2 + 5},
      {"single message object", Json{{"role", "user"}, {"content", "hello world"}}, 3 + 1 + 2 + 3, 2},
      {"not text: an object", Json{{"query", "hello"}}, std::nullopt, std::nullopt},
      {"not text: mixed list", Json::array({"hello", 3}), std::nullopt, std::nullopt},
      {"not text: null", nullptr, std::nullopt, std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(UsageEstimator::CountInput(c.value, O200k()), c.input) << c.name;
    EXPECT_EQ(UsageEstimator::CountOutput(c.value, O200k()), c.output) << c.name;
  }
}

TEST(UsageEstimatorTest, LeavesReportedUsageAlone) {
  model::Observation o = Generation("gpt-4o", kChatInput, "The capital of France is Paris.");
  o.usage = model::Usage{.input_tokens = 30, .output_tokens = 8, .total_tokens = 38};
  EXPECT_FALSE(UsageEstimator::Estimate(o));
  EXPECT_EQ(o.usage, (model::Usage{.input_tokens = 30, .output_tokens = 8, .total_tokens = 38}));
}

TEST(UsageEstimatorTest, OnlyModelCallsAreEstimated) {
  model::Observation span = Generation("gpt-4o", "hello world", nullptr);
  span.type = model::ObservationType::kAgent;
  EXPECT_FALSE(UsageEstimator::Estimate(span));
  EXPECT_TRUE(span.usage.empty());

  model::Observation embedding = Generation("text-embedding-3-small", Json::array({"hello world", "Bonjour"}), nullptr);
  embedding.type = model::ObservationType::kEmbedding;
  ASSERT_TRUE(UsageEstimator::Estimate(embedding));
  EXPECT_EQ(embedding.usage.input_tokens, 3);
  EXPECT_EQ(embedding.usage.output_tokens, 0);
}

TEST(UsageEstimatorTest, NoTextNoEstimate) {
  model::Observation o = Generation("gpt-4o", Json{{"query", "hello"}}, nullptr);
  EXPECT_FALSE(UsageEstimator::Estimate(o));
  EXPECT_TRUE(o.usage.empty());
  model::Observation empty = Generation("gpt-4o", "", "");
  EXPECT_FALSE(UsageEstimator::Estimate(empty));
  EXPECT_TRUE(empty.usage.empty());
}

TEST(UsageEstimatorTest, ReEstimatingAnEstimateGivesTheSameUsage) {
  model::Observation o = Generation("claude-3-5-sonnet-20241022", kChatInput, "The capital of France is Paris.");
  ASSERT_TRUE(UsageEstimator::Estimate(o));
  const model::Usage first = o.usage;
  ASSERT_TRUE(UsageEstimator::Estimate(o));
  EXPECT_EQ(o.usage, first);
  // Another vendor's model is counted with o200k_base, the documented stand-in.
  EXPECT_EQ(first.input_tokens, kChatInputTokens);
  EXPECT_EQ(first.output_tokens, 7);
}

TEST(UsageEstimatorTest, UsesTheModelsEncoding) {
  // "getHTTPResponseCode XMLHttpRequest": o200k_base 6 tokens, cl100k_base 5.
  model::Observation gpt4 = Generation("gpt-4-turbo", "getHTTPResponseCode XMLHttpRequest", nullptr);
  model::Observation gpt4o = Generation("gpt-4o", "getHTTPResponseCode XMLHttpRequest", nullptr);
  ASSERT_TRUE(UsageEstimator::Estimate(gpt4));
  ASSERT_TRUE(UsageEstimator::Estimate(gpt4o));
  EXPECT_EQ(gpt4.usage.input_tokens, 5);
  EXPECT_EQ(gpt4o.usage.input_tokens, 6);
}

}  // namespace
}  // namespace trackly::normalize
