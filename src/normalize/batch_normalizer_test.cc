#include "normalize/batch_normalizer.h"

#include <gtest/gtest.h>

#include "normalize/cost/cost_engine.h"

namespace trackly::normalize {
namespace {

model::RawSpan ChatSpan(std::string span_id, int64_t input_tokens) {
  model::RawSpan span;
  span.trace_id = "4d9c0ecc9f3a12846ae99b70de27a657";
  span.span_id = std::move(span_id);
  span.name = "chat gpt-4o";
  span.start_time_ns = 1'795'314'529'000'000'000;
  span.end_time_ns = span.start_time_ns + 1'000'000;
  span.attributes = model::Json{{"gen_ai.operation.name", "chat"},
                                {"gen_ai.request.model", "gpt-4o"},
                                {"gen_ai.usage.input_tokens", input_tokens},
                                {"gen_ai.usage.output_tokens", 100}};
  span.scope = std::make_shared<model::RawScope>();
  return span;
}

std::shared_ptr<const cost::PriceCatalog> BuiltinPrices() {
  absl::StatusOr<std::shared_ptr<const cost::PriceCatalog>> prices = cost::PriceCatalog::Builtin();
  EXPECT_TRUE(prices.ok()) << prices.status();
  return *prices;
}

BatchNormalizer MakeNormalizer() {
  static const cost::FixedPriceSource* const kPrices = new cost::FixedPriceSource(BuiltinPrices());
  return BatchNormalizer(*kPrices);
}

// A source whose catalog the test swaps, as the server does when a project's prices change.
class SwappablePriceSource final : public cost::PriceSource {
 public:
  explicit SwappablePriceSource(std::shared_ptr<const cost::PriceCatalog> catalog) : catalog_(std::move(catalog)) {}
  std::shared_ptr<const cost::PriceCatalog> Current() const override { return catalog_; }
  void Set(std::shared_ptr<const cost::PriceCatalog> catalog) { catalog_ = std::move(catalog); }

