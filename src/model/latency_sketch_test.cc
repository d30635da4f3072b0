#include "model/latency_sketch.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace trackly::model {
namespace {

double ExactQuantile(std::vector<int64_t> values, double q) {
  std::sort(values.begin(), values.end());
  return static_cast<double>(values[static_cast<size_t>(q * static_cast<double>(values.size() - 1))]);
}

TEST(LatencySketchTest, QuantilesAreWithinOnePercentOfExactValues) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> latency(std::log(200'000.0), 1.5);
  std::vector<int64_t> values;
  LatencySketch sketch;
  for (int i = 0; i < 20000; ++i) {
    const auto value = std::max<int64_t>(1, static_cast<int64_t>(latency(random)));
    values.push_back(value);
    sketch.Add(value);
  }
  for (double q : {0.0, 0.5, 0.9, 0.95, 0.99, 1.0}) {
    const double exact = ExactQuantile(values, q);
    EXPECT_LE(std::abs(sketch.Quantile(q) - exact), LatencySketch::kRelativeAccuracy * exact) << "q=" << q;
  }
}

TEST(LatencySketchTest, SubtractingAMergedSketchRestoresTheOriginal) {
  LatencySketch base;
  for (int64_t v : {0, 5, 1000, 1000, 250'000}) base.Add(v);
  LatencySketch other;
  for (int64_t v : {7, 1000, 9'000'000}) other.Add(v);
  LatencySketch sum = base;
  sum.Merge(other);
  EXPECT_EQ(sum.count(), 8);
  sum.Merge(other, -1);
  EXPECT_EQ(sum, base);
  sum.Merge(base, -1);
  EXPECT_TRUE(sum.empty());
  EXPECT_EQ(sum.count(), 0);
}

TEST(LatencySketchTest, ZeroLatencyIsAnsweredAsZero) {
  LatencySketch sketch;
  sketch.Add(0, 3);
  EXPECT_EQ(sketch.Quantile(0.99), 0);
}

TEST(LatencySketchTest, EncodeDecodeRoundTripsIncludingNegativeCounts) {
  LatencySketch sketch;
  sketch.Add(0, 2);
  sketch.Add(1);
  sketch.Add(123456, -4);
  sketch.Add(99'000'000'000, 9);
  absl::StatusOr<LatencySketch> decoded = LatencySketch::Decode(sketch.Encode());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, sketch);
  EXPECT_EQ(LatencySketch::Decode("").value(), LatencySketch());
}

TEST(LatencySketchTest, MergeEncodedEqualsMergeOfTheDecodedSketch) {
  LatencySketch base;
  for (int64_t v : {0, 5, 1000, 250'000}) base.Add(v);
  LatencySketch other;
  for (int64_t v : {0, 1, 7, 1000, 9'000'000}) other.Add(v);
  LatencySketch expected = base;
  expected.Merge(other);
  LatencySketch merged = base;
  ASSERT_TRUE(merged.MergeEncoded(other.Encode()).ok());
  EXPECT_EQ(merged, expected);
  ASSERT_TRUE(merged.MergeEncoded(other.Encode(), -1).ok());
  EXPECT_EQ(merged, base);
  EXPECT_EQ(merged.MergeEncoded("\x01").code(), absl::StatusCode::kDataLoss);
}

TEST(LatencySketchTest, RejectsTruncatedBytes) {
  LatencySketch sketch;
  sketch.Add(123456);
  std::string bytes = sketch.Encode();
  bytes.pop_back();
  EXPECT_EQ(LatencySketch::Decode(bytes).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace trackly::model
