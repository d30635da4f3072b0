#include "store/retention.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace trackly::store {

absl::Status ValidateRetention(const RetentionRecord& record) {
  for (const auto& [field, days] : {std::pair<const char*, int32_t>{"payload_days", record.payload_days},
                                    std::pair<const char*, int32_t>{"summary_days", record.summary_days}}) {
    if (days < 0 || days > kMaxRetentionDays) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": must be from 0 (keep forever) to ", kMaxRetentionDays, " days, got ", days));
    }
  }
  // With a summary tier of 0 (forever) any payload tier fits; with a payload tier of 0 the
  // payloads are kept as long as the summary, so a finite summary_days alone is consistent too.
  if (record.payload_days != 0 && record.summary_days != 0 && record.payload_days > record.summary_days) {
    return absl::InvalidArgumentError(absl::StrCat("payload_days: must not be more than summary_days (",
                                                   record.summary_days, ") when both are set, got ",
                                                   record.payload_days));
  }
  return absl::OkStatus();
}

}  // namespace trackly::store
