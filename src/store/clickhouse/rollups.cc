#include "store/clickhouse/rollups.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/rows.h"
#include "store/clickhouse/sql.h"

namespace trackly::store::clickhouse {
namespace {

constexpr int64_t kSecondNs = 1'000'000'000;

// The integer sums of model::RollupValues and their columns in `rollups`, in table order; the
// sketch (column `latency`) follows them.
struct ValueColumn {
  const char* name;
  int64_t model::RollupValues::*field;
};
constexpr ValueColumn kValueColumns[] = {
    {"count", &model::RollupValues::count},
    {"errors", &model::RollupValues::errors},
    {"latency_sum_us", &model::RollupValues::latency_sum_us},
    {"input_tokens", &model::RollupValues::input_tokens},
    {"output_tokens", &model::RollupValues::output_tokens},
    {"total_tokens", &model::RollupValues::total_tokens},
    {"cache_read_tokens", &model::RollupValues::cache_read_tokens},
    {"cache_write_tokens", &model::RollupValues::cache_write_tokens},
    {"reasoning_tokens", &model::RollupValues::reasoning_tokens},
    {"cost_nusd", &model::RollupValues::cost_nusd},
    {"ok_cost_nusd", &model::RollupValues::ok_cost_nusd},
    {"cache_savings_nusd", &model::RollupValues::cache_savings_nusd},
    {"unpriced", &model::RollupValues::unpriced},
    {"model_calls", &model::RollupValues::model_calls},
    {"tool_calls", &model::RollupValues::tool_calls},
    {"retrievals", &model::RollupValues::retrievals},
    {"retries", &model::RollupValues::retries},
};

const std::string& InsertRollupSql() {
  static const auto* sql = [] {
    std::vector<std::string> columns = {"project", "kind", "minute_s", "dims", "trace_id", "version", "day",
                                        kRetentionClassColumns};
    for (const ValueColumn& c : kValueColumns) columns.push_back(c.name);
    columns.push_back("latency");
    return new std::string(absl::StrCat("INSERT INTO rollups (", absl::StrJoin(columns, ", "), ") FORMAT RowBinary"));
  }();
  return *sql;
}

const std::string& InsertRollupCellsSql() {
  static const auto* sql =
      new std::string(absl::StrCat("INSERT INTO rollup_cells (project, trace_id, version, day, ", kRetentionClassColumns,
                                   ", cells) FORMAT RowBinary"));
  return *sql;
}

void AppendRollupRow(RowBinaryWriter& out, std::string_view project, RetentionClass retention,
                     std::string_view trace_id, uint64_t version, const RollupCell& cell,
                     const model::RollupValues& values) {
  out.String(project);
  out.UInt8(static_cast<uint8_t>(cell.kind));
  out.Int64(cell.minute_s);
  out.StringArray(cell.dims);
  out.String(trace_id);
  out.UInt64(version);
  out.DateOfNanos(cell.minute_s * kSecondNs);
  AppendRetentionClass(out, retention);
  for (const ValueColumn& c : kValueColumns) out.Int64(values.*c.field);
  out.String(values.latency.Encode());
}

// A rollup_cells row: the cells as (UInt8 kind, Int64 minute_s, Array(String) dims) in RowBinary.
void AppendCellsRow(RowBinaryWriter& out, std::string_view project, RetentionClass retention, const TraceRollup& trace,
                    uint64_t version, const RollupCells& cells) {
  RowBinaryWriter list;
  for (const RollupCell& cell : cells) {
    list.UInt8(static_cast<uint8_t>(cell.kind));
    list.Int64(cell.minute_s);
    list.StringArray(cell.dims);
  }
  out.String(project);
  out.String(trace.trace_id);
  out.UInt64(version);
  out.DateOfNanos(trace.start_ns);
  AppendRetentionClass(out, retention);
  out.String(list.data());
}

}  // namespace

RollupContribution ContributionOf(const model::Trace& trace, std::span<const model::Observation> observations) {
  RollupContribution out;
  for (const model::Observation& o : observations) {
    RollupCell cell{.kind = static_cast<int>(model::RollupKind::kObservation),
                    .minute_s = RollupMinuteS(o.start_time_ns),
                    .dims = model::ObservationRollupKey(o)};
    out[std::move(cell)].Add(model::ObservationRollupValues(o));
  }
  const model::RollupValues run = model::TraceRollupValues(trace, observations);
  for (model::RollupKind kind : {model::RollupKind::kTrace, model::RollupKind::kTraceByUser}) {
    RollupCell cell{.kind = static_cast<int>(kind),
                    .minute_s = RollupMinuteS(trace.start_time_ns),
                    .dims = model::TraceRollupKey(kind, trace)};
    out[std::move(cell)].Add(run);
  }
  return out;
}

absl::StatusOr<RollupCellsByTrace> ReadRollupCells(const Database& db, std::string_view project,
                                                                   const std::vector<std::string>& trace_ids) {
  RollupCellsByTrace out;
  TRACKLY_RETURN_IF_ERROR(ForEachChunk(trace_ids, [&](const std::vector<std::string>& chunk) -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(
        std::string rows,
        db.Select(absl::StrCat("SELECT trace_id, argMax(cells, version) FROM rollup_cells PREWHERE project = ",
                               Quote(project), " AND trace_id IN ", InList(chunk),
                               " GROUP BY trace_id FORMAT RowBinary")));
    RowBinaryReader in(rows, "reading rollup cells");
    while (!in.AtEnd()) {
      RollupCells& cells = out[in.String()];
      RowBinaryReader list(in.StringView(), "decoding a trace's rollup cells");
      while (!list.AtEnd() && list.status().ok()) {
        RollupCell cell;
        cell.kind = list.UInt8();
        cell.minute_s = list.Int64();
        cell.dims = list.StringArray();
        cells.insert(std::move(cell));
      }
      TRACKLY_RETURN_IF_ERROR(list.status());
    }
    return in.status();
  }));
  return out;
}

