// A value the server builds from the Catalog (prices, redaction rules) and keeps current while it
// runs, by polling a cheap version counter of the Catalog.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"

namespace trackly::server {

// Thread-safe. How a change reaches the snapshot:
//  - through this server's API: the handler calls Reload() after the change is durable, so the
//    next Current() returns the rebuilt value;
//  - through another process on the same data directory (the CLI): Current() reads the version at
//    most once per kCheckIntervalNs of clock time and rebuilds when it moved, so the change
//    applies within about a second.
// Current() never waits for a rebuild: while one thread checks or rebuilds, the others keep the
// previous snapshot. A rebuild that fails keeps the previous snapshot (and logs). A version that
// is Unimplemented (a catalog backend without the data) keeps the initial value.
template <typename T>
class CatalogSnapshot {
 public:
  static constexpr int64_t kCheckIntervalNs = 1'000'000'000;
  using VersionFn = std::function<absl::StatusOr<int64_t>()>;
  using LoadFn = std::function<absl::StatusOr<std::shared_ptr<const T>>()>;

  // `what` names the value in log lines ("model prices"). `clock` must outlive this. Call
  // Reload() once before use to load the stored state.
  CatalogSnapshot(std::string what, std::shared_ptr<const T> initial, VersionFn version, LoadFn load,
                  const Clock& clock)
      : what_(std::move(what)),
        version_(std::move(version)),
        load_(std::move(load)),
        clock_(clock),
        current_(std::move(initial)) {}

  std::shared_ptr<const T> Current() const {
    const int64_t now_ns = clock_.NowNanos();
    {
      absl::MutexLock lock(&mu_);
      if (now_ns < next_check_ns_) return current_;
      // This caller checks; callers until the next interval take the snapshot as it is.
      next_check_ns_ = now_ns + kCheckIntervalNs;
    }
    if (absl::Status status = Refresh(/*force=*/false); !status.ok()) {
      LogWarn(what_, ": keeping the previous state, reload failed: ", status.ToString());
    }
    absl::MutexLock lock(&mu_);
    return current_;
  }

  // Rebuilds from the Catalog now, whatever its version says.
  absl::Status Reload() const { return Refresh(/*force=*/true); }

 private:
  absl::Status Refresh(bool force) const {
    absl::MutexLock reload_lock(&reload_mu_);
    // The version is read before the data: a change that lands in between is loaded now and
    // loaded once more at the next check, never missed.
    absl::StatusOr<int64_t> version = version_();
    if (absl::IsUnimplemented(version.status())) return absl::OkStatus();
    TRACKLY_RETURN_IF_ERROR(version.status());
    if (!force) {
      absl::MutexLock lock(&mu_);
      if (*version == loaded_version_) return absl::OkStatus();
    }
    TRACKLY_ASSIGN_OR_RETURN(std::shared_ptr<const T> loaded, load_());
    absl::MutexLock lock(&mu_);
    current_ = std::move(loaded);
    loaded_version_ = *version;
    return absl::OkStatus();
  }

  const std::string what_;
  const VersionFn version_;
  const LoadFn load_;
  const Clock& clock_;

  // Serializes rebuilds; never held by Current()'s fast path.
  mutable absl::Mutex reload_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  mutable std::shared_ptr<const T> current_ ABSL_GUARDED_BY(mu_);
  mutable int64_t loaded_version_ ABSL_GUARDED_BY(mu_) = -1;
  mutable int64_t next_check_ns_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace trackly::server
