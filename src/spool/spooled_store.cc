#include "spool/spooled_store.h"

#include <boost/endian/conversion.hpp>

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status.h"
#include "model/codec.h"
#include "model/json.h"

namespace trackly::spool {
namespace {

// A record is a JSON header (project, fragments, scores: rare and small) and the observations,
// each as its own JSON text (model::AppendJson, read back with the fast model::ParseObservationJson):
//   u32 header length, header, then per observation: u32 length, JSON. Lengths little-endian.
// Hand-framed because the pieces are already JSON texts; a wrapper format would copy them again.
void AppendU32(std::string& out, uint32_t value) {
  boost::endian::native_to_little_inplace(value);
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

bool ReadU32(std::string_view& in, uint32_t* value) {
  if (in.size() < sizeof *value) return false;
  std::memcpy(value, in.data(), sizeof *value);
  boost::endian::little_to_native_inplace(*value);
  in.remove_prefix(sizeof *value);
  return true;
}

absl::Status Corrupt(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("spool record: ", Sv(what)));
}

// Appends `from`'s contents to `into` (two batches of one project).
void Append(store::WriteBatch& into, store::WriteBatch&& from) {
  for (auto& o : from.observations) into.observations.push_back(std::move(o));
  into.observation_json.insert(into.observation_json.end(), from.observation_json.begin(), from.observation_json.end());
  for (auto& f : from.fragments) into.fragments.push_back(std::move(f));
  for (auto& s : from.scores) into.scores.push_back(std::move(s));
}

// Observations, fragments and scores of `batch`: what a store's write queue bound counts.
size_t ItemsOf(const store::WriteBatch& batch) {
  return batch.observations.size() + batch.fragments.size() + batch.scores.size();
}

// Moves the first `count` observations of `batch`, with their texts, into a batch of their own,
// of the same project.
store::WriteBatch TakeObservations(store::WriteBatch& batch, size_t count) {
  store::WriteBatch part{.project = batch.project};
  const auto n = static_cast<ptrdiff_t>(count);
  part.observations.assign(std::make_move_iterator(batch.observations.begin()),
                           std::make_move_iterator(batch.observations.begin() + n));
  batch.observations.erase(batch.observations.begin(), batch.observations.begin() + n);
  part.observation_json.assign(batch.observation_json.begin(), batch.observation_json.begin() + n);
  batch.observation_json.erase(batch.observation_json.begin(), batch.observation_json.begin() + n);
  return part;
}

absl::Status DataLoss(const Segment& segment, const absl::Status& decoded) {
  return absl::DataLossError(absl::StrCat("segment ", segment.dedup_token, ": ", decoded.message()));
}

}  // namespace

std::string EncodeBatchRecord(const store::WriteBatch& batch) {
  model::Json fragments = model::Json::array();
  for (const model::ObservationFragment& f : batch.fragments) {
    fragments.push_back({{"observation", model::ToJson(f.observation)},
                         {"fields", f.fields},
                         {"kind", static_cast<int>(f.kind)},
                         {"event_time_ns", f.event_time_ns},
                         {"event_id", f.event_id}});
  }
  model::Json scores = model::Json::array();
  for (const model::Score& s : batch.scores) scores.push_back(model::ToJson(s));
  const std::string header =
      model::DumpJson(model::Json{{"project", batch.project}, {"fragments", fragments}, {"scores", scores}});
  std::string out;
  AppendU32(out, static_cast<uint32_t>(header.size()));
  out += header;
  // Each observation's JSON is written in place after a length placeholder, filled in after.
  for (const model::Observation& o : batch.observations) {
    const size_t length_at = out.size();
    AppendU32(out, 0);
    model::AppendJson(o, &out);
    uint32_t length = static_cast<uint32_t>(out.size() - length_at - sizeof length);
    boost::endian::native_to_little_inplace(length);
    std::memcpy(out.data() + length_at, &length, sizeof length);
  }
  return out;
}

namespace {

// A record with its header decoded: the batch without its observations, and the observations'
// frames, still encoded (DecodeObservations).
struct RecordParts {
  store::WriteBatch batch;
  std::string_view observation_frames;
  size_t observation_count = 0;
};

absl::StatusOr<RecordParts> DecodeRecordHeader(std::string_view record) {
  uint32_t length = 0;
  if (!ReadU32(record, &length) || length > record.size()) return Corrupt("truncated header");
  model::Json header = model::Json::parse(record.substr(0, length), nullptr, /*allow_exceptions=*/false);
  record.remove_prefix(length);
  if (header.is_discarded() || !header.is_object() || !header.value("project", model::Json()).is_string()) {
    return Corrupt("bad header");
  }
  RecordParts parts{.observation_frames = record};
  store::WriteBatch& batch = parts.batch;
  batch.project = header["project"].get<std::string>();
  for (const model::Json& f : header.value("fragments", model::Json::array())) {
    if (!f.is_object()) return Corrupt("bad fragment");
    TRACKLY_ASSIGN_OR_RETURN(model::Observation observation,
                             model::ObservationFromJson(f.value("observation", model::Json())));
    batch.fragments.push_back(model::ObservationFragment{
        .observation = std::move(observation),
        .fields = f.value("fields", uint64_t{0}),
        .kind = static_cast<model::FragmentKind>(f.value("kind", 0)),
        .event_time_ns = f.value("event_time_ns", int64_t{0}),
        .event_id = f.value("event_id", std::string())});
  }
  for (const model::Json& s : header.value("scores", model::Json::array())) {
    TRACKLY_ASSIGN_OR_RETURN(model::Score score, model::ScoreFromJson(s));
    batch.scores.push_back(std::move(score));
  }
  // Counted from the length prefixes alone, so the shipper can size its vectors before decoding.
  while (!record.empty()) {
    if (!ReadU32(record, &length) || length > record.size()) return Corrupt("truncated observation");
    record.remove_prefix(length);
    ++parts.observation_count;
  }
  return parts;
}

// Decodes the observations of `frames` (checked by DecodeRecordHeader) onto the end of
// `batch.observations`, and their texts (views into `frames`) onto `batch.observation_json`.
// Only their summaries: the store takes the free-form fields from the texts (WriteBatch), and
// building them was most of the decoding.
absl::Status DecodeObservations(std::string_view frames, store::WriteBatch& batch) {
  uint32_t length = 0;
  while (ReadU32(frames, &length)) {
    const std::string_view text = frames.substr(0, length);
    // Decoded in place: an Observation is large, and moving each into the vector was not free.
    model::Observation& observation = batch.observations.emplace_back();
    if (absl::Status parsed = model::ParseObservationJson(text, model::ObservationFields::kSummary, observation);
        !parsed.ok()) {
      batch.observations.pop_back();
      return parsed;
    }
    batch.observation_json.push_back(text);
    frames.remove_prefix(length);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<store::WriteBatch> DecodeBatchRecord(std::string_view record) {
  TRACKLY_ASSIGN_OR_RETURN(RecordParts parts, DecodeRecordHeader(record));
  parts.batch.observations.reserve(parts.observation_count);
  parts.batch.observation_json.reserve(parts.observation_count);
  TRACKLY_RETURN_IF_ERROR(DecodeObservations(parts.observation_frames, parts.batch));
  return std::move(parts.batch);
}

absl::StatusOr<std::unique_ptr<SpooledStore>> SpooledStore::Open(store::Store& backing, SpooledStoreOptions options) {
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<Spool> spool, Spool::Open(options.spool));
  return std::unique_ptr<SpooledStore>(new SpooledStore(backing, std::move(options), std::move(spool)));
}

absl::Status SpooledStore::StartShipping(FinishMergedFor finish_merged_for) {
  // Set before the shipper thread starts (Spool::StartShipping), which orders it before every read.
  finish_merged_for_ = std::move(finish_merged_for);
  return spool_->StartShipping([this](const Segment& segment) { return Ship(segment); });
}

SpooledStore::SpooledStore(store::Store& backing, SpooledStoreOptions options, std::unique_ptr<Spool> spool)
    : ForwardingStore(backing), options_(std::move(options)), spool_(std::move(spool)) {}

SpooledStore::~SpooledStore() { Drain(); }

store::StoreStats SpooledStore::stats() const {
  store::StoreStats stats = backing_.stats();
  const SpoolStats spool = spool_->Stats();
  stats.spool = store::SpoolFigures{.enabled = true,
                                    .bytes = static_cast<int64_t>(spool.bytes_on_disk),
                                    .max_bytes = static_cast<int64_t>(spool.max_bytes),
                                    .records_waiting = static_cast<int64_t>(spool.records_waiting),
                                    .ship_lag_ms = absl::ToInt64Milliseconds(spool.oldest_record_age),
                                    .consecutive_failures = static_cast<int64_t>(spool.consecutive_failures),
                                    .last_error = spool.last_error,
                                    .shipped_records = static_cast<int64_t>(spool.shipped_records)};
  return stats;
}

void SpooledStore::Write(store::WriteBatch batch, store::WriteCallback done) {
  absl::Status accepted = spool_->Append(EncodeBatchRecord(batch), done);
  if (!accepted.ok()) done(accepted);
}

absl::Status SpooledStore::Ship(const Segment& segment) {
  // Every header first (small: project, fragments, scores), so that each write's observation
  // vector is sized once and the observations are decoded straight into it: an Observation is
  // large, and growing the vector or moving a record's batch into the write moved each one
  // several times.
  std::vector<RecordParts> records;
  records.reserve(segment.records.size());
  for (const std::string_view record : segment.records) {
    absl::StatusOr<RecordParts> parts = DecodeRecordHeader(record);
    // Records were written by this code and checksummed by the spool: one that does not decode
    // is a bug, and is kept (the segment is retried) rather than dropped.
    if (!parts.ok()) return DataLoss(segment, parts.status());
    records.push_back(*std::move(parts));
  }
  // Consecutive batches of one project go to the backing store as one write: fewer, larger inserts.
  std::optional<store::WriteBatch> pending;
  auto write = [&](store::WriteBatch batch) -> absl::Status {
    if (finish_merged_for_) batch.finish_merged = finish_merged_for_(batch.project);
    return store::WriteAndWait(backing_, std::move(batch));
  };
  auto flush = [&]() -> absl::Status {
    if (!pending) return absl::OkStatus();
    absl::Status written = write(*std::move(pending));
    pending.reset();
    return written;
  };
  auto items_of = [](const RecordParts& r) {
    return ItemsOf(r.batch) + r.observation_count;  // its observations are not decoded yet
  };
  const size_t max_items = std::max<size_t>(1, options_.max_write_items);
  for (size_t i = 0; i < records.size(); ++i) {
    RecordParts& record = records[i];
    if (pending && (pending->project != record.batch.project || ItemsOf(*pending) + items_of(record) > max_items)) {
      TRACKLY_RETURN_IF_ERROR(flush());
    }
    if (!pending) {
      // The observations this write will take: those of the records that follow while they are
      // of the project and fit (the test above), or all of one record over the bound alone.
      size_t observations = record.observation_count;
      for (size_t items = items_of(record), j = i + 1;
           j < records.size() && records[j].batch.project == record.batch.project &&
           items + items_of(records[j]) <= max_items;
           ++j) {
        items += items_of(records[j]);
        observations += records[j].observation_count;
      }
      pending = store::WriteBatch{.project = record.batch.project};
      pending->observations.reserve(observations);
      pending->observation_json.reserve(observations);
    }
    Append(*pending, std::move(record.batch));
    // The texts point into `segment`, which outlives the write (WriteAndWait).
    absl::Status decoded = DecodeObservations(record.observation_frames, *pending);
    if (!decoded.ok()) return DataLoss(segment, decoded);
    // A record over the bound alone (a very large request of small spans): its observations
    // ship in parts, which upserts make the same as one write.
    while (ItemsOf(*pending) > max_items && !pending->observations.empty()) {
      TRACKLY_RETURN_IF_ERROR(write(TakeObservations(*pending, std::min(max_items, pending->observations.size()))));
    }
  }
  return flush();
}

absl::Status SpooledStore::Flush(absl::Duration timeout) { return spool_->Flush(timeout); }

absl::Status SpooledStore::ShipAcknowledged(std::string_view action) {
  if (absl::Status shipped = spool_->Flush(options_.erase_flush_timeout); !shipped.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot ", Sv(action),
                                               " yet: traces acknowledged earlier are still in the spool, not in the "
                                               "backing store (",
                                               shipped.message(), "); try again once it has shipped"));
  }
  return absl::OkStatus();
}

absl::StatusOr<store::EraseStats> SpooledStore::Erase(const store::EraseRequest& request) {
  TRACKLY_RETURN_IF_ERROR(store::ValidateEraseRequest(request));
  TRACKLY_RETURN_IF_ERROR(ShipAcknowledged("erase"));
  return backing_.Erase(request);
}

absl::StatusOr<store::EraseStats> SpooledStore::DropSampledOut(std::string_view project,
                                                               const std::vector<std::string>& trace_ids) {
  TRACKLY_RETURN_IF_ERROR(store::ValidateDropSampledOut(project, trace_ids));
  if (trace_ids.empty()) return store::EraseStats{};
  TRACKLY_RETURN_IF_ERROR(ShipAcknowledged("drop sampled-out traces"));
  return backing_.DropSampledOut(project, trace_ids);
}

absl::StatusOr<store::ExpireStats> SpooledStore::Expire(const store::ExpireRequest& request) {
  TRACKLY_RETURN_IF_ERROR(store::ValidateExpireRequest(request));
  TRACKLY_RETURN_IF_ERROR(ShipAcknowledged("expire"));
  return backing_.Expire(request);
}

void SpooledStore::Drain() {
  // Close is idempotent; a Flush after it answers Unavailable, which is fine to ignore here.
  if (absl::Status shipped = spool_->Flush(options_.drain_ship_timeout); !shipped.ok() && !absl::IsUnavailable(shipped)) {
    LogWarn("spool: not everything shipped before stopping (it ships after the next start): ", shipped.ToString());
  }
  spool_->Close();
  backing_.Drain();
}

}  // namespace trackly::spool
