#include "query/export.h"

#include <openssl/sha.h>

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/status.h"
#include "model/codec.h"
#include "model/time_format.h"
#include "query/query_service.h"

namespace trackly::query {
namespace {

bool IsHex(std::string_view text, size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(c)) return false;
  }
  return true;
}

// `id` as an OTLP id of `hex_digits` lowercase hex digits: itself when it is one (a UUID without
// its dashes), else the first digits of its SHA-256 (`*kept` says so).
std::string OtlpId(const std::string& id, size_t hex_digits, bool* kept) {
  *kept = true;
  std::string compact = absl::StrReplaceAll(id, {{"-", ""}});
  if (IsHex(compact, hex_digits) && (compact.size() == id.size() || id.size() == 36)) {
    return absl::AsciiStrToLower(compact);
  }
  *kept = false;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(id.data()), id.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), hex_digits / 2));
}

// An OTLP AnyValue of a JSON value.
model::Json AnyValue(const model::Json& value) {
  if (value.is_string()) return {{"stringValue", value}};
  if (value.is_boolean()) return {{"boolValue", value}};
  if (value.is_number_integer()) return {{"intValue", std::to_string(value.get<int64_t>())}};
  if (value.is_number()) return {{"doubleValue", value}};
  if (value.is_array()) {
    model::Json values = model::Json::array();
    for (const model::Json& v : value) values.push_back(AnyValue(v));
    return {{"arrayValue", {{"values", values}}}};
  }
  if (value.is_object()) {
    model::Json values = model::Json::array();
    for (const auto& [k, v] : value.items()) values.push_back({{"key", k}, {"value", AnyValue(v)}});
    return {{"kvlistValue", {{"values", values}}}};
  }
  return model::Json::object();  // null: an empty AnyValue
}

// Attributes in order of addition, a key at most once (the first wins).
class Attributes {
 public:
  void Add(const std::string& key, const model::Json& value) {
    if (value.is_null() || (value.is_string() && value.get_ref<const std::string&>().empty())) return;
    if (!keys_.insert(key).second) return;
    list_.push_back({{"key", key}, {"value", AnyValue(value)}});
  }
  // A JSON value the normalizer reads back from its text (Langfuse's input, output, usage …).
  void AddJsonText(const std::string& key, const model::Json& value) {
    if (value.is_null() || (value.is_object() && value.empty())) return;
    Add(key, value.is_string() ? value : model::Json(model::DumpJson(value)));
  }
  model::Json Take() { return std::move(list_); }

 private:
  model::Json list_ = model::Json::array();
  std::set<std::string> keys_;
};

int OtlpStatusCode(model::Status status) {
  switch (status) {
    case model::Status::kOk: return 1;
    case model::Status::kUnset: return 0;
    default: return 2;  // error, timeout, cancelled, skipped: not OK
  }
}

