#include "ingest/langfuse/langfuse_usage.h"

#include <gtest/gtest.h>

namespace trackly::ingest::langfuse {
namespace {

using model::Json;
using model::Usage;

struct UsageCase {
  const char* name;
  const char* body;
  Usage expected;
};

class ParseUsageTest : public testing::TestWithParam<UsageCase> {};

TEST_P(ParseUsageTest, MapsToTheModelsMeaning) {
  absl::StatusOr<std::optional<Usage>> usage = ParseUsage(Json::parse(GetParam().body));
  ASSERT_TRUE(usage.ok()) << usage.status();
  ASSERT_TRUE(usage->has_value());
  EXPECT_EQ(**usage, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ParseUsageTest,
    testing::Values(
        // Langfuse's "input" excludes cached tokens; the model's includes them.
        UsageCase{"FreeMapAddsCacheKeysBack",
                  R"({"usageDetails": {"input": 9, "output": 25, "cache_read_input_tokens": 2}})",
                  Usage{.input_tokens = 11, .output_tokens = 25, .total_tokens = 36, .cache_read_tokens = 2}},
        UsageCase{"FreeMapKeepsStatedTotalAndReadsNumericStrings",
                  R"({"usageDetails": {"input": "10", "output": 5, "total": 15, "input_cache_creation": 4,
                      "output_reasoning_tokens": 3, "image_count": 2}})",
                  Usage{.input_tokens = 14, .output_tokens = 8, .total_tokens = 15, .cache_write_tokens = 4,
                        .reasoning_tokens = 3}},
        UsageCase{"OpenAiChatUsage",
                  R"({"usageDetails": {"prompt_tokens": 100, "completion_tokens": 40, "total_tokens": 140,
                      "prompt_tokens_details": {"cached_tokens": 30},
                      "completion_tokens_details": {"reasoning_tokens": 12}}})",
                  Usage{.input_tokens = 100, .output_tokens = 40, .total_tokens = 140, .cache_read_tokens = 30,
                        .reasoning_tokens = 12}},
        UsageCase{"OpenAiResponsesUsage",
                  R"({"usageDetails": {"input_tokens": 50, "output_tokens": 20,
                      "input_tokens_details": {"cached_tokens": 10},
                      "output_tokens_details": {"reasoning_tokens": 5}}})",
                  Usage{.input_tokens = 50, .output_tokens = 20, .total_tokens = 70, .cache_read_tokens = 10,
                        .reasoning_tokens = 5}},
        UsageCase{"AnthropicUsageAddsCacheToInput",
                  R"({"usageDetails": {"input_tokens": 50, "output_tokens": 20, "cache_read_input_tokens": 7,
                      "cache_creation_input_tokens": 3}})",
                  Usage{.input_tokens = 60, .output_tokens = 20, .total_tokens = 80, .cache_read_tokens = 7,
                        .cache_write_tokens = 3}},
        UsageCase{"LegacyUsageInTokens", R"({"usage": {"input": 9, "output": 25, "total": 34, "unit": "TOKENS"}})",
                  Usage{.input_tokens = 9, .output_tokens = 25, .total_tokens = 34}},
        UsageCase{"LegacyOpenAiStyleUsage", R"({"usage": {"promptTokens": 3, "completionTokens": 4}})",
                  Usage{.input_tokens = 3, .output_tokens = 4, .total_tokens = 7}},
        UsageCase{"UsageDetailsWinOverUsage",
                  R"({"usage": {"input": 1, "output": 1}, "usageDetails": {"input": 2, "output": 3}})",
                  Usage{.input_tokens = 2, .output_tokens = 3, .total_tokens = 5}},
        // Negative counts pass through: the cost engine's range check rejects them by name.
        UsageCase{"NegativeCountIsKeptForTheRangeCheck", R"({"usageDetails": {"input": -3}})",
                  Usage{.input_tokens = -3, .total_tokens = -3}}),
    [](const testing::TestParamInfo<UsageCase>& info) { return info.param.name; });

TEST(ParseUsageTest, NoTokenUsageIsNullopt) {
  for (const char* body : {R"({})", R"({"usage": null})", R"({"usageDetails": {}})",
                           R"({"usage": {"input": 120, "unit": "CHARACTERS"}})", R"({"usage": {"totalCost": 1}})"}) {
    absl::StatusOr<std::optional<Usage>> usage = ParseUsage(Json::parse(body));
    ASSERT_TRUE(usage.ok()) << body << ": " << usage.status();
    EXPECT_FALSE(usage->has_value()) << body;
  }
}

TEST(ParseUsageTest, NonNumericCountNamesTheKey) {
  absl::StatusOr<std::optional<Usage>> usage = ParseUsage(Json::parse(R"({"usageDetails": {"input": "many"}})"));
  EXPECT_EQ(usage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(usage.status().message(), "usageDetails.input: expected a number, got \"many\"");
}

TEST(ParseCostTest, CostDetailsSplitIntoInputOutputAndTotal) {
  absl::StatusOr<std::optional<model::Cost>> cost = ParseCost(
      Json::parse(R"({"costDetails": {"input": 0.5, "input_cached_tokens": 0.25, "output": 1.0}})"));
  ASSERT_TRUE(cost.ok()) << cost.status();
  ASSERT_TRUE(cost->has_value());
  EXPECT_EQ((*cost)->input, 0.75);
  EXPECT_EQ((*cost)->output, 1.0);
  EXPECT_EQ((*cost)->total, 1.75);
  EXPECT_EQ((*cost)->source, model::CostSource::kProvided);
}

TEST(ParseCostTest, LegacyUsageCosts) {
  absl::StatusOr<std::optional<model::Cost>> cost =
      ParseCost(Json::parse(R"({"usage": {"input": 1, "inputCost": 0.5, "outputCost": 0.25}})"));
  ASSERT_TRUE(cost.ok()) << cost.status();
  ASSERT_TRUE(cost->has_value());
  EXPECT_EQ((*cost)->total, 0.75);
}

TEST(ParseCostTest, NegativeCostNamesTheKey) {
  absl::StatusOr<std::optional<model::Cost>> cost = ParseCost(Json::parse(R"({"costDetails": {"total": -1}})"));
  EXPECT_EQ(cost.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cost.status().message(), "costDetails.total: -1 is not a cost >= 0");
}

TEST(ParseCostTest, NoCostIsNullopt) {
  absl::StatusOr<std::optional<model::Cost>> cost = ParseCost(Json::parse(R"({"usage": {"input": 1}})"));
  ASSERT_TRUE(cost.ok());
  EXPECT_FALSE(cost->has_value());
}

}  // namespace
}  // namespace trackly::ingest::langfuse
