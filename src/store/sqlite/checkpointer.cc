#include "store/sqlite/checkpointer.h"

#include <utility>

#include "base/log.h"
#include "base/status.h"

namespace trackly::store::sqlite {

absl::StatusOr<std::unique_ptr<Checkpointer>> Checkpointer::Open(const std::string& db_path, int busy_timeout_ms,
                                                                 int64_t start_pages) {
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<Connection> db,
                           Connection::Open(db_path, /*read_only=*/false, busy_timeout_ms));
  // What a checkpoint syncs does not depend on this (wal_syncer.h); set as on the writer's
  // connection so the two agree.
  TRACKLY_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = NORMAL"));
  TRACKLY_RETURN_IF_ERROR(db->Exec("PRAGMA journal_size_limit = 67108864"));
  return std::unique_ptr<Checkpointer>(new Checkpointer(std::move(db), start_pages));
}

Checkpointer::Checkpointer(std::unique_ptr<Connection> db, int64_t start_pages)
    : start_pages_(start_pages), db_(std::move(db)), thread_([this] { Run(); }) {}

Checkpointer::~Checkpointer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void Checkpointer::WalGrew(int64_t wal_pages) {
  if (wal_pages < start_pages_) return;
  absl::MutexLock lock(&mu_);
  wanted_ = true;
}

void Checkpointer::WaitIdle() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](Checkpointer* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) { return c->stopping_ || (!c->wanted_ && !c->running_); },
      this));
}

int64_t Checkpointer::passes() const {
  absl::MutexLock lock(&mu_);
  return passes_;
}

int64_t Checkpointer::failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

void Checkpointer::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Checkpointer* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) { return c->wanted_ || c->stopping_; }, this));
      if (stopping_) return;
      wanted_ = false;
      running_ = true;
    }
    // PASSIVE never waits for the writer or for readers: it copies what it can now. A busy
    // result (another checkpoint running, e.g. an erasure's TRUNCATE on the writer) is not an
    // error; the next commit asks again.
    absl::Status status = db_->Exec("PRAGMA wal_checkpoint(PASSIVE)");
    if (!status.ok()) LogWarn("WAL checkpoint failed (retried after the next commit): ", status.message());
    absl::MutexLock lock(&mu_);
    running_ = false;
    ++passes_;
    if (!status.ok()) ++failures_;
  }
}

}  // namespace trackly::store::sqlite
