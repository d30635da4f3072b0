#include "store/clickhouse/clickhouse_store.h"

#include <algorithm>
#include <functional>
#include <set>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "base/status.h"
#include "model/observation_fragment.h"
#include "store/clickhouse/eraser.h"
#include "store/clickhouse/expirer.h"
#include "store/clickhouse/hour_sums_filler.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/retention_classes.h"
#include "store/clickhouse/rollups.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/rows.h"
#include "store/clickhouse/schema.h"
#include "store/clickhouse/sql.h"
#include "store/clickhouse/workflow.h"
#include "store/clickhouse/writer.h"
#include "store/list_paging.h"
#include "store/sqlite/payload.h"

namespace trackly::store {
namespace {

using clickhouse::Quote;
using clickhouse::RowBinaryReader;

// Traces read and rewritten by one job of RewriteObservations.
constexpr size_t kRewriteTracesPerJob = 200;
// How long Erase and Expire wait for ClickHouse to apply their mutations before answering
// DeadlineExceeded.
constexpr absl::Duration kMutationTimeout = absl::Minutes(5);

// The windows a newest-first trace list tries, in hours back from the project's newest trace (or
// the cursor), before it reads every trace (ListTraces).
constexpr int64_t kListWindowHours[] = {1, 8, 64, 512, 4096};

// A double as a SQL literal that parses back to the same value.
std::string Number(double value) { return absl::StrFormat("%.17g", value); }

// The traces column a list is ordered by (collapsed: `<column>_`).
const char* TraceOrderColumn(TraceOrder order) {
  switch (order) {
    case TraceOrder::kStartTime: return "start_ns";
    case TraceOrder::kLatency: return "latency_ms";
    case TraceOrder::kCost: return "cost_total";
    case TraceOrder::kTokens: return "total_tokens";
  }
  return "start_ns";
}

// Filters on a summary table (traces, sessions, scores), where a key may still have several
// rows. Each condition is a template in which $0 stands for its column. Applied twice: on the
// raw rows, to find candidate keys (a key whose newest row matches has a matching row), then on
// the collapsed newest values (`<column>_`), which decides.
class Filter {
 public:
  void Add(std::string column, std::string condition) {
    raw_.push_back(absl::StrReplaceAll(condition, {{"$0", column}}));
    latest_.push_back(absl::StrReplaceAll(condition, {{"$0", absl::StrCat(column, "_")}}));
    columns_.insert(std::move(column));
  }
  // A condition on two columns, `$0` and `$1` in it.
  void Add(const std::string& first, const std::string& second, const std::string& condition) {
    raw_.push_back(absl::StrReplaceAll(condition, {{"$0", first}, {"$1", second}}));
    latest_.push_back(
        absl::StrReplaceAll(condition, {{"$0", absl::StrCat(first, "_")}, {"$1", absl::StrCat(second, "_")}}));
    columns_.insert(first);
    columns_.insert(second);
  }
  // A condition on the collapsed values only (keyset cursors, tombstones).
  void AddLatest(std::string condition) { latest_.push_back(std::move(condition)); }
  // A condition on the raw rows only, implied by another condition (partition pruning on `day`).
  void AddCandidate(std::string condition) { raw_.push_back(std::move(condition)); }

  // SELECT `collapsed` of the newest row per `key` among the candidates of `project`.
  std::string CollapsedQuery(std::string_view table, std::string_view key, std::string_view collapsed,
                             std::string_view project) const {
    const std::string in_project = absl::StrCat("project = ", Quote(project));
    std::string where = in_project;
    if (!raw_.empty()) {
      absl::StrAppend(&where, " AND ", Sv(key), " IN (SELECT ", Sv(key), " FROM ", Sv(table), " WHERE ", in_project,
                      " AND ", absl::StrJoin(raw_, " AND "), ")");
    }
    return absl::StrCat("SELECT ", Sv(collapsed), " FROM ", Sv(table), " WHERE ", where, " GROUP BY ", Sv(key));
  }
  // The WHERE clause of the outer query ("1" when there is no condition).
  std::string LatestWhere() const { return latest_.empty() ? "1" : absl::StrJoin(latest_, " AND "); }
  // `key` and the newest value (`<column>_`) of each column the conditions of Add() read and of
  // `also`: what LatestWhere() and an ORDER BY on `also` need, without the other columns.
  std::string NarrowCollapsed(std::string_view key, std::string_view also) const {
    std::set<std::string> columns = columns_;
    columns.insert(std::string(also));
    std::string out(key);
    for (const std::string& c : columns) absl::StrAppend(&out, ", argMax(", c, ", version) AS ", c, "_");
    return out;
  }

