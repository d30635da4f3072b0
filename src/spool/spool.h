// A durable local spool of opaque byte records, shipped in order, a whole segment at a time, to a
// sink the caller supplies (for Trackly nodes on ClickHouse: the insert; see docs/scale-out.md).
// It knows nothing about what the records mean.
//
// What callers may rely on:
// - Durability. An Append is acknowledged (its `done` gets OK) only once the record is
//   fdatasync()ed in a segment file. After a crash or kill -9, Open finds every acknowledged
//   record again; a torn tail (bytes after the last sync) is detected by the per-record checksum
//   and cut off; it held only unacknowledged records.
// - Group commit. Records that arrive while a sync is in progress are written and synced together
//   by the next one (as many as fit in the open segment): one fdatasync per group, not per record.
// - Bounded. The segment files never take more than max_bytes: an Append that would go past it is
//   refused at once with Unavailable ("the spool is full", with the sizes; 503 + Retry-After);
//   nothing already accepted is dropped to make room.
// - Delivery. Sealed segments go to the sink oldest first, each with a dedup token that is the
//   same on every attempt and after any restart (node id, sequence number, checksum of the file).
//   A segment is deleted only after the sink returned OK for it; a failing sink is retried with
//   capped exponential backoff and jitter for as long as it fails, and later segments wait behind
//   it: nothing is skipped or discarded after N attempts. A crash between the sink's OK and the
//   deletion delivers the segment again with the same token, so a sink that deduplicates on the
//   token (ClickHouse's insert_deduplication_token) counts every record exactly once.
// - Sequence numbers only grow, across restarts too, even when the newest segment was empty or
//   torn: the newest segment file on disk always has the highest number ever used.
// - One spool per directory: a second Open of a directory in use (in this or another process)
//   fails with FailedPrecondition.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "spool/backoff.h"
#include "spool/segment_file.h"

namespace trackly::spool {

struct SpoolOptions {
  // Where the segment files live; created if missing. Holds nothing but the spool.
  std::string directory;
  // Names this node in dedup tokens; 1-64 characters of [A-Za-z0-9._-], unique per node.
  std::string node_id;
  // Total bytes the segment files may take; an Append beyond it is refused.
  uint64_t max_bytes = uint64_t{1} << 30;
  // A segment is sealed (and becomes shippable) once it holds this many bytes; it goes past
  // this by one record at most. The sink gets a segment whole, so this bounds a shipment: larger
  // ones cost ClickHouse fewer parts and queries per span, and the shipper holds one in memory
  // (decoded and encoded again: several times its size; docs/scale-out.md "Ingest throughput").
  uint64_t segment_bytes = uint64_t{64} << 20;
  // A non-empty segment is sealed at the latest this long after its first record, so the ship
  // lag stays bounded when appends are few.
  absl::Duration segment_max_age = absl::Seconds(1);
  // Backoff between attempts of a failing sink (see backoff.h).
  absl::Duration retry_min = absl::Milliseconds(100);
  absl::Duration retry_max = absl::Seconds(30);
  // Stamps append times (ship lag) and decides when a segment is old enough to seal. Waits run
  // in real time: a segment is sealed within segment_max_age of real time after the clock says so.
  const Clock* clock = &SystemClock::Get();
};

// One sealed segment as the sink sees it.
struct Segment {
  uint64_t sequence = 0;
  // "<node_id>-<sequence>-<crc32 of the file, 8 hex digits>": the same for this segment on every
  // attempt and after restarts, different for any other segment of any node.
  std::string dedup_token;
  std::vector<std::string_view> records;  // in append order, views into `bytes`
  std::shared_ptr<const char[]> bytes;    // the segment file's, read once
};

// Delivers a segment; OK means it is stored for good and may be deleted here. Called on the
// shipper thread, one segment at a time; it should bound its own time (a timeout on the request),
// since Close waits for the call in progress.
using Sink = std::function<absl::Status(const Segment&)>;

struct SpoolStats {
  uint64_t bytes_on_disk = 0;  // all segment files, the open one included
  uint64_t max_bytes = 0;
  uint64_t sealed_segments = 0;  // waiting to be shipped
  uint64_t records_waiting = 0;  // acknowledged and not yet shipped, the open segment's included
  // How long the oldest acknowledged, unshipped record has waited (the ship lag); 0 when none.
  absl::Duration oldest_record_age;
  uint64_t consecutive_failures = 0;  // of the sink on the current segment; 0 after a success
  // The last failure of the sink or the disk since Open, kept after recovery; empty if none.
  std::string last_error;
  uint64_t group_commits = 0;         // since Open: fdatasyncs that acknowledged a group of appends
  uint64_t shipped_segments = 0;      // since Open
  uint64_t shipped_records = 0;       // since Open
};

// Thread-safe: any thread may Append, Flush, read Stats and Close.
class Spool {
 public:
  // Runs on the spool's writer thread, exactly once per accepted Append: OK once the record is
  // durable, or the error of the write or sync (the record is then not acknowledged and may or
  // may not be shipped later). Must not call Close.
  using AppendDone = std::function<void(absl::Status)>;

