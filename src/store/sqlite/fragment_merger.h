// The fragment half of the SQLite write path (store.h WriteBatch::fragments): every fragment is
// kept in the observation_fragments table (schema.cc), and each observation id that gets a new
// fragment is re-merged from ALL its stored fragments (model::MergeFragments), so the stored
// observation never depends on the order or the requests the pieces came in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/observation_fragment.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/rows.h"
#include "store/store.h"

namespace trackly::store::sqlite {

// One fragment ready for the writer thread: its observation serialized (and compressed) as an
// observation payload (payload.h) on the caller's thread.
struct EncodedFragment {
  std::string observation_id;
  std::string event_id;
  model::FragmentKind kind = model::FragmentKind::kCreate;
  int64_t event_time_ns = 0;
  uint64_t fields = 0;
  std::string payload;
};

EncodedFragment EncodeFragment(const model::ObservationFragment& fragment, size_t compress_min_bytes);

// The trace id of the merge of every fragment of `observation_id` stored in `project`
// (model::MergeFragments); empty when there is none or no fragment names a trace.
absl::StatusOr<std::string> MergedTraceId(Connection& db, std::string_view project,
                                          std::string_view observation_id);

// Thread-compatible: built on the caller's thread, then run once by the writer thread as a
// Writer::Loader, inside the transaction that stores its result.
class FragmentMerger {
 public:
  FragmentMerger(std::string project, std::vector<EncodedFragment> fragments, ObservationRewrite finish_merged,
                 size_t compress_min_bytes)
      : project_(std::move(project)),
        fragments_(std::move(fragments)),
        finish_merged_(std::move(finish_merged)),
        compress_min_bytes_(compress_min_bytes) {}

  // Stores the fragments (one already stored under the same (observation id, event id) is a
  // repeat and left as it is), then appends to `out`, for every observation id they name, the
  // merge of all its stored fragments after finish_merged. An id whose merge has no trace_id or
  // no start time yet is left out: it stays pending until a later fragment completes it.
  absl::Status Load(Connection& db, std::vector<EncodedObservation>& out);

 private:
  std::string project_;
  std::vector<EncodedFragment> fragments_;
  ObservationRewrite finish_merged_;
  size_t compress_min_bytes_;
};

}  // namespace trackly::store::sqlite
