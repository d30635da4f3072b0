// The set of open connections: enforces the connection limit and reaches every connection at
// shutdown.
#pragma once

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace trackly::server {

class HttpSession;

// Thread-safe.
class ConnectionTracker {
 public:
  explicit ConnectionTracker(int max_connections) : max_connections_(max_connections) {}

  // Registers a new connection. False when the limit is reached or shutdown has begun (the
  // caller then drops the connection).
  bool Add(const std::shared_ptr<HttpSession>& session);
  // Called by a connection as it is destroyed.
  void Remove(const HttpSession* session);
  // Asks every open connection to close once its current request is answered; later Add()
  // calls fail.
  void ShutdownAll();
  int size() const;

 private:
  const int max_connections_;
  mutable absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<const HttpSession*, std::weak_ptr<HttpSession>> sessions_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace trackly::server
