// Where the SQLite store keeps observation payloads (layout 7; docs/security.md "Retention"):
// the payload of an observation lives in the partition table of its project and UTC start day,
// `payloads_<part_id>` (trace_id, id, payload; unique on (trace_id, id)), listed in
// `payload_partitions`. Retention expires
// a project's payloads by dropping those tables whole (DropPartitionsBefore), so expiry never
// deletes payloads row by row and never touches the write path's tables.
//
// observations.payload_part says where a row's payload is:
//   kPayloadInline   in observations.payload (rows written before layout 7);
//   kPayloadExpired  nowhere: expired (on arrival into an expired day, or an inline payload a
//                    retention pass cleared);
//   > 0              in that partition; when the partition is no longer listed it was dropped,
//                    so the payload has expired.
// A rewrite of an observation into another day leaves its older copy in the older partition,
// unread (the row points at the new one) and dropped with that older day, which expires first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "model/observation.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/payload.h"

namespace trackly::store::sqlite {

inline constexpr int64_t kPayloadInline = 0;
inline constexpr int64_t kPayloadExpired = -1;

// Writer thread only (it creates tables). Remembers the partitions it has seen; Forget() after
// partitions were dropped.
class PartitionWriter {
 public:
  // The partition of (project, day), created (its registry row and table) when it does not exist,
  // inside the caller's transaction.
  absl::StatusOr<int64_t> PartitionFor(Connection& db, std::string_view project, int64_t day);
  // Stores (replacing) the payload of one observation in partition `part`.
  absl::Status Put(Connection& db, int64_t part, std::string_view trace_id, std::string_view id,
                   std::string_view payload);
  void Forget() { parts_.clear(); }

 private:
  absl::flat_hash_map<std::pair<std::string, int64_t>, int64_t> parts_;
};

// Reads payloads out of partitions on one connection, within the caller's read transaction (so a
// partition is either there, whole, or dropped). Not thread-safe; one per read.
class PayloadReader {
 public:
  explicit PayloadReader(Connection& db) : db_(db) {}
  // The decoded payload of (trace_id, id) in partition `part` (> 0), whole or detail only
  // (payload.h); nullopt when the partition has been dropped (the payload expired). Internal when
  // the partition lacks the row.
  absl::StatusOr<std::optional<StoredPayload>> Get(int64_t part, std::string_view trace_id, std::string_view id);
  // Whether partition `part` still exists (false: dropped, its payloads expired).
  absl::StatusOr<bool> Listed(int64_t part);

 private:
  Connection& db_;
  absl::flat_hash_map<int64_t, bool> listed_;  // partition id -> still in payload_partitions
};

// Drops every partition of `project` whose day is before `before_day` (table and registry row),
// inside the caller's transaction; returns how many.
absl::StatusOr<int64_t> DropPartitionsBefore(Connection& db, std::string_view project, int64_t before_day);

// Deletes the payloads of `trace_id` from every partition of `project` (an erasure).
absl::Status DeleteTracePayloads(Connection& db, std::string_view project, std::string_view trace_id);

// The day before which `project`'s payloads have expired (retention_marks), 0 when none has.
absl::StatusOr<int64_t> PayloadExpiryMark(Connection& db, std::string_view project);
absl::Status SetPayloadExpiryMark(Connection& db, std::string_view project, int64_t before_day);

}  // namespace trackly::store::sqlite