absl::Status WriteRollups(const Database& db, std::string_view project, RetentionClass retention, uint64_t version,
                          const std::function<uint64_t()>& later_version, const std::vector<TraceRollup>& traces) {
  RowBinaryWriter grown;  // cell lists that gain cells: written before the rows
  RowBinaryWriter rows;
  std::vector<std::pair<const TraceRollup*, RollupCells>> shrunk;  // lists that lose cells: after
  const model::RollupValues zero;
  std::set<int64_t> hours;  // every hour a row is written in: marked dirty after the rows
  for (const TraceRollup& trace : traces) {
    RollupCells now;
    for (const auto& [cell, values] : trace.contribution) {
      now.insert(cell);
      hours.insert(RollupHourS(cell.minute_s));
      AppendRollupRow(rows, project, retention, trace.trace_id, version, cell, values);
    }
    RollupCells all = now;
    for (const RollupCell& cell : trace.previous) {
      if (now.contains(cell)) continue;
      AppendRollupRow(rows, project, retention, trace.trace_id, version, cell, zero);  // a tombstone
      hours.insert(RollupHourS(cell.minute_s));
      all.insert(cell);
    }
    if (all.size() > trace.previous.size()) AppendCellsRow(grown, project, retention, trace, version, all);
    if (all.size() > now.size()) shrunk.emplace_back(&trace, std::move(now));
  }
  if (!grown.data().empty()) TRACKLY_RETURN_IF_ERROR(db.Insert(InsertRollupCellsSql(), grown.data()));
  if (!rows.data().empty()) {
    TRACKLY_RETURN_IF_ERROR(db.Insert(InsertRollupSql(), rows.data()));
    // After the acknowledgement, with a version above it: hour sums computed before are stale.
    TRACKLY_RETURN_IF_ERROR(MarkRollupHoursDirty(db, project, retention, later_version(), hours));
  }
  if (shrunk.empty()) return absl::OkStatus();
  const uint64_t shrunk_version = later_version();
  RowBinaryWriter lists;
  for (const auto& [trace, cells] : shrunk) AppendCellsRow(lists, project, retention, *trace, shrunk_version, cells);
  return db.Insert(InsertRollupCellsSql(), lists.data());
}

