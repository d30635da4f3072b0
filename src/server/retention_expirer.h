// Applies every project's retention (docs/security.md "Retention"): each pass turns the clock and
// a project's effective retention (server/retention_policy.h) into the days before which its
// payloads and summaries have expired, and asks the store to remove them (Store::Expire, which
// drops whole partitions). A pass runs when the server starts, then every interval, and on
// demand for one project (POST /api/v1/retention/run, after a change of its retention).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "server/retention_policy.h"
#include "store/catalog.h"
#include "store/store.h"

namespace trackly::server {

// The expiry `retention` asks for at `now_ns`: a day's data expires once all of it is older than
// the retention, so nothing is removed younger than N days and nothing kept past N + 1 days.
// Days of 0 (keep forever) give 0 (expire nothing) in the request.
store::ExpireRequest ExpireRequestFor(const store::RetentionRecord& retention, int64_t now_ns);

// What one pass removed, summed over the projects it expired.
struct ExpiryPassStats {
  int64_t projects = 0;  // projects with a retention (others are skipped)
  store::ExpireStats removed;
};

// Thread-safe. Passes never overlap (a second one waits for the first).
class RetentionExpirer {
 public:
  // `store`, `catalog` and `clock` must outlive the expirer.
  RetentionExpirer(store::Store& store, store::Catalog& catalog, RetentionDefaults defaults, const Clock& clock);
  ~RetentionExpirer();  // stops the background pass, waiting for a running one to finish

  // One pass over every project of the catalog, now: tells the store every project's retention
  // (Store::NoteRetention), then expires each. A project whose expiry fails is logged and
  // skipped; the first such error is returned after the others ran.
  absl::StatusOr<ExpiryPassStats> RunPass();
  // One project's expiry, now, after telling the store its retention; NotFound for an unknown
  // project.
  absl::StatusOr<store::ExpireStats> RunProject(std::string_view project);
  // Tells the store the retention a project follows from now on (Store::NoteRetention), as every
  // pass does for every project; for a change through the API, so it applies before the next pass.
  void NoteRetention(const store::RetentionRecord& retention);

  // Starts a thread that runs a pass at once and then every `interval`. Call at most once.
  void Start(absl::Duration interval);

 private:
  absl::StatusOr<store::ExpireStats> Expire(const store::RetentionRecord& retention)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(pass_mu_);
  void Loop(absl::Duration interval);

  store::Store& store_;
  store::Catalog& catalog_;
  const RetentionDefaults defaults_;
  const Clock& clock_;
  absl::Mutex pass_mu_;  // held for a whole pass
  absl::Mutex stop_mu_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread thread_;
};

}  // namespace trackly::server
