#include "server/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace trackly::server {
namespace {

constexpr double kNanosPerSecond = 1e9;
// Refills add fractions of a token; a bucket this close to a whole token holds one (so rounding
// in the sums cannot turn "wait 1 s" into "wait 1 s and 1 ns").
constexpr double kTokenEpsilon = 1e-9;

}  // namespace

RateLimiter::RateLimiter(Rate rate, size_t max_keys, const Clock& clock)
    : rate_(rate), max_keys_(std::max<size_t>(max_keys, 1)), clock_(clock) {}

void RateLimiter::Refill(Bucket& bucket, int64_t now_ns) const {
  if (now_ns > bucket.updated_ns) {
    double earned = static_cast<double>(now_ns - bucket.updated_ns) / kNanosPerSecond *
                    rate_.tokens_per_second;
    bucket.tokens = std::min(rate_.burst, bucket.tokens + earned);
  }
  // Also when the clock stepped back: refilling resumes from the new "now", not from a moment
  // that may lie hours ahead.
  bucket.updated_ns = now_ns;
}

int64_t RateLimiter::WaitOf(const Bucket& bucket) const {
  if (bucket.tokens >= 1 - kTokenEpsilon) return 0;
  double wait_ns = (1 - bucket.tokens) / rate_.tokens_per_second * kNanosPerSecond;
  return std::max<int64_t>(1, std::llround(wait_ns));
}

void RateLimiter::Evict(int64_t now_ns) {
  // Every bucket is dropped at most once, so this loop costs O(1) per call on average.
  while (!lru_.empty()) {
    Bucket& oldest = lru_.back();
    Refill(oldest, now_ns);
    if (oldest.tokens < rate_.burst && lru_.size() < max_keys_) break;
    index_.erase(oldest.key);
    lru_.pop_back();
  }
}

int64_t RateLimiter::TryTake(std::string_view key) {
  const int64_t now_ns = clock_.NowNanos();
  absl::MutexLock lock(&mu_);
  auto found = index_.find(key);
  Lru::iterator bucket;
  if (found != index_.end()) {
    bucket = found->second;
    lru_.splice(lru_.begin(), lru_, bucket);
    Refill(*bucket, now_ns);
  } else {
    Evict(now_ns);
    lru_.push_front(Bucket{std::string(key), rate_.burst, now_ns});
    bucket = lru_.begin();
    index_.emplace(bucket->key, bucket);
  }
  if (int64_t wait_ns = WaitOf(*bucket); wait_ns > 0) return wait_ns;
  bucket->tokens = std::max(0.0, bucket->tokens - 1);
  return 0;
}

int64_t RateLimiter::WaitNanos(std::string_view key) {
  const int64_t now_ns = clock_.NowNanos();
  absl::MutexLock lock(&mu_);
  auto found = index_.find(key);
  if (found == index_.end()) return 0;
  Refill(*found->second, now_ns);
  return WaitOf(*found->second);
}

size_t RateLimiter::size() {
  absl::MutexLock lock(&mu_);
  return lru_.size();
}

}  // namespace trackly::server
