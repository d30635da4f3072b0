#include "normalize/cost/price_catalog.h"

#include <gtest/gtest.h>

#include <limits>

#include "absl/time/time.h"

namespace trackly::cost {
namespace {

using model::Json;

int64_t At(const char* rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return absl::ToUnixNanos(t);
}

// Kept alive for the whole test program: Find returns pointers into the catalog.
const std::shared_ptr<const PriceCatalog>& Builtin() {
  static const auto* catalog = new std::shared_ptr<const PriceCatalog>(*PriceCatalog::Builtin());
  return *catalog;
}

PriceEntry Custom(const char* json) {
  absl::StatusOr<PriceEntry> e = PriceEntryFromJson(Json::parse(json), /*custom=*/true);
  EXPECT_TRUE(e.ok()) << e.status();
  return *e;
}

struct MatchCase {
  const char* name;
  const char* model;
  const char* provider;
  const char* at;
  const char* want_id;  // "" = no price
};

class BuiltinMatchTest : public testing::TestWithParam<MatchCase> {};

TEST_P(BuiltinMatchTest, FindsTheExpectedPrice) {
  const MatchCase& c = GetParam();
  const PriceEntry* e = Builtin()->Find("p", c.model, c.provider, At(c.at));
  if (*c.want_id == '\0') {
    EXPECT_EQ(e, nullptr) << "unexpected " << e->id;
  } else {
    ASSERT_NE(e, nullptr) << "no price for " << c.model;
    EXPECT_EQ(e->id, c.want_id);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Catalog, BuiltinMatchTest,
    testing::Values(
        // Dated snapshots and validity dates.
        MatchCase{"AliasBeforePriceCut", "gpt-4o", "openai", "2024-09-01T00:00:00Z", "openai/gpt-4o@2024-05-13"},
        MatchCase{"AliasAfterPriceCut", "gpt-4o", "openai", "2025-01-01T00:00:00Z", "openai/gpt-4o@2024-10-02"},
        MatchCase{"DayBeforeChange", "gpt-4o", "openai", "2024-10-01T23:59:59Z", "openai/gpt-4o@2024-05-13"},
        MatchCase{"DayOfChange", "gpt-4o", "openai", "2024-10-02T00:00:00Z", "openai/gpt-4o@2024-10-02"},
        MatchCase{"SnapshotWithItsOwnPrice", "gpt-4o-2024-08-06", "openai", "2024-09-01T00:00:00Z",
                  "openai/gpt-4o-2024-08-06@2024-08-06"},
        MatchCase{"OldSnapshotKeepsOldPrice", "gpt-4o-2024-05-13", "openai", "2025-06-01T00:00:00Z",
                  "openai/gpt-4o-2024-05-13@2024-05-13"},
        MatchCase{"NewerSnapshotFollowsFamily", "gpt-4o-2024-11-20", "openai", "2025-06-01T00:00:00Z",
                  "openai/gpt-4o@2024-10-02"},
        MatchCase{"MiniIsNotGpt4o", "gpt-4o-mini-2024-07-18", "openai", "2025-01-01T00:00:00Z",
                  "openai/gpt-4o-mini@2024-07-18"},
        MatchCase{"O3BeforeCut", "o3-2025-04-16", "openai", "2025-05-01T00:00:00Z", "openai/o3@2025-04-16"},
        MatchCase{"O3AfterCut", "o3-2025-04-16", "openai", "2025-07-01T00:00:00Z", "openai/o3@2025-06-10"},
        MatchCase{"O3MiniIsNotO3", "o3-mini", "openai", "2025-07-01T00:00:00Z", "openai/o3-mini@2025-01-31"},
        MatchCase{"DeepSeekHourOfChangeBefore", "deepseek-chat", "deepseek", "2025-02-08T15:59:59Z",
                  "deepseek/deepseek-chat@2024-12-26"},
        MatchCase{"DeepSeekHourOfChangeAfter", "deepseek-chat", "deepseek", "2025-02-08T16:00:00Z",
                  "deepseek/deepseek-chat@2025-02-08T16:00:00Z"},
        MatchCase{"BeforeAnyPrice", "gpt-4o", "openai", "2024-01-01T00:00:00Z", ""},
        // Provider prefixes and case.
        MatchCase{"OpenAiPrefix", "openai/gpt-4o", "", "2025-01-01T00:00:00Z", "openai/gpt-4o@2024-10-02"},
        MatchCase{"RouterPrefix", "openrouter/openai/gpt-4o-mini", "", "2025-01-01T00:00:00Z",
                  "openai/gpt-4o-mini@2024-07-18"},
        MatchCase{"CaseInsensitive", "GPT-4o-Mini", "", "2025-01-01T00:00:00Z", "openai/gpt-4o-mini@2024-07-18"},
        MatchCase{"GeminiModelsPrefix", "models/gemini-1.5-pro", "google", "2024-11-01T00:00:00Z",
                  "google/gemini-1.5-pro@2024-10-01"},
        MatchCase{"GeminiVersionSuffixOldPrice", "gemini-1.5-pro-002", "google", "2024-09-30T00:00:00Z",
                  "google/gemini-1.5-pro@2024-05-14"},
        MatchCase{"GeminiFlashPreview", "gemini-2.5-flash-preview-04-17", "", "2025-05-01T00:00:00Z",
                  "google/gemini-2.5-flash-preview@2025-04-17"},
        MatchCase{"GeminiFlashLiteIsNotFlash", "gemini/gemini-2.5-flash-lite", "", "2025-08-01T00:00:00Z",
                  "google/gemini-2.5-flash-lite@2025-06-17"},
        // Bedrock and Vertex ids.
        MatchCase{"BedrockClaude", "anthropic.claude-3-5-sonnet-20241022-v2:0", "aws.bedrock",
                  "2025-01-01T00:00:00Z", "anthropic/claude-3-5-sonnet@2024-06-20"},
        MatchCase{"BedrockCrossRegion", "us.anthropic.claude-3-5-haiku-20241022-v1:0", "aws.bedrock",
                  "2025-01-01T00:00:00Z", "anthropic/claude-3-5-haiku@2024-11-04"},
        MatchCase{"VertexClaude", "claude-3-5-sonnet-v2@20241022", "gcp.vertex_ai", "2025-01-01T00:00:00Z",
                  "anthropic/claude-3-5-sonnet@2024-06-20"},
        MatchCase{"ClaudeLatestAlias", "claude-3-7-sonnet-latest", "anthropic", "2025-03-01T00:00:00Z",
                  "anthropic/claude-3-7-sonnet@2025-02-24"},
        MatchCase{"Sonnet45IsNotSonnet4", "claude-sonnet-4-5-20250929", "anthropic", "2025-10-01T00:00:00Z",
                  "anthropic/claude-sonnet-4-5@2025-09-29"},
        MatchCase{"Sonnet4Dated", "claude-sonnet-4-20250514", "anthropic", "2025-06-01T00:00:00Z",
                  "anthropic/claude-sonnet-4@2025-05-22"},
        MatchCase{"BedrockLlama", "meta.llama3-3-70b-instruct-v1:0", "aws.bedrock", "2025-01-01T00:00:00Z",
                  "meta/llama-3.3-70b@2024-12-06"},
        MatchCase{"TogetherLlama", "meta-llama/Llama-3.3-70B-Instruct-Turbo", "together", "2025-01-01T00:00:00Z",
                  "meta/llama-3.3-70b@2024-12-06"},
        MatchCase{"GroqLlama", "llama-3.3-70b-versatile", "groq", "2025-01-01T00:00:00Z",
                  "meta/llama-3.3-70b@2024-12-06"},
        MatchCase{"BedrockCohere", "cohere.command-r-plus-v1:0", "aws.bedrock", "2025-01-01T00:00:00Z",
                  "cohere/command-r-plus@2024-04-04"},
        MatchCase{"CohereSnapshot", "command-r-plus-08-2024", "cohere", "2025-01-01T00:00:00Z",
                  "cohere/command-r-plus-08-2024@2024-08-30"},
        MatchCase{"XaiDated", "xai/grok-4-0709", "xai", "2025-08-01T00:00:00Z", "xai/grok-4@2025-07-09"},
        MatchCase{"Embedding", "text-embedding-3-small", "openai", "2025-01-01T00:00:00Z",
                  "openai/text-embedding-3-small@2024-01-25"},
        MatchCase{"UnknownModel", "my-local-model", "ollama", "2025-01-01T00:00:00Z", ""}),
    [](const testing::TestParamInfo<MatchCase>& info) { return info.param.name; });

TEST(PriceEntryTest, TierIsChosenByPromptSize) {
  const PriceEntry* e = Builtin()->Find("p", "gemini-1.5-pro", "", At("2025-01-01T00:00:00Z"));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->PricesFor(128000).input, 1.25);
  EXPECT_EQ(e->PricesFor(128001).input, 2.5);
  EXPECT_EQ(e->PricesFor(128001).output, 10);
}

TEST(PriceEntryTest, TierInheritsPricesItLeavesOut) {
  PriceEntry e = Custom(R"({"provider": "acme", "model": "m", "match": "m", "valid_from": "2025-01-01",
      "prices": {"input": 1, "output": 2, "cache_read": 0.1},
      "tiers": [{"above_input_tokens": 1000, "input": 3}]})");
  EXPECT_EQ(e.PricesFor(5000).input, 3);
  EXPECT_EQ(e.PricesFor(5000).output, 2);
  EXPECT_EQ(e.PricesFor(5000).cache_read, 0.1);
}

TEST(PriceCatalogTest, ProjectPriceWinsOverBuiltinOnlyInItsProject) {
  absl::StatusOr<std::shared_ptr<const PriceCatalog>> catalog = Builtin()->WithProjectEntries(
      "acme", {Custom(R"({"provider": "openai", "model": "gpt-4o-negotiated", "match": "gpt-4o.*",
                          "valid_from": "2024-01-01", "prices": {"input": 1, "output": 4}})")});
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  const PriceEntry* acme = (*catalog)->Find("acme", "gpt-4o-mini", "openai", At("2025-01-01T00:00:00Z"));
  ASSERT_NE(acme, nullptr);
  EXPECT_EQ(acme->id, "custom:openai/gpt-4o-negotiated@2024-01-01");
  const PriceEntry* other = (*catalog)->Find("other", "gpt-4o-mini", "openai", At("2025-01-01T00:00:00Z"));
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->id, "openai/gpt-4o-mini@2024-07-18");
  // A model the project does not price falls back to the built-in catalog.
  const PriceEntry* fallback = (*catalog)->Find("acme", "o3-mini", "openai", At("2025-03-01T00:00:00Z"));
  ASSERT_NE(fallback, nullptr);
  EXPECT_EQ(fallback->id, "openai/o3-mini@2025-01-31");
}

TEST(PriceCatalogTest, NewestProjectPriceValidAtStartTimeWins) {
  absl::StatusOr<std::shared_ptr<const PriceCatalog>> catalog = PriceCatalog::Create(
      {}, {{"acme", {Custom(R"({"provider": "acme", "model": "ft-1", "match": "ft:gpt-4o-mini:acme:.*",
                                "valid_from": "2025-01-01", "prices": {"input": 1, "output": 2}})"),
                     Custom(R"({"provider": "acme", "model": "ft-1", "match": "ft:gpt-4o-mini:acme:.*",
                                "valid_from": "2025-03-01", "prices": {"input": 0.5, "output": 1}})")}}});
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  const char* model = "ft:gpt-4o-mini:acme:support:abc123";
  EXPECT_EQ((*catalog)->Find("acme", model, "", At("2025-02-01T00:00:00Z"))->prices.input, 1);
  EXPECT_EQ((*catalog)->Find("acme", model, "", At("2025-04-01T00:00:00Z"))->prices.input, 0.5);
  EXPECT_EQ((*catalog)->Find("acme", model, "", At("2024-12-31T00:00:00Z")), nullptr);
}

TEST(PriceCatalogTest, ProviderMatchRestrictsAnEntry) {
  absl::StatusOr<std::shared_ptr<const PriceCatalog>> catalog = Builtin()->WithProjectEntries(
      "acme", {Custom(R"({"provider": "openai", "model": "gpt-4o-azure", "match": "gpt-4o",
                          "provider_match": "azure.*", "valid_from": "2024-01-01",
                          "prices": {"input": 2, "output": 8}})")});
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  int64_t t = At("2025-01-01T00:00:00Z");
  EXPECT_EQ((*catalog)->Find("acme", "gpt-4o", "azure.openai", t)->id, "custom:openai/gpt-4o-azure@2024-01-01");
  EXPECT_EQ((*catalog)->Find("acme", "gpt-4o", "openai", t)->id, "openai/gpt-4o@2024-10-02");
}

TEST(PriceCatalogTest, ValidUntilEndsAPrice) {
  absl::StatusOr<std::shared_ptr<const PriceCatalog>> catalog = PriceCatalog::Create(
      {}, {{"acme", {Custom(R"({"provider": "acme", "model": "m", "match": "m", "valid_from": "2025-01-01",
                                "valid_until": "2025-02-01", "prices": {"input": 1, "output": 1}})")}}});
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_NE((*catalog)->Find("acme", "m", "", At("2025-01-31T23:59:59Z")), nullptr);
  EXPECT_EQ((*catalog)->Find("acme", "m", "", At("2025-02-01T00:00:00Z")), nullptr);
}

struct BadEntryCase {
  const char* name;
  const char* json;
  const char* field;  // the error message starts with it
};

class BadEntryTest : public testing::TestWithParam<BadEntryCase> {};

TEST_P(BadEntryTest, RejectsNamingTheField) {
  absl::StatusOr<PriceEntry> e = PriceEntryFromJson(Json::parse(GetParam().json), /*custom=*/true);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(e.status().message().rfind(GetParam().field, 0), 0u) << e.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Entries, BadEntryTest,
    testing::Values(
        BadEntryCase{"InvalidPattern", R"({"provider": "a", "model": "m", "match": "gpt-(4o", "valid_from": "2025-01-01", "prices": {"input": 1, "output": 1}})", "match:"},
        BadEntryCase{"InvalidProviderPattern", R"({"provider": "a", "model": "m", "match": "m", "provider_match": "[", "valid_from": "2025-01-01", "prices": {"input": 1, "output": 1}})", "provider_match:"},
        BadEntryCase{"MissingMatch", R"({"provider": "a", "model": "m", "valid_from": "2025-01-01", "prices": {"input": 1, "output": 1}})", "match:"},
        BadEntryCase{"NegativePrice", R"({"provider": "a", "model": "m", "match": "m", "valid_from": "2025-01-01", "prices": {"input": -1, "output": 1}})", "prices.input:"},
        BadEntryCase{"MisspelledPrice", R"({"provider": "a", "model": "m", "match": "m", "valid_from": "2025-01-01", "prices": {"input": 1, "output": 1, "cache_reed": 1}})", "prices.cache_reed:"},
        BadEntryCase{"MissingOutput", R"({"provider": "a", "model": "m", "match": "m", "valid_from": "2025-01-01", "prices": {"input": 1}})", "prices:"},
        BadEntryCase{"BadDate", R"({"provider": "a", "model": "m", "match": "m", "valid_from": "May 2025", "prices": {"input": 1, "output": 1}})", "valid_from:"},
        BadEntryCase{"UntilBeforeFrom", R"({"provider": "a", "model": "m", "match": "m", "valid_from": "2025-01-01", "valid_until": "2024-01-01", "prices": {"input": 1, "output": 1}})", "valid_until:"},
        BadEntryCase{"TiersOutOfOrder", R"({"provider": "a", "model": "m", "match": "m", "valid_from": "2025-01-01", "prices": {"input": 1, "output": 1}, "tiers": [{"above_input_tokens": 200000, "input": 2}, {"above_input_tokens": 128000, "input": 3}]})", "tiers[1].above_input_tokens:"},
        BadEntryCase{"UnknownField", R"({"provider": "a", "model": "m", "match": "m", "valid_from": "2025-01-01", "prices": {"input": 1, "output": 1}, "price": 3})", "price:"}),
    [](const testing::TestParamInfo<BadEntryCase>& info) { return info.param.name; });

TEST(PriceEntryTest, BuiltinEntryNeedsSource) {
  absl::StatusOr<PriceEntry> e = PriceEntryFromJson(
      Json::parse(R"({"provider": "a", "model": "m", "match": "m", "valid_from": "2025-01-01",
                      "prices": {"input": 1, "output": 1}})"),
      /*custom=*/false);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message().rfind("source:", 0), 0u) << e.status().message();
}

TEST(PriceEntryTest, RoundTripsThroughJson) {
  PriceEntry e = Custom(R"({"provider": "acme", "model": "m", "match": "m.*", "provider_match": "azure",
      "served_by": "azure", "kind": "embedding", "valid_from": "2025-01-01T12:30:00Z",
      "valid_until": "2026-01-01", "prices": {"input": 1, "output": 2, "cache_write": 1.25, "reasoning": 3},
      "tiers": [{"above_input_tokens": 1000, "input": 3, "cache_write": 4}], "source": "https://x", "note": "n"})");
  EXPECT_EQ(e.id, "custom:acme/m@2025-01-01T12:30:00Z");
  absl::StatusOr<PriceEntry> back = PriceEntryFromJson(ToJson(e), /*custom=*/true);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, e);
}

TEST(PriceCatalogTest, RejectsOverlappingPricesOfOneModel) {
  const char* a = R"({"provider": "acme", "model": "m", "match": "m", "valid_from": "2025-01-01",
                      "valid_until": "2025-06-01", "prices": {"input": 1, "output": 1}})";
  const char* b = R"({"provider": "acme", "model": "m", "match": "m", "valid_from": "2025-03-01",
                      "prices": {"input": 2, "output": 2}})";
  absl::StatusOr<std::shared_ptr<const PriceCatalog>> catalog =
      Builtin()->WithProjectEntries("acme", {Custom(a), Custom(b)});
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog.status().message().rfind("valid_until:", 0), 0u) << catalog.status().message();

