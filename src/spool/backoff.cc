#include "spool/backoff.h"

#include <algorithm>

namespace trackly::spool {

Backoff::Backoff(absl::Duration min, absl::Duration max, uint64_t seed) : min_(min), max_(max), random_(seed) {}

absl::Duration Backoff::Delay(uint64_t failures) {
  absl::Duration nominal = min_;
  // Doubling stops at the cap, so a failure count in the millions cannot overflow the duration.
  for (uint64_t i = 1; i < failures && nominal < max_; ++i) nominal *= 2;
  nominal = std::min(nominal, max_);
  const int64_t nominal_ns = absl::ToInt64Nanoseconds(nominal);
  std::uniform_int_distribution<int64_t> upper_half(nominal_ns / 2, nominal_ns);
  return absl::Nanoseconds(upper_half(random_));
}

}  // namespace trackly::spool
