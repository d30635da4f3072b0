// The SQLite side of Store::RewriteObservations: which traces a range touches, and the loader the
// writer runs inside a commit to read, rewrite and re-encode their observations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/rows.h"
#include "store/store.h"

namespace trackly::store::sqlite {

// Traces committed per transaction by a rewrite: large enough that the fsync per commit is
// amortized, small enough that one commit (which holds ingest writes queued behind it) stays short.
inline constexpr size_t kRewriteTracesPerCommit = 256;

// The ids of the traces of range.project that have an observation in the range, ascending.
absl::StatusOr<std::vector<std::string>> ListRewriteTraces(Connection& db, const RewriteRange& range);

// One commit's share of a rewrite. Not thread-safe: built by the caller, then used by the writer
// thread while the caller waits.
class RewriteChunk {
 public:
  RewriteChunk(const RewriteRange& range, std::vector<std::string> trace_ids, const ObservationRewrite& rewrite,
               size_t compress_min_bytes)
      : range_(range), trace_ids_(std::move(trace_ids)), rewrite_(rewrite), compress_min_bytes_(compress_min_bytes) {}

  // A Writer::Loader: reads the observations of the chunk's traces in the range, applies the
  // rewrite and appends the changed ones to `out`. A rewrite that changed an id is reported in
  // error() and nothing of the chunk is written.
  absl::Status Load(Connection& db, std::vector<EncodedObservation>& out);

  const RewriteStats& stats() const { return stats_; }
  const absl::Status& error() const { return error_; }

 private:
  const RewriteRange& range_;
  const std::vector<std::string> trace_ids_;
  const ObservationRewrite& rewrite_;
  const size_t compress_min_bytes_;
  RewriteStats stats_;
  absl::Status error_;
};

}  // namespace trackly::store::sqlite
