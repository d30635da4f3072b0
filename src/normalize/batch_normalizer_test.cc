#include "normalize/batch_normalizer.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace trackly::normalize
