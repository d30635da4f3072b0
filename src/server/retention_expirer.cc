#include "server/retention_expirer.h"

#include <utility>

#include "base/log.h"
#include "base/status.h"

namespace trackly::server {
namespace {

// The first day that is not wholly older than `days` days at `now_ns`; 0 for "forever".
int64_t ExpiryDay(int32_t days, int64_t now_ns) {
  if (days <= 0) return 0;
  return std::max<int64_t>(0, store::DayOf(now_ns - days * store::kNanosPerDay));
}

}  // namespace

store::ExpireRequest ExpireRequestFor(const store::RetentionRecord& retention, int64_t now_ns) {
  return store::ExpireRequest{.project = retention.project,
                              .payload_before_day = ExpiryDay(retention.payload_days, now_ns),
                              .summary_before_day = ExpiryDay(retention.summary_days, now_ns)};
}

RetentionExpirer::RetentionExpirer(store::Store& store, store::Catalog& catalog, RetentionDefaults defaults,
                                   const Clock& clock)
    : store_(store), catalog_(catalog), defaults_(defaults), clock_(clock) {}

RetentionExpirer::~RetentionExpirer() {
  {
    absl::MutexLock lock(&stop_mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<store::ExpireStats> RetentionExpirer::Expire(const store::RetentionRecord& retention) {
  return store_.Expire(ExpireRequestFor(retention, clock_.NowNanos()));
}

absl::StatusOr<ExpiryPassStats> RetentionExpirer::RunPass() {
  absl::MutexLock pass(&pass_mu_);
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::RetentionRecord> retentions, EffectiveRetentions(catalog_, defaults_));
  ExpiryPassStats stats;
  absl::Status first_error;
  // Every project first, those keeping everything too: the store lays out their rows by it, and
  // one project's expiry may drop a partition shared with others only if it knows theirs.
  for (const store::RetentionRecord& retention : retentions) NoteRetention(retention);
  for (const store::RetentionRecord& retention : retentions) {
    if (retention.payload_days == 0 && retention.summary_days == 0) continue;
    ++stats.projects;
    absl::StatusOr<store::ExpireStats> removed = Expire(retention);
    if (!removed.ok()) {
      LogWarn("retention of project ", retention.project, " not applied: ", removed.status().ToString());
      if (first_error.ok()) first_error = removed.status();
      continue;
    }
    stats.removed.partitions_dropped += removed->partitions_dropped;
    stats.removed.traces_cleared += removed->traces_cleared;
    stats.removed.traces_removed += removed->traces_removed;
  }
  TRACKLY_RETURN_IF_ERROR(first_error);
  return stats;
}

absl::StatusOr<store::ExpireStats> RetentionExpirer::RunProject(std::string_view project) {
  absl::MutexLock pass(&pass_mu_);
  TRACKLY_ASSIGN_OR_RETURN(EffectiveRetention retention, EffectiveRetentionOf(catalog_, defaults_, project));
  NoteRetention(retention.record);
  if (retention.record.payload_days == 0 && retention.record.summary_days == 0) return store::ExpireStats{};
  return Expire(retention.record);
}

void RetentionExpirer::NoteRetention(const store::RetentionRecord& retention) {
  store_.NoteRetention(retention.project, retention.payload_days, retention.summary_days);
}

void RetentionExpirer::Start(absl::Duration interval) {
  thread_ = std::thread([this, interval] { Loop(interval); });
}

void RetentionExpirer::Loop(absl::Duration interval) {
  while (true) {
    if (absl::StatusOr<ExpiryPassStats> pass = RunPass(); pass.ok()) {
      if (pass->removed.partitions_dropped + pass->removed.traces_cleared + pass->removed.traces_removed > 0) {
        LogInfo("retention: ", pass->removed.partitions_dropped, " payload partitions dropped, ",
                pass->removed.traces_cleared, " traces cleared to their summary, ", pass->removed.traces_removed,
                " traces removed");
      }
    } else {
      LogWarn("retention pass failed: ", pass.status().ToString());
    }
    absl::MutexLock lock(&stop_mu_);
    // Waits out the interval, waking at once when the expirer is destroyed.
    stop_mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval);
    if (stopping_) return;
  }
}

}  // namespace trackly::server
