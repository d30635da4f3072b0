#include "store/clickhouse/hour_sums_filler.h"

#include <string>
#include <vector>

#include "base/log.h"
#include "store/clickhouse/rollups.h"

namespace trackly::store::clickhouse {
namespace {

constexpr int64_t kDaySeconds = 86'400;
// Hours computed per FillHourSums call: one day's, a read of `rollups` of one day, so a stop
// waits for at most that.
constexpr int kHoursPerCall = 24;

}  // namespace

HourSumsFiller::HourSumsFiller(const Database& db, const Clock& clock, const RetentionClasses& classes,
                               absl::Duration interval)
    : db_(db), clock_(clock), classes_(classes), interval_(interval), thread_([this] { Run(); }) {}

HourSumsFiller::~HourSumsFiller() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void HourSumsFiller::AwaitPasses(int64_t n) const {
  absl::MutexLock lock(&mu_);
  auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return passes_ >= n; };
  mu_.Await(absl::Condition(&done));
}

bool HourSumsFiller::Stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void HourSumsFiller::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
      if (stopping_) return;
    }
    Pass();
    absl::MutexLock lock(&mu_);
    ++passes_;
  }
}

void HourSumsFiller::Pass() {
  absl::StatusOr<std::vector<std::string>> projects = ReadRollupProjects(db_);
  if (!projects.ok()) {
    LogWarn("hour sums: listing the projects failed (retried next pass): ", projects.status().message());
    return;
  }
  for (const std::string& project : *projects) {
    const HourSumsOptions options{
        .clock = &clock_,
        .retention = classes_.ClassOf(project),
        .max_hours_recomputed = kHoursPerCall,
        .first_kept_s = classes_.ExpiryDay(project, RetentionTier::kSummary, clock_.NowNanos()) * kDaySeconds};
    while (!Stopping()) {
      absl::StatusOr<int64_t> computed = FillHourSums(db_, project, options);
      if (!computed.ok()) {
        LogWarn("hour sums of project ", project, ": ", computed.status().message(), " (retried next pass)");
        break;
      }
      if (*computed < kHoursPerCall) break;  // none left
    }
    if (Stopping()) return;
  }
}

}  // namespace trackly::store::clickhouse
