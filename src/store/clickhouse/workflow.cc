#include "store/clickhouse/workflow.h"

#include <map>
#include <span>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status.h"
#include "base/varint.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/rows.h"
#include "store/clickhouse/sql.h"

namespace trackly::store::clickhouse {
namespace {

enum class Item : uint8_t { kTotals = 0, kNode = 1, kEdge = 2 };

// The cell a run counts in.
struct Cell {
  std::string name;
  std::string environment;
  std::string release;
  int64_t hour = 0;
  auto operator<=>(const Cell&) const = default;
};

// A run's latest `workflow_runs` row.
struct StoredRun {
  Cell cell;
  std::string rollup;  // encoded; '' for a tombstone
};

// The summed columns of a `workflow_cells` row, in table order (the latency map follows).
struct ItemValues {
  int64_t runs = 0;
  int64_t calls = 0;
  int64_t errors = 0;
  int64_t cost_nusd = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t total_tokens = 0;
  int64_t model_calls = 0;
  int64_t tool_calls = 0;
  bool IsZero() const {
    return runs == 0 && calls == 0 && errors == 0 && cost_nusd == 0 && input_tokens == 0 && output_tokens == 0 &&
           total_tokens == 0 && model_calls == 0 && tool_calls == 0;
  }
};

constexpr char kValueColumns[] =
    "runs, calls, errors, cost_nusd, input_tokens, output_tokens, total_tokens, model_calls, tool_calls";

const std::string& InsertCellsSql() {
  static const auto* sql = new std::string(absl::StrCat(
      "INSERT INTO workflow_cells (project, name, hour, environment, release, item, edge_kind, path, to_path, day, ",
      kRetentionClassColumns, ", ", kValueColumns, ", `latencyMap.bucket`, `latencyMap.count`) FORMAT RowBinary"));
  return *sql;
}

const std::string& InsertRunsSql() {
  static const auto* sql = new std::string(
      absl::StrCat("INSERT INTO workflow_runs (project, trace_id, version, day, ", kRetentionClassColumns,
                   ", name, environment, release, hour, rollup) FORMAT RowBinary"));
  return *sql;
}

// Appends the rows of `rollup`'s non-zero items in `cell` to `out`.
class CellRows {
 public:
  CellRows(std::string_view project, RetentionClass retention, RowBinaryWriter& out)
      : project_(project), retention_(retention), out_(out) {}

  void Append(const Cell& cell, const model::WorkflowRollup& rollup) {
    const model::WorkflowTotalsValues& t = rollup.totals();
    Row(cell, Item::kTotals, 0, {}, {},
        ItemValues{.runs = t.runs, .calls = t.spans, .errors = t.errors, .cost_nusd = t.cost_nusd,
                   .total_tokens = t.total_tokens, .model_calls = t.model_calls, .tool_calls = t.tool_calls},
        t.latency);
    // Node i's path; parents come before their children (WorkflowRollup's invariant).
    std::vector<std::vector<std::string>> paths(rollup.nodes().size());
    for (size_t i = 0; i < rollup.nodes().size(); ++i) {
      const model::WorkflowRollup::Node& node = rollup.nodes()[i];
      if (node.parent >= 0) paths[i] = paths[static_cast<size_t>(node.parent)];
      paths[i].push_back(node.key);
      const model::WorkflowNodeValues& v = node.values;
      Row(cell, Item::kNode, 0, paths[i], {},
          ItemValues{.runs = v.runs, .calls = v.calls, .errors = v.errors, .cost_nusd = v.cost_nusd,
                     .input_tokens = v.input_tokens, .output_tokens = v.output_tokens, .total_tokens = v.total_tokens},
          v.latency);
    }
    static const model::LatencySketch kNoLatency;
    for (const auto& [key, v] : rollup.edges()) {
      Row(cell, Item::kEdge, key.kind, paths[static_cast<size_t>(key.from)], paths[static_cast<size_t>(key.to)],
          ItemValues{.runs = v.runs, .calls = v.count}, kNoLatency);
    }
  }

