// The write path of the ClickHouse store: a bounded queue and one worker thread that applies each
// batch with synchronous inserts (fragments, observations, scores), then rewrites the summaries
// and metrics rollups (rollups.h) of the traces and the summaries of the sessions it touched. clickhouse_store.h states the guarantees (versions,
// clock assumption, durability).
//
// A batch costs a fixed number of round trips, whatever its size: the fragments insert and one
// read of the stored fragments (when it has fragments), the observations insert, the scores insert
// (when it has scores), then for the summaries three small reads (previous summaries, rollup cells,
// the row versions of the touched traces), the session_traces (when a trace has a session), trace
// and rollup inserts (with the rollups' dirty-hour marks), one read of the traces of the touched
// sessions (through session_traces, so it grows with those sessions, not with the project) and the
// session insert. A summary is computed from the trace's observations
// as stored right after the batch's insert: read back, or, for a trace whose stored rows are
// exactly the ones the batch just inserted (the usual case: a run exported whole when it ends),
// taken from the insert itself (Writer::SummaryInputsOf says why that is the same).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/retention_classes.h"
#include "store/clickhouse/row_binary.h"
#include "store/store.h"

namespace trackly::store::clickhouse {

// Thread-safe. Write() validates on the caller's thread and queues; every callback runs on the
// worker thread, in the order the writes were queued.
class Writer {
 public:
  // Borrows `db`, `clock` and `classes` (the retention class each project's rows are written
  // with, retention_classes.h), which must outlive the writer. Starts the thread.
  Writer(const Database& db, const Clock& clock, const RetentionClasses& classes, size_t max_queue_observations,
         size_t compress_min_bytes);
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
  // Worker thread only (inside a Job): rewrites the summaries and rollups of `trace_ids` from
  // their stored observations, and the summaries of the sessions they left or joined.
  absl::Status WriteSummaries(const std::string& project, const std::vector<std::string>& trace_ids);
  // Worker thread only (inside a Job): a row version, the clock but always above the previous one.
  uint64_t NextVersion();
  // The retention class `project`'s rows are written with now.
  RetentionClass RetentionClassOf(std::string_view project) const { return classes_.ClassOf(project); }
  void Drain();
  StoreStats stats() const;
  // How many trace summaries so far were computed from the observations of the batch's own insert
  // rather than read back (SummaryInputsOf): for tests and diagnostics.
  int64_t summaries_from_insert() const { return summaries_from_insert_.load(std::memory_order_relaxed); }

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
  // What one insert of observations stored, as a read of the summary inputs would return it
  // (rows.h SummaryInputsOfRow), by trace, with the insert's version. The observations must have
  // been unique per (trace, id), as Apply makes them.
  struct Inserted {
    uint64_t version = 0;
    ObservationsByTrace summary_inputs;
  };

  // Inserts everything of `batch` and the summaries it changes; returns the observations stored.
  absl::StatusOr<int64_t> Apply(WriteBatch& batch);
  // Inserts `observations` (unique per trace and id) with one version; fills `inserted` when not
  // null. `texts` is empty or has one entry per observation: a non-empty one is the observation's
  // JSON (WriteBatch::observation_json), kept as its payload instead of encoding it again. Frees
  // the payload fields (input, output, metadata, ...) of each once its row is made; with
  // `inserted`, moves the rest into its summary inputs, leaving the observations unspecified.
  absl::Status InsertObservations(const std::string& project, std::span<model::Observation* const> observations,
                                  std::span<const std::string_view> texts = {}, Inserted* inserted = nullptr);
  // WriteSummaries, with `inserted` as SummaryInputsOf takes it.
  absl::Status WriteSummaries(const std::string& project, const std::vector<std::string>& trace_ids,
                              Inserted* inserted);
  // The summary inputs of each of `trace_ids` as stored now (ReadObservationsOfTraces with
  // kSummaryInputs). A trace whose stored rows are exactly those of the insert `inserted` made
  // (as many rows as it inserted of the trace, every one of its version) is taken from
  // `inserted` (moved out) instead of read back: the stored rows are then these very columns, so
  // the result is the read's, without reading payloads. Called after that insert was
  // acknowledged. Any other trace (a span stored before, by an earlier batch, another node or a
  // retry; a row deleted since) is read.
  absl::StatusOr<ObservationsByTrace> SummaryInputsOf(const std::string& project,
                                                      const std::vector<std::string>& trace_ids, Inserted* inserted);

  const Database& db_;
  const Clock& clock_;
  const RetentionClasses& classes_;
  const size_t max_queue_observations_;
  const size_t compress_min_bytes_;
  uint64_t last_version_ = 0;  // worker thread only
  // Bytes per row of the last observations insert, to size the next one's buffer; worker thread
  // only.
  size_t observation_row_bytes_ = 0;
  // The observations insert's buffer, worker thread only. A spool shipment's rows take about
  // 100 MB: a buffer of its own for each would be fresh memory every time, and page-faulting it
  // in was about a tenth of a drain's CPU (docs/scale-out.md "Ingest throughput"). Kept while
  // shipments follow one another; Run() frees it once the worker has been idle for a second.
  RowBinaryWriter observation_rows_;
  std::atomic<int64_t> summaries_from_insert_{0};  // written by the worker thread only

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