 private:
  std::shared_ptr<const cost::PriceCatalog> catalog_;
};

TEST(BatchNormalizerTest, PricesGenerationsThatCarryUsageButNoCost) {
  model::SpanBatch batch;
  batch.spans.push_back(ChatSpan("1df175526ec4215a", 1000));
  NormalizedBatch out = MakeNormalizer().Normalize(std::move(batch), "default");
  ASSERT_EQ(out.observations.size(), 1u);
  const model::Cost& cost = out.observations[0].cost;
  EXPECT_EQ(cost.source, model::CostSource::kComputed);
  EXPECT_GT(cost.total, 0);
  EXPECT_FALSE(cost.price_id.empty());
  EXPECT_EQ(out.rejected_spans, 0);
}

TEST(BatchNormalizerTest, RejectsSpanWithNegativeTokensAndKeepsTheRest) {
  model::SpanBatch batch;
  batch.rejected_spans = 1;  // the decoder already rejected one span
  batch.rejection_message = "resourceSpans[0].scopeSpans[0].spans[0].traceId: all zero";
  batch.spans.push_back(ChatSpan("1df175526ec4215a", -5));
  batch.spans.push_back(ChatSpan("2df175526ec4215a", 10));
  NormalizedBatch out = MakeNormalizer().Normalize(std::move(batch), "default");
  ASSERT_EQ(out.observations.size(), 1u);
  EXPECT_EQ(out.observations[0].id, "2df175526ec4215a");
  EXPECT_EQ(out.rejected_spans, 2);
  EXPECT_NE(out.rejection_message.find("traceId: all zero"), std::string::npos);
  EXPECT_NE(out.rejection_message.find("2 spans rejected"), std::string::npos);
}

TEST(BatchNormalizerTest, NamesTheSpanAndFieldOfInvalidUsage) {
  model::SpanBatch batch;
  batch.spans.push_back(ChatSpan("1df175526ec4215a", -5));
  NormalizedBatch out = MakeNormalizer().Normalize(std::move(batch), "default");
  EXPECT_TRUE(out.observations.empty());
  EXPECT_EQ(out.rejected_spans, 1);
  EXPECT_NE(out.rejection_message.find("span 1df175526ec4215a"), std::string::npos);
  EXPECT_NE(out.rejection_message.find("input_tokens"), std::string::npos);
}

// A chat span that reports no usage: gen_ai.input.messages and gen_ai.output.messages only.
model::RawSpan ChatSpanWithoutUsage(std::string span_id) {
  model::RawSpan span = ChatSpan(std::move(span_id), 0);
  span.attributes = model::Json{
      {"gen_ai.operation.name", "chat"},
      {"gen_ai.request.model", "gpt-4o"},
      {"gen_ai.input.messages",
       R"([{"role":"system","content":"You are a helpful assistant."},)"
       R"({"role":"user","content":"What is the capital of France?"}])"},
      {"gen_ai.output.messages", R"([{"role":"assistant","content":"The capital of France is Paris."}])"}};
  return span;
}

TEST(BatchNormalizerTest, EstimatesUsageOfAGenerationWithoutUsageAndPricesIt) {
  model::SpanBatch batch;
  batch.spans.push_back(ChatSpanWithoutUsage("1df175526ec4215a"));
  NormalizedBatch out = MakeNormalizer().Normalize(std::move(batch), "default");
  ASSERT_EQ(out.observations.size(), 1u);
  const model::Observation& o = out.observations[0];
  // js-tiktoken o200k_base: 6 + 7 content tokens, 1 + 1 role tokens, 3 per message, 3 priming;
  // the answer is 7 tokens.
  EXPECT_EQ(o.usage, (model::Usage{.input_tokens = 24, .output_tokens = 7, .total_tokens = 31, .estimated = true}));
  EXPECT_EQ(o.cost.source, model::CostSource::kComputed);
  EXPECT_GT(o.cost.total, 0);
  EXPECT_EQ(o.cost.note, cost::kEstimatedUsageNote);
}

TEST(BatchNormalizerTest, MergedPricerEstimatesAndReportsTheChange) {
  model::Observation o;
  o.id = "1df175526ec4215a";
  o.trace_id = "4d9c0ecc9f3a12846ae99b70de27a657";
  o.type = model::ObservationType::kGeneration;
  o.model = "gpt-4o";
  o.start_time_ns = 1'795'314'529'000'000'000;
  o.input = "What is the capital of France?";
  std::function<bool(model::Observation&)> finish = MakeNormalizer().MergedPricer("default");
  ASSERT_TRUE(finish(o));
  EXPECT_EQ(o.usage, (model::Usage{.input_tokens = 7, .total_tokens = 7, .estimated = true}));
  EXPECT_EQ(o.cost.source, model::CostSource::kComputed);
  EXPECT_FALSE(finish(o));  // the same merge again changes nothing
}

TEST(BatchNormalizerTest, PricesEachBatchWithTheSourcesCurrentCatalog) {
  std::shared_ptr<const cost::PriceCatalog> builtin = BuiltinPrices();
  SwappablePriceSource source(builtin);
  BatchNormalizer normalizer(source);
  auto normalize_one = [&normalizer] {
    model::SpanBatch batch;
    batch.spans.push_back(ChatSpan("1df175526ec4215a", 1000));
    return normalizer.Normalize(std::move(batch), "p1").observations.at(0).cost;
  };
  EXPECT_EQ(normalize_one().price_id.rfind("openai/gpt-4o@", 0), 0u);

  absl::StatusOr<cost::PriceEntry> custom = cost::PriceEntryFromJson(
      model::Json{{"provider", "openai"}, {"model", "gpt-4o"}, {"match", "gpt-4o"}, {"valid_from", "2020-01-01"},
                  {"prices", {{"input", 1000}, {"output", 0}}}},
      /*custom=*/true);
  ASSERT_TRUE(custom.ok()) << custom.status();
  absl::StatusOr<std::shared_ptr<const cost::PriceCatalog>> with_custom = builtin->WithProjectEntries("p1", {*custom});
  ASSERT_TRUE(with_custom.ok()) << with_custom.status();
  source.Set(*with_custom);
  model::Cost cost = normalize_one();
  EXPECT_EQ(cost.price_id, "custom:openai/gpt-4o@2020-01-01");
  EXPECT_DOUBLE_EQ(cost.total, 1.0);  // 1000 tokens at $1000 per 1M
}

model::ObservationFragment GenerationFragment(std::string id, int64_t input_tokens) {
  model::ObservationFragment f;
  f.observation.id = std::move(id);
  f.observation.type = model::ObservationType::kGeneration;
  f.observation.input = model::Json::parse(R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})");
  f.observation.output = model::Json::parse(R"({"choices":[{"message":{"role":"assistant","content":"hello"}}]})");
  f.observation.usage.input_tokens = input_tokens;
  f.fields = model::kFieldType | model::kFieldInput | model::kFieldOutput | model::kFieldUsage;
  return f;
}

TEST(BatchNormalizerTest, FragmentsKeepChatContentAsSentUntilTheMerge) {
  std::vector<model::ObservationFragment> fragments;
  fragments.push_back(GenerationFragment("r1", 10));
  const model::Json sent = fragments[0].observation.input;
  NormalizedFragments out = MakeNormalizer().NormalizeFragments(std::move(fragments), "default");
  ASSERT_EQ(out.fragments.size(), 1u);
  EXPECT_EQ(out.fragments[0].observation.input, sent);
  EXPECT_EQ(out.fragments[0].observation.cost.source, model::CostSource::kNone);  // priced at merge
}

TEST(BatchNormalizerTest, MergedPricerTurnsChatContentOfAGenerationIntoMessages) {
  model::Observation merged = GenerationFragment("r1", 10).observation;
  merged.model = "gpt-4o";
  EXPECT_TRUE(MakeNormalizer().MergedPricer("default")(merged));
  EXPECT_EQ(merged.input, model::Json::parse(R"([{"role":"user","content":"hi"}])"));
  EXPECT_EQ(merged.output, model::Json::parse(R"([{"role":"assistant","content":"hello"}])"));
  EXPECT_EQ(merged.cost.source, model::CostSource::kComputed);

  model::Observation chain = GenerationFragment("r2", 10).observation;
  chain.type = model::ObservationType::kChain;
  const model::Json sent = chain.input;
  MakeNormalizer().MergedPricer("default")(chain);
  EXPECT_EQ(chain.input, sent);
}

TEST(BatchNormalizerTest, RejectsFragmentWithNegativeTokensNamingIt) {
  std::vector<model::ObservationFragment> fragments;
  fragments.push_back(GenerationFragment("bad-run", -3));
  fragments.push_back(GenerationFragment("good-run", 3));
  NormalizedFragments out = MakeNormalizer().NormalizeFragments(std::move(fragments), "default");
  ASSERT_EQ(out.fragments.size(), 1u);
  EXPECT_EQ(out.fragments[0].observation.id, "good-run");
  EXPECT_EQ(out.rejected_fragments, 1);
  EXPECT_NE(out.rejection_message.find("observation bad-run: usage.input_tokens"), std::string::npos)
      << out.rejection_message;
}

}  // namespace
}  // namespace trackly::normalize