 private:
  void Row(const Cell& cell, Item item, int64_t edge_kind, std::span<const std::string> path,
           std::span<const std::string> to_path, const ItemValues& values, const model::LatencySketch& latency) {
    if (values.IsZero() && latency.empty()) return;  // adds nothing
    out_.String(project_);
    out_.String(cell.name);
    out_.Int64(cell.hour);
    out_.String(cell.environment);
    out_.String(cell.release);
    out_.UInt8(static_cast<uint8_t>(item));
    out_.Int64(edge_kind);
    out_.StringArray(path);
    out_.StringArray(to_path);
    out_.DateOfNanos(cell.hour * kNanosPerHour);
    AppendRetentionClass(out_, retention_);
    for (int64_t value : {values.runs, values.calls, values.errors, values.cost_nusd, values.input_tokens,
                          values.output_tokens, values.total_tokens, values.model_calls, values.tool_calls}) {
      out_.Int64(value);
    }
    std::vector<int64_t> buckets;
    std::vector<int64_t> counts;
    for (const auto& [bucket, count] : SketchBuckets(latency)) {
      buckets.push_back(bucket);
      counts.push_back(count);
    }
    out_.Int64Array(buckets);
    out_.Int64Array(counts);
  }

  std::string_view project_;
  const RetentionClass retention_;
  RowBinaryWriter& out_;
};

void AppendRunRow(RowBinaryWriter& out, std::string_view project, RetentionClass retention, std::string_view trace_id,
                  uint64_t version, const Cell& cell, std::string_view rollup) {
  out.String(project);
  out.String(trace_id);
  out.UInt64(version);
  out.DateOfNanos(cell.hour * kNanosPerHour);
  AppendRetentionClass(out, retention);
  out.String(cell.name);
  out.String(cell.environment);
  out.String(cell.release);
  out.Int64(cell.hour);
  out.String(rollup);
}

// The latest `workflow_runs` row of each of `trace_ids` that has one, by trace id.
absl::StatusOr<std::map<std::string, StoredRun>> ReadStoredRuns(const Database& db, std::string_view project,
                                                                const std::vector<std::string>& trace_ids) {
  std::map<std::string, StoredRun> out;
  TRACKLY_RETURN_IF_ERROR(ForEachChunk(trace_ids, [&](const std::vector<std::string>& chunk) -> absl::Status {
    // Most runs are recorded once: finding which have a row reads only the key column (about
    // a tenth of the time of reading their rollups, measured on 18.16 with 100k runs stored).
    TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string> found,
                             ReadStrings(db,
                                         absl::StrCat("SELECT DISTINCT trace_id FROM workflow_runs WHERE project = ",
                                                      Quote(project), " AND trace_id IN ", InList(chunk)),
                                         "finding stored workflow runs"));
    if (found.empty()) return absl::OkStatus();
    // One argMax over a tuple, so the columns come from the same row even if versions tie.
    TRACKLY_ASSIGN_OR_RETURN(
        std::string rows,
        db.Select(absl::StrCat("SELECT trace_id, argMax((name, environment, release, hour, rollup), version) FROM "
                               "workflow_runs WHERE project = ",
                               Quote(project), " AND trace_id IN ", InList(found),
                               " GROUP BY trace_id FORMAT RowBinary")));
    RowBinaryReader in(rows, "reading workflow runs");
    while (!in.AtEnd()) {
      std::string trace_id = in.String();
      StoredRun run;
      run.cell.name = in.String();
      run.cell.environment = in.String();
      run.cell.release = in.String();
      run.cell.hour = in.Int64();
      run.rollup = in.String();
      out[std::move(trace_id)] = std::move(run);
    }
    return in.status();
  }));
  return out;
}

// Adds `sign` times the decoded `encoded` (a stored run's rollup) to `cell` of `deltas`.
absl::Status AddEncoded(std::map<Cell, model::WorkflowRollup>& deltas, const Cell& cell, std::string_view encoded,
                        int64_t sign, std::string_view trace_id) {
  absl::StatusOr<model::WorkflowRollup> rollup = model::WorkflowRollup::Decode(encoded);
  if (!rollup.ok()) {
    return absl::Status(rollup.status().code(), absl::StrCat("the stored workflow run of trace ", Sv(trace_id), ": ",
                                                             rollup.status().message()));
  }
  deltas[cell].Add(*rollup, sign);
  return absl::OkStatus();
}

absl::Status InsertDeltas(const Database& db, std::string_view project, RetentionClass retention,
                          const std::map<Cell, model::WorkflowRollup>& deltas) {
  RowBinaryWriter rows;
  CellRows cells(project, retention, rows);
  for (const auto& [cell, rollup] : deltas) cells.Append(cell, rollup);
  if (rows.data().empty()) return absl::OkStatus();
  return db.Insert(InsertCellsSql(), rows.data());
}

}  // namespace

