// The write path of the SQLite store: a bounded queue and one thread with group commit.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "store/sqlite/checkpointer.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/payload_partitions.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/score_rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/summary_cache.h"
#include "store/sqlite/wal_syncer.h"
#include "store/store.h"

namespace trackly::store::sqlite {

// Thread-safe. The only writer of store.db. Write() encodes a batch on the caller's thread and
// queues it; the writer thread takes everything queued (up to max_commit_observations) into ONE
// transaction, upserts the observations and scores, recomputes the summaries of the traces and sessions
// they touch, commits, and only then runs the callbacks — one fsync acknowledges many requests.
// With options.sync_full the callbacks run once a WalSyncer has fsynced the commit, while this
// thread already commits the next group.
class Writer {
 public:
  // Takes the write connection (schema applied, pragmas set: synchronous=NORMAL, the WalSyncer
  // adds the fsync when options.sync_full) and the checkpointer of the same file, which takes
  // over SQLite's automatic checkpoints, and starts the thread.
  Writer(std::unique_ptr<Connection> db, std::unique_ptr<Checkpointer> checkpointer,
         const SqliteStoreOptions& options);
  ~Writer();  // Drain()s, then stops the thread

  void Write(WriteBatch batch, WriteCallback done);

  // Fills the observations of a WriteLoaded() on the writer thread, reading through `db` inside
  // the transaction that will store them. An error fails the whole commit group, so a loader
  // reports its own logical errors elsewhere and returns OK with nothing to write.
  using Loader = std::function<absl::Status(Connection& db, std::vector<EncodedObservation>& out)>;
  // A write whose observations `load` produces inside the commit, so reading and rewriting stored
  // rows is atomic with respect to other writes (Store::RewriteObservations). Then as Write().
  void WriteLoaded(std::string project, Loader load, WriteCallback done);

  // Erases what `request` names (Store::Erase, request already validated) in a transaction of
  // its own, ordered with the writes queued before and after it, adding what it removed to
  // `*stats` (which must stay valid until `done` runs). The transaction runs with SQLite's
  // secure_delete on, so freed content is overwritten with zeros, rebuilds the full-text index
  // when it removed any of its rows (FTS5 otherwise keeps deleted terms until a merge), and is
  // followed by a checkpoint that truncates the WAL, so no older copy of a page stays there.
  void Erase(EraseRequest request, EraseStats* stats, WriteCallback done);

  // Tail sampling (Store::DropSampledOut, arguments already validated): removes the traces as
  // Erase does, in a transaction of its own ordered with writes, but keeps their metrics and
  // workflow rollup contributions, and without Erase's secure_delete, index rebuild and WAL
  // truncation (a sampled-out trace is not an erasure). Adds what it removed to `*stats`.
  void DropSampledOut(std::string project, std::vector<std::string> trace_ids, EraseStats* stats,
                      WriteCallback done);

  // Expires what `request` says (Store::Expire, request already validated) in a transaction of
  // its own, as Erase: ordered with writes, secure_delete on, the WAL truncated after. Adds what it
  // removed to `*stats` (valid until `done` runs). Payload partitions before the expiry day are
  // dropped whole; the traces that started before it lose their trace-level text (input, output,
  // metadata, search entries, the fragments of their spans) row by row, once: a per-project mark
  // remembers how far expiry has gone, and a later write into an expired day is stored without
  // its payload.
  void Expire(ExpireRequest request, ExpireStats* stats, WriteCallback done);

  void Drain();
  StoreStats stats() const;

 private:
  struct Pending {
    std::string project;
    std::vector<EncodedObservation> observations;
    std::vector<EncodedScore> scores;
    WriteCallback done;
    Loader load;  // set by WriteLoaded() and for fragments: fills `observations` inside the commit
    // Set by Erase() and Expire(): this entry removes data instead of writing, alone in its
    // commit (CommitPurge).
    std::function<absl::Status(Connection& db)> purge;
    // A purge that removes what must not be recoverable (Erase, Expire): secure_delete on, the WAL
    // truncated after. False for DropSampledOut.
    bool secure = true;
    // What this write added to queued_observations_: its observations, fragments and scores.
    size_t queued = 0;
  };

  struct Rejection {
    WriteCallback done;
    absl::Status status;
  };

  // Queues a callback with a non-OK status; the writer thread calls it, as the contract promises
  // every callback runs on a store-owned thread (never inside the caller's Write()).
  void Reject(WriteCallback done, absl::Status status);
  void Run();
  // One transaction for `group`; rolled back on any error.
  absl::Status Commit(std::vector<Pending>& group);
  absl::Status Apply(std::vector<Pending>& group);
  void QueuePurge(std::string project, std::function<absl::Status(Connection& db)> purge, WriteCallback done,
                  bool secure = true);
  // Commits one Erase(), Expire() or DropSampledOut() entry, then (when secure) truncates the WAL.
  absl::Status CommitPurge(Pending& pending);
  // Where the payload of `encoded` goes (payload_partitions.h): its partition, written here, or
  // nowhere when it starts in a day `project` has expired (then it is stripped to its summary).
  absl::Status PlacePayload(std::string_view project, EncodedObservation& encoded);
  // Drops the summary cache when another connection (another process: `trackly cost recompute`
  // on the same data directory) committed since the last commit, as it may have rewritten rows
  // the cache holds. PRAGMA data_version changes exactly then.
  absl::Status ForgetCacheIfChangedElsewhere();
  // After a commit: hands the WAL to the checkpointer, or checkpoints here when it has grown too
  // far for the checkpointer alone (checkpointer.h).
  void CheckpointAfterCommit();

  const size_t max_queue_observations_;
  const size_t max_commit_observations_;
  const int max_batch_wait_ms_;
  const size_t compress_min_bytes_;
  std::unique_ptr<Connection> db_;  // used by the writer thread only
  std::unique_ptr<WalSyncer> syncer_;  // null unless options.sync_full
  std::unique_ptr<Checkpointer> checkpointer_;
  int64_t wal_pages_ = 0;  // the WAL's size after the last commit (0: none since); writer thread only
  SummaryCache cache_;              // used by the writer thread only
  int64_t data_version_ = -1;       // used by the writer thread only
  PartitionWriter partitions_;      // used by the writer thread only
  // Per project, the day before which payloads have expired (PayloadExpiryMark), loaded on first
  // use; used by the writer thread only.
  absl::flat_hash_map<std::string, int64_t> expiry_marks_;

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<Rejection> rejected_ ABSL_GUARDED_BY(mu_);  // callbacks of writes turned away
  // Observations and batches accepted and not yet committed (queued, being encoded, committing).
  int64_t queued_observations_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t queued_batches_ ABSL_GUARDED_BY(mu_) = 0;
  int encoding_ ABSL_GUARDED_BY(mu_) = 0;  // accepted batches still being encoded by callers
  bool committing_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t committed_observations_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t commits_ ABSL_GUARDED_BY(mu_) = 0;

  std::thread thread_;  // last: starts after every member above is initialized
};

}  // namespace trackly::store::sqlite
