#include "store/sqlite/fragment_merger.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "base/status.h"
#include "store/sqlite/payload.h"

namespace trackly::store::sqlite {
namespace {

// The enum's declaration order is not a storage format; this mapping is.
int64_t KindCode(model::FragmentKind kind) { return kind == model::FragmentKind::kCreate ? 0 : 1; }
model::FragmentKind KindFromCode(int64_t code) {
  return code == 0 ? model::FragmentKind::kCreate : model::FragmentKind::kUpdate;
}

absl::StatusOr<std::vector<model::ObservationFragment>> ReadFragments(Connection& db, std::string_view project,
                                                                      std::string_view observation_id) {
  TRACKLY_ASSIGN_OR_RETURN(Statement select,
                           db.Prepare("SELECT event_id, kind, event_ns, fields, payload FROM observation_fragments "
                                      "WHERE project = ?1 AND observation_id = ?2"));
  select.BindText(1, project);
  select.BindText(2, observation_id);
  std::vector<model::ObservationFragment> fragments;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    TRACKLY_ASSIGN_OR_RETURN(model::Observation observation, DecodePayload(select.Blob(4)));
    fragments.push_back(model::ObservationFragment{.observation = std::move(observation),
                                                   .fields = static_cast<uint64_t>(select.Int(3)),
                                                   .kind = KindFromCode(select.Int(1)),
                                                   .event_time_ns = select.Int(2),
                                                   .event_id = std::string(select.Text(0))});
  }
  return fragments;
}

}  // namespace

EncodedFragment EncodeFragment(const model::ObservationFragment& fragment, size_t compress_min_bytes) {
  model::Observation observation = fragment.observation;
  FloorTimesToMicros(observation);
  return EncodedFragment{.observation_id = fragment.observation.id,
                         .event_id = fragment.event_id,
                         .kind = fragment.kind,
                         .event_time_ns = fragment.event_time_ns,
                         .fields = fragment.fields,
                         .payload = EncodePayload(observation, compress_min_bytes)};
}

absl::StatusOr<std::string> MergedTraceId(Connection& db, std::string_view project,
                                          std::string_view observation_id) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<model::ObservationFragment> fragments,
                           ReadFragments(db, project, observation_id));
  return model::MergeFragments(fragments).trace_id;
}

absl::Status FragmentMerger::Load(Connection& db, std::vector<EncodedObservation>& out) {
  std::vector<std::string_view> ids;  // each id once, in order of first appearance
  absl::flat_hash_set<std::string_view> seen;
  {
    TRACKLY_ASSIGN_OR_RETURN(
        Statement insert,
        db.Prepare("INSERT OR IGNORE INTO observation_fragments(project, observation_id, event_id, kind, "
                   "event_ns, fields, payload) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    for (const EncodedFragment& fragment : fragments_) {
      insert.BindText(1, project_);
      insert.BindText(2, fragment.observation_id);
      insert.BindText(3, fragment.event_id);
      insert.BindInt(4, KindCode(fragment.kind));
      insert.BindInt(5, fragment.event_time_ns);
      insert.BindInt(6, static_cast<int64_t>(fragment.fields));
      insert.BindBlob(7, fragment.payload);
      TRACKLY_RETURN_IF_ERROR(insert.Run());
      if (seen.insert(fragment.observation_id).second) ids.push_back(fragment.observation_id);
    }
  }
  // Merged from what is stored, never from the fragments in memory: the stored ones are what a
  // later merge of the same id will see, so every merge of an id starts from the same inputs.
  for (std::string_view id : ids) {
    TRACKLY_ASSIGN_OR_RETURN(std::vector<model::ObservationFragment> fragments, ReadFragments(db, project_, id));
    model::Observation merged = model::MergeFragments(fragments);
    if (merged.trace_id.empty() || merged.start_time_ns == 0) continue;  // pending
    if (finish_merged_) finish_merged_(merged);
    out.push_back(EncodeObservation(std::move(merged), compress_min_bytes_));
  }
  return absl::OkStatus();
}

}  // namespace trackly::store::sqlite