std::vector<std::pair<int64_t, int64_t>> SketchBuckets(const model::LatencySketch& sketch) {
  // Encode(): repeated (zigzag delta from the previous bucket, zigzag count), ascending.
  const std::string encoded = sketch.Encode();
  std::string_view in = encoded;
  std::vector<std::pair<int64_t, int64_t>> out;
  int64_t bucket = 0;
  int64_t delta = 0;
  int64_t count = 0;
  while (ReadSigned(in, delta) && ReadSigned(in, count)) {
    bucket += delta;
    out.emplace_back(bucket, count);
  }
  return out;
}

absl::StatusOr<model::LatencySketch> SketchOfBuckets(const std::vector<int64_t>& buckets,
                                                     const std::vector<int64_t>& counts) {
  if (buckets.size() != counts.size()) return absl::DataLossError("latency buckets and counts differ in length");
  std::string encoded;
  int64_t previous = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (counts[i] == 0) continue;
    AppendSigned(buckets[i] - previous, encoded);
    AppendSigned(counts[i], encoded);
    previous = buckets[i];
  }
  return model::LatencySketch::Decode(encoded);
}

absl::Status RecordWorkflowRuns(const Database& db, std::string_view project, RetentionClass retention,
                                std::vector<WorkflowRun> runs, uint64_t version) {
  if (runs.empty()) return absl::OkStatus();
  std::vector<std::string> trace_ids;
  for (const WorkflowRun& run : runs) trace_ids.push_back(run.trace_id);
  TRACKLY_ASSIGN_OR_RETURN(auto stored, ReadStoredRuns(db, project, trace_ids));
  std::map<Cell, model::WorkflowRollup> deltas;
  // The contribution each trace has after the runs before it in `runs`: a trace named twice
  // takes back its first contribution of this call, not the stored one, as if recorded in turn.
  std::map<std::string, std::pair<Cell, std::string>> latest;
  for (WorkflowRun& run : runs) {
    if (auto it = stored.find(run.trace_id); it != stored.end() && !latest.contains(run.trace_id) &&
                                             !it->second.rollup.empty()) {
      TRACKLY_RETURN_IF_ERROR(AddEncoded(deltas, it->second.cell, it->second.rollup, -1, run.trace_id));
    }
    if (auto it = latest.find(run.trace_id); it != latest.end()) {
      TRACKLY_RETURN_IF_ERROR(AddEncoded(deltas, it->second.first, it->second.second, -1, run.trace_id));
    }
    Cell cell{.name = run.name, .environment = run.environment, .release = run.release, .hour = HourOf(run.start_ns)};
    deltas[cell].Add(run.rollup, +1);
    latest[run.trace_id] = {std::move(cell), run.rollup.Encode()};
  }
  // Cells first: a failure between the two inserts leaves the new contributions counted
  // (workflow.h says what that costs).
  TRACKLY_RETURN_IF_ERROR(InsertDeltas(db, project, retention, deltas));
  RowBinaryWriter rows;
  for (const auto& [trace_id, run] : latest) {
    AppendRunRow(rows, project, retention, trace_id, version, run.first, run.second);
  }
  return db.Insert(InsertRunsSql(), rows.data());
}

