#include "model/codec.h"

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/time_format.h"

namespace trackly::model {
namespace {

Json StringOrNull(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }
Json TimeOrNull(int64_t ns) { return ns == 0 ? Json(nullptr) : Json(FormatRfc3339Micros(ns)); }

std::string_view CostSourceName(CostSource source) {
  switch (source) {
    case CostSource::kProvided: return "provided";
    case CostSource::kComputed: return "computed";
    case CostSource::kNone: break;
  }
  return "";
}

Json ToJson(const TraceHints& hints) {
  Json j = Json::object();
  if (!hints.trace_name.empty()) j["trace_name"] = hints.trace_name;
  if (!hints.session_id.empty()) j["session_id"] = hints.session_id;
  if (!hints.user_id.empty()) j["user_id"] = hints.user_id;
  if (!hints.feature.empty()) j["feature"] = hints.feature;
  if (!hints.tags.empty()) j["tags"] = hints.tags;
  if (!hints.trace_metadata.empty()) j["metadata"] = hints.trace_metadata;
  if (!hints.trace_input.is_null()) j["input"] = hints.trace_input;
  if (!hints.trace_output.is_null()) j["output"] = hints.trace_output;
  return j;
}

// Reads fields of a JSON object, remembering the first type error so callers check once.
class FieldReader {
 public:
  explicit FieldReader(const Json& object) : object_(object) {}

