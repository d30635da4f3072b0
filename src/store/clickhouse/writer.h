// The write path of the ClickHouse store: a bounded queue and one worker thread that applies each
// batch with synchronous inserts (fragments, observations, scores), then rewrites the summaries
// and metrics rollups (rollups.h) of the traces and the summaries of the sessions it touched. clickhouse_store.h states the guarantees (versions,
// clock assumption, durability).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "store/clickhouse/queries.h"
#include "store/store.h"

namespace trackly::store::clickhouse {

// Thread-safe. Write() validates on the caller's thread and queues; every callback runs on the
// worker thread, in the order the writes were queued.
class Writer {
 public:
  // Borrows `db` and `clock`, which must outlive the writer. Starts the thread.
  Writer(const Database& db, const Clock& clock, size_t max_queue_observations, size_t compress_min_bytes);
  ~Writer();  // Drain()s, then stops the thread

  void Write(WriteBatch batch, WriteCallback done);
  // Work that reads and rewrites stored rows (Store::RewriteObservations): runs on the worker
  // thread in queue order, so it is ordered with this node's writes; returns the observations it
  // stored. `done` gets its status (Unavailable when draining, without running it).
  using Job = std::function<absl::StatusOr<int64_t>()>;
  void RunJob(Job job, WriteCallback done);
  // Worker thread only (inside a Job): upserts `observations` of `project` (times already floored
  // to microseconds) and rewrites the summaries of their traces and sessions.
  absl::Status StoreObservations(const std::string& project, const std::vector<model::Observation>& observations);
  // Worker thread only (inside a Job): writes the summary of each of `session_ids` over the
  // traces whose latest summary names it now (a tombstone, trace_count 0, for one with none).
  absl::Status WriteSessionSummaries(const std::string& project, const std::set<std::string>& session_ids);
  // Worker thread only (inside a Job): a row version, the clock but always above the previous one.
  uint64_t NextVersion();
  void Drain();
  StoreStats stats() const;

 private:
  struct Pending {
    WriteBatch batch;
    WriteCallback done;
    Job job;                // set by RunJob(): runs instead of writing `batch`
    absl::Status rejected;  // not OK: call `done` with it and write nothing
    int64_t queued = 0;     // what it added to queued_observations_
  };

  void Run();
  void Enqueue(Pending pending);
  // Inserts everything of `batch` and the summaries it changes; returns the observations stored.
  absl::StatusOr<int64_t> Apply(WriteBatch& batch);
  absl::Status InsertObservations(const std::string& project, const std::vector<model::Observation>& observations);
  // Rewrites the summaries and rollups of the traces of `observations` and the summaries of the
  // sessions those traces left or joined.
  absl::Status WriteSummariesOf(const std::string& project, const std::vector<model::Observation>& observations);
  absl::Status WriteSummaries(const std::string& project, const std::vector<std::string>& trace_ids);

  const Database& db_;
  const Clock& clock_;
  const size_t max_queue_observations_;
  const size_t compress_min_bytes_;
  uint64_t last_version_ = 0;  // worker thread only

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;  // the worker is applying a batch it took off the queue
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t queued_batches_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t queued_observations_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t committed_observations_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;  // last: starts after every member above is initialized
};

}  // namespace trackly::store::clickhouse