absl::Status TakeBackWorkflowRuns(const Database& db, std::string_view project, RetentionClass retention,
                                  const std::vector<std::string>& trace_ids, uint64_t version) {
  if (trace_ids.empty()) return absl::OkStatus();
  TRACKLY_ASSIGN_OR_RETURN(auto stored, ReadStoredRuns(db, project, trace_ids));
  if (stored.empty()) return absl::OkStatus();
  std::map<Cell, model::WorkflowRollup> deltas;
  RowBinaryWriter tombstones;
  for (const auto& [trace_id, run] : stored) {
    if (!run.rollup.empty()) TRACKLY_RETURN_IF_ERROR(AddEncoded(deltas, run.cell, run.rollup, -1, trace_id));
    // In the day of the contribution it replaces, so it expires with it.
    AppendRunRow(tombstones, project, retention, trace_id, version, Cell{.hour = run.cell.hour}, "");
  }
  TRACKLY_RETURN_IF_ERROR(InsertDeltas(db, project, retention, deltas));
  TRACKLY_RETURN_IF_ERROR(db.Insert(InsertRunsSql(), tombstones.data()));
  std::vector<std::string> ids;
  for (const auto& [trace_id, run] : stored) ids.push_back(trace_id);
  return DeleteWorkflowRuns(db, project, ids);
}

absl::Status DeleteWorkflowRuns(const Database& db, std::string_view project, const std::vector<std::string>& trace_ids) {
  return ForEachChunk(trace_ids, [&](const std::vector<std::string>& chunk) -> absl::Status {
    const std::string where = absl::StrCat("project = ", Quote(project), " AND trace_id IN ", InList(chunk));
    // A mutation rewrites every part it touches: none where nothing is left.
    TRACKLY_ASSIGN_OR_RETURN(int64_t rows, ReadCount(db, absl::StrCat("SELECT count() FROM workflow_runs WHERE ", where)));
    if (rows == 0) return absl::OkStatus();
    return db.Alter("workflow_runs", absl::StrCat("DELETE WHERE ", where));
  });
}

absl::StatusOr<std::vector<std::string>> ReadWorkflowRunsBefore(const Database& db, std::string_view project,
                                                                int64_t before_hour) {
  // Candidates have a row in a partition before the hour's day; their latest row decides.
  return ReadStrings(db,
                     absl::StrCat("SELECT trace_id FROM workflow_runs WHERE project = ", Quote(project),
                                  " AND trace_id IN (SELECT trace_id FROM workflow_runs WHERE project = ",
                                  Quote(project), " AND day <= ", DayLiteral(before_hour * kNanosPerHour),
                                  ") GROUP BY trace_id HAVING argMax(hour, version) < ", before_hour),
                     "reading the workflow runs to expire");
}