namespace {

constexpr int64_t kHourS = 3600;
constexpr int64_t kNoBound = std::numeric_limits<int64_t>::min();
// A query's valid hours become at most this many ranges of consecutive hours (each is a condition
// in the SQL); hours past them are collapsed from `rollups`.
constexpr size_t kMaxHourRanges = 200;
// Rows of hour sums per insert: far below max_insert_block_size (1,048,576), so the rows of an
// hour (all in one partition) always land in one part, made visible whole. An hour with more
// cells gets no sums.
constexpr size_t kMaxHourRowsPerInsert = 200'000;
// Hours computed by one read of `rollups` (one day: bounds the collapse's memory).
constexpr int64_t kHoursPerComputation = 24;

// `column` (seconds) floored to `grain_s` (also before 1970), as an Int64 expression.
std::string Floor(std::string_view column, int64_t grain_s) {
  return absl::StrCat("toInt64(", Sv(column), " - (", Sv(column), " % ", grain_s, " + ", grain_s, ") % ", grain_s,
                      ")");
}

// The condition "`column` (seconds) is in one of `ranges`" ([start, end) pairs; not empty).
std::string InRanges(std::string_view column, const std::vector<std::pair<int64_t, int64_t>>& ranges) {
  std::vector<std::string> terms;
  for (const auto& [from, to] : ranges) {
    terms.push_back(absl::StrCat("(", Sv(column), " >= ", from, " AND ", Sv(column), " < ", to, ")"));
  }
  return absl::StrCat("(", absl::StrJoin(terms, " OR "), ")");
}

// Partition pruning for rows whose `day` is that of a time in [from_s, to_s) (kNoBound: open).
void AddDayBounds(std::vector<std::string>& where, int64_t from_s, int64_t to_s) {
  if (from_s != kNoBound) where.push_back(absl::StrCat("day >= ", DayLiteral(from_s * kSecondNs)));
  if (to_s != kNoBound) where.push_back(absl::StrCat("day <= ", DayLiteral(to_s * kSecondNs)));
}

// What a metrics query reads and how it groups, for both sources (collapsed `rollups` rows and
// hour sums): each answers rows of (t, g0…, the sums of `read`, [sketches]).
struct MetricsPlan {
  model::RollupKind kind;
  std::vector<std::string> dim_filters;  // conditions on `dims`
  std::vector<std::string> group_keys;   // `dims` elements, one per group_by
  std::vector<const ValueColumn*> read;
  bool with_sketch = false;
  int64_t grain_s = 0;
  int64_t from_s = kNoBound;  // the query's range in minutes
  int64_t to_s = kNoBound;
};

absl::StatusOr<MetricsPlan> PlanOf(const MetricsQuery& query) {
  TRACKLY_RETURN_IF_ERROR(ValidateMetricsQuery(query));
  MetricsPlan plan;
  TRACKLY_ASSIGN_OR_RETURN(plan.kind, RollupKindFor(query));
  std::span<const model::MetricsDimension> dimensions = model::DimensionsOf(plan.kind);
  // The dimension as an element of `dims` (ClickHouse arrays count from 1).
  auto dim = [&](model::MetricsDimension d) {
    return absl::StrCat("dims[", std::find(dimensions.begin(), dimensions.end(), d) - dimensions.begin() + 1, "]");
  };
  for (const auto& [d, value] : query.filters) plan.dim_filters.push_back(absl::StrCat(dim(d), " = ", Quote(value)));
  for (model::MetricsDimension d : query.group_by) plan.group_keys.push_back(dim(d));
  // Only the sums the measures read, and the count (a cell whose count is 0 holds only tombstones).
  for (const ValueColumn& c : kValueColumns) {
    bool needed = c.field == &model::RollupValues::count;
    for (Measure measure : query.measures) {
      const std::vector<int64_t model::RollupValues::*> fields = SumsOf(measure);
      needed = needed || std::find(fields.begin(), fields.end(), c.field) != fields.end();
    }
    if (needed) plan.read.push_back(&c);
  }
  plan.with_sketch = NeedsLatencySketch(query.measures);
  plan.grain_s = GrainNs(query.time_grain) / kSecondNs;
  if (query.from_ns != 0) plan.from_s = RollupMinuteS(query.from_ns);
  if (query.to_ns != 0) plan.to_s = RollupMinuteS(query.to_ns);
  return plan;
}

// SELECT (t, g…, sums, [sketches]) FROM `from` grouped, where `time_column` is the row's start
// (seconds) and `suffix` follows each value column's name in `from`.
std::string GroupedSql(const MetricsPlan& plan, std::string_view time_column, std::string_view suffix,
                       std::string_view from) {
  std::vector<std::string> columns = {plan.grain_s == 0 ? "toInt64(0) AS t"
                                                        : absl::StrCat(Floor(time_column, plan.grain_s), " AS t")};
  std::vector<std::string> key_names = {"t"};
  for (size_t i = 0; i < plan.group_keys.size(); ++i) {
    columns.push_back(absl::StrCat(plan.group_keys[i], " AS g", i));
    key_names.push_back(absl::StrCat("g", i));
  }
  for (const ValueColumn* c : plan.read) columns.push_back(absl::StrCat("sum(", c->name, Sv(suffix), ")"));
  if (plan.with_sketch) columns.push_back(absl::StrCat("groupArray(latency", Sv(suffix), ")"));
  return absl::StrCat("SELECT ", absl::StrJoin(columns, ", "), " FROM ", Sv(from), " GROUP BY ",
                      absl::StrJoin(key_names, ", "), " FORMAT RowBinary");
}

// The collapse of `rollups` over the query's range, minus the minutes of `skip` (hour ranges
// answered from their sums).
std::string CollapsedSql(const MetricsPlan& plan, const std::vector<std::pair<int64_t, int64_t>>& skip,
                         std::string_view project) {
  // Conditions on the key only, so they may select raw rows before the collapse.
  std::vector<std::string> where = {absl::StrCat("project = ", Quote(project)),
                                    absl::StrCat("kind = ", static_cast<int>(plan.kind))};
  if (plan.from_s != kNoBound) where.push_back(absl::StrCat("minute_s >= ", plan.from_s));
  if (plan.to_s != kNoBound) where.push_back(absl::StrCat("minute_s < ", plan.to_s));
  AddDayBounds(where, plan.from_s, plan.to_s);
  if (!skip.empty()) where.push_back(absl::StrCat("NOT ", InRanges("minute_s", skip)));
  where.insert(where.end(), plan.dim_filters.begin(), plan.dim_filters.end());
  std::vector<std::string> collapsed = {"minute_s", "dims"};
  for (const ValueColumn* c : plan.read) {
    collapsed.push_back(absl::StrCat("argMax(", c->name, ", version) AS ", c->name, "_"));
  }
  if (plan.with_sketch) collapsed.push_back("argMax(latency, version) AS latency_");
  return GroupedSql(plan, "minute_s", "_",
                    absl::StrCat("(SELECT ", absl::StrJoin(collapsed, ", "), " FROM rollups WHERE ",
                                 absl::StrJoin(where, " AND "), " GROUP BY minute_s, dims, trace_id)"));
}

// The sums of the hours of `ranges`, each from its newest computation.
std::string HourSumsSql(const MetricsPlan& plan, const std::vector<std::pair<int64_t, int64_t>>& ranges,
                        std::string_view project) {
  std::vector<std::string> where = {absl::StrCat("project = ", Quote(project)), InRanges("hour_s", ranges)};
  AddDayBounds(where, ranges.front().first, ranges.back().second);
  std::vector<std::string> markers = where;
  markers.push_back(absl::StrCat("kind = ", kHourMarkerKind));
  where.push_back(absl::StrCat("kind = ", static_cast<int>(plan.kind)));
  where.insert(where.end(), plan.dim_filters.begin(), plan.dim_filters.end());
  where.push_back(absl::StrCat("(hour_s, computed_version) IN (SELECT hour_s, max(computed_version) FROM rollup_hours "
                               "WHERE ",
                               absl::StrJoin(markers, " AND "), " GROUP BY hour_s)"));
  return GroupedSql(plan, "hour_s", "", absl::StrCat("rollup_hours WHERE ", absl::StrJoin(where, " AND ")));
}

using Totals = std::map<std::pair<int64_t, std::vector<std::string>>, model::RollupValues>;

// Adds the rows of GroupedSql's answer to `totals`.
absl::Status AddRows(const MetricsPlan& plan, std::string_view rows, Totals& totals) {
  RowBinaryReader in(rows, "reading metrics rollups");
  while (!in.AtEnd()) {
    std::pair<int64_t, std::vector<std::string>> key;
    key.first = in.Int64();
    for (size_t i = 0; i < plan.group_keys.size(); ++i) key.second.push_back(in.String());
    model::RollupValues& values = totals[std::move(key)];
    for (const ValueColumn* c : plan.read) values.*(c->field) += in.Int64();
    if (plan.with_sketch) {
      for (const std::string& sketch : in.StringArray()) TRACKLY_RETURN_IF_ERROR(values.latency.MergeEncoded(sketch));
    }
    TRACKLY_RETURN_IF_ERROR(in.status());
  }
  return absl::OkStatus();
}

MetricsResult ResultOf(const MetricsQuery& query, const Totals& totals) {
  MetricsResult result;
  for (const auto& [key, values] : totals) {
    if (values.count == 0) continue;  // only tombstones
    MetricsRow row{.time_ns = key.first * kSecondNs, .group = key.second};
    for (Measure measure : query.measures) row.values.push_back(MeasureValue(measure, values));
    result.rows.push_back(std::move(row));
  }
  // The map's order is (time, group), which is the contract's.
  return result;
}

// The newest computation (marker version) and the newest dirty mark of each hour of `project` in
// [from_s, to_s) that has either.
struct HourState {
  uint64_t computed = 0;  // 0: never computed
  uint64_t dirty = 0;     // 0: never marked
};

absl::StatusOr<std::map<int64_t, HourState>> ReadHourStates(const Database& db, std::string_view project,
                                                            int64_t from_s, int64_t to_s) {
  std::vector<std::string> where = {absl::StrCat("project = ", Quote(project))};
  if (from_s != kNoBound) where.push_back(absl::StrCat("hour_s >= ", from_s));
  if (to_s != kNoBound) where.push_back(absl::StrCat("hour_s < ", to_s));
  AddDayBounds(where, from_s, to_s);
  const std::string in_range = absl::StrJoin(where, " AND ");
  std::map<int64_t, HourState> out;
  TRACKLY_ASSIGN_OR_RETURN(
      std::string computed,
      db.Select(absl::StrCat("SELECT hour_s, max(computed_version) FROM rollup_hours WHERE ", in_range, " AND kind = ",
                             kHourMarkerKind, " GROUP BY hour_s FORMAT RowBinary")));
  RowBinaryReader in(computed, "reading the hour sums' versions");
  while (!in.AtEnd()) {
    const int64_t hour = in.Int64();
    out[hour].computed = in.UInt64();
  }
  TRACKLY_RETURN_IF_ERROR(in.status());
  TRACKLY_ASSIGN_OR_RETURN(
      std::string dirty,
      db.Select(absl::StrCat("SELECT hour_s, max(version) FROM rollup_dirty_hours WHERE ", in_range,
                             " GROUP BY hour_s FORMAT RowBinary")));
  RowBinaryReader marks(dirty, "reading the dirty hours");
  while (!marks.AtEnd()) {
    const int64_t hour = marks.Int64();
    out[hour].dirty = marks.UInt64();
  }
  TRACKLY_RETURN_IF_ERROR(marks.status());
  return out;
}

bool Valid(const HourState& state, const HourSumsOptions& options) {
  return state.computed != 0 &&
         static_cast<int64_t>(state.computed) - static_cast<int64_t>(state.dirty) > options.clock_margin_ns;
}

void AppendHourRow(RowBinaryWriter& out, std::string_view project, RetentionClass retention, int kind,
                   int64_t hour_s, const std::vector<std::string>& dims, uint64_t version,
                   const model::RollupValues& values) {
  out.String(project);
  out.UInt8(static_cast<uint8_t>(kind));
  out.Int64(hour_s);
  out.StringArray(dims);
  out.UInt64(version);
  out.DateOfNanos(hour_s * kSecondNs);
  AppendRetentionClass(out, retention);
  for (const ValueColumn& c : kValueColumns) out.Int64(values.*c.field);
  out.String(values.latency.Encode());
}

const std::string& InsertHourSql() {
  static const auto* sql = [] {
    std::vector<std::string> columns = {"project", "kind", "hour_s", "dims", "computed_version", "day",
                                        kRetentionClassColumns};
    for (const ValueColumn& c : kValueColumns) columns.push_back(c.name);
    columns.push_back("latency");
    return new std::string(
        absl::StrCat("INSERT INTO rollup_hours (", absl::StrJoin(columns, ", "), ") FORMAT RowBinary"));
  }();
  return *sql;
}

// Computes the hours [from_s, to_s) (at most kHoursPerComputation) in one read.
absl::Status ComputeHourRange(const Database& db, const Clock& clock, std::string_view project,
                              RetentionClass retention, int64_t from_s, int64_t to_s) {
  // Before the read: sums computed at `version` hold every write acknowledged before it (and the
  // mark of any write they miss is above version - the clock margin).
  const uint64_t version = static_cast<uint64_t>(std::max<int64_t>(clock.NowNanos(), 1));
  std::vector<std::string> where = {absl::StrCat("project = ", Quote(project)),
                                    absl::StrCat("minute_s >= ", from_s), absl::StrCat("minute_s < ", to_s)};
  AddDayBounds(where, from_s, to_s);
  std::vector<std::string> collapsed = {"kind", "minute_s", "dims"};
  std::vector<std::string> sums = {"kind", absl::StrCat(Floor("minute_s", kHourS), " AS h"), "dims"};
  for (const ValueColumn& c : kValueColumns) {
    collapsed.push_back(absl::StrCat("argMax(", c.name, ", version) AS ", c.name, "_"));
    sums.push_back(absl::StrCat("sum(", c.name, "_)"));
  }
  collapsed.push_back("argMax(latency, version) AS latency_");
  sums.push_back("groupArrayIf(latency_, count_ != 0)");
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      db.Select(absl::StrCat("SELECT ", absl::StrJoin(sums, ", "), " FROM (SELECT ", absl::StrJoin(collapsed, ", "),
                             " FROM rollups WHERE ", absl::StrJoin(where, " AND "),
                             " GROUP BY kind, minute_s, dims, trace_id) GROUP BY kind, h, dims FORMAT RowBinary")));
  // Rows by hour, each hour ending with its marker, so that inserts split only between hours.
  struct HourRow {
    int kind = 0;
    std::vector<std::string> dims;
    model::RollupValues values;
  };
  std::map<int64_t, std::vector<HourRow>> by_hour;
  RowBinaryReader in(rows, "computing hour sums");
  while (!in.AtEnd()) {
    const int kind = in.UInt8();
    const int64_t hour = in.Int64();
    std::vector<std::string> dims = in.StringArray();
    model::RollupValues values;
    for (const ValueColumn& c : kValueColumns) values.*c.field = in.Int64();
    for (const std::string& sketch : in.StringArray()) TRACKLY_RETURN_IF_ERROR(values.latency.MergeEncoded(sketch));
    TRACKLY_RETURN_IF_ERROR(in.status());
    if (values.count == 0) continue;  // only tombstones
    by_hour[hour].push_back(HourRow{.kind = kind, .dims = std::move(dims), .values = std::move(values)});
  }
  const model::RollupValues zero;
  RowBinaryWriter batch;
  size_t batch_rows = 0;
  for (int64_t hour = from_s; hour < to_s; hour += kHourS) {
    const std::vector<HourRow>& hour_rows = by_hour[hour];
    const size_t n = hour_rows.size() + 1;
    // Too many cells to be sure of one part: no sums (nor marker), the hour stays collapsed.
    if (n > kMaxHourRowsPerInsert) continue;
    if (batch_rows > 0 && batch_rows + n > kMaxHourRowsPerInsert) {
      TRACKLY_RETURN_IF_ERROR(db.Insert(InsertHourSql(), batch.data()));
      batch = RowBinaryWriter();
      batch_rows = 0;
    }
    for (const HourRow& row : hour_rows) {
      AppendHourRow(batch, project, retention, row.kind, hour, row.dims, version, row.values);
    }
    AppendHourRow(batch, project, retention, kHourMarkerKind, hour, {}, version, zero);
    batch_rows += n;
  }
  return batch_rows == 0 ? absl::OkStatus() : db.Insert(InsertHourSql(), batch.data());
}

}  // namespace