model::Json SpanJson(const model::Observation& o, const model::Trace& trace) {
  Attributes attrs;
  bool trace_id_kept = true;
  bool span_id_kept = true;
  OtlpId(o.trace_id, 32, &trace_id_kept);
  OtlpId(o.id, 16, &span_id_kept);
  if (!trace_id_kept) attrs.Add("trackly.trace.id", o.trace_id);
  if (!span_id_kept) attrs.Add("trackly.observation.id", o.id);
  attrs.Add("trackly.observation.type", std::string(model::ToString(o.type)));
  if (o.status != model::Status::kUnset && o.status != model::Status::kOk && o.status != model::Status::kError) {
    attrs.Add("trackly.status", std::string(model::ToString(o.status)));
  }
  attrs.Add("trackly.error.type", o.error_type);
  if (o.retry_count > 0) attrs.Add("trackly.retry_count", o.retry_count);
  attrs.Add("trackly.environment", o.environment);
  attrs.Add("trackly.release", o.release);
  attrs.Add("langfuse.observation.level", std::string(model::ToString(o.level)));
  attrs.Add("langfuse.observation.model.name", o.model);
  attrs.Add("gen_ai.provider.name", o.provider);
  attrs.AddJsonText("langfuse.observation.model.parameters", o.model_parameters);
  if (o.usage.input_tokens || o.usage.output_tokens || o.usage.total_tokens) {
    model::Json usage{{"input", o.usage.input_tokens}, {"output", o.usage.output_tokens},
                      {"total", o.usage.total_tokens}};
    if (o.usage.cache_read_tokens) usage["input_cached_tokens"] = o.usage.cache_read_tokens;
    if (o.usage.reasoning_tokens) usage["output_reasoning_tokens"] = o.usage.reasoning_tokens;
    attrs.AddJsonText("langfuse.observation.usage_details", usage);
  }
  if (o.cost.source == model::CostSource::kProvided) {
    attrs.AddJsonText("langfuse.observation.cost_details",
                      {{"input", o.cost.input}, {"output", o.cost.output}, {"total", o.cost.total}});
  }
  attrs.AddJsonText("langfuse.observation.input", o.input);
  attrs.AddJsonText("langfuse.observation.output", o.output);
  attrs.AddJsonText("langfuse.observation.metadata", o.metadata);
  if (o.completion_start_time_ns) {
    attrs.Add("langfuse.observation.completion_start_time", model::FormatRfc3339Micros(o.completion_start_time_ns));
  }
  if (o.prompt) {
    attrs.Add("langfuse.observation.prompt.name", o.prompt->name);
    attrs.Add("langfuse.observation.prompt.version", o.prompt->version);
  }
  if (o.tool) attrs.Add("gen_ai.tool.name", o.tool->name);
  if (o.tool) attrs.Add("gen_ai.tool.call.id", o.tool->call_id);
  if (o.is_root()) {
    attrs.Add("langfuse.trace.name", trace.name);
    attrs.Add("trackly.session.id", trace.session_id);
    attrs.Add("trackly.user.id", trace.user_id);
    attrs.Add("trackly.feature", trace.feature);
    if (!trace.tags.empty()) attrs.Add("trackly.tags", trace.tags);
    attrs.AddJsonText("langfuse.trace.metadata", trace.metadata);
  }
  // The span's own attributes last: the canonical values above win where they overlap.
  for (const auto& [key, value] : o.attributes.items()) attrs.Add(key, value);

  bool ignored = true;
  model::Json span{{"traceId", OtlpId(o.trace_id, 32, &ignored)},
                   {"spanId", OtlpId(o.id, 16, &ignored)},
                   {"name", o.name},
                   {"kind", 1},
                   {"startTimeUnixNano", std::to_string(o.start_time_ns)},
                   {"endTimeUnixNano", std::to_string(o.end_time_ns)},
                   {"attributes", attrs.Take()},
                   {"status", {{"code", OtlpStatusCode(o.status)}}}};
  if (!o.parent_id.empty()) span["parentSpanId"] = OtlpId(o.parent_id, 16, &ignored);
  if (!o.status_message.empty()) span["status"]["message"] = o.status_message;
  if (!o.events.empty()) {
    model::Json events = model::Json::array();
    for (const model::Event& e : o.events) {
      Attributes event_attrs;
      for (const auto& [key, value] : e.attributes.items()) event_attrs.Add(key, value);
      events.push_back({{"name", e.name}, {"timeUnixNano", std::to_string(e.time_ns)}, {"attributes", event_attrs.Take()}});
    }
    span["events"] = std::move(events);
  }
  return span;
}

}  // namespace

absl::StatusOr<ExportFormat> ParseExportFormat(std::string_view text) {
  if (text == "jsonl") return ExportFormat::kJsonLines;
  if (text == "otlp") return ExportFormat::kOtlpJson;
  return absl::InvalidArgumentError(absl::StrCat("parameter 'format' must be jsonl or otlp, got '", Sv(text), "'"));
}

model::Json TraceToOtlpJson(const store::TraceDetail& detail) {
  model::Json spans = model::Json::array();
  std::string service;
  for (const model::Observation& o : detail.observations) {
    if (service.empty() || o.is_root()) service = o.service_name.empty() ? service : o.service_name;
    spans.push_back(SpanJson(o, detail.trace));
  }
  if (service.empty()) service = "trackly-export";
  return {{"resource", {{"attributes", {{{"key", "service.name"}, {"value", {{"stringValue", service}}}}}}}},
          {"scopeSpans", {{{"scope", {{"name", "trackly.export"}}}, {"spans", std::move(spans)}}}}};
}

absl::StatusOr<ExportResult> ExportTraces(store::Store& store, const store::TraceQuery& query, ExportFormat format) {
  TRACKLY_ASSIGN_OR_RETURN(store::TracePage page, store.ListTraces(query));
  ExportResult result{.format = format, .next_cursor = page.next_cursor};
  model::Json resource_spans = model::Json::array();
  for (const model::Trace& listed : page.traces) {
    absl::StatusOr<store::TraceDetail> detail = store.GetTrace(query.project, listed.id);
    if (absl::IsNotFound(detail.status())) continue;
    TRACKLY_RETURN_IF_ERROR(detail.status());
    ++result.traces;
    result.observations += static_cast<int64_t>(detail->observations.size());
    if (format == ExportFormat::kJsonLines) {
      model::Json line = TraceDetailJson(*detail);
      for (model::Json& o : line["observations"]) o.erase("subtree");
      absl::StrAppend(&result.body, model::DumpJson(line), "\n");
    } else {
      resource_spans.push_back(TraceToOtlpJson(*detail));
    }
  }
  if (format == ExportFormat::kOtlpJson) result.body = model::DumpJson(model::Json{{"resourceSpans", resource_spans}});
  return result;
}

}  // namespace trackly::query