 private:
  std::vector<std::string> raw_;
  std::vector<std::string> latest_;
  std::set<std::string> columns_;  // the columns of Add()
};

}  // namespace

absl::StatusOr<std::unique_ptr<ClickHouseStore>> ClickHouseStore::Open(const ClickHouseStoreOptions& options) {
  if (options.database.empty()) return absl::InvalidArgumentError("ClickHouse database: required");
  auto client = std::make_unique<clickhouse::HttpClient>(options.server);
  TRACKLY_ASSIGN_OR_RETURN(clickhouse::ServerInfo server, clickhouse::DescribeServer(*client, options.cluster));
  TRACKLY_ASSIGN_OR_RETURN(clickhouse::TraceIdsByProject written_during_migration,
                           clickhouse::ApplySchema(*client, server, options.database));
  std::unique_ptr<ClickHouseStore> store(new ClickHouseStore(options, std::move(client), server));
  TRACKLY_RETURN_IF_ERROR(store->RewriteSummaries(written_during_migration));
  return store;
}

ClickHouseStore::ClickHouseStore(ClickHouseStoreOptions options, std::unique_ptr<clickhouse::HttpClient> client,
                                 const clickhouse::ServerInfo& server)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : SystemClock::Get()),
      client_(std::move(client)),
      db_(std::make_unique<clickhouse::Database>(*client_, options_.database, server)),
      classes_(std::make_unique<clickhouse::RetentionClasses>()),
      writer_(std::make_unique<clickhouse::Writer>(*db_, clock_, *classes_, options_.max_queue_observations,
                                                   options_.compress_min_bytes)) {
  if (options_.hour_sums_fill_interval > absl::ZeroDuration()) {
    filler_ = std::make_unique<clickhouse::HourSumsFiller>(*db_, clock_, *classes_, options_.hour_sums_fill_interval);
  }
}

ClickHouseStore::~ClickHouseStore() { Drain(); }

// Text queries scan the traces' input and output (ListTraces).
Capabilities ClickHouseStore::capabilities() const { return Capabilities{.full_text_search = true}; }

StoreStats ClickHouseStore::stats() const { return writer_->stats(); }

void ClickHouseStore::Write(WriteBatch batch, WriteCallback done) { writer_->Write(std::move(batch), std::move(done)); }

void ClickHouseStore::Drain() { writer_->Drain(); }

