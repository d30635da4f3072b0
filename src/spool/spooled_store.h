// A Store in front of another (a remote backend: ClickHouse) that acknowledges a write once it is
// durable in a local spool (spool.h), and ships what it acknowledged to the backing store in the
// background (docs/scale-out.md "The spool").
//
// What callers may rely on, beyond the Store contract (store.h) of the backing store:
// - Write's `done` gets OK once the batch is fdatasync()ed in the spool: it survives kill -9 of
//   the process and an outage of the backing store. Unavailable when the spool is full (the
//   server answers 503 with Retry-After) or draining; nothing acknowledged is ever dropped.
// - Reads go to the backing store, so an acknowledged write becomes visible once shipped: after
//   the ship lag (StoreStats::spool, at most segment_max_age while the backing store is up), not
//   at `done` as with the embedded store. Flush() waits for it.
// - Shipping is in order, a spool segment at a time, each segment's batches written to the
//   backing store and waited for; a segment that fails is retried (backoff, for ever) as a whole.
//   Writes of the backing store are idempotent upserts (store.h), so a segment shipped twice
//   (a retry after a lost answer, or a crash before the spool deleted it) leaves no duplicates.
// - Every other method (reads, metrics, RewriteObservations) is the backing store's; Erase,
//   DropSampledOut and Expire ship the spool first. NoteRetention reaches the backing store at
//   once, so batches still in the spool are laid out by the retention in force when they ship
//   (a placement only: expiry judges every project by its current retention).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "spool/spool.h"
#include "store/forwarding_store.h"

namespace trackly::spool {

struct SpooledStoreOptions {
  SpoolOptions spool;
  // How long Drain() waits for the spool to ship before leaving the rest for the next start.
  absl::Duration drain_ship_timeout = absl::Seconds(10);
  // How long Erase and Expire wait for the spool to ship what was acknowledged before them.
  absl::Duration erase_flush_timeout = absl::Seconds(30);
  // Consecutive batches of one project ship as one write of at most this many items
  // (observations, fragments and scores); a record holding more ships in parts. At most the
  // backing store's write queue bound: it refuses a larger write every time.
  size_t max_write_items = 200'000;
};

// The WriteBatch::finish_merged of a project's batches: a function cannot go through the spool,
// so the shipper asks for it again (the server passes its normalizer's pricer).
using FinishMergedFor = std::function<store::ObservationRewrite(std::string_view project)>;

// Thread-safe (the Store contract).
class SpooledStore final : public store::ForwardingStore {
 public:
  // Opens (recovers) the spool in front of `backing`, which must outlive this store. Writes are
  // acknowledged at once; nothing ships before StartShipping. As Spool::Open for its errors.
  static absl::StatusOr<std::unique_ptr<SpooledStore>> Open(store::Store& backing, SpooledStoreOptions options);
  ~SpooledStore() override;  // Drain()

  // The backing store's figures, with the spool's in `spool`.
  store::StoreStats stats() const override;
  void Write(store::WriteBatch batch, store::WriteCallback done) override;
  // Acknowledges what the spool accepted, tries to ship it for up to drain_ship_timeout, then
  // stops the spool (the rest ships after the next Open) and drains the backing store.
  void Drain() override;
  // Starts shipping (what earlier runs left first). `finish_merged_for` may be empty, and must
  // outlive the store. FailedPrecondition when called twice.
  absl::Status StartShipping(FinishMergedFor finish_merged_for);
  // Waits until every write acknowledged before the call is in the backing store.
  // DeadlineExceeded after `timeout`.
  absl::Status Flush(absl::Duration timeout);

  // Ships everything acknowledged first (so nothing still in the spool brings an erased trace
  // back), then the backing store's Erase. Unavailable, naming the ship lag, when the spool does
  // not ship within erase_flush_timeout (the backing store is down).
  absl::StatusOr<store::EraseStats> Erase(const store::EraseRequest& request) override;
  // Likewise: ships everything acknowledged first (so a span of a dropped trace still in the spool
  // is not shipped after the drop), then the backing store's DropSampledOut. Unavailable as Erase.
  absl::StatusOr<store::EraseStats> DropSampledOut(std::string_view project,
                                                   const std::vector<std::string>& trace_ids) override;
  // Likewise: ships everything acknowledged first (so the spool cannot bring an expired payload
  // back after the backing store's Expire), then the backing store's Expire. Unavailable as Erase.
  absl::StatusOr<store::ExpireStats> Expire(const store::ExpireRequest& request) override;

 private:
  SpooledStore(store::Store& backing, SpooledStoreOptions options, std::unique_ptr<Spool> spool);
  // The spool's sink: writes a segment's batches to the backing store.
  absl::Status Ship(const Segment& segment);
  // Waits up to erase_flush_timeout for the spool to ship everything acknowledged; Unavailable,
  // saying that `action` cannot run yet, when it does not.
  absl::Status ShipAcknowledged(std::string_view action);

  const SpooledStoreOptions options_;
  FinishMergedFor finish_merged_for_;  // set by StartShipping, then read by the shipper thread
  std::unique_ptr<Spool> spool_;
};

// The spool record of one write batch, and back (finish_merged is not part of it; the decoded
// batch's observation_json points into `record`). Exposed for tests. InvalidArgument for a record
// that does not decode.
std::string EncodeBatchRecord(const store::WriteBatch& batch);
absl::StatusOr<store::WriteBatch> DecodeBatchRecord(std::string_view record);

}  // namespace trackly::spool
