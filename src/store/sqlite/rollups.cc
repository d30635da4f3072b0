#include "store/sqlite/rollups.h"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "base/varint.h"
#include "model/json.h"
#include "model/summary.h"
#include "store/sqlite/rows.h"

namespace trackly::store::sqlite {
namespace {

struct Tier {
  const char* table;
  int64_t size_s;
};
// Coarse to fine; the finest (minute) is what a contribution entry records.
constexpr std::array<Tier, 3> kTiers = {{{"rollup_day", 86400}, {"rollup_hour", 3600}, {"rollup_minute", 60}}};

int64_t FloorTo(int64_t value, int64_t step) {
  int64_t q = value / step;
  if (value % step != 0 && value < 0) --q;
  return q * step;
}
int64_t CeilTo(int64_t value, int64_t step) { return -FloorTo(-value, step); }

// Encoding of model::RollupValues (`vals` and contribution entries): the integer sums as zigzag
// varints in declaration order, then the sketch (LatencySketch::Encode) to the end.
void EncodeValues(const model::RollupValues& v, std::string& out) {
  for (int64_t field : {v.count, v.errors, v.latency_sum_us, v.input_tokens, v.output_tokens, v.total_tokens,
                        v.cache_read_tokens, v.cache_write_tokens, v.reasoning_tokens, v.cost_nusd, v.ok_cost_nusd,
                        v.cache_savings_nusd, v.unpriced, v.model_calls, v.tool_calls, v.retrievals, v.retries}) {
    AppendSigned(field, out);
  }
  out += v.latency.Encode();
}

// Adds the encoded values to `sum` (RollupValues::Add of the decoded values, without building
// them). `with_sketch` false skips the sketch (queries without a latency measure).
absl::Status AddEncodedValues(std::string_view in, bool with_sketch, model::RollupValues& sum) {
  model::RollupValues& v = sum;
  for (int64_t* field : {&v.count, &v.errors, &v.latency_sum_us, &v.input_tokens, &v.output_tokens,
                         &v.total_tokens, &v.cache_read_tokens, &v.cache_write_tokens, &v.reasoning_tokens,
                         &v.cost_nusd, &v.ok_cost_nusd, &v.cache_savings_nusd, &v.unpriced, &v.model_calls,
                         &v.tool_calls, &v.retrievals, &v.retries}) {
    int64_t value = 0;
    if (!ReadSigned(in, value)) return absl::DataLossError("truncated rollup values");
    *field += value;
  }
  if (with_sketch) return v.latency.MergeEncoded(in);
  return absl::OkStatus();
}

absl::StatusOr<model::RollupValues> DecodeValues(std::string_view in, bool with_sketch) {
  model::RollupValues v;
  TRACKLY_RETURN_IF_ERROR(AddEncodedValues(in, with_sketch, v));
  return v;
}

}  // namespace

// One (key, minute) of a trace's contribution.
struct RollupWriter::Entry {
  int kind = 0;
  int64_t key_id = 0;
  int64_t minute_s = 0;
  model::RollupValues values;
};

namespace {

// Contribution body: repeated (kind, key_id, minute_s, byte length of values, values).
std::string EncodeEntries(const std::map<std::pair<int64_t, int64_t>, model::RollupValues>& entries,
                          const absl::flat_hash_map<int64_t, int>& kinds) {
  std::string out;
  std::string values;
  for (const auto& [key, v] : entries) {
    values.clear();
    EncodeValues(v, values);
    AppendSigned(kinds.at(key.first), out);
    AppendSigned(key.first, out);
    AppendSigned(key.second, out);
    AppendVarint(values.size(), out);
    out += values;
  }
  return out;
}

}  // namespace

absl::StatusOr<int64_t> RollupWriter::KeyId(Connection& db, std::string_view project, model::RollupKind kind,
                                            std::vector<std::string> dims) {
  KeyOfDims key(std::string(project), static_cast<int>(kind), std::move(dims));
  if (auto it = key_ids_.find(key); it != key_ids_.end()) return it->second;
  const std::string dims_json = model::DumpJson(model::Json(std::get<2>(key)));
  {
    TRACKLY_ASSIGN_OR_RETURN(Statement find,
                             db.Prepare("SELECT key_id FROM rollup_keys WHERE project = ?1 AND kind = ?2 AND dims = ?3"));
    find.BindText(1, project);
    find.BindInt(2, static_cast<int>(kind));
    find.BindText(3, dims_json);
    TRACKLY_ASSIGN_OR_RETURN(bool found, find.Step());
    if (found) return key_ids_[std::move(key)] = find.Int(0);
  }
  TRACKLY_ASSIGN_OR_RETURN(Statement insert, db.Prepare("INSERT INTO rollup_keys(project, kind, dims) VALUES(?1, ?2, ?3)"));
  insert.BindText(1, project);
  insert.BindInt(2, static_cast<int>(kind));
  insert.BindText(3, dims_json);
  TRACKLY_RETURN_IF_ERROR(insert.Run());
  return key_ids_[std::move(key)] = insert.LastInsertRowId();
}

void RollupWriter::AddToCells(std::string_view project, const Entry& entry, int64_t sign) {
  for (size_t tier = 0; tier < kTiers.size(); ++tier) {
    Cell cell(std::string(project), static_cast<int>(tier) * 16 + entry.kind,
              FloorTo(entry.minute_s, kTiers[tier].size_s), entry.key_id);
    deltas_[std::move(cell)].Add(entry.values, sign);
  }
}

absl::Status RollupWriter::SubtractStored(Connection& db, std::string_view project, std::string_view trace_id) {
  TRACKLY_ASSIGN_OR_RETURN(
      Statement read, db.Prepare("SELECT body FROM rollup_contributions WHERE project = ?1 AND trace_id = ?2"));
  read.BindText(1, project);
  read.BindText(2, trace_id);
  TRACKLY_ASSIGN_OR_RETURN(bool found, read.Step());
  if (!found) return absl::OkStatus();
  return SubtractBody(project, trace_id, read.Blob(0));
}

absl::Status RollupWriter::SubtractBody(std::string_view project, std::string_view trace_id, std::string_view in) {
  while (!in.empty()) {
    Entry entry;
    int64_t kind = 0;
    uint64_t length = 0;
    if (!ReadSigned(in, kind) || !ReadSigned(in, entry.key_id) || !ReadSigned(in, entry.minute_s) ||
        !ReadVarint(in, length) || length > in.size()) {
      return absl::DataLossError(absl::StrCat("malformed rollup contribution of trace ", Sv(trace_id)));
    }
    entry.kind = static_cast<int>(kind);
    TRACKLY_ASSIGN_OR_RETURN(entry.values, DecodeValues(in.substr(0, length), /*with_sketch=*/true));
    in.remove_prefix(length);
    AddToCells(project, entry, -1);
    if (entry.kind == static_cast<int>(model::RollupKind::kTraceByUser)) {
      removed_user_keys_.emplace(std::string(project), entry.key_id);
    }
  }
  return absl::OkStatus();
}

absl::Status RollupWriter::RemoveTrace(Connection& db, std::string_view project, std::string_view trace_id) {
  TRACKLY_RETURN_IF_ERROR(SubtractStored(db, project, trace_id));
  TRACKLY_ASSIGN_OR_RETURN(
      Statement del, db.Prepare("DELETE FROM rollup_contributions WHERE project = ?1 AND trace_id = ?2"));
  del.BindText(1, project);
  del.BindText(2, trace_id);
  return del.Run();
}

absl::Status RollupWriter::SampleOutTrace(Connection& db, std::string_view project, std::string_view trace_id) {
  std::string body;
  {
    TRACKLY_ASSIGN_OR_RETURN(
        Statement read, db.Prepare("SELECT body FROM rollup_contributions WHERE project = ?1 AND trace_id = ?2"));
    read.BindText(1, project);
    read.BindText(2, trace_id);
    TRACKLY_ASSIGN_OR_RETURN(bool found, read.Step());
    if (!found) return absl::OkStatus();
    body = std::string(read.Blob(0));
  }
  {
    // Dropped before (then started anew by a late span): both contributions are in the cells.
    TRACKLY_ASSIGN_OR_RETURN(Statement earlier,
                             db.Prepare("SELECT body FROM sampled_out_traces WHERE project = ?1 AND trace_id = ?2"));
    earlier.BindText(1, project);
    earlier.BindText(2, trace_id);
    TRACKLY_ASSIGN_OR_RETURN(bool found, earlier.Step());
    if (found) body.insert(0, earlier.Blob(0));
  }
  TRACKLY_ASSIGN_OR_RETURN(
      Statement move,
      db.Prepare("INSERT OR REPLACE INTO sampled_out_traces(project, trace_id, start_ns, user_id, session_id, body) "
                 "SELECT project, trace_id, start_ns, user_id, session_id, ?3 FROM traces "
                 "WHERE project = ?1 AND trace_id = ?2"));
  move.BindText(1, project);
  move.BindText(2, trace_id);
  move.BindBlob(3, body);
  TRACKLY_RETURN_IF_ERROR(move.Run());
  TRACKLY_ASSIGN_OR_RETURN(
      Statement del, db.Prepare("DELETE FROM rollup_contributions WHERE project = ?1 AND trace_id = ?2"));
  del.BindText(1, project);
  del.BindText(2, trace_id);
  return del.Run();
}

absl::Status RollupWriter::RemoveSampledOut(Connection& db, std::string_view project, std::string_view trace_id) {
  {
    TRACKLY_ASSIGN_OR_RETURN(Statement read,
                             db.Prepare("SELECT body FROM sampled_out_traces WHERE project = ?1 AND trace_id = ?2"));
    read.BindText(1, project);
    read.BindText(2, trace_id);
    TRACKLY_ASSIGN_OR_RETURN(bool found, read.Step());
    if (!found) return absl::OkStatus();
    TRACKLY_RETURN_IF_ERROR(SubtractBody(project, trace_id, read.Blob(0)));
  }
  TRACKLY_ASSIGN_OR_RETURN(Statement del,
                           db.Prepare("DELETE FROM sampled_out_traces WHERE project = ?1 AND trace_id = ?2"));
  del.BindText(1, project);
  del.BindText(2, trace_id);
  return del.Run();
}

absl::Status RollupWriter::ReplaceTrace(Connection& db, std::string_view project, std::string_view trace_id,
                                        bool is_new, const model::Trace& trace,
                                        std::span<const model::Observation> observations) {
  if (!is_new) TRACKLY_RETURN_IF_ERROR(SubtractStored(db, project, trace_id));

  // Add what it contributes now: its observations under their keys and minutes, and the run
  // under its trace keys at the trace's start minute.
  std::map<std::pair<int64_t, int64_t>, model::RollupValues> entries;  // (key_id, minute) → values
  absl::flat_hash_map<int64_t, int> kinds;
  for (const model::Observation& o : observations) {
    TRACKLY_ASSIGN_OR_RETURN(int64_t key_id,
                             KeyId(db, project, model::RollupKind::kObservation, model::ObservationRollupKey(o)));
    kinds[key_id] = static_cast<int>(model::RollupKind::kObservation);
    entries[{key_id, RollupMinuteS(o.start_time_ns)}].Add(model::ObservationRollupValues(o));
  }
  const model::RollupValues run = model::TraceRollupValues(trace, observations);
  for (model::RollupKind kind : {model::RollupKind::kTrace, model::RollupKind::kTraceByUser}) {
    TRACKLY_ASSIGN_OR_RETURN(int64_t key_id, KeyId(db, project, kind, model::TraceRollupKey(kind, trace)));
    kinds[key_id] = static_cast<int>(kind);
    entries[{key_id, RollupMinuteS(trace.start_time_ns)}].Add(run);
  }
  for (const auto& [key, values] : entries) {
    AddToCells(project, Entry{.kind = kinds[key.first], .key_id = key.first, .minute_s = key.second, .values = values},
               +1);
  }
  TRACKLY_ASSIGN_OR_RETURN(
      Statement write,
      db.Prepare("INSERT OR REPLACE INTO rollup_contributions(project, trace_id, body) VALUES(?1, ?2, ?3)"));
  const std::string body = EncodeEntries(entries, kinds);
  write.BindText(1, project);
  write.BindText(2, trace_id);
  write.BindBlob(3, body);
  return write.Run();
}

absl::Status RollupWriter::Flush(Connection& db) {
  std::string vals;
  for (auto& [cell, delta] : deltas_) {
    if (delta.IsZero()) continue;  // e.g. a trace rewritten with no change
    const auto& [project, tier_kind, bucket_s, key_id] = cell;
    const Tier& tier = kTiers[tier_kind / 16];
    const int kind = tier_kind % 16;
    model::RollupValues total = delta;
    {
      TRACKLY_ASSIGN_OR_RETURN(Statement read, db.Prepare(absl::StrCat(
                                                   "SELECT vals FROM ", tier.table,
                                                   " WHERE project = ?1 AND kind = ?2 AND bucket_s = ?3 AND key_id = ?4")));
      read.BindText(1, project);
      read.BindInt(2, kind);
      read.BindInt(3, bucket_s);
      read.BindInt(4, key_id);
      TRACKLY_ASSIGN_OR_RETURN(bool found, read.Step());
      if (found) TRACKLY_RETURN_IF_ERROR(AddEncodedValues(read.Blob(0), /*with_sketch=*/true, total));
    }
    if (total.IsZero()) {
      TRACKLY_ASSIGN_OR_RETURN(Statement del, db.Prepare(absl::StrCat(
                                                  "DELETE FROM ", tier.table,
                                                  " WHERE project = ?1 AND kind = ?2 AND bucket_s = ?3 AND key_id = ?4")));
      del.BindText(1, project);
      del.BindInt(2, kind);
      del.BindInt(3, bucket_s);
      del.BindInt(4, key_id);
      TRACKLY_RETURN_IF_ERROR(del.Run());
      continue;
    }
    vals.clear();
    EncodeValues(total, vals);
    TRACKLY_ASSIGN_OR_RETURN(Statement upsert,
                             db.Prepare(absl::StrCat("INSERT OR REPLACE INTO ", tier.table,
                                                     "(project, kind, bucket_s, key_id, vals) VALUES(?1, ?2, ?3, ?4, ?5)")));
    upsert.BindText(1, project);
    upsert.BindInt(2, kind);
    upsert.BindInt(3, bucket_s);
    upsert.BindInt(4, key_id);
    upsert.BindBlob(5, vals);
    TRACKLY_RETURN_IF_ERROR(upsert.Run());
  }
  deltas_.clear();
  return PruneRemovedUserKeys(db);
}

// A key's cells live in every tier at once (a contribution is added to its minute, hour and day),
// so a key without a day row has no row at all. The probe walks the (project, kind) range of
// rollup_day, which for the per-user kind has one row per user and active day: fine for erasure,
// which is rare, and never run on the ingest path (only RemoveTrace fills the set).
absl::Status RollupWriter::PruneRemovedUserKeys(Connection& db) {
  if (removed_user_keys_.empty()) return absl::OkStatus();
  TRACKLY_ASSIGN_OR_RETURN(
      Statement del,
      db.Prepare("DELETE FROM rollup_keys WHERE project = ?1 AND key_id = ?2 AND NOT EXISTS ("
                 "SELECT 1 FROM rollup_day WHERE project = ?1 AND kind = ?3 AND key_id = ?2)"));
  for (const auto& [project, key_id] : removed_user_keys_) {
    del.BindText(1, project);
    del.BindInt(2, key_id);
    del.BindInt(3, static_cast<int>(model::RollupKind::kTraceByUser));
    TRACKLY_RETURN_IF_ERROR(del.Run());
  }
  removed_user_keys_.clear();
  key_ids_.clear();  // a cached id may name a key just deleted
  return absl::OkStatus();
}

absl::Status RebuildRollups(Connection& db) {
  TRACKLY_RETURN_IF_ERROR(db.Exec(
      "DELETE FROM rollup_minute; DELETE FROM rollup_hour; DELETE FROM rollup_day; "
      "DELETE FROM rollup_contributions; DELETE FROM rollup_keys; "
      // The shares of dropped traces name the keys deleted here; a rebuild cannot see them.
      "DELETE FROM sampled_out_traces;"));
  TRACKLY_ASSIGN_OR_RETURN(Statement traces, db.PrepareOnce("SELECT project, trace_id FROM traces"));
  const std::string scan_sql = absl::StrCat("SELECT ", PageSummaryObservationColumns(),
                                            " FROM observations WHERE project = ?1 AND trace_id = ?2");
  RollupWriter writer;
  PayloadReader payloads(db);
  int64_t pending = 0;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, traces.Step());
    if (!row) break;
    const std::string project(traces.Text(0));
    const std::string trace_id(traces.Text(1));
    std::vector<model::Observation> observations;
    TRACKLY_ASSIGN_OR_RETURN(Statement scan, db.Prepare(scan_sql));
    scan.BindText(1, project);
    scan.BindText(2, trace_id);
    while (true) {
      TRACKLY_ASSIGN_OR_RETURN(bool found, scan.Step());
      if (!found) break;
      TRACKLY_ASSIGN_OR_RETURN(model::Observation observation, ReadObservationRow(payloads, scan, trace_id, RowRead::kSummary));
      observations.push_back(std::move(observation));
    }
    const model::Trace trace = model::SummarizeTrace(observations);
    TRACKLY_RETURN_IF_ERROR(writer.ReplaceTrace(db, project, trace_id, /*is_new=*/true, trace, observations));
    if (++pending == 10'000) {  // bounds the deltas held in memory
      TRACKLY_RETURN_IF_ERROR(writer.Flush(db));
      pending = 0;
    }
  }
  return writer.Flush(db);
}