absl::StatusOr<TracePage> ClickHouseStore::ListTraces(const TraceQuery& query) {
  TRACKLY_RETURN_IF_ERROR(CheckListArgs(query.project, query.limit));
  const char* direction = query.oldest_first ? "ASC" : "DESC";
  const char* column = TraceOrderColumn(query.order_by);
  int64_t after_key = 0;
  std::string after_id;
  if (!query.cursor.empty()) TRACKLY_RETURN_IF_ERROR(DecodeCursor(query.cursor, &after_key, &after_id));
  // The query's filter; with `window_from_ns` != 0 also only traces that start at or after it.
  auto make_filter = [&](int64_t window_from_ns) {
    Filter filter;
    // A trace row's day is the day of its start.
    for (int64_t from_ns : {query.from_ns, window_from_ns}) {
      if (from_ns == 0) continue;
      filter.Add("start_ns", absl::StrCat("$0 >= ", from_ns));
      filter.AddCandidate(absl::StrCat("day >= ", clickhouse::DayLiteral(from_ns)));
    }
    if (query.to_ns != 0) {
      filter.Add("start_ns", absl::StrCat("$0 < ", query.to_ns));
      filter.AddCandidate(absl::StrCat("day <= ", clickhouse::DayLiteral(query.to_ns)));
    }
    if (!query.name.empty()) filter.Add("name", absl::StrCat("$0 = ", Quote(query.name)));
    if (!query.user_id.empty()) filter.Add("user_id", absl::StrCat("$0 = ", Quote(query.user_id)));
    if (!query.session_id.empty()) {
      filter.Add("session_id", absl::StrCat("$0 = ", Quote(query.session_id)));
      // The candidates from the session's key range (queries.h TracesOfSessionsSql), so the raw
      // rows read are those of its traces, not every trace of the project.
      const std::string session = clickhouse::InList({query.session_id});
      filter.AddCandidate(absl::StrCat("trace_id IN (", clickhouse::TracesOfSessionsSql(query.project, session), ")"));
    }
    if (!query.environment.empty()) filter.Add("environment", absl::StrCat("$0 = ", Quote(query.environment)));
    if (!query.release.empty()) filter.Add("release", absl::StrCat("$0 = ", Quote(query.release)));
    if (!query.tag.empty()) filter.Add("tags", absl::StrCat("has($0, ", Quote(query.tag), ")"));
    if (!query.model.empty()) filter.Add("models", absl::StrCat("has($0, ", Quote(query.model), ")"));
    if (query.status.has_value()) filter.Add("status", absl::StrCat("$0 = ", Quote(model::ToString(*query.status))));
    if (query.min_latency_ms > 0) filter.Add("latency_ms", absl::StrCat("$0 >= ", Number(query.min_latency_ms)));
    if (query.min_cost > 0) filter.Add("cost_total", absl::StrCat("$0 >= ", Number(query.min_cost)));
    for (const std::string& word : TextQueryWords(query.text)) {
      // A case-insensitive substring of the input's or output's JSON text, looked for as it is
      // written there (escaped as a JSON string is): a scan of those columns over the candidate
      // rows, where SQLite looks words up in an index (docs/api.md "q").
      std::string escaped = model::DumpJson(model::Json(word));
      const std::string needle = Quote(escaped.substr(1, escaped.size() - 2));
      filter.Add("input", "output",
                 absl::StrCat("(position(lowerUTF8($0), lowerUTF8(", needle, ")) > 0 OR position(lowerUTF8($1), lowerUTF8(",
                              needle, ")) > 0)"));
    }
    if (!query.score_name.empty()) {
      // The latest row of each score id; `value` is the value's JSON text (rows.h).
      std::string matches = absl::StrCat("name_ = ", Quote(query.score_name));
      const char* kNumber =
          "multiIf(value_ = 'true', 1., value_ = 'false', 0., substring(value_, 1, 1) = '\"', nan, "
          "toFloat64OrZero(value_))";
      if (query.score_min) absl::StrAppend(&matches, " AND ", kNumber, " >= ", Number(*query.score_min));
      if (query.score_max) absl::StrAppend(&matches, " AND ", kNumber, " <= ", Number(*query.score_max));
      if (!query.score_value.empty()) {
        absl::StrAppend(&matches, " AND value_ = ", Quote(model::DumpJson(model::Json(query.score_value))));
      }
      const std::string condition = absl::StrCat(
          "trace_id IN (SELECT trace_id_ FROM (SELECT id, argMax(trace_id, version) AS trace_id_, argMax(name, "
          "version) AS name_, argMax(value, version) AS value_ FROM scores WHERE project = ",
          Quote(query.project), " GROUP BY id) WHERE ", matches, ")");
      filter.AddCandidate(condition);
      filter.AddLatest(condition);
    }
    if (!query.cursor.empty()) {
      const bool real = query.order_by == TraceOrder::kLatency || query.order_by == TraceOrder::kCost;
      filter.AddLatest(absl::StrCat("(", column, "_, trace_id) ", query.oldest_first ? ">" : "<", " (",
                                    real ? Number(TraceOrderValue(after_key)) : absl::StrCat(after_key), ", ",
                                    Quote(after_id), ")"));
    }
    return filter;
  };
  const std::string order = absl::StrCat(" ORDER BY ", column, "_ ", direction, ", trace_id ", direction, " LIMIT ",
                                         query.limit + 1);

  // Step 1: the page's trace ids (and the version of each one's newest summary row), from the
  // newest values of only the columns the conditions and the order read: a few bytes per
  // candidate trace instead of its input, output and metadata.
  //
  // A newest-first list by start reads the newest traces first: those that start in a window
  // ending at the project's newest start (or at the cursor, or at `to`) are every trace that can
  // come first, so when the window holds a whole page (limit + 1) that is the page; otherwise the
  // window widens, and at last goes away. A window bounds the candidates by start and day (the
  // older partitions are skipped), and a small candidate set keeps the collapse to the index
  // granules that hold it, so a page of a busy project reads the traces of its last hours, not
  // all of them, whatever the filter.
  std::vector<int64_t> windows_from_ns;
  if (query.order_by == TraceOrder::kStartTime && !query.oldest_first) {
    int64_t anchor_ns = 0;
    if (!query.cursor.empty()) {
      anchor_ns = after_key;
    } else {
      // Over every stored row, older versions included: an upper bound of the newest start.
      TRACKLY_ASSIGN_OR_RETURN(
          std::string rows, db_->Select(absl::StrCat("SELECT max(start_ns) FROM traces PREWHERE project = ",
                                                     Quote(query.project), " FORMAT RowBinary")));
      RowBinaryReader in(rows, "reading the newest trace start");
      anchor_ns = in.Int64();
      TRACKLY_RETURN_IF_ERROR(in.status());
    }
    if (query.to_ns != 0) anchor_ns = std::min(anchor_ns, query.to_ns);
    for (int64_t hours : kListWindowHours) {
      const int64_t from_ns = anchor_ns - hours * kNanosPerHour;
      if (from_ns <= std::max<int64_t>(query.from_ns, 0)) break;  // no narrower than the query itself
      windows_from_ns.push_back(from_ns);
    }
  }
  windows_from_ns.push_back(0);  // no window
  auto choose = [&]() -> absl::StatusOr<std::vector<clickhouse::ChosenTrace>> {
    std::vector<clickhouse::ChosenTrace> chosen;
    for (int64_t window_from_ns : windows_from_ns) {
      const Filter filter = make_filter(window_from_ns);
      TRACKLY_ASSIGN_OR_RETURN(
          std::string rows,
          db_->Select(absl::StrCat(
              "SELECT trace_id, version_ FROM (",
              filter.CollapsedQuery("traces", "trace_id",
                                    absl::StrCat(filter.NarrowCollapsed("trace_id", column), ", max(version) AS version_"),
                                    query.project),
              ") WHERE ", filter.LatestWhere(), order, " FORMAT RowBinary")));
      chosen.clear();
      RowBinaryReader in(rows, "choosing the traces of a page");
      while (!in.AtEnd()) {
        clickhouse::ChosenTrace trace{.trace_id = in.String(), .version = in.UInt64()};
        TRACKLY_RETURN_IF_ERROR(in.status());
        chosen.push_back(std::move(trace));
      }
      if (static_cast<int>(chosen.size()) > query.limit) break;
    }
    return chosen;
  };
  // Every column of every candidate in one query: what the two steps fall back to.
  auto one_step = [&]() -> absl::StatusOr<std::vector<model::Trace>> {
    const Filter filter = make_filter(0);
    TRACKLY_ASSIGN_OR_RETURN(
        std::string rows,
        db_->Select(absl::StrCat("SELECT ", clickhouse::LatestTraceColumns(), " FROM (",
                                 filter.CollapsedQuery("traces", "trace_id", clickhouse::CollapsedTraceColumns(),
                                                       query.project),
                                 ") WHERE ", filter.LatestWhere(), order, " FORMAT RowBinary")));
    std::vector<model::Trace> traces;
    RowBinaryReader in(rows, "listing traces");
    while (!in.AtEnd()) {
      TRACKLY_ASSIGN_OR_RETURN(model::Trace trace, clickhouse::ReadTrace(in));
      traces.push_back(std::move(trace));
    }
    return traces;
  };
  // Step 2 (clickhouse::ReadTracePage): every column of exactly the rows step 1 saw.
  TRACKLY_ASSIGN_OR_RETURN(std::vector<model::Trace> traces,
                           clickhouse::ReadTracePage(*db_, query.project, choose, one_step));
  TracePage page;
  for (model::Trace& trace : traces) {
    if (static_cast<int>(page.traces.size()) == query.limit) {
      const model::Trace& last = page.traces.back();
      page.next_cursor = EncodeCursor(TraceOrderKey(last, query.order_by), last.id);
      break;
    }
    page.traces.push_back(std::move(trace));
  }
  return page;
}

