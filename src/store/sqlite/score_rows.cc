#include "store/sqlite/score_rows.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "model/json.h"
#include "store/sqlite/payload.h"

namespace trackly::store::sqlite {

EncodedScore EncodeScore(model::Score score) {
  score.time_ns = FloorToMicros(score.time_ns);
  std::string value = model::DumpJson(score.value);
  return EncodedScore{.score = std::move(score), .value = std::move(value)};
}

const std::string& UpsertScoreSql() {
  static const auto* sql = new std::string(
      "INSERT OR REPLACE INTO scores(project, score_id, trace_id, observation_id, name, value, comment, "
      "source, time_ns) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  return *sql;
}

void BindScore(Statement& stmt, std::string_view project, const EncodedScore& encoded) {
  const model::Score& s = encoded.score;
  stmt.BindText(1, project);
  stmt.BindText(2, s.id);
  stmt.BindText(3, s.trace_id);
  stmt.BindText(4, s.observation_id);
  stmt.BindText(5, s.name);
  stmt.BindText(6, encoded.value);
  stmt.BindText(7, s.comment);
  stmt.BindText(8, s.source);
  stmt.BindInt(9, s.time_ns);
}

const std::string& ScoreColumns() {
  static const auto* sql =
      new std::string("score_id, trace_id, observation_id, name, value, comment, source, time_ns");
  return *sql;
}

absl::StatusOr<model::Score> ReadScore(const Statement& row) {
  model::Score s;
  s.id = row.Text(0);
  s.trace_id = row.Text(1);
  s.observation_id = row.Text(2);
  s.name = row.Text(3);
  s.value = model::Json::parse(row.Text(4), nullptr, /*allow_exceptions=*/false);
  if (s.value.is_discarded()) {
    return absl::InternalError(absl::StrCat("stored score ", s.id, " has a value that is not JSON"));
  }
  s.comment = row.Text(5);
  s.source = row.Text(6);
  s.time_ns = row.Int(7);
  return s;
}

}  // namespace trackly::store::sqlite
