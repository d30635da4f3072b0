#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "base/status.h"
#include "absl/synchronization/notification.h"
#include "store/list_paging.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/fragment_merger.h"
#include "store/sqlite/list_query.h"
#include "store/sqlite/observation_rewriter.h"
#include "store/sqlite/payload.h"
#include "store/sqlite/rollups.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/score_rows.h"
#include "store/sqlite/workflow_rollups.h"
#include "store/sqlite/writer.h"

namespace trackly::store {
namespace {

using sqlite::Connection;
using sqlite::Filter;
using sqlite::Statement;

// Idle read connections kept open; more concurrent readers get connections closed after use.
constexpr size_t kMaxIdleReaders = 8;

// An FTS5 query matching rows that contain every word of `text` (TextQueryWords), each as a
// quoted phrase so user input cannot use (or break) the FTS5 query syntax.
std::string FtsQuery(std::string_view text) {
  std::vector<std::string> phrases;
  for (const std::string& word : TextQueryWords(text)) {
    phrases.push_back(absl::StrCat("\"", absl::StrReplaceAll(word, {{"\"", "\"\""}}), "\""));
  }
  return absl::StrJoin(phrases, " ");
}

// The smallest string greater than every string that starts with `prefix` (bytewise), or "" when
// there is none (a prefix of only 0xff bytes): the upper bound of a prefix range.
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

// The SQL of a score column Store::QueryScoreMetrics groups by. `value` holds the value's JSON
// text (score_rows.h): a categorical value is grouped by its string, a number or boolean by its
// JSON text.
std::string ScoreDimensionSql(ScoreDimension dimension) {
  switch (dimension) {
    case ScoreDimension::kName: return "name";
    case ScoreDimension::kValue:
      return "CASE WHEN substr(value, 1, 1) = '\"' THEN json_extract(value, '$') ELSE value END";
    case ScoreDimension::kSource: return "source";
  }
  return "''";
}

}  // namespace

class SqliteStore::Reader {
 public:
  Reader(SqliteStore* store, std::unique_ptr<Connection> connection)
      : store_(store), connection_(std::move(connection)) {}
  Reader(Reader&& other) noexcept = default;
  ~Reader() {
    if (connection_ != nullptr) store_->ReleaseReader(std::move(connection_));
  }
  Connection& db() { return *connection_; }

 private:
  SqliteStore* store_;
  std::unique_ptr<Connection> connection_;
};

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteStoreOptions& options) {
  std::error_code error;
  if (options.dir.empty() || !std::filesystem::is_directory(options.dir, error)) {
    return absl::FailedPreconditionError(absl::StrCat("data directory \"", options.dir, "\" does not exist"));
  }
  std::string path = (std::filesystem::path(options.dir) / "store.db").string();
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<Connection> db,
                           Connection::Open(path, /*read_only=*/false, options.busy_timeout_ms));
  // page_size only takes effect on a new file. 8 KiB pages keep a typical observation payload
  // (up to ~2 KiB inline in a WITHOUT ROWID table; compressed above compress_min_bytes) inside
  // its b-tree cell instead of spilling to overflow pages.
  TRACKLY_RETURN_IF_ERROR(db->Exec("PRAGMA page_size = 8192"));
  TRACKLY_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode = WAL"));
  // Durability: in WAL mode synchronous=NORMAL already survives kill -9 (a commit is in the WAL
  // file, i.e. the OS page cache, before COMMIT returns). For power loss (sync_full, the default)
  // the writer's WalSyncer fsyncs the WAL before it acknowledges a commit, on its own thread, so
  // the next commit is built while the disk syncs (sqlite/wal_syncer.h); FULL would fsync inside
  // COMMIT and stall the writer for it.
  TRACKLY_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = NORMAL"));
  TRACKLY_RETURN_IF_ERROR(db->Exec(absl::StrCat("PRAGMA cache_size = -", options.writer_cache_kib)));
  // Truncate the WAL back to 64 MiB after checkpoints so a burst does not leave a huge file.
  TRACKLY_RETURN_IF_ERROR(db->Exec("PRAGMA journal_size_limit = 67108864"));
  TRACKLY_RETURN_IF_ERROR(db->Exec("PRAGMA temp_store = MEMORY"));
  // The writer's INSERT OR REPLACE of a rewritten observation must fire the delete trigger that
  // keeps observation_order in step (schema.cc layout 11); SQLite fires it only with this on.
  TRACKLY_RETURN_IF_ERROR(db->Exec("PRAGMA recursive_triggers = ON"));
  TRACKLY_RETURN_IF_ERROR(sqlite::ApplyStoreSchema(*db));
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Checkpointer> checkpointer,
                           sqlite::Checkpointer::Open(path, options.busy_timeout_ms, options.checkpoint_wal_pages));
  auto writer = std::make_unique<sqlite::Writer>(std::move(db), std::move(checkpointer), options);
  return std::unique_ptr<SqliteStore>(new SqliteStore(options, std::move(writer)));
}