absl::StatusOr<model::WorkflowRollup> QueryWorkflowRollup(const Database& db, const WorkflowRollupQuery& query) {
  TRACKLY_RETURN_IF_ERROR(ValidateWorkflowRollupQuery(query));
  std::vector<std::string> where = {absl::StrCat("project = ", Quote(query.project)),
                                    absl::StrCat("name = ", Quote(query.name))};
  // Every hour that overlaps [from, to); `day` (the hour's day) prunes partitions.
  if (query.from_ns != 0) {
    const int64_t from_hour = HourOf(query.from_ns);
    where.push_back(absl::StrCat("hour >= ", from_hour));
    where.push_back(absl::StrCat("day >= ", DayLiteral(from_hour * kNanosPerHour)));
  }
  if (query.to_ns != 0) {
    const int64_t last_hour = HourOf(query.to_ns - 1);
    where.push_back(absl::StrCat("hour <= ", last_hour));
    where.push_back(absl::StrCat("day <= ", DayLiteral(last_hour * kNanosPerHour)));
  }
  if (query.environment.has_value()) where.push_back(absl::StrCat("environment = ", Quote(*query.environment)));
  if (query.release.has_value()) where.push_back(absl::StrCat("release = ", Quote(*query.release)));
  std::vector<std::string> sums;
  for (absl::string_view column : absl::StrSplit(kValueColumns, ", ")) sums.push_back(absl::StrCat("sum(", column, ")"));
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      db.Select(absl::StrCat("SELECT item, edge_kind, path, to_path, ", absl::StrJoin(sums, ", "),
                             ", sumMap(latencyMap.bucket, latencyMap.count) FROM workflow_cells WHERE ",
                             absl::StrJoin(where, " AND "),
                             " GROUP BY item, edge_kind, path, to_path ORDER BY item, edge_kind, path, to_path "
                             "FORMAT RowBinary")));

  model::WorkflowRollup rollup;
  auto node_at = [&](const std::vector<std::string>& path) {
    int32_t index = -1;
    for (const std::string& key : path) index = rollup.FindOrAddNode(index, key);
    return index;
  };
  RowBinaryReader in(rows, "reading workflow cells");
  while (!in.AtEnd()) {
    const auto item = static_cast<Item>(in.UInt8());
    const int64_t edge_kind = in.Int64();
    const std::vector<std::string> path = in.StringArray();
    const std::vector<std::string> to_path = in.StringArray();
    ItemValues v;
    for (int64_t* value : {&v.runs, &v.calls, &v.errors, &v.cost_nusd, &v.input_tokens, &v.output_tokens,
                           &v.total_tokens, &v.model_calls, &v.tool_calls}) {
      *value = in.Int64();
    }
    const std::vector<int64_t> buckets = in.Int64Array();
    const std::vector<int64_t> counts = in.Int64Array();
    TRACKLY_RETURN_IF_ERROR(in.status());
    TRACKLY_ASSIGN_OR_RETURN(model::LatencySketch latency, SketchOfBuckets(buckets, counts));
    if (v.IsZero() && latency.empty()) continue;  // every contribution was taken back
    switch (item) {
      case Item::kTotals: {
        model::WorkflowTotalsValues& t = rollup.mutable_totals();
        t = {.runs = v.runs, .spans = v.calls, .model_calls = v.model_calls, .tool_calls = v.tool_calls,
             .errors = v.errors, .cost_nusd = v.cost_nusd, .total_tokens = v.total_tokens,
             .latency = std::move(latency)};
        break;
      }
      case Item::kNode: {
        if (path.empty()) return absl::DataLossError("a workflow cell row names a node with an empty path");
        rollup.mutable_node(node_at(path)) =
            model::WorkflowNodeValues{.runs = v.runs, .calls = v.calls, .errors = v.errors, .cost_nusd = v.cost_nusd,
                                      .input_tokens = v.input_tokens, .output_tokens = v.output_tokens,
                                      .total_tokens = v.total_tokens, .latency = std::move(latency)};
        break;
      }
      case Item::kEdge: {
        if (path.empty() || to_path.empty()) {
          return absl::DataLossError("a workflow cell row names an edge with an empty path");
        }
        const int32_t from = node_at(path);
        const int32_t to = node_at(to_path);
        rollup.mutable_edge(model::WorkflowEdgeKey{.kind = static_cast<int32_t>(edge_kind), .from = from, .to = to}) =
            model::WorkflowEdgeValues{.runs = v.runs, .count = v.calls};
        break;
      }
      default:
        return absl::DataLossError(absl::StrCat("a workflow cell row has unknown item ", static_cast<int>(item)));
    }
  }
  return rollup;
}

}  // namespace trackly::store::clickhouse
