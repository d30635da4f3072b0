#include "store/sqlite/wal_syncer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace trackly::store::sqlite {
namespace {

absl::Status ErrnoError(const char* what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

WalSyncer::WalSyncer(std::string wal_path) : wal_path_(std::move(wal_path)), thread_([this] { Run(); }) {}

WalSyncer::~WalSyncer() {
  Drain();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

void WalSyncer::AfterSync(std::vector<Callback> callbacks) {
  absl::MutexLock lock(&mu_);
  for (Callback& callback : callbacks) queue_.push_back(std::move(callback));
}

void WalSyncer::Drain() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](WalSyncer* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) { return s->queue_.empty() && !s->syncing_; }, this));
}

void WalSyncer::Run() {
  while (true) {
    std::deque<Callback> group;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WalSyncer* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) { return !s->queue_.empty() || s->stopping_; },
          this));
      if (queue_.empty()) return;  // stopping, and Drain() saw everything run
      group.swap(queue_);
      syncing_ = true;
    }
    // Everything queued so far was committed before it was queued, so one sync covers it all;
    // what the writer commits meanwhile waits for the next one.
    const absl::Status status = Sync();
    for (Callback& callback : group) callback(status);
    absl::MutexLock lock(&mu_);
    syncing_ = false;
  }
}

absl::Status WalSyncer::Sync() {
  // SQLite truncates the WAL in place (journal_size_limit) but deletes it when the last
  // connection closes and creates it anew on the next open, so compare inodes before trusting
  // the descriptor.
  struct stat named {};
  if (::stat(wal_path_.c_str(), &named) != 0) return ErrnoError("cannot stat the WAL file", wal_path_);
  struct stat held {};
  if (fd_ >= 0 && (::fstat(fd_, &held) != 0 || held.st_ino != named.st_ino || held.st_dev != named.st_dev)) {
    ::close(fd_);
    fd_ = -1;
  }
  if (fd_ < 0) {
    fd_ = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return ErrnoError("cannot open the WAL file", wal_path_);
  }
  if (::fdatasync(fd_) != 0) return ErrnoError("fdatasync failed on", wal_path_);
  return absl::OkStatus();
}

}  // namespace trackly::store::sqlite