SqliteStore::SqliteStore(SqliteStoreOptions options, std::unique_ptr<sqlite::Writer> writer)
    : options_(std::move(options)),
      path_((std::filesystem::path(options_.dir) / "store.db").string()),
      writer_(std::move(writer)) {}

SqliteStore::~SqliteStore() { Drain(); }

// FTS5 is part of Debian's SQLite and the schema requires it, so an open store always has it.
Capabilities SqliteStore::capabilities() const { return Capabilities{.full_text_search = true}; }

StoreStats SqliteStore::stats() const { return writer_->stats(); }

void SqliteStore::Write(WriteBatch batch, WriteCallback done) { writer_->Write(std::move(batch), std::move(done)); }

void SqliteStore::Drain() { writer_->Drain(); }

absl::StatusOr<SqliteStore::Reader> SqliteStore::AcquireReader() {
  {
    absl::MutexLock lock(&readers_mu_);
    if (!idle_readers_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return Reader(this, std::move(connection));
    }
  }
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection,
                           Connection::Open(path_, /*read_only=*/true, options_.busy_timeout_ms));
  TRACKLY_RETURN_IF_ERROR(connection->Exec(absl::StrCat("PRAGMA cache_size = -", options_.reader_cache_kib)));
  TRACKLY_RETURN_IF_ERROR(connection->Exec(absl::StrCat("PRAGMA mmap_size = ", options_.reader_mmap_bytes)));
  return Reader(this, std::move(connection));
}

void SqliteStore::ReleaseReader(std::unique_ptr<Connection> connection) {
  absl::MutexLock lock(&readers_mu_);
  if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(connection));
}

namespace {

// The traces column a list is ordered by (schema.cc).
const char* TraceOrderColumn(TraceOrder order) {
  switch (order) {
    case TraceOrder::kStartTime: return "start_ns";
    case TraceOrder::kLatency: return "latency_ms";
    case TraceOrder::kCost: return "cost_total";
    case TraceOrder::kTokens: return "total_tokens";
  }
  return "start_ns";
}

}  // namespace