  catalog = Builtin()->WithProjectEntries("acme", {Custom(b), Custom(b)});
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().message().rfind("valid_from:", 0), 0u) << catalog.status().message();
}

TEST(PriceCatalogTest, RejectsInvalidPatternOfAProgrammaticEntry) {
  PriceEntry e = Custom(R"({"provider": "acme", "model": "m", "match": "m", "valid_from": "2025-01-01",
                            "prices": {"input": 1, "output": 1}})");
  e.match = "(unclosed";
  absl::StatusOr<std::shared_ptr<const PriceCatalog>> catalog = Builtin()->WithProjectEntries("acme", {e});
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog.status().message().rfind("match:", 0), 0u) << catalog.status().message();
}

TEST(PriceCatalogTest, RemovingProjectEntriesRestoresBuiltin) {
  std::shared_ptr<const PriceCatalog> base = Builtin();
  absl::StatusOr<std::shared_ptr<const PriceCatalog>> with = base->WithProjectEntries(
      "acme", {Custom(R"({"provider": "x", "model": "gpt-4o", "match": "gpt-4o", "valid_from": "2020-01-01",
                          "prices": {"input": 9, "output": 9}})")});
  ASSERT_TRUE(with.ok());
  EXPECT_EQ((*with)->project_entries("acme").size(), 1u);
  absl::StatusOr<std::shared_ptr<const PriceCatalog>> without = (*with)->WithProjectEntries("acme", {});
  ASSERT_TRUE(without.ok());
  EXPECT_TRUE((*without)->project_entries("acme").empty());
  EXPECT_EQ((*without)->Find("acme", "gpt-4o", "", At("2025-01-01T00:00:00Z"))->id, "openai/gpt-4o@2024-10-02");
}

}  // namespace
}  // namespace trackly::cost