  // Opens or recovers the spool in options.directory (see the contract above). Sealed segments
  // left by an earlier run are shipped first once StartShipping is called; a recovered open
  // segment with records is sealed, and appends go to a new segment.
  static absl::StatusOr<std::unique_ptr<Spool>> Open(SpoolOptions options);
  ~Spool();  // Close()
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Queues `record` for the next group commit. Returns OK when accepted (then `done` runs once,
  // later, on the writer thread); otherwise `done` is never called and the status says why:
  // Unavailable when the spool is full (it would exceed max_bytes; retry once shipping has made
  // room) or Close has begun; ResourceExhausted when the record alone could never fit.
  absl::Status Append(std::string record, AppendDone done);

  // Starts the shipper thread, which hands sealed segments to `sink` (see the contract above).
  // FailedPrecondition when already started, Unavailable once Close has begun.
  absl::Status StartShipping(Sink sink);

  // Seals the open segment and waits until every record accepted before the call has been
  // shipped (or failed to be written). DeadlineExceeded after `timeout`, with what is left;
  // FailedPrecondition without StartShipping; Unavailable once Close has begun.
  absl::Status Flush(absl::Duration timeout);

  // Refuses new appends, writes, syncs and acknowledges the ones already accepted, waits for the
  // sink call in progress and stops both threads. Unshipped segments stay on disk for the next
  // Open. Idempotent.
  void Close();

  SpoolStats Stats() const;

 private:
  // What the spool tracks of one segment file. Ordinals number accepted appends in order (in
  // memory only; recovered records are numbered again at Open) so Flush knows what came before it.
  struct SegmentInfo {
    uint64_t sequence = 0;
    uint64_t bytes = 0;
    uint64_t records = 0;
    int64_t first_append_time_ns = 0;
    uint64_t first_ordinal = 0;
  };
  struct Pending {
    std::string record;
    int64_t append_time_ns;
    uint64_t ordinal;
    AppendDone done;
  };

  Spool(SpoolOptions options, std::unique_ptr<DirectoryLock> lock);
  absl::Status Recover();

  std::string SegmentPath(uint64_t sequence, bool sealed) const;
  // The writer thread: group commit, then sealing.
  void RunWriter();
  void WriteGroup(std::deque<Pending> group);
  // The open segment is full, old enough or held by a Flush.
  bool ShouldSeal() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ShouldSeal, and no failed seal is waiting for its retry.
  bool SealDue() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool WriterHasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes a new open segment, then renames the current one sealed. Writer thread (or Open) only.
  absl::Status Seal();
  // The shipper thread.
  void RunShipper();
  absl::StatusOr<Segment> ReadSealed(const SegmentInfo& info) const;
  // The smallest ordinal not yet shipped (nor dropped by a failed write); nullopt when none.
  std::optional<uint64_t> OldestUnshippedOrdinal() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // How long the writer waits before sealing again after a failed seal (a full disk, say).
  static constexpr absl::Duration kSealRetryDelay = absl::Seconds(1);

  const SpoolOptions options_;
  const std::unique_ptr<DirectoryLock> lock_;
  // The writer thread's (Open's before it starts): the open segment, the next one when a seal
  // failed after creating it, and whether a failed write left a tail to cut off.
  std::unique_ptr<SegmentAppender> appender_;
  std::unique_ptr<SegmentAppender> next_appender_;
  bool needs_repair_ = false;
  Sink sink_;                                  // set once by StartShipping, then the shipper's
  Backoff backoff_;                            // the shipper thread's

  mutable absl::Mutex mu_;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool shipper_stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool shipping_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<Pending> pending_ ABSL_GUARDED_BY(mu_);
  uint64_t pending_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // framed bytes of pending_ and the group being written
  std::optional<uint64_t> writing_first_ordinal_ ABSL_GUARDED_BY(mu_);
  uint64_t next_ordinal_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t seal_through_ordinal_ ABSL_GUARDED_BY(mu_) = 0;  // Flush asked to seal what holds these
  absl::Time seal_retry_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  SegmentInfo open_ ABSL_GUARDED_BY(mu_);
  std::deque<SegmentInfo> sealed_ ABSL_GUARDED_BY(mu_);
  uint64_t disk_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t consecutive_failures_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  uint64_t group_commits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t shipped_segments_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t shipped_records_ ABSL_GUARDED_BY(mu_) = 0;

  std::thread writer_;
  std::thread shipper_;
  absl::Mutex close_mu_;  // serializes Close, so the threads are joined once
};

}  // namespace trackly::spool