absl::StatusOr<TracePage> SqliteStore::ListTraces(const TraceQuery& query) {
  TRACKLY_RETURN_IF_ERROR(CheckListArgs(query.project, query.limit));
  Filter filter;
  filter.Add("project = ?", query.project);
  if (query.from_ns != 0) filter.Add("start_ns >= ?", query.from_ns);
  if (query.to_ns != 0) filter.Add("start_ns < ?", query.to_ns);
  if (!query.name.empty()) filter.Add("name = ?", query.name);
  // The literal `!= ''` terms let SQLite use the partial indexes on user and session.
  if (!query.user_id.empty()) filter.Add("user_id = ? AND user_id != ''", query.user_id);
  if (!query.session_id.empty()) filter.Add("session_id = ? AND session_id != ''", query.session_id);
  if (!query.environment.empty()) filter.Add("environment = ?", query.environment);
  if (!query.release.empty()) filter.Add("release = ?", query.release);
  if (query.status.has_value()) filter.Add("status = ?", std::string(model::ToString(*query.status)));
  if (query.min_latency_ms > 0) filter.Add("latency_ms >= ?", query.min_latency_ms);
  if (query.min_cost > 0) filter.Add("cost_total >= ?", query.min_cost);
  if (!query.tag.empty()) {
    filter.Add("EXISTS (SELECT 1 FROM trace_tags g WHERE g.project = traces.project AND g.tag = ? "
               "AND g.trace_id = traces.trace_id)",
               query.tag);
  }
  if (!query.score_name.empty()) {
    // The value column holds the value's JSON text (score_rows.h).
    std::string condition =
        "EXISTS (SELECT 1 FROM scores s WHERE s.project = traces.project AND s.trace_id = traces.trace_id "
        "AND s.name = ?";
    std::vector<Filter::Value> values = {query.score_name};
    const char* kNumber =
        "(CASE json_type(s.value) WHEN 'true' THEN 1.0 WHEN 'false' THEN 0.0 WHEN 'integer' THEN json_extract(s.value, '$') "
        "WHEN 'real' THEN json_extract(s.value, '$') END)";
    if (query.score_min) {
      absl::StrAppend(&condition, " AND ", kNumber, " >= ?");
      values.emplace_back(*query.score_min);
    }
    if (query.score_max) {
      absl::StrAppend(&condition, " AND ", kNumber, " <= ?");
      values.emplace_back(*query.score_max);
    }
    if (!query.score_value.empty()) {
      absl::StrAppend(&condition, " AND s.value = ?");
      values.emplace_back(model::DumpJson(model::Json(query.score_value)));
    }
    absl::StrAppend(&condition, ")");
    filter.AddValues(condition, std::move(values));
  }
  if (!query.model.empty()) {
    filter.Add("EXISTS (SELECT 1 FROM trace_models m WHERE m.project = traces.project AND m.model = ? "
               "AND m.trace_id = traces.trace_id)",
               query.model);
  }
  if (std::string fts = FtsQuery(query.text); !fts.empty()) {
    filter.Add("row_id IN (SELECT rowid FROM trace_text WHERE trace_text MATCH ?)", std::move(fts));
  }
  const char* direction = query.oldest_first ? "ASC" : "DESC";
  const char* column = TraceOrderColumn(query.order_by);
  if (!query.cursor.empty()) {
    int64_t after_key = 0;
    std::string after_id;
    TRACKLY_RETURN_IF_ERROR(DecodeCursor(query.cursor, &after_key, &after_id));
    // A row value keeps the keyset comparison an index range rather than a per-row OR.
    std::string keyset = absl::StrCat("(", column, ", trace_id) ", query.oldest_first ? ">" : "<", " (?, ?)");
    if (query.order_by == TraceOrder::kLatency || query.order_by == TraceOrder::kCost) {
      filter.Add(keyset, TraceOrderValue(after_key), std::move(after_id));
    } else {
      filter.Add(keyset, after_key, std::move(after_id));
    }
  }
  std::string sql = absl::StrCat("SELECT ", sqlite::TraceColumns(), " FROM traces WHERE ", filter.Where(),
                                 " ORDER BY ", column, " ", direction, ", trace_id ", direction, " LIMIT ",
                                 query.limit + 1);
  TRACKLY_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt, reader.db().PrepareOnce(sql));
  filter.Bind(stmt);
  TracePage page;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    if (static_cast<int>(page.traces.size()) == query.limit) {
      const model::Trace& last = page.traces.back();
      page.next_cursor = EncodeCursor(TraceOrderKey(last, query.order_by), last.id);
      break;
    }
    TRACKLY_ASSIGN_OR_RETURN(model::Trace trace, sqlite::ReadTrace(stmt, 0));
    page.traces.push_back(std::move(trace));
  }
  return page;
}