int64_t RollupHourS(int64_t minute_s) { return minute_s - (minute_s % kHourS + kHourS) % kHourS; }

absl::Status ComputeHourSums(const Database& db, const Clock& clock, std::string_view project,
                             RetentionClass retention, const std::vector<int64_t>& hours) {
  std::set<int64_t> sorted(hours.begin(), hours.end());
  auto it = sorted.begin();
  while (it != sorted.end()) {
    // A run of consecutive hours, at most kHoursPerComputation long.
    const int64_t from = *it;
    int64_t to = from + kHourS;
    for (++it; it != sorted.end() && *it == to && (to - from) / kHourS < kHoursPerComputation; ++it) to += kHourS;
    TRACKLY_RETURN_IF_ERROR(ComputeHourRange(db, clock, project, retention, from, to));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::set<int64_t>> ReadRollupHoursOfTraces(const Database& db, std::string_view project,
                                                          const std::vector<std::string>& trace_ids) {
  std::set<int64_t> hours;
  TRACKLY_RETURN_IF_ERROR(ForEachChunk(trace_ids, [&](const std::vector<std::string>& chunk) -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(
        std::string rows,
        db.Select(absl::StrCat("SELECT DISTINCT ", Floor("minute_s", kHourS), " FROM rollups WHERE project = ",
                               Quote(project), " AND trace_id IN ", InList(chunk), " FORMAT RowBinary")));
    RowBinaryReader in(rows, "reading the hours of traces' rollups");
    while (!in.AtEnd()) hours.insert(in.Int64());
    return in.status();
  }));
  return hours;
}

absl::Status MarkRollupHoursDirty(const Database& db, std::string_view project, RetentionClass retention,
                                  uint64_t version, const std::set<int64_t>& hours) {
  if (hours.empty()) return absl::OkStatus();
  RowBinaryWriter rows;
  for (int64_t hour : hours) {
    rows.String(project);
    rows.Int64(hour);
    rows.UInt64(version);
    rows.DateOfNanos(hour * kSecondNs);
    AppendRetentionClass(rows, retention);
  }
  return db.Insert(absl::StrCat("INSERT INTO rollup_dirty_hours (project, hour_s, version, day, ",
                                kRetentionClassColumns, ") FORMAT RowBinary"),
                   rows.data());
}

// Computes the sums of the settled stale or missing hours of [first_hour, end_hour) (kNoBound
// ends: the hours `states` has), at most options.max_hours_recomputed of them, and then reads
// `states` (ReadHourStates of that range) again. Returns how many it computed.
absl::StatusOr<int64_t> RecomputeSettledHours(const Database& db, std::string_view project, int64_t first_hour,
                                              int64_t end_hour, const HourSumsOptions& options,
                                              std::map<int64_t, HourState>& states) {
  // Settled: the hour has ended, and last changed, recompute_after_ns ago.
  const int64_t now_ns = options.clock->NowNanos();
  const int64_t settled_s = (now_ns - options.recompute_after_ns) / kSecondNs;
  std::vector<int64_t> stale;
  auto consider = [&](int64_t hour, const HourState& state) {
    if (static_cast<int>(stale.size()) >= options.max_hours_recomputed || Valid(state, options)) return;
    if (hour + kHourS > settled_s || hour < options.first_kept_s) return;
    if (state.dirty != 0 && static_cast<int64_t>(state.dirty) > now_ns - options.recompute_after_ns) return;
    stale.push_back(hour);
  };
  if (first_hour != kNoBound && end_hour != kNoBound) {
    for (int64_t hour = first_hour; hour < end_hour; hour += kHourS) {
      auto it = states.find(hour);
      consider(hour, it == states.end() ? HourState{} : it->second);
    }
  } else {
    for (const auto& [hour, state] : states) consider(hour, state);  // open ranges: hours seen before
  }
  if (stale.empty()) return 0;
  TRACKLY_RETURN_IF_ERROR(ComputeHourSums(db, *options.clock, project, options.retention, stale));
  TRACKLY_ASSIGN_OR_RETURN(states, ReadHourStates(db, project, first_hour, end_hour));
  return static_cast<int64_t>(stale.size());
}

absl::StatusOr<int64_t> FillHourSums(const Database& db, std::string_view project, const HourSumsOptions& options) {
  TRACKLY_ASSIGN_OR_RETURN(std::string bounds,
                           db.Select(absl::StrCat("SELECT count(), min(minute_s), max(minute_s) FROM rollups "
                                                  "WHERE project = ",
                                                  Quote(project), " FORMAT RowBinary")));
  RowBinaryReader in(bounds, "reading the minutes of a project's rollups");
  const uint64_t rows = in.UInt64();
  const int64_t first_minute = in.Int64();
  const int64_t last_minute = in.Int64();
  TRACKLY_RETURN_IF_ERROR(in.status());
  if (rows == 0) return 0;
  const int64_t first_hour = RollupHourS(first_minute);
  const int64_t end_hour = RollupHourS(last_minute) + kHourS;
  TRACKLY_ASSIGN_OR_RETURN(auto states, ReadHourStates(db, project, first_hour, end_hour));
  return RecomputeSettledHours(db, project, first_hour, end_hour, options, states);
}

absl::StatusOr<std::vector<std::string>> ReadRollupProjects(const Database& db) {
  TRACKLY_ASSIGN_OR_RETURN(std::string rows, db.Select("SELECT DISTINCT project FROM rollups FORMAT RowBinary"));
  RowBinaryReader in(rows, "reading the projects of the rollups");
  std::vector<std::string> projects;
  while (!in.AtEnd()) projects.emplace_back(in.String());
  TRACKLY_RETURN_IF_ERROR(in.status());
  return projects;
}

absl::StatusOr<MetricsResult> QueryRollups(const Database& db, const MetricsQuery& query) {
  return QueryRollups(db, query, HourSumsOptions{});
}

absl::StatusOr<MetricsResult> QueryRollups(const Database& db, const MetricsQuery& query,
                                           const HourSumsOptions& options, HourSumsStats* stats) {
  TRACKLY_ASSIGN_OR_RETURN(MetricsPlan plan, PlanOf(query));
  Totals totals;
  // The whole hours of the range; an open end stays open.
  const int64_t first_hour = plan.from_s == kNoBound ? kNoBound : RollupHourS(plan.from_s + kHourS - 1);
  const int64_t end_hour = plan.to_s == kNoBound ? kNoBound : RollupHourS(plan.to_s);
  const bool hourly = plan.grain_s % kHourS == 0;  // every bucket is whole hours (or there is none)
  std::vector<std::pair<int64_t, int64_t>> cached;
  if (options.clock != nullptr && hourly && (first_hour == kNoBound || end_hour == kNoBound || first_hour < end_hour)) {
    TRACKLY_ASSIGN_OR_RETURN(auto states, ReadHourStates(db, query.project, first_hour, end_hour));
    TRACKLY_ASSIGN_OR_RETURN(int64_t recomputed,
                             RecomputeSettledHours(db, query.project, first_hour, end_hour, options, states));
    if (stats != nullptr) stats->hours_recomputed += recomputed;
    // Decided once: the raw collapse below skips exactly these hours.
    for (const auto& [hour, state] : states) {
      if (!Valid(state, options)) continue;
      if (!cached.empty() && cached.back().second == hour) {
        cached.back().second += kHourS;
      } else if (cached.size() < kMaxHourRanges) {
        cached.emplace_back(hour, hour + kHourS);
      } else {
        break;
      }
      if (stats != nullptr) ++stats->hours_cached;
    }
  }
  if (!cached.empty()) {
    TRACKLY_ASSIGN_OR_RETURN(std::string rows, db.Select(HourSumsSql(plan, cached, query.project)));
    TRACKLY_RETURN_IF_ERROR(AddRows(plan, rows, totals));
  }
  TRACKLY_ASSIGN_OR_RETURN(std::string rows, db.Select(CollapsedSql(plan, cached, query.project)));
  TRACKLY_RETURN_IF_ERROR(AddRows(plan, rows, totals));
  return ResultOf(query, totals);
}

}  // namespace trackly::store::clickhouse
