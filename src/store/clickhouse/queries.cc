#include "store/clickhouse/queries.h"

#include <algorithm>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "base/status.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/rows.h"
#include "store/clickhouse/sql.h"
#include "store/sqlite/payload.h"

namespace trackly::store::clickhouse {
namespace {

QuerySettings InsertSettings(const std::string& name, const ServerInfo& server) {
  QuerySettings settings = DatabaseSettings(name, server);
  if (server.limits_partitions_per_insert) settings.emplace_back("max_partitions_per_insert_block", "0");
  return settings;
}

}  // namespace

Database::Database(HttpClient& client, std::string name, const ServerInfo& server)
    : client_(client),
      name_(name),
      cluster_(server.cluster),
      select_settings_(DatabaseSettings(name, server)),
      insert_settings_(InsertSettings(name, server)) {}

absl::StatusOr<std::string> Database::Select(std::string_view sql) const { return client_.Query(sql, select_settings_); }

absl::Status Database::Insert(std::string_view insert_sql, std::string_view rows) const {
  return client_.Insert(insert_sql, rows, insert_settings_).status();
}

absl::Status Database::Execute(std::string_view sql) const { return client_.Query(sql, insert_settings_).status(); }

absl::Status Database::Alter(std::string_view table, std::string_view commands) const {
  if (cluster_.empty()) return Execute(absl::StrCat("ALTER TABLE ", Sv(table), " ", Sv(commands)));
  return Execute(absl::StrCat("ALTER TABLE ", QuoteIdentifier(name_), ".", QuoteIdentifier(absl::StrCat(Sv(table), "_local")),
                              " ON CLUSTER ",
                              QuoteIdentifier(cluster_), " ", Sv(commands)));
}

std::string Database::SystemTable(std::string_view name) const {
  if (cluster_.empty()) return absl::StrCat("system.", Sv(name));
  return QuoteIdentifier(absl::StrCat("cluster_", Sv(name)));
}

absl::Status ForEachChunk(const std::vector<std::string>& ids,
                          const std::function<absl::Status(const std::vector<std::string>&)>& fn) {
  for (size_t begin = 0; begin < ids.size(); begin += kMaxIdsPerQuery) {
    std::vector<std::string> chunk(ids.begin() + begin, ids.begin() + std::min(ids.size(), begin + kMaxIdsPerQuery));
    TRACKLY_RETURN_IF_ERROR(fn(chunk));
  }
  return absl::OkStatus();
}

std::string InList(const std::vector<std::string>& ids) {
  std::vector<std::string> quoted;
  quoted.reserve(ids.size());
  for (const std::string& id : ids) quoted.push_back(Quote(id));
  return absl::StrCat("(", absl::StrJoin(quoted, ", "), ")");
}

absl::StatusOr<ObservationsByTrace> ReadObservationsOfTraces(const Database& db, std::string_view project,
                                                             const std::vector<std::string>& trace_ids,
                                                             ObservationDetail detail) {
  // kSummaryInputs: the root's payload (unless expired) and the summary of the others, with
  // every trace_payload (DecodeObservation merges it).
  const std::string columns =
      detail == ObservationDetail::kFull ? ObservationColumns(/*summary_only=*/false) : SummaryInputColumns();
  ObservationsByTrace out;
  TRACKLY_RETURN_IF_ERROR(ForEachChunk(trace_ids, [&](const std::vector<std::string>& chunk) -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(
        std::string rows,
        db.Select(absl::StrCat("SELECT trace_id, ", columns, " FROM observations PREWHERE project = ", Quote(project),
                               " AND trace_id IN ", InList(chunk), " GROUP BY trace_id, id FORMAT RowBinary")));
    RowBinaryReader in(rows, "reading observations");
    while (!in.AtEnd()) {
      std::string trace_id = in.String();
      std::string_view blob = in.StringView();
      const uint64_t payload_bytes = in.UInt64();
      std::string_view trace_payload = in.StringView();
      TRACKLY_RETURN_IF_ERROR(in.status());
      TRACKLY_ASSIGN_OR_RETURN(model::Observation observation, DecodeObservation(blob, payload_bytes, trace_payload));
      out[trace_id].push_back(std::move(observation));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::map<std::string, TraceRowVersions>> ReadTraceRowVersions(
    const Database& db, std::string_view project, const std::vector<std::string>& trace_ids) {
  std::map<std::string, TraceRowVersions> out;
  TRACKLY_RETURN_IF_ERROR(ForEachChunk(trace_ids, [&](const std::vector<std::string>& chunk) -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(
        std::string rows,
        db.Select(absl::StrCat("SELECT trace_id, count(), min(version), max(version) FROM observations WHERE ",
                               "project = ", Quote(project), " AND trace_id IN ", InList(chunk),
                               " GROUP BY trace_id FORMAT RowBinary")));
    RowBinaryReader in(rows, "reading the row versions of traces");
    while (!in.AtEnd()) {
      std::string trace_id = in.String();
      TraceRowVersions versions{.rows = in.UInt64(), .min_version = in.UInt64(), .max_version = in.UInt64()};
      TRACKLY_RETURN_IF_ERROR(in.status());
      out.emplace(std::move(trace_id), versions);
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<std::string>> ReadStrings(const Database& db, std::string_view sql, std::string_view what) {
  TRACKLY_ASSIGN_OR_RETURN(std::string rows, db.Select(absl::StrCat(Sv(sql), " FORMAT RowBinary")));
  RowBinaryReader in(rows, std::string(what));
  std::vector<std::string> out;
  while (!in.AtEnd()) out.push_back(in.String());
  TRACKLY_RETURN_IF_ERROR(in.status());
  return out;
}

absl::StatusOr<int64_t> ReadCount(const Database& db, std::string_view sql) {
  TRACKLY_ASSIGN_OR_RETURN(std::string text, db.Select(absl::StrCat(Sv(sql), " FORMAT TabSeparated")));
  int64_t count = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &count)) {
    return absl::InternalError(absl::StrCat("ClickHouse answered a count with \"", text, "\""));
  }
  return count;
}

absl::Status WaitForMutations(const Database& db, absl::Duration timeout, std::string_view what) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration pause = absl::Milliseconds(20);
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(int64_t running,
                             ReadCount(db, absl::StrCat("SELECT count() FROM ", db.SystemTable("mutations"), " WHERE database = ",
                                                        Quote(db.name()), " AND is_done = 0")));
    if (running == 0) return absl::OkStatus();
    if (absl::Now() + pause > deadline) {
      return absl::DeadlineExceededError(absl::StrCat("ClickHouse is still applying the ", Sv(what), " (", running,
                                                      " mutations running); it will finish on its own, and running "
                                                      "it again is harmless"));
    }
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(500));
  }
}

absl::StatusOr<TracesById> ReadTraces(const Database& db, std::string_view project,
                                                              const std::vector<std::string>& trace_ids) {
  TracesById out;
  TRACKLY_RETURN_IF_ERROR(ForEachChunk(trace_ids, [&](const std::vector<std::string>& chunk) -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(std::string rows,
                             db.Select(absl::StrCat("SELECT ", CollapsedTraceColumns(), " FROM traces PREWHERE project = ",
                                                    Quote(project), " AND trace_id IN ", InList(chunk),
                                                    " GROUP BY trace_id FORMAT RowBinary")));
    RowBinaryReader in(rows, "reading traces");
    while (!in.AtEnd()) {
      TRACKLY_ASSIGN_OR_RETURN(model::Trace trace, ReadTrace(in));
      std::string id = trace.id;
      out.emplace(std::move(id), std::move(trace));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<model::Trace>> ReadChosenTraces(const Database& db, std::string_view project,
                                                           const std::vector<ChosenTrace>& chosen) {
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < chosen.size(); ++i) position.emplace(chosen[i].trace_id, i);
  std::vector<std::optional<model::Trace>> found(chosen.size());
  // Each id appears twice in the query text: half as many per query as elsewhere (kMaxIdsPerQuery).
  constexpr size_t kPerQuery = kMaxIdsPerQuery / 2;
  for (size_t begin = 0; begin < chosen.size(); begin += kPerQuery) {
    std::vector<std::string> ids;
    std::vector<std::string> rows_wanted;
    for (size_t i = begin; i < std::min(chosen.size(), begin + kPerQuery); ++i) {
      ids.push_back(chosen[i].trace_id);
      rows_wanted.push_back(absl::StrCat("(", Quote(chosen[i].trace_id), ", toUInt64(", chosen[i].version, "))"));
    }
    // The key condition alone in PREWHERE (queries.h); the version condition then keeps the one
    // chosen row of each trace, whose values argMax returns (copies of a row share its values).
    TRACKLY_ASSIGN_OR_RETURN(
        std::string rows,
        db.Select(absl::StrCat("SELECT ", CollapsedTraceColumns(), " FROM traces PREWHERE project = ", Quote(project),
                               " AND trace_id IN ", InList(ids), " WHERE (trace_id, version) IN (",
                               absl::StrJoin(rows_wanted, ", "), ") GROUP BY trace_id FORMAT RowBinary")));
    RowBinaryReader in(rows, "reading the traces of a page");
    while (!in.AtEnd()) {
      TRACKLY_ASSIGN_OR_RETURN(model::Trace trace, ReadTrace(in));
      auto it = position.find(trace.id);
      if (it != position.end()) found[it->second] = std::move(trace);
    }
  }
  std::vector<model::Trace> out;
  for (std::optional<model::Trace>& trace : found) {
    if (trace.has_value()) out.push_back(*std::move(trace));
  }
  return out;
}

absl::StatusOr<std::vector<model::Trace>> ReadTracePage(
    const Database& db, std::string_view project,
    const std::function<absl::StatusOr<std::vector<ChosenTrace>>()>& choose,
    const std::function<absl::StatusOr<std::vector<model::Trace>>()>& one_step,
    const std::function<void()>& between_steps) {
  for (int attempt = 0; attempt < kTracePageAttempts; ++attempt) {
    TRACKLY_ASSIGN_OR_RETURN(std::vector<ChosenTrace> chosen, choose());
    if (between_steps) between_steps();
    TRACKLY_ASSIGN_OR_RETURN(std::vector<model::Trace> traces, ReadChosenTraces(db, project, chosen));
    if (traces.size() == chosen.size()) return traces;
  }
  return one_step();
}

std::string TracesOfSessionsSql(std::string_view project, std::string_view sessions) {
  return absl::StrCat("SELECT trace_id FROM session_traces PREWHERE project = ", Quote(project), " AND session_id IN ",
                      Sv(sessions));
}

absl::StatusOr<TracesBySession> ReadTracesOfSessions(const Database& db, std::string_view project,
                                                     const std::vector<std::string>& session_ids, bool with_text) {
  TracesBySession out;
  TRACKLY_RETURN_IF_ERROR(ForEachChunk(session_ids, [&](const std::vector<std::string>& chunk) -> absl::Status {
    // The outer filter keeps the candidates whose latest version names one of the sessions.
    const std::string sessions = InList(chunk);
    TRACKLY_ASSIGN_OR_RETURN(
        std::string rows,
        db.Select(absl::StrCat("SELECT ", LatestTraceColumns(), " FROM (SELECT ",
                               with_text ? CollapsedTraceColumns() : CollapsedTraceColumnsWithoutText(),
                               " FROM traces PREWHERE project = ", Quote(project), " AND trace_id IN (",
                               TracesOfSessionsSql(project, sessions), ") GROUP BY trace_id) WHERE session_id_ IN ",
                               sessions, " ORDER BY start_ns_, trace_id FORMAT RowBinary")));
    RowBinaryReader in(rows, "reading the traces of sessions");
    while (!in.AtEnd()) {
      TRACKLY_ASSIGN_OR_RETURN(model::Trace trace, ReadTrace(in));
      std::string session_id = trace.session_id;
      out[session_id].push_back(std::move(trace));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<model::ObservationFragment>> ReadFragments(const Database& db, std::string_view project,
                                                                      std::string_view observation_id) {
  TRACKLY_ASSIGN_OR_RETURN(FragmentsById fragments, ReadFragmentsOf(db, project, {std::string(observation_id)}));
  return std::move(fragments[std::string(observation_id)]);
}

absl::StatusOr<FragmentsById> ReadFragmentsOf(const Database& db, std::string_view project,
                                              const std::vector<std::string>& observation_ids) {
  FragmentsById out;
  TRACKLY_RETURN_IF_ERROR(ForEachChunk(observation_ids, [&](const std::vector<std::string>& chunk) -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(
        std::string rows,
        db.Select(absl::StrCat("SELECT observation_id, event_id, argMax(kind, version), argMax(event_ns, version), "
                               "argMax(fields, version), argMax(payload, version) FROM observation_fragments "
                               "PREWHERE project = ",
                               Quote(project), " AND observation_id IN ", InList(chunk),
                               " GROUP BY observation_id, event_id FORMAT RowBinary")));
    RowBinaryReader in(rows, "reading observation fragments");
    while (!in.AtEnd()) {
      std::string observation_id = in.String();
      model::ObservationFragment fragment;
      fragment.event_id = in.String();
      fragment.kind = in.UInt8() == 0 ? model::FragmentKind::kCreate : model::FragmentKind::kUpdate;
      fragment.event_time_ns = in.Int64();
      fragment.fields = in.UInt64();
      std::string_view payload = in.StringView();
      TRACKLY_RETURN_IF_ERROR(in.status());
      TRACKLY_ASSIGN_OR_RETURN(fragment.observation, sqlite::DecodePayload(payload));
      out[observation_id].push_back(std::move(fragment));
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace trackly::store::clickhouse
