#include "store/clickhouse/rows.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "base/status.h"
#include "model/codec.h"
#include "model/json.h"
#include "store/sqlite/payload.h"

namespace trackly::store::clickhouse {
namespace {

const std::vector<std::string>& TraceValueColumns() {
  static const auto* columns = new std::vector<std::string>{
      "name", "start_ns", "end_ns", "latency_ms", "status", "session_id", "user_id", "feature",
      "environment", "release", "tags", "metadata", "input", "output", "n_observations",
      "n_generations", "n_tool_calls", "n_retrievals", "n_errors", "n_retries", "input_tokens",
      "output_tokens", "total_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
      "usage_estimated", "cost_input", "cost_output", "cost_total", "cost_source", "cost_price_id",
      "cost_cache_savings", "cost_note", "models", "has_root"};
  return *columns;
}

const std::vector<std::string>& SessionValueColumns() {
  static const auto* columns = new std::vector<std::string>{
      "trace_count", "first_ns", "last_ns", "user_id", "n_observations", "n_generations",
      "n_tool_calls", "n_retrievals", "n_errors", "n_retries", "input_tokens", "output_tokens",
      "total_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
      "usage_estimated", "cost_input", "cost_output", "cost_total", "cost_source", "cost_price_id",
      "cost_cache_savings", "cost_note", "error_count"};
  return *columns;
}

const std::vector<std::string>& ScoreValueColumns() {
  static const auto* columns = new std::vector<std::string>{"trace_id", "observation_id", "name", "value",
                                                            "comment", "source", "time_ns"};
  return *columns;
}

// `with_class`: the table has the retention class columns (retention_classes.h), after `day`.
std::string InsertSql(std::string_view table, std::string_view key, const std::vector<std::string>& values,
                      bool with_class = false) {
  std::vector<std::string> columns = {"project", std::string(key), "version", "day"};
  if (with_class) columns.push_back(kRetentionClassColumns);
  columns.insert(columns.end(), values.begin(), values.end());
  return absl::StrCat("INSERT INTO ", Sv(table), " (", absl::StrJoin(columns, ", "), ") FORMAT RowBinary");
}

std::string Collapsed(std::string_view key, const std::vector<std::string>& values) {
  std::vector<std::string> select = {std::string(key)};  // the GROUP BY key, as is
  for (const std::string& c : values) select.push_back(absl::StrCat("argMax(", c, ", version) AS ", c, "_"));
  return absl::StrJoin(select, ", ");
}

std::string Latest(std::string_view key, const std::vector<std::string>& values) {
  std::vector<std::string> select = {std::string(key)};  // the GROUP BY key, as is
  for (const std::string& c : values) select.push_back(absl::StrCat(c, "_"));
  return absl::StrJoin(select, ", ");
}

// The enum's declaration order is not a storage format; this mapping is.
uint8_t CostSourceCode(model::CostSource source) {
  switch (source) {
    case model::CostSource::kNone: return 0;
    case model::CostSource::kProvided: return 1;
    case model::CostSource::kComputed: return 2;
  }
  return 0;
}

model::CostSource CostSourceFromCode(uint8_t code) {
  switch (code) {
    case 1: return model::CostSource::kProvided;
    case 2: return model::CostSource::kComputed;
    default: return model::CostSource::kNone;
  }
}

void AppendCounts(RowBinaryWriter& out, const model::TraceCounts& c) {
  for (int64_t n : {c.observations, c.generations, c.tool_calls, c.retrievals, c.errors, c.retries}) out.Int64(n);
}

void ReadCounts(RowBinaryReader& in, model::TraceCounts& c) {
  for (int64_t* n : {&c.observations, &c.generations, &c.tool_calls, &c.retrievals, &c.errors, &c.retries}) {
    *n = in.Int64();
  }
}

void AppendSpend(RowBinaryWriter& out, const model::Usage& usage, const model::Cost& cost) {
  for (int64_t n : {usage.input_tokens, usage.output_tokens, usage.total_tokens, usage.cache_read_tokens,
                    usage.cache_write_tokens, usage.reasoning_tokens}) {
    out.Int64(n);
  }
  out.UInt8(usage.estimated ? 1 : 0);
  out.Float64(cost.input);
  out.Float64(cost.output);
  out.Float64(cost.total);
  out.UInt8(CostSourceCode(cost.source));
  out.String(cost.price_id);
  out.Float64(cost.cache_savings);
  out.String(cost.note);
}

void ReadSpend(RowBinaryReader& in, model::Usage& usage, model::Cost& cost) {
  for (int64_t* n : {&usage.input_tokens, &usage.output_tokens, &usage.total_tokens, &usage.cache_read_tokens,
                     &usage.cache_write_tokens, &usage.reasoning_tokens}) {
    *n = in.Int64();
  }
  usage.estimated = in.UInt8() != 0;
  cost.input = in.Float64();
  cost.output = in.Float64();
  cost.total = in.Float64();
  cost.source = CostSourceFromCode(in.UInt8());
  cost.price_id = in.String();
  cost.cache_savings = in.Float64();
  cost.note = in.String();
}

// The fields a summary leaves out (SummaryOf), each holding what a summary has in its place.
struct Detail {
  model::Json input;
  model::Json output;
  model::Json metadata = model::Json::object();
  model::Json attributes = model::Json::object();
  std::vector<model::Event> events;
  model::Json model_parameters = model::Json::object();
  std::string status_message;
  std::string service_name;
  std::string tool_call_id;
  std::string price_id;
  model::Json trace_input;
  model::Json trace_output;
  model::Json trace_metadata = model::Json::object();
};

// Exchanges `o`'s detail with `detail`: done twice, it leaves both as they were. A swap, so that
// the summary of a large observation is written without copying its payload.
void SwapDetail(model::Observation& o, Detail& detail) {
  std::swap(o.input, detail.input);
  std::swap(o.output, detail.output);
  std::swap(o.metadata, detail.metadata);
  std::swap(o.attributes, detail.attributes);
  std::swap(o.events, detail.events);
  std::swap(o.model_parameters, detail.model_parameters);
  std::swap(o.status_message, detail.status_message);
  std::swap(o.service_name, detail.service_name);
  if (o.tool) std::swap(o.tool->call_id, detail.tool_call_id);
  std::swap(o.cost.price_id, detail.price_id);
  std::swap(o.trace_hints.trace_input, detail.trace_input);
  std::swap(o.trace_hints.trace_output, detail.trace_output);
  std::swap(o.trace_hints.trace_metadata, detail.trace_metadata);
}

// Calls `fn` with `o` while its detail is swapped out, so that `fn` sees SummaryOf(o) without
// a copy of the payload fields; `o` is as it was on return.
template <typename Fn>
void WithoutDetail(model::Observation& o, Fn&& fn) {
  Detail detail;
  SwapDetail(o, detail);
  fn(std::as_const(o));
  SwapDetail(o, detail);
}

absl::StatusOr<model::Json> ParseJson(std::string_view text, std::string_view what) {
  model::Json json = model::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InternalError(absl::StrCat("stored ", Sv(what), " is not JSON"));
  return json;
}

// DecodeObservation of `o`, decoded from the blob: with payload_expired set and no trace-level
// text when `payload_bytes` is 0, else with `trace_payload` merged into its trace_hints.
absl::StatusOr<model::Observation> CompleteDecoded(model::Observation o, uint64_t payload_bytes,
                                                   std::string_view trace_payload) {
  model::TraceHints& hints = o.trace_hints;
  if (payload_bytes == 0) {
    // Rows written before layout 3 (schema/003_trace_payload.sql) still carry the trace-level
    // text inside the summary; it expired with the payload.
    o.payload_expired = true;
    hints.trace_input = nullptr;
    hints.trace_output = nullptr;
    hints.trace_metadata = model::Json::object();
    return o;
  }
  if (trace_payload.empty()) return o;
  TRACKLY_ASSIGN_OR_RETURN(model::Json text, ParseJson(trace_payload, "trace_payload"));
  if (auto it = text.find("input"); it != text.end()) hints.trace_input = *it;
  if (auto it = text.find("output"); it != text.end()) hints.trace_output = *it;
  if (auto it = text.find("metadata"); it != text.end() && it->is_object()) hints.trace_metadata = *it;
  return o;
}

}  // namespace

std::string DayLiteral(int64_t unix_ns) {
  const int64_t day_start_ns = int64_t{DaysSinceEpoch(unix_ns)} * 86'400 * 1'000'000'000;
  return absl::StrCat("toDate('", absl::FormatTime("%Y-%m-%d", absl::FromUnixNanos(day_start_ns), absl::UTCTimeZone()),
                      "')");
}

const std::string& InsertTraceSql() {
  static const auto* sql = new std::string(InsertSql("traces", "trace_id", TraceValueColumns(), /*with_class=*/true));
  return *sql;
}
const std::string& InsertSessionTraceSql() {
  static const auto* sql =
      new std::string(InsertSql("session_traces", "session_id, trace_id", {}, /*with_class=*/true));
  return *sql;
}
const std::string& InsertSessionSql() {
  static const auto* sql = new std::string(InsertSql("sessions", "session_id", SessionValueColumns()));
  return *sql;
}
const std::string& InsertScoreSql() {
  static const auto* sql = new std::string(InsertSql("scores", "id", ScoreValueColumns()));
  return *sql;
}
const std::string& InsertObservationSql() {
  static const auto* sql =
      new std::string(InsertSql("observations", "trace_id, id",
                                {"start_ns", "parent_id", "summary", "payload", "trace_payload"}, /*with_class=*/true));
  return *sql;
}
const std::string& InsertFragmentSql() {
  static const auto* sql = new std::string(
      InsertSql("observation_fragments", "observation_id, event_id", {"kind", "event_ns", "fields", "payload"},
                /*with_class=*/true));
  return *sql;
}

const std::string& CollapsedTraceColumns() {
  static const auto* sql = new std::string(Collapsed("trace_id", TraceValueColumns()));
  return *sql;
}
const std::string& CollapsedTraceColumnsWithoutText() {
  static const auto* sql = [] {
    std::vector<std::string> select = {"trace_id"};
    for (const std::string& c : TraceValueColumns()) {
      const bool text = c == "metadata" || c == "input" || c == "output";
      select.push_back(text ? absl::StrCat("'' AS ", c, "_") : absl::StrCat("argMax(", c, ", version) AS ", c, "_"));
    }
    return new std::string(absl::StrJoin(select, ", "));
  }();
  return *sql;
}
const std::string& LatestTraceColumns() {
  static const auto* sql = new std::string(Latest("trace_id", TraceValueColumns()));
  return *sql;
}
const std::string& CollapsedSessionColumns() {
  static const auto* sql = new std::string(Collapsed("session_id", SessionValueColumns()));
  return *sql;
}
const std::string& LatestSessionColumns() {
  static const auto* sql = new std::string(Latest("session_id", SessionValueColumns()));
  return *sql;
}
const std::string& CollapsedScoreColumns() {
  static const auto* sql = new std::string(Collapsed("id", ScoreValueColumns()));
  return *sql;
}
const std::string& LatestScoreColumns() {
  static const auto* sql = new std::string(Latest("id", ScoreValueColumns()));
  return *sql;
}

void AppendTraceRow(RowBinaryWriter& out, std::string_view project, RetentionClass retention, uint64_t version,
                    const model::Trace& t) {
  out.String(project);
  out.String(t.id);
  out.UInt64(version);
  out.DateOfNanos(t.start_time_ns);
  AppendRetentionClass(out, retention);
  out.String(t.name);
  out.Int64(t.start_time_ns);
  out.Int64(t.end_time_ns);
  out.Float64(t.latency_ms());
  out.String(model::ToString(t.status));
  out.String(t.session_id);
  out.String(t.user_id);
  out.String(t.feature);
  out.String(t.environment);
  out.String(t.release);
  out.StringArray(t.tags);
  out.String(model::DumpJson(t.metadata));
  out.String(model::DumpJson(t.input));
  out.String(model::DumpJson(t.output));
  AppendCounts(out, t.counts);
  AppendSpend(out, t.usage, t.cost);
  out.StringArray(t.models);
  out.UInt8(t.has_root ? 1 : 0);
}

void AppendSessionTraceRow(RowBinaryWriter& out, std::string_view project, RetentionClass retention, uint64_t version,
                           const model::Trace& t) {
  out.String(project);
  out.String(t.session_id);
  out.String(t.id);
  out.UInt64(version);
  out.DateOfNanos(t.start_time_ns);  // the day of its traces row
  AppendRetentionClass(out, retention);
}

absl::StatusOr<model::Trace> ReadTrace(RowBinaryReader& in) {
  model::Trace t;
  t.id = in.String();
  t.name = in.String();
  t.start_time_ns = in.Int64();
  t.end_time_ns = in.Int64();
  in.Float64();  // latency_ms: derived, stored only for filtering
  std::string status = in.String();
  t.session_id = in.String();
  t.user_id = in.String();
  t.feature = in.String();
  t.environment = in.String();
  t.release = in.String();
  t.tags = in.StringArray();
  std::string metadata = in.String();
  std::string input = in.String();
  std::string output = in.String();
  ReadCounts(in, t.counts);
  ReadSpend(in, t.usage, t.cost);
  t.models = in.StringArray();
  t.has_root = in.UInt8() != 0;
  if (absl::Status status_of_read = in.status(); !status_of_read.ok()) return status_of_read;
  if (!model::ParseStatus(status, &t.status)) {
    return absl::InternalError(absl::StrCat("stored trace ", t.id, " has an unknown status \"", status, "\""));
  }
  // Expiry (expirer.h) leaves the three columns empty: no metadata, no input, no output.
  using Parsed = absl::StatusOr<model::Json>;
  Parsed metadata_json = metadata.empty() ? Parsed(model::Json::object()) : ParseJson(metadata, "trace metadata");
  Parsed input_json = input.empty() ? Parsed(model::Json()) : ParseJson(input, "trace input");
  Parsed output_json = output.empty() ? Parsed(model::Json()) : ParseJson(output, "trace output");
  for (const auto* parsed : {&metadata_json, &input_json, &output_json}) {
    if (!parsed->ok()) return parsed->status();
  }
  t.metadata = *std::move(metadata_json);
  t.input = *std::move(input_json);
  t.output = *std::move(output_json);
  return t;
}

void AppendSessionRow(RowBinaryWriter& out, std::string_view project, uint64_t version, const model::Session& s) {
  out.String(project);
  out.String(s.id);
  out.UInt64(version);
  out.DateOfNanos(s.first_time_ns);
  out.Int64(s.trace_count);
  out.Int64(s.first_time_ns);
  out.Int64(s.last_time_ns);
  out.String(s.user_id);
  AppendCounts(out, s.counts);
  AppendSpend(out, s.usage, s.cost);
  out.Int64(s.error_count);
}

model::Session ReadSession(RowBinaryReader& in) {
  model::Session s;
  s.id = in.String();
  s.trace_count = in.Int64();
  s.first_time_ns = in.Int64();
  s.last_time_ns = in.Int64();
  s.user_id = in.String();
  ReadCounts(in, s.counts);
  ReadSpend(in, s.usage, s.cost);
  s.error_count = in.Int64();
  return s;
}

void AppendScoreRow(RowBinaryWriter& out, std::string_view project, uint64_t version, const model::Score& s) {
  out.String(project);
  out.String(s.id);
  out.UInt64(version);
  out.DateOfNanos(s.time_ns);
  out.String(s.trace_id);
  out.String(s.observation_id);
  out.String(s.name);
  out.String(model::DumpJson(s.value));
  out.String(s.comment);
  out.String(s.source);
  out.Int64(s.time_ns);
}

absl::StatusOr<model::Score> ReadScore(RowBinaryReader& in) {
  model::Score s;
  s.id = in.String();
  s.trace_id = in.String();
  s.observation_id = in.String();
  s.name = in.String();
  std::string value = in.String();
  s.comment = in.String();
  s.source = in.String();
  s.time_ns = in.Int64();
  if (absl::Status status = in.status(); !status.ok()) return status;
  auto parsed = ParseJson(value, "score value");
  if (!parsed.ok()) return parsed.status();
  s.value = *std::move(parsed);
  return s;
}

namespace {

// AppendObservationRow, with the summary column's JSON already made.
void AppendObservationRowWithSummary(RowBinaryWriter& out, std::string_view project, RetentionClass retention,
                                     uint64_t version, const model::Observation& o, std::string_view payload,
                                     SummaryColumn summary, SummaryColumn* summary_column) {
  out.String(project);
  out.String(o.trace_id);
  out.String(o.id);
  out.UInt64(version);
  out.DateOfNanos(o.start_time_ns);
  AppendRetentionClass(out, retention);
  out.Int64(o.start_time_ns);
  out.String(o.parent_id);
  out.String(summary.text);
  // An expired observation rewritten (RewriteObservations) stays expired: nothing for Expire to redo.
  out.String(o.payload_expired ? std::string_view() : payload);
  out.String(o.payload_expired ? std::string() : TracePayloadOf(o));
  if (summary_column != nullptr) *summary_column = std::move(summary);
}

}  // namespace

void AppendObservationRow(RowBinaryWriter& out, std::string_view project, RetentionClass retention, uint64_t version,
                          const model::Observation& o, std::string_view payload, SummaryColumn* summary_column) {
  SummaryColumn summary;
  summary.exact = model::AppendJson(SummaryOf(o), &summary.text);
  AppendObservationRowWithSummary(out, project, retention, version, o, payload, std::move(summary), summary_column);
}

void AppendObservationRow(RowBinaryWriter& out, std::string_view project, RetentionClass retention, uint64_t version,
                          model::Observation& o, std::string_view payload, SummaryColumn* summary_column) {
  SummaryColumn summary;
  WithoutDetail(o, [&](const model::Observation& summary_of) {
    summary.exact = model::AppendJson(summary_of, &summary.text);
  });
  AppendObservationRowWithSummary(out, project, retention, version, o, payload, std::move(summary), summary_column);
}

const std::string& SummaryInputColumns() {
  static const auto* sql = new std::string(
      "argMax(if(parent_id = '' AND payload != '', payload, summary), version), argMax(length(payload), version), "
      "argMax(trace_payload, version)");
  return *sql;
}

absl::StatusOr<model::Observation> SummaryInputsOfRow(model::Observation&& o, std::string_view payload,
                                                      const SummaryColumn& summary_column) {
  // The columns as AppendObservationRow wrote them, selected as SummaryInputColumns selects them.
  const std::string_view payload_column = o.payload_expired ? std::string_view() : payload;
  const std::string trace_payload_column = o.payload_expired ? std::string() : TracePayloadOf(o);
  if (o.parent_id.empty() && !payload_column.empty()) {
    return DecodeObservation(payload_column, payload_column.size(), trace_payload_column);
  }
  if (!summary_column.exact) return DecodeObservation(summary_column.text, payload_column.size(), trace_payload_column);
  // Decoding the summary column would give SummaryOf(o): `o` without its detail.
  Detail detail;
  SwapDetail(o, detail);
  return CompleteDecoded(std::move(o), payload_column.size(), trace_payload_column);
}

model::Observation SummaryOf(model::Observation o) {
  Detail detail;
  SwapDetail(o, detail);
  return o;
}

std::string TracePayloadOf(const model::Observation& o) {
  const model::TraceHints& hints = o.trace_hints;
  // Most spans set none of the three: no JSON object is made for them (twice per row written).
  if (hints.trace_input.is_null() && hints.trace_output.is_null() && hints.trace_metadata.empty()) return std::string();
  model::Json text = model::Json::object();
  if (!hints.trace_input.is_null()) text["input"] = hints.trace_input;
  if (!hints.trace_output.is_null()) text["output"] = hints.trace_output;
  if (!hints.trace_metadata.empty()) text["metadata"] = hints.trace_metadata;
  return text.empty() ? std::string() : model::DumpJson(text);
}

std::string ObservationColumns(bool summary_only) {
  return absl::StrCat("argMax(if(", summary_only ? "1" : "payload = ''",
                      ", summary, payload), version), argMax(length(payload), version), argMax(trace_payload, version)");
}

absl::StatusOr<model::Observation> DecodeObservation(std::string_view blob, uint64_t payload_bytes,
                                                     std::string_view trace_payload) {
  TRACKLY_ASSIGN_OR_RETURN(model::Observation o, sqlite::DecodePayload(blob));
  return CompleteDecoded(std::move(o), payload_bytes, trace_payload);
}

}  // namespace trackly::store::clickhouse