absl::StatusOr<TraceDetail> SqliteStore::GetTrace(std::string_view project, std::string_view trace_id) {
  TRACKLY_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  Connection& db = reader.db();
  // One read transaction: the summary and the observations come from the same snapshot.
  TRACKLY_RETURN_IF_ERROR(db.Exec("BEGIN"));
  absl::StatusOr<TraceDetail> detail = [&]() -> absl::StatusOr<TraceDetail> {
    TraceDetail out;
    {
      TRACKLY_ASSIGN_OR_RETURN(
          Statement stmt, db.Prepare(absl::StrCat("SELECT ", sqlite::TraceColumns(),
                                                  " FROM traces WHERE project = ?1 AND trace_id = ?2")));
      stmt.BindText(1, project);
      stmt.BindText(2, trace_id);
      TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
      if (!found) return absl::NotFoundError(absl::StrCat("trace ", Sv(trace_id), " not found"));
      TRACKLY_ASSIGN_OR_RETURN(out.trace, sqlite::ReadTrace(stmt, 0));
    }
    TRACKLY_ASSIGN_OR_RETURN(Statement stmt,
                             db.Prepare(absl::StrCat("SELECT ", sqlite::FullObservationColumns(),
                                                     " FROM observations WHERE project = ?1 AND trace_id = ?2")));
    stmt.BindText(1, project);
    stmt.BindText(2, trace_id);
    sqlite::PayloadReader payloads(db);
    while (true) {
      TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      TRACKLY_ASSIGN_OR_RETURN(model::Observation observation,
                               sqlite::ReadObservationRow(payloads, stmt, trace_id, sqlite::RowRead::kFull));
      out.observations.push_back(std::move(observation));
    }
    std::sort(out.observations.begin(), out.observations.end(),
              [](const model::Observation& a, const model::Observation& b) {
                return std::tie(a.start_time_ns, a.id) < std::tie(b.start_time_ns, b.id);
              });
    return out;
  }();
  TRACKLY_RETURN_IF_ERROR(db.Exec("COMMIT"));
  return detail;
}

absl::StatusOr<ObservationPage> SqliteStore::ListTraceObservations(const ObservationQuery& query) {
  TRACKLY_RETURN_IF_ERROR(CheckListArgs(query.project, query.limit));
  if (query.trace_id.empty()) return absl::InvalidArgumentError("trace id: required");
  Filter filter;
  filter.Add("project = ?", query.project);
  filter.Add("trace_id = ?", query.trace_id);
  if (!query.cursor.empty()) {
    int64_t after_ns = 0;
    std::string after_id;
    TRACKLY_RETURN_IF_ERROR(DecodeCursor(query.cursor, &after_ns, &after_id));
    // A row value keeps the keyset comparison a range of observation_order's key.
    filter.Add("(start_ns, id) > (?, ?)", after_ns, std::move(after_id));
  }
  const std::string& columns =
      query.summary_only ? sqlite::PageSummaryObservationColumns() : sqlite::FullObservationColumns();
  TRACKLY_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  Connection& db = reader.db();
  // One read transaction: the summary and the page come from the same snapshot.
  TRACKLY_RETURN_IF_ERROR(db.Exec("BEGIN"));
  absl::StatusOr<ObservationPage> page = [&]() -> absl::StatusOr<ObservationPage> {
    ObservationPage out;
    {
      TRACKLY_ASSIGN_OR_RETURN(
          Statement stmt, db.Prepare(absl::StrCat("SELECT ", sqlite::TraceColumns(),
                                                  " FROM traces WHERE project = ?1 AND trace_id = ?2")));
      stmt.BindText(1, query.project);
      stmt.BindText(2, query.trace_id);
      TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
      if (!found) return absl::NotFoundError(absl::StrCat("trace ", query.trace_id, " not found"));
      TRACKLY_ASSIGN_OR_RETURN(out.trace, sqlite::ReadTrace(stmt, 0));
    }
    // A large trace pages a range of observation_order and looks each row up by its key (USING
    // names the shared columns once, so the filter and the columns read as on one table); a
    // smaller one has no entries there and sorts its rows, fewer than kOrderedTraceObservations.
    const bool ordered = out.trace.counts.observations >= sqlite::kOrderedTraceObservations;
    const std::string sql = absl::StrCat(
        "SELECT ", columns, " FROM ",
        ordered ? "observation_order CROSS JOIN observations USING (project, trace_id, start_ns, id)" : "observations",
        " WHERE ", filter.Where(), " ORDER BY start_ns, id LIMIT ", query.limit + 1);
    TRACKLY_ASSIGN_OR_RETURN(Statement stmt, db.PrepareOnce(sql));
    filter.Bind(stmt);
    sqlite::PayloadReader payloads(db);
    while (true) {
      TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      if (static_cast<int>(out.observations.size()) == query.limit) {
        const model::Observation& last = out.observations.back().observation;
        out.next_cursor = EncodeCursor(last.start_time_ns, last.id);
        break;
      }
      PagedObservation item;
      TRACKLY_ASSIGN_OR_RETURN(
          item.observation,
          sqlite::ReadObservationRow(payloads, stmt, query.trace_id,
                                     query.summary_only ? sqlite::RowRead::kSummary : sqlite::RowRead::kFull));
      if (query.summary_only) item.observation.trace_hints = {};  // not part of a summary (store.h)
      item.stored_bytes = item.observation.payload_expired ? 0 : stmt.Int(sqlite::StoredBytesColumn());
      out.observations.push_back(std::move(item));
    }
    return out;
  }();
  db.Exec("COMMIT").IgnoreError();  // a read-only transaction; ending it cannot lose anything
  return page;
}