namespace {

// A range of buckets of one tier that a query reads.
struct Piece {
  const Tier* tier;
  int64_t from_s;
  int64_t to_s;
};

// Covers [from_s, to_s) with the coarsest buckets that fit: whole days in the middle, hours and
// then minutes at the unaligned edges. `tiers` is coarse to fine and ends with minutes; from_s
// and to_s are whole minutes.
void PlanPieces(int64_t from_s, int64_t to_s, std::span<const Tier> tiers, std::vector<Piece>& out) {
  if (from_s >= to_s) return;
  const Tier& tier = tiers.front();
  if (tiers.size() == 1) {
    out.push_back({&tier, from_s, to_s});
    return;
  }
  const int64_t inner_from = CeilTo(from_s, tier.size_s);
  const int64_t inner_to = FloorTo(to_s, tier.size_s);
  if (inner_from >= inner_to) return PlanPieces(from_s, to_s, tiers.subspan(1), out);
  PlanPieces(from_s, inner_from, tiers.subspan(1), out);
  out.push_back({&tier, inner_from, inner_to});
  PlanPieces(inner_to, to_s, tiers.subspan(1), out);
}

}  // namespace

absl::StatusOr<MetricsResult> QueryRollups(Connection& db, const MetricsQuery& query) {
  TRACKLY_RETURN_IF_ERROR(ValidateMetricsQuery(query));
  TRACKLY_ASSIGN_OR_RETURN(model::RollupKind kind, RollupKindFor(query));
  std::span<const model::MetricsDimension> dimensions = model::DimensionsOf(kind);
  auto position_of = [&](model::MetricsDimension d) {
    return static_cast<size_t>(std::find(dimensions.begin(), dimensions.end(), d) - dimensions.begin());
  };

  // The keys of the project that pass the filters, each mapped to its group.
  std::vector<std::vector<std::string>> groups;
  absl::flat_hash_map<int64_t, size_t> group_of_key;
  {
    std::map<std::vector<std::string>, size_t> group_index;
    TRACKLY_ASSIGN_OR_RETURN(Statement keys,
                             db.Prepare("SELECT key_id, dims FROM rollup_keys WHERE project = ?1 AND kind = ?2"));
    keys.BindText(1, query.project);
    keys.BindInt(2, static_cast<int>(kind));
    while (true) {
      TRACKLY_ASSIGN_OR_RETURN(bool row, keys.Step());
      if (!row) break;
      model::Json dims = model::Json::parse(keys.Text(1), nullptr, /*allow_exceptions=*/false);
      if (!dims.is_array() || dims.size() != dimensions.size()) {
        return absl::DataLossError("stored rollup key is malformed");
      }
      auto dim = [&](model::MetricsDimension d) -> const std::string& {
        return dims[position_of(d)].get_ref<const std::string&>();
      };
      bool pass = true;
      for (const auto& [d, value] : query.filters) pass = pass && dim(d) == value;
      if (!pass) continue;
      std::vector<std::string> group;
      for (model::MetricsDimension d : query.group_by) group.push_back(dim(d));
      auto [it, inserted] = group_index.try_emplace(group, groups.size());
      if (inserted) groups.push_back(std::move(group));
      group_of_key[keys.Int(0)] = it->second;
    }
  }

  // Which tiers may answer: none coarser than the time grain.
  const int64_t grain_s = GrainNs(query.time_grain) / 1'000'000'000;
  std::vector<Tier> tiers;
  for (const Tier& tier : kTiers) {
    if (grain_s == 0 || tier.size_s <= grain_s) tiers.push_back(tier);
  }
  constexpr int64_t kUnboundedS = int64_t{100'000} * 365 * 86400;  // far beyond any real time, whole days
  const int64_t from_s = query.from_ns == 0 ? 0 : RollupMinuteS(query.from_ns);
  const int64_t to_s = query.to_ns == 0 ? kUnboundedS : RollupMinuteS(query.to_ns);
  std::vector<Piece> pieces;
  PlanPieces(from_s, to_s, tiers, pieces);

  const bool with_sketch = NeedsLatencySketch(query.measures);
  // (time bucket s, group) → sums; the rows are sorted below.
  absl::flat_hash_map<std::pair<int64_t, size_t>, model::RollupValues> cells;
  if (!group_of_key.empty()) {
    for (const Piece& piece : pieces) {
      TRACKLY_ASSIGN_OR_RETURN(
          Statement scan, db.Prepare(absl::StrCat("SELECT bucket_s, key_id, vals FROM ", piece.tier->table,
                                                  " WHERE project = ?1 AND kind = ?2 AND bucket_s >= ?3 AND bucket_s < ?4")));
      scan.BindText(1, query.project);
      scan.BindInt(2, static_cast<int>(kind));
      scan.BindInt(3, piece.from_s);
      scan.BindInt(4, piece.to_s);
      while (true) {
        TRACKLY_ASSIGN_OR_RETURN(bool row, scan.Step());
        if (!row) break;
        auto group = group_of_key.find(scan.Int(1));
        if (group == group_of_key.end()) continue;
        const int64_t time_s = grain_s == 0 ? 0 : FloorTo(scan.Int(0), grain_s);
        TRACKLY_RETURN_IF_ERROR(AddEncodedValues(scan.Blob(2), with_sketch, cells[{time_s, group->second}]));
      }
    }
  }

  MetricsResult result;
  for (const auto& [cell, values] : cells) {
    if (values.count == 0) continue;
    MetricsRow row;
    row.time_ns = cell.first * 1'000'000'000;
    row.group = groups[cell.second];
    for (Measure measure : query.measures) row.values.push_back(MeasureValue(measure, values));
    result.rows.push_back(std::move(row));
  }
  std::sort(result.rows.begin(), result.rows.end(), [](const MetricsRow& a, const MetricsRow& b) {
    return std::tie(a.time_ns, a.group) < std::tie(b.time_ns, b.group);
  });
  return result;
}

}  // namespace trackly::store::sqlite