absl::StatusOr<TraceDetail> ClickHouseStore::GetTrace(std::string_view project, std::string_view trace_id) {
  const std::vector<std::string> ids = {std::string(trace_id)};
  TRACKLY_ASSIGN_OR_RETURN(clickhouse::TracesById traces, clickhouse::ReadTraces(*db_, project, ids));
  if (traces.empty()) return absl::NotFoundError(absl::StrCat("trace ", Sv(trace_id), " not found"));
  TRACKLY_ASSIGN_OR_RETURN(clickhouse::ObservationsByTrace observations,
                           clickhouse::ReadObservationsOfTraces(*db_, project, ids,
                                                                clickhouse::ObservationDetail::kFull));
  TraceDetail detail{.trace = std::move(traces.begin()->second), .observations = {}};
  if (!observations.empty()) detail.observations = std::move(observations.begin()->second);
  std::sort(detail.observations.begin(), detail.observations.end(),
            [](const model::Observation& a, const model::Observation& b) {
              return std::tie(a.start_time_ns, a.id) < std::tie(b.start_time_ns, b.id);
            });
  return detail;
}

absl::StatusOr<ObservationPage> ClickHouseStore::ListTraceObservations(const ObservationQuery& query) {
  TRACKLY_RETURN_IF_ERROR(CheckListArgs(query.project, query.limit));
  if (query.trace_id.empty()) return absl::InvalidArgumentError("trace id: required");
  std::string after = "1";
  if (!query.cursor.empty()) {
    int64_t after_ns = 0;
    std::string after_id;
    TRACKLY_RETURN_IF_ERROR(DecodeCursor(query.cursor, &after_ns, &after_id));
    after = absl::StrCat("(start_ns_, id) > (", after_ns, ", ", Quote(after_id), ")");
  }
  const std::vector<std::string> ids = {query.trace_id};
  TRACKLY_ASSIGN_OR_RETURN(clickhouse::TracesById traces, clickhouse::ReadTraces(*db_, query.project, ids));
  if (traces.empty()) return absl::NotFoundError(absl::StrCat("trace ", query.trace_id, " not found"));
  // The page's ids come from the (small) start_ns and id columns of the whole trace; only the
  // rows of the page are then read in full (or as summaries).
  const std::string in_trace =
      absl::StrCat("project = ", Quote(query.project), " AND trace_id = ", Quote(query.trace_id));
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      db_->Select(absl::StrCat(
          "SELECT id, argMax(start_ns, version) AS start_ns_, ", clickhouse::ObservationColumns(query.summary_only),
          " FROM observations WHERE ", in_trace,
          " AND id IN (SELECT id FROM (SELECT id, argMax(start_ns, version) AS start_ns_ FROM observations WHERE ",
          in_trace, " GROUP BY id HAVING ", after, " ORDER BY start_ns_, id LIMIT ", query.limit + 1,
          ")) GROUP BY id ORDER BY start_ns_, id FORMAT RowBinary")));
  ObservationPage page{.trace = std::move(traces.begin()->second), .observations = {}, .next_cursor = ""};
  RowBinaryReader in(rows, "paging a trace's observations");
  while (!in.AtEnd()) {
    if (static_cast<int>(page.observations.size()) == query.limit) {
      const model::Observation& last = page.observations.back().observation;
      page.next_cursor = EncodeCursor(last.start_time_ns, last.id);
      break;
    }
    in.String();  // id
    in.Int64();   // start_ns
    std::string_view blob = in.StringView();
    PagedObservation item{.observation = {}, .stored_bytes = static_cast<int64_t>(in.UInt64())};
    std::string_view trace_payload = in.StringView();
    TRACKLY_RETURN_IF_ERROR(in.status());
    TRACKLY_ASSIGN_OR_RETURN(item.observation,
                             clickhouse::DecodeObservation(blob, static_cast<uint64_t>(item.stored_bytes), trace_payload));
    if (query.summary_only) item.observation.trace_hints = {};  // not part of a page summary (store.h)
    page.observations.push_back(std::move(item));
  }
  return page;
}

