// A Store that is another one (store::ForwardingStore), plus a callback told the traces of every write it acknowledged:
// how the server learns that a trace was touched (server/trace_finisher.h) without each ingest
// handler having to say so. Every method is the wrapped store's; Write's callback runs `touched`
// for each distinct (project, trace id) of the batch's observations and fragments (scores do not
// touch a trace) once the write is acknowledged OK, before the caller's callback.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "store/forwarding_store.h"

namespace trackly::server {

// Thread-safe if the wrapped store and `touched` are.
class WriteWatchingStore final : public store::ForwardingStore {
 public:
  using Touched = std::function<void(std::string_view project, std::string_view trace_id)>;
  // `store` must outlive this.
  WriteWatchingStore(store::Store& store, Touched touched) : ForwardingStore(store), touched_(std::move(touched)) {}

  void Write(store::WriteBatch batch, store::WriteCallback done) override;

 private:
  const Touched touched_;
};

}  // namespace trackly::server
