#include "store/clickhouse/rollups.h"

#include <algorithm>
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
  for (const TraceRollup& trace : traces) {
    RollupCells now;
    for (const auto& [cell, values] : trace.contribution) {
      now.insert(cell);
      AppendRollupRow(rows, project, retention, trace.trace_id, version, cell, values);
    }
    RollupCells all = now;
    for (const RollupCell& cell : trace.previous) {
      if (now.contains(cell)) continue;
      AppendRollupRow(rows, project, retention, trace.trace_id, version, cell, zero);  // a tombstone
      all.insert(cell);
    }
    if (all.size() > trace.previous.size()) AppendCellsRow(grown, project, retention, trace, version, all);
    if (all.size() > now.size()) shrunk.emplace_back(&trace, std::move(now));
  }
  if (!grown.data().empty()) TRACKLY_RETURN_IF_ERROR(db.Insert(InsertRollupCellsSql(), grown.data()));
  if (!rows.data().empty()) TRACKLY_RETURN_IF_ERROR(db.Insert(InsertRollupSql(), rows.data()));
  if (shrunk.empty()) return absl::OkStatus();
  const uint64_t shrunk_version = later_version();
  RowBinaryWriter lists;
  for (const auto& [trace, cells] : shrunk) AppendCellsRow(lists, project, retention, *trace, shrunk_version, cells);
  return db.Insert(InsertRollupCellsSql(), lists.data());
}

absl::StatusOr<MetricsResult> QueryRollups(const Database& db, const MetricsQuery& query) {
  TRACKLY_RETURN_IF_ERROR(ValidateMetricsQuery(query));
  TRACKLY_ASSIGN_OR_RETURN(model::RollupKind kind, RollupKindFor(query));
  std::span<const model::MetricsDimension> dimensions = model::DimensionsOf(kind);
  // The dimension as an element of `dims` (ClickHouse arrays count from 1).
  auto dim = [&](model::MetricsDimension d) {
    return absl::StrCat("dims[", std::find(dimensions.begin(), dimensions.end(), d) - dimensions.begin() + 1, "]");
  };

  // Conditions on the key only, so they may select raw rows before the collapse.
  std::vector<std::string> where = {absl::StrCat("project = ", Quote(query.project)),
                                    absl::StrCat("kind = ", static_cast<int>(kind))};
  if (query.from_ns != 0) {
    const int64_t from_s = RollupMinuteS(query.from_ns);
    where.push_back(absl::StrCat("minute_s >= ", from_s));
    where.push_back(absl::StrCat("day >= ", DayLiteral(from_s * kSecondNs)));
  }
  if (query.to_ns != 0) {
    const int64_t to_s = RollupMinuteS(query.to_ns);
    where.push_back(absl::StrCat("minute_s < ", to_s));
    where.push_back(absl::StrCat("day <= ", DayLiteral(to_s * kSecondNs)));
  }
  for (const auto& [d, value] : query.filters) where.push_back(absl::StrCat(dim(d), " = ", Quote(value)));

  // Only the sums the measures read, and the count (a cell whose count is 0 holds only tombstones).
  std::vector<const ValueColumn*> read;
  for (const ValueColumn& c : kValueColumns) {
    bool needed = c.field == &model::RollupValues::count;
    for (Measure measure : query.measures) {
      const std::vector<int64_t model::RollupValues::*> fields = SumsOf(measure);
      needed = needed || std::find(fields.begin(), fields.end(), c.field) != fields.end();
    }
    if (needed) read.push_back(&c);
  }
  const bool with_sketch = NeedsLatencySketch(query.measures);
  std::vector<std::string> collapsed = {"minute_s", "dims"};
  std::vector<std::string> sums;
  for (const ValueColumn* c : read) {
    collapsed.push_back(absl::StrCat("argMax(", c->name, ", version) AS ", c->name, "_"));
    sums.push_back(absl::StrCat("sum(", c->name, "_)"));
  }
  if (with_sketch) {
    collapsed.push_back("argMax(latency, version) AS latency_");
    sums.push_back("groupArray(latency_)");
  }
  // The time bucket: the minute floored to the grain (also before 1970), or 0.
  const int64_t grain_s = GrainNs(query.time_grain) / kSecondNs;
  std::vector<std::string> keys = {
      grain_s == 0 ? "toInt64(0) AS t"
                   : absl::StrCat("toInt64(minute_s - (minute_s % ", grain_s, " + ", grain_s, ") % ", grain_s, ") AS t")};
  std::vector<std::string> key_names = {"t"};
  for (size_t i = 0; i < query.group_by.size(); ++i) {
    keys.push_back(absl::StrCat(dim(query.group_by[i]), " AS g", i));
    key_names.push_back(absl::StrCat("g", i));
  }
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      db.Select(absl::StrCat("SELECT ", absl::StrJoin(keys, ", "), ", ", absl::StrJoin(sums, ", "), " FROM (SELECT ",
                             absl::StrJoin(collapsed, ", "), " FROM rollups WHERE ", absl::StrJoin(where, " AND "),
                             " GROUP BY minute_s, dims, trace_id) GROUP BY ", absl::StrJoin(key_names, ", "),
                             " FORMAT RowBinary")));

  MetricsResult result;
  RowBinaryReader in(rows, "reading metrics rollups");
  while (!in.AtEnd()) {
    MetricsRow row;
    row.time_ns = in.Int64() * kSecondNs;
    for (size_t i = 0; i < query.group_by.size(); ++i) row.group.push_back(in.String());
    model::RollupValues values;
    for (const ValueColumn* c : read) values.*(c->field) = in.Int64();
    if (with_sketch) {
      for (const std::string& sketch : in.StringArray()) TRACKLY_RETURN_IF_ERROR(values.latency.MergeEncoded(sketch));
    }
    TRACKLY_RETURN_IF_ERROR(in.status());
    if (values.count == 0) continue;  // only tombstones
    for (Measure measure : query.measures) row.values.push_back(MeasureValue(measure, values));
    result.rows.push_back(std::move(row));
  }
  std::sort(result.rows.begin(), result.rows.end(), [](const MetricsRow& a, const MetricsRow& b) {
    return std::tie(a.time_ns, a.group) < std::tie(b.time_ns, b.group);
  });
  return result;
}

}  // namespace trackly::store::clickhouse
