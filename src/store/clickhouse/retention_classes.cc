#include "store/clickhouse/retention_classes.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "store/clickhouse/rows.h"
#include "store/store.h"

namespace trackly::store::clickhouse {
namespace {

// Below kMigratedRowsClass, so a project's class never lands in the migration's partitions even
// if it was noted a retention longer than the API allows.
uint16_t ClassDays(int32_t days) { return static_cast<uint16_t>(std::clamp<int32_t>(days, 0, 65534)); }

}  // namespace

void AppendRetentionClass(RowBinaryWriter& out, RetentionClass retention) {
  out.UInt16(retention.payload_days);
  out.UInt16(retention.summary_days);
}

std::string PartitionLiteral(RetentionClass retention, int64_t day) {
  return absl::StrCat("(", retention.payload_days, ", ", retention.summary_days, ", ", DayLiteral(day * kNanosPerDay),
                      ")");
}

void RetentionClasses::Note(std::string_view project, int32_t payload_days, int32_t summary_days) {
  absl::MutexLock lock(&mu_);
  days_.insert_or_assign(std::string(project), Days{.payload = payload_days, .summary = summary_days});
}

RetentionClass RetentionClasses::ClassOf(std::string_view project) const {
  absl::MutexLock lock(&mu_);
  auto it = days_.find(project);
  if (it == days_.end()) return RetentionClass{};
  return RetentionClass{.payload_days = ClassDays(it->second.payload), .summary_days = ClassDays(it->second.summary)};
}

int64_t RetentionClasses::ExpiryDay(std::string_view project, RetentionTier tier, int64_t now_ns) const {
  int32_t days = 0;
  {
    absl::MutexLock lock(&mu_);
    auto it = days_.find(project);
    if (it == days_.end()) return 0;
    days = tier == RetentionTier::kPayload ? it->second.payload : it->second.summary;
  }
  if (days <= 0) return 0;
  return std::max<int64_t>(0, DayOf(now_ns) - days);
}

}  // namespace trackly::store::clickhouse
