#include "store/sqlite/rows.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status.h"
#include "model/codec.h"
#include "store/sqlite/payload.h"
#include "store/sqlite/payload_partitions.h"
#include "store/sqlite/summary_cache.h"

namespace trackly::store::sqlite {
namespace {

// Column names of each table after its key, in bind/read order.
const std::vector<std::string>& ObservationValueColumns() {
  static const auto* columns = new std::vector<std::string>{
      "parent_id", "name", "type", "status", "level", "start_ns", "end_ns", "model", "environment",
      "release", "input_tokens", "output_tokens", "total_tokens", "cache_read_tokens",
      "cache_write_tokens", "reasoning_tokens", "cost_input", "cost_output", "cost_total",
      "cost_source", "retry_count", "hint_trace_name", "hint_session_id", "hint_user_id",
      "hint_feature", "hint_tags", "hint_metadata", "hint_input", "hint_output", "payload",
      "provider", "error_type", "prompt_name", "prompt_version", "tool_name", "cache_savings",
      "cost_note", "completion_start_ns", "payload_part", "payload_bytes"};
  return *columns;
}

const std::vector<std::string>& TraceValueColumns() {
  static const auto* columns = new std::vector<std::string>{
      "name", "start_ns", "end_ns", "latency_ms", "status", "session_id", "user_id", "feature",
      "environment", "release", "tags", "metadata", "input", "output", "n_observations",
      "n_generations", "n_tool_calls", "n_retrievals", "n_errors", "n_retries", "input_tokens",
      "output_tokens", "total_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
      "cost_input", "cost_output", "cost_total", "cost_source", "models", "has_root", "cost_cache_savings"};
  return *columns;
}

const std::vector<std::string>& SessionValueColumns() {
  static const auto* columns = new std::vector<std::string>{
      "trace_count", "first_ns", "last_ns", "user_id", "input_tokens", "output_tokens",
      "total_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens", "cost_input",
      "cost_output", "cost_total", "cost_source", "error_count", "n_observations", "n_generations",
      "n_tool_calls", "n_retrievals", "n_errors", "n_retries", "cost_cache_savings"};
  return *columns;
}

std::string Placeholders(size_t count) {
  std::vector<std::string> marks;
  for (size_t i = 1; i <= count; ++i) marks.push_back(absl::StrCat("?", i));
  return absl::StrJoin(marks, ", ");
}

// The enum's declaration order is not a storage format; this mapping is.
int64_t CostSourceCode(model::CostSource source) {
  switch (source) {
    case model::CostSource::kNone: return 0;
    case model::CostSource::kProvided: return 1;
    case model::CostSource::kComputed: return 2;
  }
  return 0;
}
model::CostSource CostSourceFromCode(int64_t code) {
  switch (code) {
    case 1: return model::CostSource::kProvided;
    case 2: return model::CostSource::kComputed;
    default: return model::CostSource::kNone;
  }
}

// Binds usage (6 columns) and cost (4 columns) starting at `index`; returns the next index.
int BindSpend(Statement& stmt, int index, const model::Usage& usage, const model::Cost& cost) {
  stmt.BindInt(index++, usage.input_tokens);
  stmt.BindInt(index++, usage.output_tokens);
  stmt.BindInt(index++, usage.total_tokens);
  stmt.BindInt(index++, usage.cache_read_tokens);
  stmt.BindInt(index++, usage.cache_write_tokens);
  stmt.BindInt(index++, usage.reasoning_tokens);
  stmt.BindDouble(index++, cost.input);
  stmt.BindDouble(index++, cost.output);
  stmt.BindDouble(index++, cost.total);
  stmt.BindInt(index++, CostSourceCode(cost.source));
  return index;
}

// Reads what BindSpend wrote, starting at `column`; returns the next column.
// Binds the counts (6 columns, n_observations … n_retries) starting at `index`; returns the next index.
int BindCounts(Statement& stmt, int index, const model::TraceCounts& counts) {
  for (int64_t count : {counts.observations, counts.generations, counts.tool_calls, counts.retrievals,
                        counts.errors, counts.retries}) {
    stmt.BindInt(index++, count);
  }
  return index;
}

int ReadCounts(const Statement& row, int column, model::TraceCounts& counts) {
  for (int64_t* count : {&counts.observations, &counts.generations, &counts.tool_calls, &counts.retrievals,
                         &counts.errors, &counts.retries}) {
    *count = row.Int(column++);
  }
  return column;
}

int ReadSpend(const Statement& row, int column, model::Usage& usage, model::Cost& cost) {
  usage.input_tokens = row.Int(column++);
  usage.output_tokens = row.Int(column++);
  usage.total_tokens = row.Int(column++);
  usage.cache_read_tokens = row.Int(column++);
  usage.cache_write_tokens = row.Int(column++);
  usage.reasoning_tokens = row.Int(column++);
  cost.input = row.Double(column++);
  cost.output = row.Double(column++);
  cost.total = row.Double(column++);
  cost.source = CostSourceFromCode(row.Int(column++));
  return column;
}

absl::StatusOr<model::Json> ParseJson(std::string_view text, std::string_view what) {
  model::Json json = model::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InternalError(absl::StrCat("stored ", Sv(what), " is not JSON"));
  return json;
}

absl::StatusOr<std::vector<std::string>> ParseStringArray(std::string_view text, std::string_view what) {
  TRACKLY_ASSIGN_OR_RETURN(model::Json json, ParseJson(text, what));
  std::vector<std::string> out;
  if (!json.is_array()) return absl::InternalError(absl::StrCat("stored ", Sv(what), " is not an array"));
  for (const model::Json& item : json) {
    if (!item.is_string()) return absl::InternalError(absl::StrCat("stored ", Sv(what), " has a non-string"));
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::string DumpOrEmpty(const model::Json& json, bool empty) { return empty ? std::string() : model::DumpJson(json); }

// Columns of SummaryObservationColumns(), by position.
enum SummaryColumn {
  kSumId, kSumParentId, kSumName, kSumType, kSumStatus, kSumLevel, kSumStart, kSumEnd, kSumModel,
  kSumEnvironment, kSumRelease, kSumSpend, kSumRetryCount = kSumSpend + 10, kSumHintTraceName,
  kSumHintSessionId, kSumHintUserId, kSumHintFeature, kSumHintTags, kSumHintMetadata, kSumHintInput,
  kSumHintOutput, kSumPayload, kSumProvider, kSumErrorType, kSumPromptName, kSumPromptVersion,
  kSumToolName, kSumCacheSavings, kSumCostNote, kSumCompletionStart, kSumPayloadPart, kSumStoredBytes,
};

}  // namespace

EncodedObservation EncodeObservation(model::Observation observation, size_t compress_min_bytes) {
  FloorTimesToMicros(observation);
  EncodedObservation encoded;
  const model::TraceHints& hints = observation.trace_hints;
  // Only the detail: the summary fields go to the row's columns (BindObservation), and stored
  // twice they were about half of a typical span's bytes.
  encoded.payload = EncodeDetailPayload(observation, compress_min_bytes);
  encoded.hint_tags = hints.tags.empty() ? std::string() : model::DumpJson(model::Json(hints.tags));
  encoded.hint_metadata = DumpOrEmpty(hints.trace_metadata, hints.trace_metadata.empty());
  encoded.hint_input = DumpOrEmpty(hints.trace_input, hints.trace_input.is_null());
  encoded.hint_output = DumpOrEmpty(hints.trace_output, hints.trace_output.is_null());
  // The payload holds the whole observation now; the writer thread needs only the summary inputs,
  // and freeing the rest here spreads that work over the callers' threads.
  KeepOnlySummaryInputs(observation);
  encoded.observation = std::move(observation);
  return encoded;
}

const std::string& UpsertObservationSql() {
  static const auto* sql = new std::string(absl::StrCat(
      "INSERT OR REPLACE INTO observations(project, trace_id, id, ",
      absl::StrJoin(ObservationValueColumns(), ", "), ") VALUES(",
      Placeholders(3 + ObservationValueColumns().size()), ")"));
  return *sql;
}

void BindObservation(Statement& stmt, std::string_view project, const EncodedObservation& encoded) {
  const model::Observation& o = encoded.observation;
  const model::TraceHints& hints = o.trace_hints;
  int i = 1;
  stmt.BindText(i++, project);
  stmt.BindText(i++, o.trace_id);
  stmt.BindText(i++, o.id);
  stmt.BindText(i++, o.parent_id);
  stmt.BindText(i++, o.name);
  stmt.BindText(i++, model::ToString(o.type));
  stmt.BindText(i++, model::ToString(o.status));
  stmt.BindText(i++, model::ToString(o.level));
  stmt.BindInt(i++, o.start_time_ns);
  stmt.BindInt(i++, o.end_time_ns);
  stmt.BindText(i++, o.model);
  stmt.BindText(i++, o.environment);
  stmt.BindText(i++, o.release);
  i = BindSpend(stmt, i, o.usage, o.cost);
  stmt.BindInt(i++, o.retry_count);
  stmt.BindTextOrNull(i++, hints.trace_name);
  stmt.BindTextOrNull(i++, hints.session_id);
  stmt.BindTextOrNull(i++, hints.user_id);
  stmt.BindTextOrNull(i++, hints.feature);
  stmt.BindTextOrNull(i++, encoded.hint_tags);
  stmt.BindTextOrNull(i++, encoded.hint_metadata);
  stmt.BindTextOrNull(i++, encoded.hint_input);
  stmt.BindTextOrNull(i++, encoded.hint_output);
  // A payload stored in a partition is not repeated here (payload_partitions.h).
  const bool inline_payload = encoded.payload_part == kPayloadInline;
  // An empty blob, not NULL: the column is NOT NULL (a null data pointer would bind NULL).
  stmt.BindBlob(i++, inline_payload ? std::string_view(encoded.payload) : std::string_view("", 0));
  stmt.BindText(i++, o.provider);
  stmt.BindText(i++, o.error_type);
  stmt.BindText(i++, o.prompt ? std::string_view(o.prompt->name) : std::string_view());
  stmt.BindText(i++, o.prompt ? std::string_view(o.prompt->version) : std::string_view());
  stmt.BindText(i++, o.tool ? std::string_view(o.tool->name) : std::string_view());
  stmt.BindDouble(i++, o.cost.cache_savings);
  stmt.BindText(i++, o.cost.note);
  stmt.BindInt(i++, o.completion_start_time_ns);
  stmt.BindInt(i++, encoded.payload_part);
  stmt.BindInt(i++, encoded.payload_part > 0 ? static_cast<int64_t>(encoded.payload.size()) : 0);
}

namespace {

// The SELECT list read by ReadObservationRow, with `payload` as its kSumPayload: the inline
// payload column where a read wants it, NULL where not.
std::string ObservationColumnsWith(std::string_view payload) {
  // length() of a blob is its stored size, known without reading the blob's (overflow) pages;
  // a row whose payload is in a partition has an empty blob and its size in payload_bytes.
  return absl::StrCat(
      "id, parent_id, name, type, status, level, start_ns, end_ns, model, environment, release, "
      "input_tokens, output_tokens, total_tokens, cache_read_tokens, cache_write_tokens, "
      "reasoning_tokens, cost_input, cost_output, cost_total, cost_source, retry_count, "
      "hint_trace_name, hint_session_id, hint_user_id, hint_feature, hint_tags, hint_metadata, "
      "hint_input, hint_output, ", Sv(payload), ", provider, error_type, "
      "prompt_name, prompt_version, tool_name, cache_savings, cost_note, completion_start_ns, "
      "payload_part, length(payload) + payload_bytes");
}

// The summary fields of a row; the payload column is not looked at.
absl::StatusOr<model::Observation> ReadSummaryFields(const Statement& row, std::string_view trace_id) {
  model::Observation o;
  o.id = row.Text(kSumId);
  o.trace_id = trace_id;
  o.parent_id = row.Text(kSumParentId);
  o.name = row.Text(kSumName);
  if (!model::ParseObservationType(row.Text(kSumType), &o.type) ||
      !model::ParseStatus(row.Text(kSumStatus), &o.status) ||
      !model::ParseLevel(row.Text(kSumLevel), &o.level)) {
    return absl::InternalError(absl::StrCat("stored observation ", o.id, " has an unknown type/status/level"));
  }
  o.start_time_ns = row.Int(kSumStart);
  o.end_time_ns = row.Int(kSumEnd);
  o.model = row.Text(kSumModel);
  o.environment = row.Text(kSumEnvironment);
  o.release = row.Text(kSumRelease);
  ReadSpend(row, kSumSpend, o.usage, o.cost);
  o.retry_count = static_cast<int32_t>(row.Int(kSumRetryCount));
  // The metrics rollups' inputs (model/rollup.h): the writer recomputes a trace's contribution
  // from these rows too.
  o.provider = row.Text(kSumProvider);
  o.error_type = row.Text(kSumErrorType);
  if (!row.Text(kSumPromptName).empty() || !row.Text(kSumPromptVersion).empty()) {
    o.prompt = model::PromptRef{.name = std::string(row.Text(kSumPromptName)),
                                .version = std::string(row.Text(kSumPromptVersion))};
  }
  if (!row.Text(kSumToolName).empty()) o.tool = model::ToolRef{.name = std::string(row.Text(kSumToolName))};
  o.cost.cache_savings = row.Double(kSumCacheSavings);
  o.cost.note = row.Text(kSumCostNote);
  o.completion_start_time_ns = row.Int(kSumCompletionStart);
  model::TraceHints& hints = o.trace_hints;
  hints.trace_name = row.Text(kSumHintTraceName);
  hints.session_id = row.Text(kSumHintSessionId);
  hints.user_id = row.Text(kSumHintUserId);
  hints.feature = row.Text(kSumHintFeature);
  if (!row.IsNull(kSumHintTags)) {
    TRACKLY_ASSIGN_OR_RETURN(hints.tags, ParseStringArray(row.Text(kSumHintTags), "hint_tags"));
  }
  if (!row.IsNull(kSumHintMetadata)) {
    TRACKLY_ASSIGN_OR_RETURN(hints.trace_metadata, ParseJson(row.Text(kSumHintMetadata), "hint_metadata"));
  }
  if (!row.IsNull(kSumHintInput)) {
    TRACKLY_ASSIGN_OR_RETURN(hints.trace_input, ParseJson(row.Text(kSumHintInput), "hint_input"));
  }
  if (!row.IsNull(kSumHintOutput)) {
    TRACKLY_ASSIGN_OR_RETURN(hints.trace_output, ParseJson(row.Text(kSumHintOutput), "hint_output"));
  }
  return o;
}

}  // namespace

const std::string& SummaryObservationColumns() {
  static const auto* sql =
      new std::string(ObservationColumnsWith("CASE WHEN parent_id = '' AND payload_part = 0 THEN payload END"));
  return *sql;
}

const std::string& PageSummaryObservationColumns() {
  static const auto* sql = new std::string(ObservationColumnsWith("NULL"));
  return *sql;
}

const std::string& FullObservationColumns() {
  static const auto* sql = new std::string(ObservationColumnsWith("CASE WHEN payload_part = 0 THEN payload END"));
  return *sql;
}

int StoredBytesColumn() { return kSumStoredBytes; }

absl::StatusOr<model::Observation> ReadObservationRow(PayloadReader& payloads, const Statement& row,
                                                      std::string_view trace_id, RowRead what) {
  const int64_t part = row.Int(kSumPayloadPart);
  const bool want_payload =
      what == RowRead::kFull || (what == RowRead::kSummaryWithRoot && row.Text(kSumParentId).empty());
  std::optional<StoredPayload> stored;
  if (want_payload) {
    if (part == kPayloadInline && !row.IsNull(kSumPayload)) {
      TRACKLY_ASSIGN_OR_RETURN(stored, DecodeStoredPayload(row.Blob(kSumPayload)));
    } else if (part > 0) {
      TRACKLY_ASSIGN_OR_RETURN(stored, payloads.Get(part, trace_id, row.Text(kSumId)));
    }
    // A whole observation (written before layout 10) is returned as stored: rows of older layouts
    // lack some summary columns.
    if (stored && !stored->detail_only) return std::move(stored->observation);
  }
  TRACKLY_ASSIGN_OR_RETURN(model::Observation o, ReadSummaryFields(row, trace_id));
  if (stored) {
    model::MergeDetail(std::move(stored->observation), o);
    return o;
  }
  if (part == kPayloadExpired) {
    o.payload_expired = true;
  } else if (part > 0 && what != RowRead::kSummaryWithRoot) {
    TRACKLY_ASSIGN_OR_RETURN(bool listed, payloads.Listed(part));
    o.payload_expired = !listed;
  }
  return o;
}

TraceText TraceTextOf(const model::Trace& trace) {
  return TraceText{.tags = model::DumpJson(model::Json(trace.tags)),
                   .metadata = model::DumpJson(trace.metadata),
                   .input = model::DumpJson(trace.input),
                   .output = model::DumpJson(trace.output),
                   .models = model::DumpJson(model::Json(trace.models))};
}

const std::string& InsertTraceSql() {
  static const auto* sql = new std::string(
      absl::StrCat("INSERT INTO traces(project, trace_id, ", absl::StrJoin(TraceValueColumns(), ", "),
                   ") VALUES(", Placeholders(2 + TraceValueColumns().size()), ")"));
  return *sql;
}

const std::string& UpdateTraceSql() {
  static const auto* sql = [] {
    std::vector<std::string> assignments;
    for (size_t i = 0; i < TraceValueColumns().size(); ++i) {
      assignments.push_back(absl::StrCat(TraceValueColumns()[i], " = ?", i + 3));
    }
    return new std::string(absl::StrCat("UPDATE traces SET ", absl::StrJoin(assignments, ", "),
                                        " WHERE project = ?1 AND trace_id = ?2"));
  }();
  return *sql;
}

void BindTrace(Statement& stmt, std::string_view project, const model::Trace& t, const TraceText& text) {
  int i = 1;
  stmt.BindText(i++, project);
  stmt.BindText(i++, t.id);
  stmt.BindText(i++, t.name);
  stmt.BindInt(i++, t.start_time_ns);
  stmt.BindInt(i++, t.end_time_ns);
  stmt.BindDouble(i++, t.latency_ms());
  stmt.BindText(i++, model::ToString(t.status));
  stmt.BindText(i++, t.session_id);
  stmt.BindText(i++, t.user_id);
  stmt.BindText(i++, t.feature);
  stmt.BindText(i++, t.environment);
  stmt.BindText(i++, t.release);
  stmt.BindText(i++, text.tags);
  stmt.BindText(i++, text.metadata);
  stmt.BindText(i++, text.input);
  stmt.BindText(i++, text.output);
  i = BindCounts(stmt, i, t.counts);
  i = BindSpend(stmt, i, t.usage, t.cost);
  stmt.BindText(i++, text.models);
  stmt.BindInt(i++, t.has_root ? 1 : 0);
  stmt.BindDouble(i++, t.cost.cache_savings);
}

const std::string& TraceColumns() {
  static const auto* sql =
      new std::string(absl::StrCat("trace_id, ", absl::StrJoin(TraceValueColumns(), ", ")));
  return *sql;
}

absl::StatusOr<model::Trace> ReadTrace(const Statement& row, int c) {
  model::Trace t;
  t.id = row.Text(c++);
  t.name = row.Text(c++);
  t.start_time_ns = row.Int(c++);
  t.end_time_ns = row.Int(c++);
  ++c;  // latency_ms: derived, stored only for filtering
  if (!model::ParseStatus(row.Text(c++), &t.status)) {
    return absl::InternalError(absl::StrCat("stored trace ", t.id, " has an unknown status"));
  }
  t.session_id = row.Text(c++);
  t.user_id = row.Text(c++);
  t.feature = row.Text(c++);
  t.environment = row.Text(c++);
  t.release = row.Text(c++);
  TRACKLY_ASSIGN_OR_RETURN(t.tags, ParseStringArray(row.Text(c++), "trace tags"));
  TRACKLY_ASSIGN_OR_RETURN(t.metadata, ParseJson(row.Text(c++), "trace metadata"));
  TRACKLY_ASSIGN_OR_RETURN(t.input, ParseJson(row.Text(c++), "trace input"));
  TRACKLY_ASSIGN_OR_RETURN(t.output, ParseJson(row.Text(c++), "trace output"));
  c = ReadCounts(row, c, t.counts);
  c = ReadSpend(row, c, t.usage, t.cost);
  TRACKLY_ASSIGN_OR_RETURN(t.models, ParseStringArray(row.Text(c++), "trace models"));
  t.has_root = row.Int(c++) != 0;
  t.cost.cache_savings = row.Double(c++);
  return t;
}

const std::string& SessionInputColumns() {
  static const auto* sql = new std::string(
      "trace_id, start_ns, end_ns, status, user_id, input_tokens, output_tokens, total_tokens, "
      "cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_input, cost_output, cost_total, "
      "cost_source, n_observations, n_generations, n_tool_calls, n_retrievals, n_errors, n_retries, "
      "cost_cache_savings");
  return *sql;
}

absl::StatusOr<model::Trace> ReadSessionInput(const Statement& row, int c) {
  model::Trace t;
  t.id = row.Text(c++);
  t.start_time_ns = row.Int(c++);
  t.end_time_ns = row.Int(c++);
  if (!model::ParseStatus(row.Text(c++), &t.status)) {
    return absl::InternalError(absl::StrCat("stored trace ", t.id, " has an unknown status"));
  }
  t.user_id = row.Text(c++);
  t.cost.cache_savings = row.Double(ReadCounts(row, ReadSpend(row, c, t.usage, t.cost), t.counts));
  return t;
}

const std::string& UpsertSessionSql() {
  static const auto* sql = new std::string(absl::StrCat(
      "INSERT OR REPLACE INTO sessions(project, session_id, ", absl::StrJoin(SessionValueColumns(), ", "),
      ") VALUES(", Placeholders(2 + SessionValueColumns().size()), ")"));
  return *sql;
}

void BindSession(Statement& stmt, std::string_view project, const model::Session& s) {
  int i = 1;
  stmt.BindText(i++, project);
  stmt.BindText(i++, s.id);
  stmt.BindInt(i++, s.trace_count);
  stmt.BindInt(i++, s.first_time_ns);
  stmt.BindInt(i++, s.last_time_ns);
  stmt.BindText(i++, s.user_id);
  i = BindSpend(stmt, i, s.usage, s.cost);
  stmt.BindInt(i++, s.error_count);
  i = BindCounts(stmt, i, s.counts);
  stmt.BindDouble(i++, s.cost.cache_savings);
}

const std::string& SessionColumns() {
  static const auto* sql =
      new std::string(absl::StrCat("session_id, ", absl::StrJoin(SessionValueColumns(), ", ")));
  return *sql;
}

model::Session ReadSession(const Statement& row, int c) {
  model::Session s;
  s.id = row.Text(c++);
  s.trace_count = row.Int(c++);
  s.first_time_ns = row.Int(c++);
  s.last_time_ns = row.Int(c++);
  s.user_id = row.Text(c++);
  c = ReadSpend(row, c, s.usage, s.cost);
  s.error_count = row.Int(c++);
  c = ReadCounts(row, c, s.counts);
  s.cost.cache_savings = row.Double(c++);
  return s;
}

}  // namespace trackly::store::sqlite