absl::StatusOr<model::Observation> SqliteStore::GetObservation(std::string_view project, std::string_view trace_id,
                                                               std::string_view observation_id) {
  TRACKLY_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  Connection& db = reader.db();
  // One read transaction: the row and the partition it points at come from the same snapshot.
  TRACKLY_RETURN_IF_ERROR(db.Exec("BEGIN"));
  absl::StatusOr<model::Observation> observation = [&]() -> absl::StatusOr<model::Observation> {
    TRACKLY_ASSIGN_OR_RETURN(Statement stmt,
                             db.Prepare(absl::StrCat("SELECT ", sqlite::FullObservationColumns(),
                                                     " FROM observations WHERE project = ?1 AND trace_id = ?2 AND id = ?3")));
    stmt.BindText(1, project);
    stmt.BindText(2, trace_id);
    stmt.BindText(3, observation_id);
    TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
    if (!found) {
      return absl::NotFoundError(absl::StrCat("observation ", Sv(observation_id), " not found in trace ", Sv(trace_id)));
    }
    sqlite::PayloadReader payloads(db);
    return sqlite::ReadObservationRow(payloads, stmt, trace_id, sqlite::RowRead::kFull);
  }();
  db.Exec("COMMIT").IgnoreError();  // a read-only transaction; ending it cannot lose anything
  return observation;
}

absl::StatusOr<SessionPage> SqliteStore::ListSessions(const SessionQuery& query) {
  TRACKLY_RETURN_IF_ERROR(CheckListArgs(query.project, query.limit));
  Filter filter;
  filter.Add("project = ?", query.project);
  if (query.from_ns != 0) filter.Add("last_ns >= ?", query.from_ns);
  if (query.to_ns != 0) filter.Add("first_ns < ?", query.to_ns);
  if (!query.user_id.empty()) filter.Add("user_id = ? AND user_id != ''", query.user_id);
  if (!query.cursor.empty()) {
    int64_t after_ns = 0;
    std::string after_id;
    TRACKLY_RETURN_IF_ERROR(DecodeCursor(query.cursor, &after_ns, &after_id));
    filter.Add("(last_ns, session_id) < (?, ?)", after_ns, std::move(after_id));
  }
  std::string sql = absl::StrCat("SELECT ", sqlite::SessionColumns(), " FROM sessions WHERE ", filter.Where(),
                                 " ORDER BY last_ns DESC, session_id DESC LIMIT ", query.limit + 1);
  TRACKLY_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt, reader.db().PrepareOnce(sql));
  filter.Bind(stmt);
  SessionPage page;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    if (static_cast<int>(page.sessions.size()) == query.limit) {
      const model::Session& last = page.sessions.back();
      page.next_cursor = EncodeCursor(last.last_time_ns, last.id);
      break;
    }
    page.sessions.push_back(sqlite::ReadSession(stmt, 0));
  }
  return page;
}

