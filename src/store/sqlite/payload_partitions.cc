#include "store/sqlite/payload_partitions.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "store/sqlite/payload.h"

namespace trackly::store::sqlite {
namespace {

// Table names are made from the registry's integer ids only, never from a project name, so no
// client-supplied text reaches the SQL. AUTOINCREMENT: an id is never reused, so a statement
// cached for a dropped table can never be taken for a new one.
std::string TableOf(int64_t part) { return absl::StrCat("payloads_", part); }

}  // namespace

absl::StatusOr<int64_t> PartitionWriter::PartitionFor(Connection& db, std::string_view project, int64_t day) {
  auto key = std::make_pair(std::string(project), day);
  if (auto it = parts_.find(key); it != parts_.end()) return it->second;
  TRACKLY_ASSIGN_OR_RETURN(Statement find,
                           db.Prepare("SELECT part_id FROM payload_partitions WHERE project = ?1 AND day = ?2"));
  find.BindText(1, project);
  find.BindInt(2, day);
  TRACKLY_ASSIGN_OR_RETURN(bool found, find.Step());
  int64_t part = 0;
  if (found) {
    part = find.Int(0);
  } else {
    TRACKLY_ASSIGN_OR_RETURN(Statement add, db.Prepare("INSERT INTO payload_partitions(project, day) VALUES(?1, ?2)"));
    add.BindText(1, project);
    add.BindInt(2, day);
    TRACKLY_RETURN_IF_ERROR(add.Run());
    part = add.LastInsertRowId();
    // A rowid table with a unique index, not a WITHOUT ROWID table keyed by (trace_id, id): a
    // payload (~1.5 KiB of JSON for a typical span) is then appended at the end of the table
    // instead of inserted at a random trace id, which split pages (a quarter of each page was
    // left empty) and rewrote them in every commit; only the small index entry lands at random.
    // On the ingest benchmark this cut the WAL written per span by a fifth and the file by a
    // sixth (docs/benchmarks.md "Ingest"). Partitions created before keep their WITHOUT ROWID
    // layout: every statement here reads and writes both alike.
    TRACKLY_RETURN_IF_ERROR(db.Exec(absl::StrCat(
        "CREATE TABLE ", TableOf(part),
        "(trace_id TEXT NOT NULL, id TEXT NOT NULL, payload BLOB NOT NULL, UNIQUE(trace_id, id))")));
  }
  parts_.emplace(std::move(key), part);
  return part;
}

absl::Status PartitionWriter::Put(Connection& db, int64_t part, std::string_view trace_id, std::string_view id,
                                  std::string_view payload) {
  TRACKLY_ASSIGN_OR_RETURN(
      Statement put,
      db.Prepare(absl::StrCat("INSERT OR REPLACE INTO ", TableOf(part), "(trace_id, id, payload) VALUES(?1, ?2, ?3)")));
  put.BindText(1, trace_id);
  put.BindText(2, id);
  put.BindBlob(3, payload);
  return put.Run();
}

absl::StatusOr<std::optional<StoredPayload>> PayloadReader::Get(int64_t part, std::string_view trace_id,
                                                                std::string_view id) {
  TRACKLY_ASSIGN_OR_RETURN(bool listed, Listed(part));
  if (!listed) return std::nullopt;
  TRACKLY_ASSIGN_OR_RETURN(
      Statement get, db_.Prepare(absl::StrCat("SELECT payload FROM ", TableOf(part), " WHERE trace_id = ?1 AND id = ?2")));
  get.BindText(1, trace_id);
  get.BindText(2, id);
  TRACKLY_ASSIGN_OR_RETURN(bool found, get.Step());
  if (!found) {
    return absl::InternalError(absl::StrCat("payload of observation ", Sv(id), " missing from partition ", part));
  }
  TRACKLY_ASSIGN_OR_RETURN(StoredPayload stored, DecodeStoredPayload(get.Blob(0)));
  return stored;
}

absl::StatusOr<bool> PayloadReader::Listed(int64_t part) {
  if (auto it = listed_.find(part); it != listed_.end()) return it->second;
  TRACKLY_ASSIGN_OR_RETURN(Statement find, db_.Prepare("SELECT 1 FROM payload_partitions WHERE part_id = ?1"));
  find.BindInt(1, part);
  TRACKLY_ASSIGN_OR_RETURN(bool found, find.Step());
  listed_.emplace(part, found);
  return found;
}

namespace {

absl::StatusOr<std::vector<int64_t>> PartitionsOf(Connection& db, std::string_view project, int64_t before_day) {
  TRACKLY_ASSIGN_OR_RETURN(Statement list,
                           db.Prepare("SELECT part_id FROM payload_partitions WHERE project = ?1 AND day < ?2"));
  list.BindText(1, project);
  list.BindInt(2, before_day);
  std::vector<int64_t> parts;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, list.Step());
    if (!row) break;
    parts.push_back(list.Int(0));
  }
  return parts;
}

}  // namespace

absl::StatusOr<int64_t> DropPartitionsBefore(Connection& db, std::string_view project, int64_t before_day) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<int64_t> parts, PartitionsOf(db, project, before_day));
  TRACKLY_ASSIGN_OR_RETURN(Statement unlist, db.Prepare("DELETE FROM payload_partitions WHERE part_id = ?1"));
  for (int64_t part : parts) {
    TRACKLY_RETURN_IF_ERROR(db.Exec(absl::StrCat("DROP TABLE ", TableOf(part))));
    unlist.BindInt(1, part);
    TRACKLY_RETURN_IF_ERROR(unlist.Run());
  }
  return static_cast<int64_t>(parts.size());
}

absl::Status DeleteTracePayloads(Connection& db, std::string_view project, std::string_view trace_id) {
  // Every partition of the project: a trace's spans may start on several days, and a rewritten
  // span leaves a copy in the partition of its former day.
  TRACKLY_ASSIGN_OR_RETURN(std::vector<int64_t> parts, PartitionsOf(db, project, INT64_MAX));
  for (int64_t part : parts) {
    TRACKLY_ASSIGN_OR_RETURN(Statement del,
                             db.Prepare(absl::StrCat("DELETE FROM ", TableOf(part), " WHERE trace_id = ?1")));
    del.BindText(1, trace_id);
    TRACKLY_RETURN_IF_ERROR(del.Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> PayloadExpiryMark(Connection& db, std::string_view project) {
  TRACKLY_ASSIGN_OR_RETURN(Statement get,
                           db.Prepare("SELECT payload_before_day FROM retention_marks WHERE project = ?1"));
  get.BindText(1, project);
  TRACKLY_ASSIGN_OR_RETURN(bool found, get.Step());
  return found ? get.Int(0) : 0;
}

absl::Status SetPayloadExpiryMark(Connection& db, std::string_view project, int64_t before_day) {
  TRACKLY_ASSIGN_OR_RETURN(
      Statement set, db.Prepare("INSERT OR REPLACE INTO retention_marks(project, payload_before_day) VALUES(?1, ?2)"));
  set.BindText(1, project);
  set.BindInt(2, before_day);
  return set.Run();
}

}  // namespace trackly::store::sqlite
