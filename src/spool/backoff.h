// Capped exponential backoff with jitter, for retrying a failing sink: the delay before the
// retry after the n-th consecutive failure is min * 2^(n-1), capped at max, then drawn uniformly
// from its upper half ("equal jitter"), so nodes that failed together do not retry in lockstep
// yet every delay is at least half the nominal one. Randomness is seeded: the same seed gives the
// same delays.
#pragma once

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace trackly::spool {

// Not thread-safe.
class Backoff {
 public:
  // Requires 0 < min <= max.
  Backoff(absl::Duration min, absl::Duration max, uint64_t seed);

  // The delay before the next attempt after `failures` (>= 1) consecutive failures; always in
  // [nominal / 2, nominal] with nominal = min(max, min * 2^(failures-1)).
  absl::Duration Delay(uint64_t failures);

 private:
  const absl::Duration min_;
  const absl::Duration max_;
  std::mt19937_64 random_;
};

}  // namespace trackly::spool
