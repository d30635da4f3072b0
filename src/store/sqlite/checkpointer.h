// Moves the SQLite store's WAL checkpoints off the writer thread.
//
// Left to itself SQLite checkpoints inside the committing connection: after a commit leaves the
// WAL at 1000 pages or more, that commit copies every WAL page into store.db, with an fsync of
// the WAL before and of store.db after, on the writer thread. On the ingest benchmark that was a
// sixth of the writer's CPU time plus two fsyncs it waited for, while ingest waits on that one
// thread. The writer instead reports the WAL size after each commit (Connection::SetWalHook,
// which also turns SQLite's automatic checkpoint off) and a Checkpointer, on its own thread and
// connection, runs PRAGMA wal_checkpoint(PASSIVE) once it is `start_pages` or more.
//
// A passive checkpoint copies the pages committed before it starts, alongside the writer's next
// commits. SQLite restarts the WAL from its beginning only at a transaction that begins when
// every page is copied, which under a steady stream of commits rarely happens: each pass ends
// with the commits made meanwhile still to copy. So when the WAL reaches `WriterMustCheckpoint`,
// the writer waits for the pass in progress and checkpoints the rest itself between two commits
// (little is left by then); its next commit restarts the WAL, which stays bounded.
//
// Durability is unchanged (wal_syncer.h): in WAL mode SQLite syncs the WAL before a checkpoint
// copies from it and store.db after, whichever connection runs it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "store/sqlite/connection.h"

namespace trackly::store::sqlite {

// Thread-safe.
class Checkpointer {
 public:
  // Opens its own connection to the store file at `db_path` (which must exist, in WAL mode) and
  // starts the thread. `start_pages` > 0.
  static absl::StatusOr<std::unique_ptr<Checkpointer>> Open(const std::string& db_path, int busy_timeout_ms,
                                                            int64_t start_pages);
  ~Checkpointer();  // stops the thread after the pass in progress, if any

  // Called after each commit with the WAL's size in pages: wakes the thread when it is at least
  // start_pages. Cheap; never blocks on a checkpoint.
  void WalGrew(int64_t wal_pages);
  // True when the WAL has grown so far past start_pages (4 times) that the writer should
  // checkpoint it itself between two commits (see above).
  bool WriterMustCheckpoint(int64_t wal_pages) const { return wal_pages >= 4 * start_pages_; }
  // Blocks until no pass is wanted or running. For tests and shutdown.
  void WaitIdle();
  // Passes run so far, and passes that failed (each failure is logged; the next WalGrew retries).
  int64_t passes() const;
  int64_t failures() const;

 private:
  Checkpointer(std::unique_ptr<Connection> db, int64_t start_pages);
  void Run();

  const int64_t start_pages_;
  std::unique_ptr<Connection> db_;  // the thread's only

  mutable absl::Mutex mu_;
  bool wanted_ ABSL_GUARDED_BY(mu_) = false;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t passes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t failures_ ABSL_GUARDED_BY(mu_) = 0;

  std::thread thread_;  // last: starts after every member above is initialized
};

}  // namespace trackly::store::sqlite
