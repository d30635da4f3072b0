// Checking a project's retention (store/catalog.h RetentionRecord; docs/security.md "Retention").
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "store/catalog.h"

namespace trackly::store {

// The longest either tier may be: 100 years, in days.
inline constexpr int32_t kMaxRetentionDays = 36'500;

// OK when both days are in [0, kMaxRetentionDays] and, when both are non-zero (0 = keep
// forever), payload_days <= summary_days (a trace's summary cannot go before its payloads).
// InvalidArgument otherwise, its message starting with the field at fault ("payload_days: ...")
// and giving the bad value. The project name is not checked here (the catalog does).
absl::Status ValidateRetention(const RetentionRecord& record);

}  // namespace trackly::store