absl::StatusOr<model::Observation> ClickHouseStore::GetObservation(std::string_view project,
                                                                   std::string_view trace_id,
                                                                   std::string_view observation_id) {
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      db_->Select(absl::StrCat("SELECT ", clickhouse::ObservationColumns(/*summary_only=*/false),
                               " FROM observations WHERE project = ", Quote(project),
                               " AND trace_id = ", Quote(trace_id), " AND id = ", Quote(observation_id),
                               " GROUP BY id FORMAT RowBinary")));
  RowBinaryReader in(rows, "reading an observation");
  if (in.AtEnd()) {
    return absl::NotFoundError(absl::StrCat("observation ", Sv(observation_id), " not found in trace ", Sv(trace_id)));
  }
  std::string_view blob = in.StringView();
  const uint64_t payload_bytes = in.UInt64();
  std::string_view trace_payload = in.StringView();
  TRACKLY_RETURN_IF_ERROR(in.status());
  return clickhouse::DecodeObservation(blob, payload_bytes, trace_payload);
}

absl::StatusOr<SessionPage> ClickHouseStore::ListSessions(const SessionQuery& query) {
  TRACKLY_RETURN_IF_ERROR(CheckListArgs(query.project, query.limit));
  Filter filter;
  filter.AddLatest("trace_count_ > 0");
  if (query.from_ns != 0) filter.Add("last_ns", absl::StrCat("$0 >= ", query.from_ns));
  if (query.to_ns != 0) {
    filter.Add("first_ns", absl::StrCat("$0 < ", query.to_ns));
    filter.AddCandidate(absl::StrCat("day <= ", clickhouse::DayLiteral(query.to_ns)));  // the day of first_ns
  }
  if (!query.user_id.empty()) filter.Add("user_id", absl::StrCat("$0 = ", Quote(query.user_id)));
  if (!query.cursor.empty()) {
    int64_t after_ns = 0;
    std::string after_id;
    TRACKLY_RETURN_IF_ERROR(DecodeCursor(query.cursor, &after_ns, &after_id));
    filter.AddLatest(absl::StrCat("(last_ns_, session_id) < (", after_ns, ", ", Quote(after_id), ")"));
  }
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      db_->Select(absl::StrCat("SELECT ", clickhouse::LatestSessionColumns(), " FROM (",
                               filter.CollapsedQuery("sessions", "session_id", clickhouse::CollapsedSessionColumns(),
                                                     query.project),
                               ") WHERE ", filter.LatestWhere(), " ORDER BY last_ns_ DESC, session_id DESC LIMIT ",
                               query.limit + 1, " FORMAT RowBinary")));
  SessionPage page;
  RowBinaryReader in(rows, "listing sessions");
  while (!in.AtEnd()) {
    if (static_cast<int>(page.sessions.size()) == query.limit) {
      const model::Session& last = page.sessions.back();
      page.next_cursor = EncodeCursor(last.last_time_ns, last.id);
      break;
    }
    page.sessions.push_back(clickhouse::ReadSession(in));
    TRACKLY_RETURN_IF_ERROR(in.status());
  }
  return page;
}

absl::StatusOr<SessionDetail> ClickHouseStore::GetSession(std::string_view project, std::string_view session_id) {
  const auto not_found = [&] { return absl::NotFoundError(absl::StrCat("session ", Sv(session_id), " not found")); };
  if (session_id.empty()) return not_found();
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      db_->Select(absl::StrCat("SELECT ", clickhouse::CollapsedSessionColumns(),
                               " FROM sessions WHERE project = ", Quote(project), " AND session_id = ",
                               Quote(session_id), " GROUP BY session_id FORMAT RowBinary")));
  RowBinaryReader in(rows, "reading a session");
  if (in.AtEnd()) return not_found();
  SessionDetail detail{.session = clickhouse::ReadSession(in), .traces = {}};
  TRACKLY_RETURN_IF_ERROR(in.status());
  if (detail.session.trace_count == 0) return not_found();  // a tombstone
  TRACKLY_ASSIGN_OR_RETURN(clickhouse::TracesBySession traces,
                           clickhouse::ReadTracesOfSessions(*db_, project, {std::string(session_id)}));
  detail.traces = std::move(traces[std::string(session_id)]);
  return detail;
}