absl::StatusOr<ScorePage> SqliteStore::ListScores(const ScoreQuery& query) {
  TRACKLY_RETURN_IF_ERROR(CheckListArgs(query.project, query.limit));
  Filter filter;
  filter.Add("project = ?", query.project);
  if (!query.trace_id.empty()) filter.Add("trace_id = ?", query.trace_id);
  // The literal `!= ''` term lets SQLite use the partial index on observation_id.
  if (!query.observation_id.empty()) {
    filter.Add("observation_id = ? AND observation_id != ''", query.observation_id);
  }
  if (!query.name.empty()) filter.Add("name = ?", query.name);
  if (!query.source.empty()) filter.Add("source = ?", query.source);
  if (query.from_ns != 0) filter.Add("time_ns >= ?", query.from_ns);
  if (query.to_ns != 0) filter.Add("time_ns < ?", query.to_ns);
  if (!query.cursor.empty()) {
    int64_t after_ns = 0;
    std::string after_id;
    TRACKLY_RETURN_IF_ERROR(DecodeCursor(query.cursor, &after_ns, &after_id));
    filter.Add("(time_ns, score_id) < (?, ?)", after_ns, std::move(after_id));
  }
  std::string sql = absl::StrCat("SELECT ", sqlite::ScoreColumns(), " FROM scores WHERE ", filter.Where(),
                                 " ORDER BY time_ns DESC, score_id DESC LIMIT ", query.limit + 1);
  TRACKLY_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt, reader.db().PrepareOnce(sql));
  filter.Bind(stmt);
  ScorePage page;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    if (static_cast<int>(page.scores.size()) == query.limit) {
      const model::Score& last = page.scores.back();
      page.next_cursor = EncodeCursor(last.time_ns, last.id);
      break;
    }
    TRACKLY_ASSIGN_OR_RETURN(model::Score score, sqlite::ReadScore(stmt));
    page.scores.push_back(std::move(score));
  }
  return page;
}

absl::StatusOr<std::string> SqliteStore::FindTraceIdOfObservation(std::string_view project,
                                                                   std::string_view observation_id) {
  TRACKLY_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  TRACKLY_ASSIGN_OR_RETURN(std::string trace_id, sqlite::MergedTraceId(reader.db(), project, observation_id));
  if (trace_id.empty()) {
    return absl::NotFoundError(absl::StrCat("observation ", Sv(observation_id), " not found"));
  }
  return trace_id;
}

absl::StatusOr<MetricsResult> SqliteStore::QueryMetrics(const MetricsQuery& query) {
  TRACKLY_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  Connection& db = reader.db();
  // One read transaction: the keys and the rollup rows are of the same commit.
  TRACKLY_RETURN_IF_ERROR(db.Exec("BEGIN"));
  absl::StatusOr<MetricsResult> result = sqlite::QueryRollups(db, query);
  db.Exec("COMMIT").IgnoreError();  // a read-only transaction; ending it cannot lose anything
  return result;
}

absl::StatusOr<MetricsResult> SqliteStore::QueryScoreMetrics(const ScoreMetricsQuery& query) {
  TRACKLY_RETURN_IF_ERROR(ValidateScoreMetricsQuery(query));
  const ScoreTimeRange range = ScoreMetricsRange(query);
  Filter filter;
  filter.Add("project = ?", query.project);
  if (!query.name.empty()) filter.Add("name = ?", query.name);
  if (!query.name_prefix.empty()) {
    // A range rather than LIKE (case-insensitive, with wildcards to escape), so scores_by_name
    // serves it.
    filter.Add("name >= ?", query.name_prefix);
    if (std::string end = PrefixEnd(query.name_prefix); !end.empty()) filter.Add("name < ?", std::move(end));
  }
  if (!query.source.empty()) filter.Add("source = ?", query.source);
  if (range.from_ns != 0) filter.Add("time_ns >= ?", range.from_ns);
  if (range.to_ns != 0) filter.Add("time_ns < ?", range.to_ns);

  // The bucket start, floored also before 1970 (SQLite's % truncates toward zero).
  const int64_t grain_ns = GrainNs(query.time_grain);
  const std::string bucket =
      grain_ns == 0 ? "0" : absl::StrCat("time_ns - (((time_ns % ", grain_ns, ") + ", grain_ns, ") % ", grain_ns, ")");
  // GROUP BY the columns by position, which also leaves out the constant bucket when not grouped
  // by time (SQLite reads a literal integer there as a position).
  std::vector<std::string> keys = {bucket};
  std::vector<std::string> positions;
  if (grain_ns != 0) positions.push_back("1");
  for (ScoreDimension dimension : query.group_by) {
    keys.push_back(ScoreDimensionSql(dimension));
    positions.push_back(absl::StrCat(keys.size()));
  }
  const bool distinct_traces = NeedsDistinctTraces(query.measures);
  // `num`: numbers, and booleans as 1 and 0 (a JSON number starts with '-' or a digit); NULL for
  // a categorical value, which aggregates then skip.
  const std::string sql = absl::StrCat(
      "SELECT ", absl::StrJoin(keys, ", "), ", COUNT(*), ", distinct_traces ? "COUNT(DISTINCT trace_id)" : "0",
      ", COUNT(num), TOTAL(num), MIN(num), MAX(num), COUNT(CASE WHEN value = 'true' THEN 1 END), "
      "COUNT(CASE WHEN value = 'false' THEN 1 END) FROM (SELECT trace_id, name, value, source, time_ns, "
      "CASE WHEN value = 'true' THEN 1.0 WHEN value = 'false' THEN 0.0 "
      "WHEN substr(value, 1, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9') THEN CAST(value AS REAL) "
      "END AS num FROM scores WHERE ",
      filter.Where(), ")", positions.empty() ? "" : " GROUP BY ", absl::StrJoin(positions, ", "));
  TRACKLY_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt, reader.db().PrepareOnce(sql));
  filter.Bind(stmt);
  std::vector<ScoreGroup> groups;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    ScoreGroup group;
    int column = 0;
    group.time_ns = stmt.Int(column++);
    for (size_t i = 0; i < query.group_by.size(); ++i) group.group.emplace_back(stmt.Text(column++));
    ScoreAggregates& a = group.aggregates;
    a.count = stmt.Int(column++);
    a.traces = stmt.Int(column++);
    a.numeric_count = stmt.Int(column++);
    a.numeric_sum = stmt.Double(column++);
    a.numeric_min = stmt.Double(column++);
    a.numeric_max = stmt.Double(column++);
    a.true_count = stmt.Int(column++);
    a.false_count = stmt.Int(column++);
    groups.push_back(std::move(group));
  }
  return ScoreMetricsResult(query, std::move(groups));
}