  std::string String(const char* key) {
    const Json* v = Find(key);
    if (v == nullptr || v->is_null()) return "";
    if (!v->is_string()) return Fail<std::string>(key, "a string");
    return v->get<std::string>();
  }
  int64_t Int(const char* key) {
    const Json* v = Find(key);
    if (v == nullptr || v->is_null()) return 0;
    if (!v->is_number()) return Fail<int64_t>(key, "a number");
    return v->get<int64_t>();
  }
  double Double(const char* key) {
    const Json* v = Find(key);
    if (v == nullptr || v->is_null()) return 0;
    if (!v->is_number()) return Fail<double>(key, "a number");
    return v->get<double>();
  }
  int64_t Time(const char* key) {
    std::string text = String(key);
    if (text.empty()) return 0;
    absl::StatusOr<int64_t> ns = ParseTimestamp(text);
    if (!ns.ok()) return Fail<int64_t>(key, "an RFC 3339 time");
    return *ns;
  }
  Json Value(const char* key) {
    const Json* v = Find(key);
    return v == nullptr ? Json(nullptr) : *v;
  }
  Json Object(const char* key) {
    const Json* v = Find(key);
    if (v == nullptr || v->is_null()) return Json::object();
    if (!v->is_object()) return Fail<Json>(key, "an object");
    return *v;
  }
  const Json* Find(const char* key) {
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  absl::Status status() const { return status_; }

 private:
  template <typename T>
  T Fail(const char* key, const char* expected) {
    if (status_.ok()) {
      status_ = absl::InvalidArgumentError(absl::StrCat("field \"", key, "\" is not ", expected));
    }
    return T{};
  }

  const Json& object_;
  absl::Status status_;
};

Usage UsageFromJson(const Json& j, absl::Status* status) {
  Usage u;
  if (!j.is_object()) return u;
  FieldReader r(j);
  u.input_tokens = r.Int("input_tokens");
  u.output_tokens = r.Int("output_tokens");
  u.total_tokens = r.Int("total_tokens");
  u.cache_read_tokens = r.Int("cache_read_tokens");
  u.cache_write_tokens = r.Int("cache_write_tokens");
  u.reasoning_tokens = r.Int("reasoning_tokens");
  if (status->ok()) *status = r.status();
  return u;
}

Cost CostFromJson(const Json& j, absl::Status* status) {
  Cost c;
  if (!j.is_object()) return c;
  FieldReader r(j);
  c.input = r.Double("input");
  c.output = r.Double("output");
  c.total = r.Double("total");
  std::string source = r.String("source");
  if (source == "provided") c.source = CostSource::kProvided;
  if (source == "computed") c.source = CostSource::kComputed;
  if (status->ok()) *status = r.status();
  return c;
}

TraceHints HintsFromJson(const Json& j, absl::Status* status) {
  TraceHints h;
  if (!j.is_object()) return h;
  FieldReader r(j);
  h.trace_name = r.String("trace_name");
  h.session_id = r.String("session_id");
  h.user_id = r.String("user_id");
  h.feature = r.String("feature");
  if (const Json* tags = r.Find("tags"); tags != nullptr && tags->is_array()) {
    for (const Json& t : *tags) {
      if (t.is_string()) h.tags.push_back(t.get<std::string>());
    }
  }
  h.trace_metadata = r.Object("metadata");
  h.trace_input = r.Value("input");
  h.trace_output = r.Value("output");
  if (status->ok()) *status = r.status();
  return h;
}

}  // namespace

Json ToJson(const Usage& u) {
  return Json{{"input_tokens", u.input_tokens},         {"output_tokens", u.output_tokens},
              {"total_tokens", u.total_tokens},         {"cache_read_tokens", u.cache_read_tokens},
              {"cache_write_tokens", u.cache_write_tokens}, {"reasoning_tokens", u.reasoning_tokens}};
}

Json ToJson(const Cost& c) {
  std::string_view source = CostSourceName(c.source);
  return Json{{"input", c.input},
              {"output", c.output},
              {"total", c.total},
              {"currency", "USD"},
              {"source", source.empty() ? Json(nullptr) : Json(source)}};
}

Json ToJson(const Observation& o) {
  Json j = Json::object();
  j["id"] = o.id;
  j["trace_id"] = o.trace_id;
  j["parent_id"] = StringOrNull(o.parent_id);
  j["name"] = o.name;
  j["type"] = ToString(o.type);
  j["status"] = ToString(o.status);
  j["status_message"] = StringOrNull(o.status_message);
  j["error_type"] = StringOrNull(o.error_type);
  j["level"] = ToString(o.level);
  j["start_time"] = TimeOrNull(o.start_time_ns);
  j["end_time"] = TimeOrNull(o.end_time_ns);
  j["latency_ms"] = o.latency_ms();
  j["completion_start_time"] = TimeOrNull(o.completion_start_time_ns);
  j["model"] = StringOrNull(o.model);
  j["provider"] = StringOrNull(o.provider);
  j["model_parameters"] = o.model_parameters;
  j["usage"] = ToJson(o.usage);
  j["cost"] = ToJson(o.cost);
  j["input"] = o.input;
  j["output"] = o.output;
  j["metadata"] = o.metadata;
  j["attributes"] = o.attributes;
  Json events = Json::array();
  for (const Event& e : o.events) {
    events.push_back(Json{{"name", e.name}, {"time", TimeOrNull(e.time_ns)}, {"attributes", e.attributes}});
  }
  j["events"] = std::move(events);
  j["prompt"] = o.prompt ? Json{{"name", o.prompt->name}, {"version", StringOrNull(o.prompt->version)}}
                         : Json(nullptr);
  j["tool"] = o.tool ? Json{{"name", o.tool->name}, {"call_id", StringOrNull(o.tool->call_id)}}
                     : Json(nullptr);
  j["environment"] = StringOrNull(o.environment);
  j["release"] = StringOrNull(o.release);
  j["service_name"] = StringOrNull(o.service_name);
  j["retry_count"] = o.retry_count;
  Json hints = ToJson(o.trace_hints);
  if (!hints.empty()) j["trace_hints"] = std::move(hints);
  return j;
}

Json ToJson(const Trace& t) {
  Json j = Json::object();
  j["id"] = t.id;
  j["name"] = t.name;
  j["start_time"] = TimeOrNull(t.start_time_ns);
  j["end_time"] = TimeOrNull(t.end_time_ns);
  j["latency_ms"] = t.latency_ms();
  j["status"] = ToString(t.status);
  j["session_id"] = StringOrNull(t.session_id);
  j["user_id"] = StringOrNull(t.user_id);
  j["feature"] = StringOrNull(t.feature);
  j["environment"] = StringOrNull(t.environment);
  j["release"] = StringOrNull(t.release);
  j["tags"] = t.tags;
  j["metadata"] = t.metadata;
  j["input"] = t.input;
  j["output"] = t.output;
  j["counts"] = Json{{"observations", t.counts.observations}, {"generations", t.counts.generations},
                     {"tool_calls", t.counts.tool_calls},     {"retrievals", t.counts.retrievals},
                     {"errors", t.counts.errors},             {"retries", t.counts.retries}};
  j["usage"] = ToJson(t.usage);
  j["cost"] = ToJson(t.cost);
  j["models"] = t.models;
  j["complete"] = t.has_root;
  return j;
}

Json ToJson(const Session& s) {
  return Json{{"id", s.id},
              {"trace_count", s.trace_count},
              {"first_time", TimeOrNull(s.first_time_ns)},
              {"last_time", TimeOrNull(s.last_time_ns)},
              {"user_id", StringOrNull(s.user_id)},
              {"usage", ToJson(s.usage)},
              {"cost", ToJson(s.cost)},
              {"error_count", s.error_count}};
}

Json ToJson(const Score& s) {
  return Json{{"id", s.id},
              {"trace_id", s.trace_id},
              {"observation_id", StringOrNull(s.observation_id)},
              {"name", s.name},
              {"value", s.value},
              {"comment", StringOrNull(s.comment)},
              {"source", StringOrNull(s.source)},
              {"time", TimeOrNull(s.time_ns)}};
}

absl::StatusOr<Observation> ObservationFromJson(const Json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("observation is not a JSON object");
  FieldReader r(j);
  Observation o;
  o.id = r.String("id");
  o.trace_id = r.String("trace_id");
  o.parent_id = r.String("parent_id");
  o.name = r.String("name");
  if (std::string type = r.String("type"); !ParseObservationType(type, &o.type)) {
    return absl::InvalidArgumentError(absl::StrCat("field \"type\": unknown type \"", type, "\""));
  }
  if (std::string status = r.String("status"); !ParseStatus(status, &o.status)) {
    return absl::InvalidArgumentError(absl::StrCat("field \"status\": unknown status \"", status, "\""));
  }
  o.status_message = r.String("status_message");
  o.error_type = r.String("error_type");
  if (std::string level = r.String("level"); !ParseLevel(level, &o.level)) {
    return absl::InvalidArgumentError(absl::StrCat("field \"level\": unknown level \"", level, "\""));
  }
  o.start_time_ns = r.Time("start_time");
  o.end_time_ns = r.Time("end_time");
  o.completion_start_time_ns = r.Time("completion_start_time");
  o.model = r.String("model");
  o.provider = r.String("provider");
  o.model_parameters = r.Object("model_parameters");
  absl::Status nested;
  o.usage = UsageFromJson(r.Value("usage"), &nested);
  o.cost = CostFromJson(r.Value("cost"), &nested);
  o.input = r.Value("input");
  o.output = r.Value("output");
  o.metadata = r.Object("metadata");
  o.attributes = r.Object("attributes");
  if (const Json* events = r.Find("events"); events != nullptr && events->is_array()) {
    for (const Json& e : *events) {
      FieldReader er(e);
      Event event{.name = er.String("name"), .time_ns = er.Time("time"), .attributes = er.Object("attributes")};
      if (!er.status().ok()) return er.status();
      o.events.push_back(std::move(event));
    }
  }
  if (const Json* p = r.Find("prompt"); p != nullptr && p->is_object()) {
    FieldReader pr(*p);
    o.prompt = PromptRef{.name = pr.String("name"), .version = pr.String("version")};
  }
  if (const Json* t = r.Find("tool"); t != nullptr && t->is_object()) {
    FieldReader tr(*t);
    o.tool = ToolRef{.name = tr.String("name"), .call_id = tr.String("call_id")};
  }
  o.environment = r.String("environment");
  o.release = r.String("release");
  o.service_name = r.String("service_name");
  o.retry_count = static_cast<int32_t>(r.Int("retry_count"));
  o.trace_hints = HintsFromJson(r.Value("trace_hints"), &nested);
  TRACKLY_RETURN_IF_ERROR(r.status());
  TRACKLY_RETURN_IF_ERROR(nested);
  return o;
}

}  // namespace trackly::model