absl::StatusOr<ScorePage> ClickHouseStore::ListScores(const ScoreQuery& query) {
  TRACKLY_RETURN_IF_ERROR(CheckListArgs(query.project, query.limit));
  Filter filter;
  if (!query.trace_id.empty()) filter.Add("trace_id", absl::StrCat("$0 = ", Quote(query.trace_id)));
  if (!query.observation_id.empty()) filter.Add("observation_id", absl::StrCat("$0 = ", Quote(query.observation_id)));
  if (!query.name.empty()) filter.Add("name", absl::StrCat("$0 = ", Quote(query.name)));
  if (!query.source.empty()) filter.Add("source", absl::StrCat("$0 = ", Quote(query.source)));
  // A score row's day is the day of its time.
  if (query.from_ns != 0) {
    filter.Add("time_ns", absl::StrCat("$0 >= ", query.from_ns));
    filter.AddCandidate(absl::StrCat("day >= ", clickhouse::DayLiteral(query.from_ns)));
  }
  if (query.to_ns != 0) {
    filter.Add("time_ns", absl::StrCat("$0 < ", query.to_ns));
    filter.AddCandidate(absl::StrCat("day <= ", clickhouse::DayLiteral(query.to_ns)));
  }
  if (!query.cursor.empty()) {
    int64_t after_ns = 0;
    std::string after_id;
    TRACKLY_RETURN_IF_ERROR(DecodeCursor(query.cursor, &after_ns, &after_id));
    filter.AddLatest(absl::StrCat("(time_ns_, id) < (", after_ns, ", ", Quote(after_id), ")"));
  }
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      db_->Select(absl::StrCat("SELECT ", clickhouse::LatestScoreColumns(), " FROM (",
                               filter.CollapsedQuery("scores", "id", clickhouse::CollapsedScoreColumns(), query.project),
                               ") WHERE ", filter.LatestWhere(), " ORDER BY time_ns_ DESC, id DESC LIMIT ",
                               query.limit + 1, " FORMAT RowBinary")));
  ScorePage page;
  RowBinaryReader in(rows, "listing scores");
  while (!in.AtEnd()) {
    if (static_cast<int>(page.scores.size()) == query.limit) {
      const model::Score& last = page.scores.back();
      page.next_cursor = EncodeCursor(last.time_ns, last.id);
      break;
    }
    TRACKLY_ASSIGN_OR_RETURN(model::Score score, clickhouse::ReadScore(in));
    page.scores.push_back(std::move(score));
  }
  return page;
}

absl::StatusOr<std::string> ClickHouseStore::FindTraceIdOfObservation(std::string_view project,
                                                                      std::string_view observation_id) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<model::ObservationFragment> fragments,
                           clickhouse::ReadFragments(*db_, project, observation_id));
  std::string trace_id = model::MergeFragments(fragments).trace_id;
  if (trace_id.empty()) return absl::NotFoundError(absl::StrCat("observation ", Sv(observation_id), " not found"));
  return trace_id;
}

