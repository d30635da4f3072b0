// Maps model::Score onto the scores table (schema.cc, layout version 4): the SQL that writes or
// reads a row and the conversion of its columns. The column order is defined once, in
// score_rows.cc.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "model/observation.h"
#include "store/sqlite/connection.h"

namespace trackly::store::sqlite {

// A score ready for the writer thread: time floored to microseconds and the value serialized,
// on the caller's thread (Store::Write).
struct EncodedScore {
  model::Score score;
  std::string value;  // JSON text of score.value
};

EncodedScore EncodeScore(model::Score score);

// Inserts or replaces the row of (project, score id): parameters bound by BindScore. The bound
// text points into `encoded`, which must outlive the statement's Run().
const std::string& UpsertScoreSql();
void BindScore(Statement& stmt, std::string_view project, const EncodedScore& encoded);

// SELECT list of a whole score row, read by ReadScore. Internal when the stored value is not
// JSON (a corrupt row).
const std::string& ScoreColumns();
absl::StatusOr<model::Score> ReadScore(const Statement& row);

}  // namespace trackly::store::sqlite
