// Token buckets keyed by a string (an API key id, a client address). Each key's bucket holds at
// most `burst` tokens and refills at `tokens_per_second`; a request takes one token. A key seen
// for the first time starts with a full bucket.
//
// Memory is bounded: at most `max_keys` buckets exist. A bucket that has refilled to full is
// indistinguishable from no bucket, so such buckets are dropped as they are found (least recently
// used first). When the table is full of buckets still refilling, the least recently used one is
// dropped anyway: that key starts over with a full bucket, so a flood of distinct keys loosens the
// limits for the keys it pushes out but can never grow memory.
//
// Time comes from the injected Clock; a clock that steps backwards refills nothing (and takes
// nothing away).
//
// Hand-written rather than a library: Debian ships no C++ rate limiter, and the part worth
// having (bounded memory with eviction of idle keys) is a few lines over a hash map and a list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"

namespace trackly::server {

// Thread-safe.
class RateLimiter {
 public:
  struct Rate {
    double tokens_per_second = 1;  // > 0
    double burst = 1;              // >= 1: tokens a key may spend at once
  };

  // `clock` must outlive the limiter. max_keys >= 1.
  RateLimiter(Rate rate, size_t max_keys, const Clock& clock);

  // Takes one token from `key`'s bucket. Returns 0 when one was taken; otherwise takes nothing
  // and returns the nanoseconds until a token will be available (> 0).
  int64_t TryTake(std::string_view key);

  // The nanoseconds until `key`'s bucket holds a token (0 = it holds one now). Takes nothing and
  // never creates a bucket.
  int64_t WaitNanos(std::string_view key);

  // Buckets held now (for tests of the memory bound).
  size_t size();

 private:
  struct Bucket {
    std::string key;
    double tokens = 0;
    int64_t updated_ns = 0;
  };
  using Lru = std::list<Bucket>;  // most recently used first

  // Adds what `bucket` earned since its last update, capped at the burst.
  void Refill(Bucket& bucket, int64_t now_ns) const;
  // Nanoseconds until a refilled `bucket` holds one token.
  int64_t WaitOf(const Bucket& bucket) const;
  // Drops least recently used buckets that are full again, and makes room for one more.
  void Evict(int64_t now_ns) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Rate rate_;
  const size_t max_keys_;
  const Clock& clock_;
  absl::Mutex mu_;
  Lru lru_ ABSL_GUARDED_BY(mu_);
  // Keys are views of the buckets' own keys in lru_ (list nodes never move).
  absl::flat_hash_map<std::string_view, Lru::iterator> index_ ABSL_GUARDED_BY(mu_);
};

}  // namespace trackly::server