absl::StatusOr<MetricsResult> ClickHouseStore::QueryMetrics(const MetricsQuery& query) {
  // Valid hour sums answer the whole hours they cover (clickhouse/rollups.h "Hour sums").
  const int64_t expired_before_day =
      classes_->ExpiryDay(query.project, clickhouse::RetentionTier::kSummary, clock_.NowNanos());
  return clickhouse::QueryRollups(*db_, query,
                                  clickhouse::HourSumsOptions{.clock = &clock_,
                                                              .retention = classes_->ClassOf(query.project),
                                                              .first_kept_s = expired_before_day * 86'400});
}

absl::StatusOr<MetricsResult> ClickHouseStore::QueryScoreMetrics(const ScoreMetricsQuery& query) {
  TRACKLY_RETURN_IF_ERROR(ValidateScoreMetricsQuery(query));
  const ScoreTimeRange range = ScoreMetricsRange(query);
  Filter filter;
  if (!query.name.empty()) filter.Add("name", absl::StrCat("$0 = ", Quote(query.name)));
  if (!query.name_prefix.empty()) {
    // Bytes, as substring and length count them (startsWith is younger than 18.16).
    filter.Add("name", absl::StrCat("substring($0, 1, ", query.name_prefix.size(), ") = ", Quote(query.name_prefix)));
  }
  if (!query.source.empty()) filter.Add("source", absl::StrCat("$0 = ", Quote(query.source)));
  // A score row's day is the day of its time.
  if (range.from_ns != 0) {
    filter.Add("time_ns", absl::StrCat("$0 >= ", range.from_ns));
    filter.AddCandidate(absl::StrCat("day >= ", clickhouse::DayLiteral(range.from_ns)));
  }
  if (range.to_ns != 0) {
    filter.Add("time_ns", absl::StrCat("$0 < ", range.to_ns));
    filter.AddCandidate(absl::StrCat("day <= ", clickhouse::DayLiteral(range.to_ns)));
  }
  // Each score's latest row decides (a replaced score counts once, as last written).
  constexpr char kCollapsed[] =
      "id, argMax(trace_id, version) AS trace_id_, argMax(name, version) AS name_, argMax(value, version) AS "
      "value_, argMax(source, version) AS source_, argMax(time_ns, version) AS time_ns_";
  // `value_` is the value's JSON text (rows.h): `num` is a number, or a boolean as 1 or 0 (a JSON
  // number starts with '-' or a digit), else nan, which the aggregates skip.
  constexpr char kNumeric[] =
      "multiIf(value_ = 'true', 1., value_ = 'false', 0., substring(value_, 1, 1) IN ('-', '0', '1', '2', '3', '4', "
      "'5', '6', '7', '8', '9'), toFloat64OrZero(value_), nan) AS num";

  const int64_t grain_ns = GrainNs(query.time_grain);
  // The bucket start, floored also before 1970 (% keeps the dividend's sign).
  const std::string bucket =
      grain_ns == 0 ? "toInt64(0)"
                    : absl::StrFormat("toInt64(time_ns_ - (((time_ns_ %% toInt64(%d)) + toInt64(%d)) %% toInt64(%d)))",
                                      grain_ns, grain_ns, grain_ns);
  std::vector<std::string> keys = {absl::StrCat(bucket, " AS bucket_")};
  std::vector<std::string> key_names = {"bucket_"};
  for (size_t i = 0; i < query.group_by.size(); ++i) {
    std::string expression;
    switch (query.group_by[i]) {
      case ScoreDimension::kName: expression = "name_"; break;
      // A categorical value's string, unescaped: visitParamExtractString reads a JSON string out
      // of an object (JSONExtractString is younger than 18.16).
      case ScoreDimension::kValue:
        expression = "if(substring(value_, 1, 1) = '\"', visitParamExtractString(concat('{\"v\":', value_, '}'), 'v'), value_)";
        break;
      case ScoreDimension::kSource: expression = "source_"; break;
    }
    key_names.push_back(absl::StrCat("key", i, "_"));
    keys.push_back(absl::StrCat(expression, " AS ", key_names.back()));
  }
  const std::string sql = absl::StrCat(
      "SELECT ", absl::StrJoin(keys, ", "), ", count(), ",
      NeedsDistinctTraces(query.measures) ? "uniqExact(trace_id_)" : "toUInt64(0)",
      ", countIf(NOT isNaN(num)), sumIf(num, NOT isNaN(num)), minIf(num, NOT isNaN(num)), maxIf(num, NOT isNaN(num)), "
      "countIf(value_ = 'true'), countIf(value_ = 'false') FROM (SELECT trace_id_, name_, value_, source_, time_ns_, ",
      kNumeric, " FROM (", filter.CollapsedQuery("scores", "id", kCollapsed, query.project), ") WHERE ",
      filter.LatestWhere(), ") GROUP BY ", absl::StrJoin(key_names, ", "), " FORMAT RowBinary");
  TRACKLY_ASSIGN_OR_RETURN(std::string rows, db_->Select(sql));
  std::vector<ScoreGroup> groups;
  RowBinaryReader in(rows, "aggregating scores");
  while (!in.AtEnd()) {
    ScoreGroup group;
    group.time_ns = in.Int64();
    for (size_t i = 0; i < query.group_by.size(); ++i) group.group.push_back(in.String());
    ScoreAggregates& a = group.aggregates;
    a.count = static_cast<int64_t>(in.UInt64());
    a.traces = static_cast<int64_t>(in.UInt64());
    a.numeric_count = static_cast<int64_t>(in.UInt64());
    a.numeric_sum = in.Float64();
    a.numeric_min = in.Float64();
    a.numeric_max = in.Float64();
    a.true_count = static_cast<int64_t>(in.UInt64());
    a.false_count = static_cast<int64_t>(in.UInt64());
    TRACKLY_RETURN_IF_ERROR(in.status());
    groups.push_back(std::move(group));
  }
  return ScoreMetricsResult(query, std::move(groups));
}

absl::StatusOr<RewriteStats> ClickHouseStore::RewriteObservations(const RewriteRange& range,
                                                                 const ObservationRewrite& rewrite) {
  if (range.project.empty()) return absl::InvalidArgumentError("project: required");
  if (range.to_ns != 0 && range.to_ns <= range.from_ns) return absl::InvalidArgumentError("to: must be after from");
  auto in_range = [&](int64_t start_ns) {
    return start_ns >= range.from_ns && (range.to_ns == 0 || start_ns < range.to_ns);
  };
  std::string having = absl::StrCat("start_ns_ >= ", range.from_ns);
  if (range.to_ns != 0) absl::StrAppend(&having, " AND start_ns_ < ", range.to_ns);
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      db_->Select(absl::StrCat("SELECT DISTINCT trace_id FROM (SELECT trace_id, argMax(start_ns, version) AS start_ns_ "
                               "FROM observations WHERE project = ",
                               Quote(range.project), " GROUP BY trace_id, id HAVING ", having,
                               ") ORDER BY trace_id FORMAT RowBinary")));
  std::vector<std::string> trace_ids;
  RowBinaryReader in(rows, "listing the traces to rewrite");
  while (!in.AtEnd()) trace_ids.push_back(in.String());
  TRACKLY_RETURN_IF_ERROR(in.status());

  RewriteStats total;
  for (size_t begin = 0; begin < trace_ids.size(); begin += kRewriteTracesPerJob) {
    const std::vector<std::string> chunk(trace_ids.begin() + begin,
                                         trace_ids.begin() + std::min(trace_ids.size(), begin + kRewriteTracesPerJob));
    RewriteStats stats;
    absl::Notification done;
    absl::Status status;
    writer_->RunJob(
        [&]() -> absl::StatusOr<int64_t> {
          TRACKLY_ASSIGN_OR_RETURN(clickhouse::ObservationsByTrace stored,
                                   clickhouse::ReadObservationsOfTraces(*db_, range.project, chunk,
                                                                        clickhouse::ObservationDetail::kFull));
          std::vector<model::Observation> changed;
          for (auto& [trace_id, observations] : stored) {
            bool trace_changed = false;
            for (model::Observation& o : observations) {
              if (!in_range(o.start_time_ns)) continue;
              ++stats.observations_visited;
              const std::string id = o.id;
              if (!rewrite(o)) continue;
              if (o.id != id || o.trace_id != trace_id) {
                return absl::InvalidArgumentError(
                    absl::StrCat("rewrite changed the id of observation ", id, " of trace ", trace_id));
              }
              sqlite::FloorTimesToMicros(o);
              ++stats.observations_rewritten;
              trace_changed = true;
              changed.push_back(std::move(o));
            }
            if (trace_changed) ++stats.traces_rewritten;
          }
          TRACKLY_RETURN_IF_ERROR(writer_->StoreObservations(range.project, changed));
          return static_cast<int64_t>(changed.size());
        },
        [&](absl::Status result) {
          status = std::move(result);
          done.Notify();
        });
    done.WaitForNotification();
    TRACKLY_RETURN_IF_ERROR(status);
    total.observations_visited += stats.observations_visited;
    total.observations_rewritten += stats.observations_rewritten;
    total.traces_rewritten += stats.traces_rewritten;
  }
  return total;
}

namespace {

// Runs `work` as a job of the writer (ordered with this node's writes) and waits for it.
template <typename Result>
absl::StatusOr<Result> RunOnWorker(clickhouse::Writer& writer, const std::function<absl::StatusOr<Result>()>& work) {
  absl::StatusOr<Result> result;
  absl::Notification done;
  writer.RunJob(
      [&]() -> absl::StatusOr<int64_t> {
        result = work();
        return result.status().ok() ? 0 : absl::StatusOr<int64_t>(result.status());
      },
      [&](absl::Status status) {
        if (!status.ok()) result = std::move(status);  // e.g. Unavailable: draining, never ran
        done.Notify();
      });
  done.WaitForNotification();
  return result;
}

}  // namespace

absl::StatusOr<EraseStats> ClickHouseStore::Erase(const EraseRequest& request) {
  TRACKLY_RETURN_IF_ERROR(ValidateEraseRequest(request));
  return RunOnWorker<EraseStats>(
      *writer_, [&] { return clickhouse::EraseTraces(*db_, *writer_, request, kMutationTimeout); });
}

absl::StatusOr<EraseStats> ClickHouseStore::DropSampledOut(std::string_view project,
                                                           const std::vector<std::string>& trace_ids) {
  TRACKLY_RETURN_IF_ERROR(ValidateDropSampledOut(project, trace_ids));
  return RunOnWorker<EraseStats>(*writer_, [&] {
    return clickhouse::DropSampledOutTraces(*db_, *writer_, std::string(project), trace_ids, kMutationTimeout);
  });
}

absl::StatusOr<ExpireStats> ClickHouseStore::Expire(const ExpireRequest& request) {
  TRACKLY_RETURN_IF_ERROR(ValidateExpireRequest(request));
  return RunOnWorker<ExpireStats>(*writer_, [&] {
    return clickhouse::ExpireProject(*db_, *writer_, *classes_, clock_.NowNanos(), request, kMutationTimeout);
  });
}

void ClickHouseStore::NoteRetention(std::string_view project, int32_t payload_days, int32_t summary_days) {
  classes_->Note(project, payload_days, summary_days);
}

absl::Status ClickHouseStore::RewriteSummaries(const clickhouse::TraceIdsByProject& trace_ids_by_project) {
  for (const auto& [project, trace_ids] : trace_ids_by_project) {
    for (size_t begin = 0; begin < trace_ids.size(); begin += kRewriteTracesPerJob) {
      const std::vector<std::string> chunk(
          trace_ids.begin() + begin, trace_ids.begin() + std::min(trace_ids.size(), begin + kRewriteTracesPerJob));
      TRACKLY_RETURN_IF_ERROR(RunOnWorker<bool>(*writer_, [&]() -> absl::StatusOr<bool> {
                                TRACKLY_RETURN_IF_ERROR(writer_->WriteSummaries(project, chunk));
                                return true;
                              }).status());
    }
  }
  return absl::OkStatus();
}

absl::Status ClickHouseStore::RecordWorkflowRuns(std::string_view project, std::vector<WorkflowRun> runs) {
  TRACKLY_RETURN_IF_ERROR(ValidateWorkflowRuns(project, runs));
  return RunOnWorker<bool>(*writer_, [&]() -> absl::StatusOr<bool> {
           TRACKLY_RETURN_IF_ERROR(clickhouse::RecordWorkflowRuns(*db_, project, writer_->RetentionClassOf(project),
                                                                  std::move(runs), writer_->NextVersion()));
           return true;
         })
      .status();
}

absl::StatusOr<model::WorkflowRollup> ClickHouseStore::QueryWorkflowRollup(const WorkflowRollupQuery& query) {
  return clickhouse::QueryWorkflowRollup(*db_, query);
}

}  // namespace trackly::store
