#include "normalize/cost/cost_engine.h"

#include <gtest/gtest.h>

#include "absl/time/time.h"

namespace trackly::cost {
namespace {

using model::Cost;
using model::CostSource;
using model::Json;
using model::Observation;
using model::ObservationType;
using model::Usage;

constexpr int64_t kJan2025Ns = 1735689600LL * 1'000'000'000;  // 2025-01-01T00:00:00Z

std::shared_ptr<const PriceCatalog> TestCatalog() {
  // input 2, output 8, cache read 0.5, cache write 2.5, reasoning 10 (USD per 1M);
  // above 100k prompt tokens: input 4, output 16, cache read 1.
  absl::StatusOr<PriceEntry> entry = PriceEntryFromJson(Json::parse(R"({
      "provider": "acme", "model": "acme-1", "match": "acme-1", "valid_from": "2024-01-01",
      "prices": {"input": 2, "output": 8, "cache_read": 0.5, "cache_write": 2.5, "reasoning": 10},
      "tiers": [{"above_input_tokens": 100000, "input": 4, "output": 16, "cache_read": 1}]})"),
                                                        /*custom=*/true);
  EXPECT_TRUE(entry.ok()) << entry.status();
  absl::StatusOr<std::shared_ptr<const PriceCatalog>> catalog =
      PriceCatalog::Create({}, {{"acme", {*entry}}});
  EXPECT_TRUE(catalog.ok()) << catalog.status();
  return *catalog;
}

Observation Generation(const char* model, Usage usage) {
  Observation o;
  o.type = ObservationType::kGeneration;
  o.model = model;
  o.start_time_ns = kJan2025Ns;
  o.usage = usage;
  return o;
}

TEST(CostEngineTest, ComputesCacheAndReasoningParts) {
  Observation o = Generation("acme-1", Usage{.input_tokens = 1000, .output_tokens = 500,
                                             .cache_read_tokens = 400, .cache_write_tokens = 100,
                                             .reasoning_tokens = 200});
  EXPECT_EQ(CostEngine::Apply(*TestCatalog(), "acme", o), CostOutcome::kComputed);
  // input: 500 uncached x 2 + 400 x 0.5 + 100 x 2.5; output: 300 x 8 + 200 x 10 (per 1M).
  EXPECT_DOUBLE_EQ(o.cost.input, 0.00145);
  EXPECT_DOUBLE_EQ(o.cost.output, 0.0044);
  EXPECT_DOUBLE_EQ(o.cost.total, 0.00585);
  EXPECT_DOUBLE_EQ(o.cost.cache_savings, 400 * (2 - 0.5) / 1e6);
  EXPECT_EQ(o.cost.source, CostSource::kComputed);
  EXPECT_EQ(o.cost.price_id, "custom:acme/acme-1@2024-01-01");
  EXPECT_TRUE(o.cost.note.empty());
}

TEST(CostEngineTest, LongPromptUsesTheTierForEveryToken) {
  Observation o = Generation("acme-1", Usage{.input_tokens = 200000, .output_tokens = 1000,
                                             .cache_read_tokens = 100000});
  ASSERT_EQ(CostEngine::Apply(*TestCatalog(), "acme", o), CostOutcome::kComputed);
  EXPECT_DOUBLE_EQ(o.cost.input, 100000 * 4 / 1e6 + 100000 * 1 / 1e6);
  EXPECT_DOUBLE_EQ(o.cost.output, 1000 * 16 / 1e6);
  EXPECT_DOUBLE_EQ(o.cost.cache_savings, 100000 * (4 - 1) / 1e6);
}

TEST(CostEngineTest, ReasoningDefaultsToOutputPrice) {
  std::shared_ptr<const PriceCatalog> catalog = *PriceCatalog::Builtin();
  Observation o = Generation("o4-mini", Usage{.input_tokens = 1000, .output_tokens = 3000,
                                              .reasoning_tokens = 2500});
  o.start_time_ns = 1750000000LL * 1'000'000'000;  // 2025-06-15
  ASSERT_EQ(CostEngine::Apply(*catalog, "p", o), CostOutcome::kComputed);
  EXPECT_DOUBLE_EQ(o.cost.output, 3000 * 4.4 / 1e6);
  EXPECT_DOUBLE_EQ(o.cost.input, 1000 * 1.1 / 1e6);
  EXPECT_EQ(o.cost.price_id, "openai/o4-mini@2025-04-16");
}

TEST(CostEngineTest, PricesBuiltinModelWithCachedInput) {
  std::shared_ptr<const PriceCatalog> catalog = *PriceCatalog::Builtin();
  Observation o = Generation("gpt-4o-mini-2024-07-18", Usage{.input_tokens = 67, .output_tokens = 39,
                                                             .cache_read_tokens = 16});
  ASSERT_EQ(CostEngine::Apply(*catalog, "p", o), CostOutcome::kComputed);
  EXPECT_DOUBLE_EQ(o.cost.input, (51 * 0.15 + 16 * 0.075) / 1e6);
  EXPECT_DOUBLE_EQ(o.cost.output, 39 * 0.6 / 1e6);
  EXPECT_DOUBLE_EQ(o.cost.cache_savings, 16 * 0.075 / 1e6);
}

TEST(CostEngineTest, KeepsProvidedCost) {
  Observation o = Generation("acme-1", Usage{.input_tokens = 1000, .output_tokens = 10});
  o.cost = Cost{.input = 1, .output = 2, .total = 3, .source = CostSource::kProvided};
  Cost sent = o.cost;
  EXPECT_EQ(CostEngine::Apply(*TestCatalog(), "acme", o), CostOutcome::kProvided);
  EXPECT_EQ(o.cost, sent);
}

TEST(CostEngineTest, UnknownModelGetsNoCostAndANote) {
  Observation o = Generation("acme-2", Usage{.input_tokens = 1000, .output_tokens = 10});
  EXPECT_EQ(CostEngine::Apply(*TestCatalog(), "acme", o), CostOutcome::kUnpriced);
  EXPECT_EQ(o.cost.total, 0);
  EXPECT_EQ(o.cost.source, CostSource::kNone);
  EXPECT_EQ(o.cost.note, "no price for model \"acme-2\"");
}

TEST(CostEngineTest, ProjectWithoutThePriceIsUnpriced) {
  Observation o = Generation("acme-1", Usage{.input_tokens = 1000});
  EXPECT_EQ(CostEngine::Apply(*TestCatalog(), "other", o), CostOutcome::kUnpriced);
}

TEST(CostEngineTest, SkipsSpansThatAreNotModelCalls) {
  Observation o = Generation("acme-1", Usage{.input_tokens = 1000, .output_tokens = 10});
  o.type = ObservationType::kAgent;
  EXPECT_EQ(CostEngine::Apply(*TestCatalog(), "acme", o), CostOutcome::kSkipped);
  EXPECT_EQ(o.cost, Cost{});
}

TEST(CostEngineTest, SkipsGenerationWithoutUsage) {
  Observation o = Generation("acme-1", Usage{});
  EXPECT_EQ(CostEngine::Apply(*TestCatalog(), "acme", o), CostOutcome::kSkipped);
  EXPECT_EQ(o.cost, Cost{});
}

TEST(CostEngineTest, ReapplyingReplacesAComputedCost) {
  std::shared_ptr<const PriceCatalog> catalog = TestCatalog();
  Observation o = Generation("acme-1", Usage{.input_tokens = 1000});
  ASSERT_EQ(CostEngine::Apply(*catalog, "acme", o), CostOutcome::kComputed);
  absl::StatusOr<PriceEntry> cheaper = PriceEntryFromJson(Json::parse(R"({
      "provider": "acme", "model": "acme-1", "match": "acme-1", "valid_from": "2024-01-01",
      "prices": {"input": 1, "output": 1}})"), /*custom=*/true);
  ASSERT_TRUE(cheaper.ok());
  std::shared_ptr<const PriceCatalog> repriced = *catalog->WithProjectEntries("acme", {*cheaper});
  ASSERT_EQ(CostEngine::Apply(*repriced, "acme", o), CostOutcome::kComputed);
  EXPECT_DOUBLE_EQ(o.cost.total, 1000 * 1 / 1e6);
}

TEST(CostEngineTest, ClampsCachedCountsAboveInput) {
  Observation o = Generation("acme-1", Usage{.input_tokens = 100, .cache_read_tokens = 150});
  ASSERT_EQ(CostEngine::Apply(*TestCatalog(), "acme", o), CostOutcome::kComputed);
  EXPECT_DOUBLE_EQ(o.cost.input, 100 * 0.5 / 1e6);
}

TEST(CostEngineTest, MissingStartTimeUsesNewestPrice) {
  std::shared_ptr<const PriceCatalog> catalog = *PriceCatalog::Builtin();
  Observation o = Generation("o3", Usage{.input_tokens = 1'000'000});
  o.start_time_ns = 0;
  ASSERT_EQ(CostEngine::Apply(*catalog, "p", o), CostOutcome::kComputed);
  EXPECT_EQ(o.cost.price_id, "openai/o3@2025-06-10");
  EXPECT_DOUBLE_EQ(o.cost.input, 2);
}

struct UsageCase {
  const char* name;
  Usage usage;
  const char* error;  // "" = valid
};

class ValidateUsageTest : public testing::TestWithParam<UsageCase> {};

TEST_P(ValidateUsageTest, ChecksEveryCount) {
  absl::Status st = CostEngine::ValidateUsage(GetParam().usage);
  if (*GetParam().error == '\0') {
    EXPECT_TRUE(st.ok()) << st;
  } else {
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(st.message(), GetParam().error);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Usage, ValidateUsageTest,
    testing::Values(
        UsageCase{"Empty", Usage{}, ""},
        UsageCase{"Large", Usage{.input_tokens = 2'000'000, .output_tokens = 100'000}, ""},
        UsageCase{"AtLimit", Usage{.input_tokens = kMaxTokensPerCall}, ""},
        UsageCase{"NegativeOutput", Usage{.output_tokens = -3}, "usage.output_tokens: -3 is negative"},
        UsageCase{"NegativeCacheRead", Usage{.cache_read_tokens = -1}, "usage.cache_read_tokens: -1 is negative"},
        UsageCase{"AbsurdInput", Usage{.input_tokens = kMaxTokensPerCall + 1},
                  "usage.input_tokens: 1000000001 is more than 1000000000 tokens"},
        UsageCase{"AbsurdReasoning", Usage{.reasoning_tokens = 5'000'000'000},
                  "usage.reasoning_tokens: 5000000000 is more than 1000000000 tokens"}),
    [](const testing::TestParamInfo<UsageCase>& info) { return info.param.name; });

}  // namespace
}  // namespace trackly::cost
