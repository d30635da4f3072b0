#include "server/connection_tracker.h"

#include <vector>

#include "server/http_session.h"

namespace trackly::server {

bool ConnectionTracker::Add(const std::shared_ptr<HttpSession>& session) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_ || static_cast<int>(sessions_.size()) >= max_connections_) return false;
  sessions_.emplace(session.get(), session);
  return true;
}

void ConnectionTracker::Remove(const HttpSession* session) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(session);
}

void ConnectionTracker::ShutdownAll() {
  std::vector<std::shared_ptr<HttpSession>> open;
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    for (const auto& [key, weak] : sessions_) {
      if (std::shared_ptr<HttpSession> session = weak.lock()) open.push_back(std::move(session));
    }
  }
  // Outside the lock: a session being destroyed calls Remove().
  for (const std::shared_ptr<HttpSession>& session : open) session->Shutdown();
}

int ConnectionTracker::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(sessions_.size());
}

}  // namespace trackly::server
