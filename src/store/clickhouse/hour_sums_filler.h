// Computes the ClickHouse store's hour sums in the background (rollups.h "Hour sums"), so that
// dashboards find them ready. A query computes the settled hours of its range that it finds stale
// or missing before answering; without the filler that work falls on the first dashboard after a
// busy hour, and after the upgrade to layout 7 on the first one over each month of older data
// (about 30 s for a 30-day dashboard at 10M spans). Several nodes each run one: an hour computed
// by two at once is computed twice, and the newer computation wins (both are whole and exact).
#pragma once

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "store/clickhouse/retention_classes.h"
#include "store/clickhouse/queries.h"

namespace trackly::store::clickhouse {

// Thread-safe. Owns one thread.
class HourSumsFiller {
 public:
  // Starts the thread: a pass every `interval` (> 0), the first one interval from now. A pass
  // fills each project with `rollups` rows in turn (FillHourSums with the project's class and
  // first kept day from `classes`, a day of hours per call until none is left); a failure is
  // logged and the pass goes on with the next project. `db`, `clock` and `classes` must outlive
  // the filler.
  HourSumsFiller(const Database& db, const Clock& clock, const RetentionClasses& classes, absl::Duration interval);
  // Stops the thread, after the day of hours being computed, if any.
  ~HourSumsFiller();

  HourSumsFiller(const HourSumsFiller&) = delete;
  HourSumsFiller& operator=(const HourSumsFiller&) = delete;

  // Blocks until `n` passes have completed (for tests).
  void AwaitPasses(int64_t n) const;

 private:
  void Run();
  void Pass();
  bool Stopping() const;

  const Database& db_;
  const Clock& clock_;
  const RetentionClasses& classes_;
  const absl::Duration interval_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t passes_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;  // last: starts once the members above are set
};

}  // namespace trackly::store::clickhouse
