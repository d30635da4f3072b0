#include "spool/backoff.h"

#include "gtest/gtest.h"

namespace trackly::spool {
namespace {

TEST(BackoffTest, DoublesFromTheMinimumUpToTheCapWithinTheUpperHalf) {
  Backoff backoff(absl::Milliseconds(10), absl::Milliseconds(100), /*seed=*/7);
  const struct {
    uint64_t failures;
    absl::Duration nominal;
  } cases[] = {{1, absl::Milliseconds(10)},  {2, absl::Milliseconds(20)},  {3, absl::Milliseconds(40)},
               {4, absl::Milliseconds(80)},  {5, absl::Milliseconds(100)}, {6, absl::Milliseconds(100)},
               {UINT64_MAX, absl::Milliseconds(100)}};
  for (const auto& c : cases) {
    for (int i = 0; i < 50; ++i) {
      const absl::Duration delay = backoff.Delay(c.failures);
      EXPECT_GE(delay, c.nominal / 2) << "failures " << c.failures;
      EXPECT_LE(delay, c.nominal) << "failures " << c.failures;
    }
  }
}

TEST(BackoffTest, JittersAndIsDeterministicForASeed) {
  Backoff a(absl::Milliseconds(10), absl::Seconds(1), 42);
  Backoff b(absl::Milliseconds(10), absl::Seconds(1), 42);
  bool varied = false;
  const absl::Duration first = a.Delay(3);
  EXPECT_EQ(first, b.Delay(3));
  for (int i = 0; i < 20; ++i) {
    const absl::Duration delay = a.Delay(3);
    EXPECT_EQ(delay, b.Delay(3));
    varied = varied || delay != first;
  }
  EXPECT_TRUE(varied);
}

}  // namespace
}  // namespace trackly::spool