absl::StatusOr<SessionDetail> SqliteStore::GetSession(std::string_view project, std::string_view session_id) {
  TRACKLY_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  Connection& db = reader.db();
  TRACKLY_RETURN_IF_ERROR(db.Exec("BEGIN"));
  absl::StatusOr<SessionDetail> detail = [&]() -> absl::StatusOr<SessionDetail> {
    SessionDetail out;
    {
      TRACKLY_ASSIGN_OR_RETURN(
          Statement stmt, db.Prepare(absl::StrCat("SELECT ", sqlite::SessionColumns(),
                                                  " FROM sessions WHERE project = ?1 AND session_id = ?2")));
      stmt.BindText(1, project);
      stmt.BindText(2, session_id);
      TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
      if (!found) return absl::NotFoundError(absl::StrCat("session ", Sv(session_id), " not found"));
      out.session = sqlite::ReadSession(stmt, 0);
    }
    TRACKLY_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare(absl::StrCat("SELECT ", sqlite::TraceColumns(),
                                " FROM traces WHERE project = ?1 AND session_id = ?2 AND session_id != '' "
                                "ORDER BY start_ns, trace_id")));
    stmt.BindText(1, project);
    stmt.BindText(2, session_id);
    while (true) {
      TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      TRACKLY_ASSIGN_OR_RETURN(model::Trace trace, sqlite::ReadTrace(stmt, 0));
      out.traces.push_back(std::move(trace));
    }
    return out;
  }();
  TRACKLY_RETURN_IF_ERROR(db.Exec("COMMIT"));
  return detail;
}

absl::StatusOr<RewriteStats> SqliteStore::RewriteObservations(const RewriteRange& range,
                                                              const ObservationRewrite& rewrite) {
  if (range.project.empty()) return absl::InvalidArgumentError("project: required");
  if (range.to_ns != 0 && range.to_ns <= range.from_ns) {
    return absl::InvalidArgumentError("to: must be after from");
  }
  std::vector<std::string> trace_ids;
  {
    TRACKLY_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
    TRACKLY_ASSIGN_OR_RETURN(trace_ids, sqlite::ListRewriteTraces(reader.db(), range));
  }
  RewriteStats total;
  for (size_t begin = 0; begin < trace_ids.size(); begin += sqlite::kRewriteTracesPerCommit) {
    size_t end = std::min(trace_ids.size(), begin + sqlite::kRewriteTracesPerCommit);
    sqlite::RewriteChunk chunk(range, std::vector<std::string>(trace_ids.begin() + begin, trace_ids.begin() + end),
                               rewrite, options_.compress_min_bytes);
    absl::Notification done;
    absl::Status committed;
    writer_->WriteLoaded(
        range.project,
        [&chunk](Connection& db, std::vector<sqlite::EncodedObservation>& out) { return chunk.Load(db, out); },
        [&](absl::Status status) {
          committed = std::move(status);
          done.Notify();
        });
    done.WaitForNotification();
    TRACKLY_RETURN_IF_ERROR(committed);
    TRACKLY_RETURN_IF_ERROR(chunk.error());
    total.observations_visited += chunk.stats().observations_visited;
    total.observations_rewritten += chunk.stats().observations_rewritten;
    total.traces_rewritten += chunk.stats().traces_rewritten;
  }
  return total;
}

