// A Store that is another one (store::ForwardingStore), plus callbacks told about every write it
// acknowledged: how the server learns that a trace was touched (server/trace_finisher.h) and what
// spans arrived (server/live_tail.h) without each ingest handler having to say so. Every method is
// the wrapped store's; Write's callback runs `touched` for each distinct (project, trace id) of the
// batch's observations and fragments (scores do not touch a trace) once the write is acknowledged
// OK, then what `watch` returned for the batch, before the caller's callback.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "store/forwarding_store.h"

namespace trackly::server {

// Thread-safe if the wrapped store, `touched` and `watch` are.
class WriteWatchingStore final : public store::ForwardingStore {
 public:
  using Touched = std::function<void(std::string_view project, std::string_view trace_id)>;
  // Run once the write is acknowledged OK.
  using Acknowledged = std::function<void()>;
  // Called with a batch of observations or fragments before it is written (the batch then moves
  // into the store, so this is where a watcher copies what it needs); what it returns (may be null)
  // runs once the write is acknowledged OK, and is dropped unrun when the write fails.
  using Watch = std::function<Acknowledged(const store::WriteBatch& batch)>;
  // `store` must outlive this. `watch` may be null.
  WriteWatchingStore(store::Store& store, Touched touched, Watch watch = nullptr)
      : ForwardingStore(store), touched_(std::move(touched)), watch_(std::move(watch)) {}

  void Write(store::WriteBatch batch, store::WriteCallback done) override;

 private:
  const Touched touched_;
  const Watch watch_;
};

}  // namespace trackly::server
