#include "server/rate_limiter.h"

#include "gtest/gtest.h"

namespace trackly::server {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

TEST(RateLimiterTest, NewKeyMaySpendItsBurstThenWaits) {
  FakeClock clock(100 * kSecond);
  RateLimiter limiter({.tokens_per_second = 2, .burst = 3}, 10, clock);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.TryTake("k"), 0) << i;
  EXPECT_EQ(limiter.TryTake("k"), kSecond / 2);  // one token per half second
  clock.Advance(kSecond / 4);
  EXPECT_EQ(limiter.TryTake("k"), kSecond / 4);
  clock.Advance(kSecond / 4);
  EXPECT_EQ(limiter.TryTake("k"), 0);
  EXPECT_GT(limiter.TryTake("k"), 0);
}

TEST(RateLimiterTest, RefillStopsAtTheBurst) {
  FakeClock clock(0);
  RateLimiter limiter({.tokens_per_second = 10, .burst = 2}, 10, clock);
  EXPECT_EQ(limiter.TryTake("k"), 0);
  clock.Advance(3600 * kSecond);
  EXPECT_EQ(limiter.TryTake("k"), 0);
  EXPECT_EQ(limiter.TryTake("k"), 0);
  EXPECT_GT(limiter.TryTake("k"), 0);
}

TEST(RateLimiterTest, KeysHaveSeparateBuckets) {
  FakeClock clock(0);
  RateLimiter limiter({.tokens_per_second = 1, .burst = 1}, 10, clock);
  EXPECT_EQ(limiter.TryTake("a"), 0);
  EXPECT_GT(limiter.TryTake("a"), 0);
  EXPECT_EQ(limiter.TryTake("b"), 0);
}

TEST(RateLimiterTest, WaitNanosTakesNothingAndCreatesNoBucket) {
  FakeClock clock(0);
  RateLimiter limiter({.tokens_per_second = 1.0 / 60, .burst = 1}, 10, clock);
  EXPECT_EQ(limiter.WaitNanos("k"), 0);
  EXPECT_EQ(limiter.size(), 0u);
  EXPECT_EQ(limiter.TryTake("k"), 0);
  EXPECT_EQ(limiter.WaitNanos("k"), 60 * kSecond);
  EXPECT_EQ(limiter.WaitNanos("k"), 60 * kSecond);
  clock.Advance(60 * kSecond);
  EXPECT_EQ(limiter.WaitNanos("k"), 0);
}

TEST(RateLimiterTest, ClockSteppingBackRefillsNothingAndBlocksNoLonger) {
  FakeClock clock(1000 * kSecond);
  RateLimiter limiter({.tokens_per_second = 1, .burst = 1}, 10, clock);
  EXPECT_EQ(limiter.TryTake("k"), 0);
  clock.Set(10 * kSecond);  // an hour-scale step back must not freeze the bucket
  EXPECT_EQ(limiter.TryTake("k"), kSecond);
  clock.Advance(kSecond);
  EXPECT_EQ(limiter.TryTake("k"), 0);
}

TEST(RateLimiterTest, FloodOfKeysNeverGrowsPastTheBound) {
  FakeClock clock(0);
  RateLimiter limiter({.tokens_per_second = 1, .burst = 5}, 100, clock);
  for (int i = 0; i < 10'000; ++i) {
    EXPECT_EQ(limiter.TryTake("flood-" + std::to_string(i)), 0);
    ASSERT_LE(limiter.size(), 100u);
  }
  EXPECT_EQ(limiter.size(), 100u);
}

TEST(RateLimiterTest, IdleBucketsThatRefilledAreDropped) {
  FakeClock clock(0);
  RateLimiter limiter({.tokens_per_second = 1, .burst = 2}, 100, clock);
  for (int i = 0; i < 50; ++i) limiter.TryTake("idle-" + std::to_string(i));
  EXPECT_EQ(limiter.size(), 50u);
  clock.Advance(2 * kSecond);  // every bucket is full again
  limiter.TryTake("new");
  EXPECT_EQ(limiter.size(), 1u);
}

TEST(RateLimiterTest, EvictionUnderPressureDropsTheLeastRecentlyUsed) {
  FakeClock clock(0);
  RateLimiter limiter({.tokens_per_second = 1, .burst = 1}, 2, clock);
  EXPECT_EQ(limiter.TryTake("a"), 0);
  EXPECT_EQ(limiter.TryTake("b"), 0);
  EXPECT_GT(limiter.TryTake("a"), 0);  // "a" is now the most recently used
  EXPECT_EQ(limiter.TryTake("c"), 0);  // pushes out "b"
  EXPECT_GT(limiter.TryTake("a"), 0);  // "a" kept its empty bucket
  EXPECT_EQ(limiter.TryTake("b"), 0);  // "b" starts over
}

}  // namespace
}  // namespace trackly::server
