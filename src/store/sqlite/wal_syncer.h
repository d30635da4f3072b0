// Makes the SQLite store's commits durable off the writer thread: the writer commits with
// PRAGMA synchronous=NORMAL (the commit is in the WAL file, i.e. the OS page cache, when COMMIT
// returns) and hands the commit's callbacks to a WalSyncer, whose thread fdatasync()s the WAL
// file and only then runs them. The writer meanwhile builds and commits the next group, so the
// fsync no longer stalls the write path; one fsync still covers every commit written before it.
//
// Why this is as durable as synchronous=FULL for what is acknowledged: fdatasync applies to the
// file, whichever descriptor names it, and flushes every frame written before the call, so a
// callback runs only once its commit frame is on disk. In NORMAL mode SQLite itself syncs the WAL
// before a checkpoint copies it into store.db, syncs store.db after, and syncs the WAL header
// before the WAL is reused, so no acknowledged frame is overwritten before store.db holds it
// durably (https://www.sqlite.org/pragma.html#pragma_synchronous, WAL mode).
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace trackly::store::sqlite {

// Thread-safe. Callbacks run on the syncer's thread, in the order their groups were queued.
class WalSyncer {
 public:
  // What runs once the WAL is synced: OK, or the error of the fdatasync (the commit is then in
  // store.db but may not survive a power cut, so the caller must not count it acknowledged).
  using Callback = std::function<void(absl::Status)>;

  // `wal_path` is the WAL file of the store (store.db-wal); it may not exist yet.
  explicit WalSyncer(std::string wal_path);
  ~WalSyncer();  // Drain()s, then stops the thread

  // Queues the callbacks of one committed group; they run after the next fdatasync of the WAL.
  void AfterSync(std::vector<Callback> callbacks);
  // Returns once every callback queued before has run.
  void Drain();

 private:
  void Run();
  // fdatasync of the WAL, reopening it when the file was replaced since the last call.
  absl::Status Sync();

  const std::string wal_path_;
  int fd_ = -1;  // the syncer thread's only

  absl::Mutex mu_;
  std::deque<Callback> queue_ ABSL_GUARDED_BY(mu_);
  bool syncing_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::thread thread_;  // last: starts after every member above is initialized
};

}  // namespace trackly::store::sqlite