namespace {

// Queues a purge (sqlite::Writer::Erase or Expire: `queue(request, &stats, done)`) and waits for
// the writer thread to finish it.
template <typename Stats, typename Request, typename Queue>
absl::StatusOr<Stats> PurgeAndWait(const Request& request, Queue queue) {
  Stats stats;
  absl::Notification done;
  absl::Status result;
  queue(request, &stats, [&](absl::Status status) {
    result = std::move(status);
    done.Notify();
  });
  done.WaitForNotification();
  TRACKLY_RETURN_IF_ERROR(result);
  return stats;
}

}  // namespace

absl::StatusOr<EraseStats> SqliteStore::Erase(const EraseRequest& request) {
  TRACKLY_RETURN_IF_ERROR(ValidateEraseRequest(request));
  return PurgeAndWait<EraseStats>(request, [this](EraseRequest r, EraseStats* stats, WriteCallback done) {
    writer_->Erase(std::move(r), stats, std::move(done));
  });
}

absl::Status SqliteStore::RecordWorkflowRuns(std::string_view project, std::vector<WorkflowRun> runs) {
  TRACKLY_RETURN_IF_ERROR(ValidateWorkflowRuns(project, runs));
  if (runs.empty()) return absl::OkStatus();
  absl::Notification done;
  absl::Status committed;
  absl::Status recorded;
  writer_->WriteLoaded(
      std::string(project),
      [&](Connection& db, std::vector<sqlite::EncodedObservation>&) -> absl::Status {
        // A savepoint, so a run that fails (a stored rollup that no longer decodes) undoes this
        // call's changes without failing the writes committed in the same group.
        TRACKLY_RETURN_IF_ERROR(db.Exec("SAVEPOINT workflow_runs"));
        recorded = sqlite::RecordWorkflowRuns(db, project, runs);
        if (!recorded.ok()) return db.Exec("ROLLBACK TO workflow_runs; RELEASE workflow_runs");
        return db.Exec("RELEASE workflow_runs");
      },
      [&](absl::Status status) {
        committed = std::move(status);
        done.Notify();
      });
  done.WaitForNotification();
  TRACKLY_RETURN_IF_ERROR(committed);
  return recorded;
}

absl::StatusOr<model::WorkflowRollup> SqliteStore::QueryWorkflowRollup(const WorkflowRollupQuery& query) {
  TRACKLY_RETURN_IF_ERROR(ValidateWorkflowRollupQuery(query));
  TRACKLY_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  return sqlite::QueryWorkflowRollups(reader.db(), query);
}

absl::StatusOr<EraseStats> SqliteStore::DropSampledOut(std::string_view project,
                                                       const std::vector<std::string>& trace_ids) {
  TRACKLY_RETURN_IF_ERROR(ValidateDropSampledOut(project, trace_ids));
  if (trace_ids.empty()) return EraseStats{};
  EraseStats stats;
  absl::Notification done;
  absl::Status result;
  writer_->DropSampledOut(std::string(project), trace_ids, &stats, [&](absl::Status status) {
    result = std::move(status);
    done.Notify();
  });
  done.WaitForNotification();
  TRACKLY_RETURN_IF_ERROR(result);
  return stats;
}

absl::StatusOr<ExpireStats> SqliteStore::Expire(const ExpireRequest& request) {
  TRACKLY_RETURN_IF_ERROR(ValidateExpireRequest(request));
  return PurgeAndWait<ExpireStats>(request, [this](ExpireRequest r, ExpireStats* stats, WriteCallback done) {
    writer_->Expire(std::move(r), stats, std::move(done));
  });
}

}  // namespace trackly::store
