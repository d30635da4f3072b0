#include "cli/otlp_request.h"

#include <string_view>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace trackly::cli {
namespace {

using model::Json;
using model::RawSpan;
namespace otlp_common = opentelemetry::proto::common::v1;
namespace otlp_trace = opentelemetry::proto::trace::v1;
namespace otlp_collector = opentelemetry::proto::collector::trace::v1;

struct ScopeGroup {
  const model::RawScope* scope;
  std::vector<const RawSpan*> spans;
};

struct ResourceGroup {
  const Json* resource_attributes;
  std::vector<ScopeGroup> scopes;
};

bool SameScope(const model::RawScope& a, const model::RawScope& b) {
  return a.scope_name == b.scope_name && a.scope_version == b.scope_version &&
         a.scope_attributes == b.scope_attributes;
}

// Groups are few (one per instrumented service and library), so linear search is fine.
std::vector<ResourceGroup> Group(std::span<const RawSpan> spans) {
  std::vector<ResourceGroup> groups;
  for (const RawSpan& span : spans) {
    const model::RawScope& scope = *span.scope;
    ResourceGroup* resource = nullptr;
    for (ResourceGroup& g : groups) {
      if (*g.resource_attributes == scope.resource_attributes) resource = &g;
    }
    if (resource == nullptr) resource = &groups.emplace_back(ResourceGroup{&scope.resource_attributes, {}});
    ScopeGroup* scope_group = nullptr;
    for (ScopeGroup& g : resource->scopes) {
      if (SameScope(*g.scope, scope)) scope_group = &g;
    }
    if (scope_group == nullptr) scope_group = &resource->scopes.emplace_back(ScopeGroup{&scope, {}});
    scope_group->spans.push_back(&span);
  }
  return groups;
}

// ---- OTLP/JSON ----

Json AttributesJson(const Json& attributes);

Json AnyValueJson(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return {{"stringValue", value}};
    case Json::value_t::boolean:
      return {{"boolValue", value}};
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return {{"intValue", value.dump()}};  // int64 as a decimal string (proto3 JSON)
    case Json::value_t::number_float:
      return {{"doubleValue", value}};
    case Json::value_t::array: {
      Json values = Json::array();
      for (const Json& v : value) values.push_back(AnyValueJson(v));
      return {{"arrayValue", {{"values", std::move(values)}}}};
    }
    case Json::value_t::object:
      return {{"kvlistValue", {{"values", AttributesJson(value)}}}};
    default:
      return Json::object();
  }
}

Json AttributesJson(const Json& attributes) {
  Json list = Json::array();
  for (const auto& [key, value] : attributes.items()) {
    list.push_back({{"key", key}, {"value", AnyValueJson(value)}});
  }
  return list;
}

Json SpanJson(const RawSpan& span) {
  Json j = {
      {"traceId", span.trace_id},
      {"spanId", span.span_id},
      {"name", span.name},
      {"kind", static_cast<int>(span.kind)},
      {"startTimeUnixNano", absl::StrCat(span.start_time_ns)},
      {"endTimeUnixNano", absl::StrCat(span.end_time_ns)},
      {"attributes", AttributesJson(span.attributes)},
      {"status", {{"code", static_cast<int>(span.status_code)}}},
  };
  if (!span.parent_span_id.empty()) j["parentSpanId"] = span.parent_span_id;
  if (!span.trace_state.empty()) j["traceState"] = span.trace_state;
  if (!span.status_message.empty()) j["status"]["message"] = span.status_message;
  if (!span.events.empty()) {
    Json events = Json::array();
    for (const model::RawEvent& e : span.events) {
      events.push_back({{"timeUnixNano", absl::StrCat(e.time_ns)},
                        {"name", e.name},
                        {"attributes", AttributesJson(e.attributes)}});
    }
    j["events"] = std::move(events);
  }
  if (!span.links.empty()) {
    Json links = Json::array();
    for (const model::RawLink& l : span.links) {
      links.push_back({{"traceId", l.trace_id},
                       {"spanId", l.span_id},
                       {"attributes", AttributesJson(l.attributes)}});
    }
    j["links"] = std::move(links);
  }
  if (span.dropped_attributes_count > 0) j["droppedAttributesCount"] = span.dropped_attributes_count;
  if (span.dropped_events_count > 0) j["droppedEventsCount"] = span.dropped_events_count;
  if (span.dropped_links_count > 0) j["droppedLinksCount"] = span.dropped_links_count;
  return j;
}

// ---- protobuf ----

void SetAttributes(const Json& attributes,
                   google::protobuf::RepeatedPtrField<otlp_common::KeyValue>* out);

void SetAnyValue(const Json& value, otlp_common::AnyValue* out) {
  switch (value.type()) {
    case Json::value_t::string:
      out->set_string_value(value.get<std::string>());
      break;
    case Json::value_t::boolean:
      out->set_bool_value(value.get<bool>());
      break;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      out->set_int_value(value.get<int64_t>());
      break;
    case Json::value_t::number_float:
      out->set_double_value(value.get<double>());
      break;
    case Json::value_t::array: {
      otlp_common::ArrayValue* array = out->mutable_array_value();
      for (const Json& v : value) SetAnyValue(v, array->add_values());
      break;
    }
    case Json::value_t::object:
      SetAttributes(value, out->mutable_kvlist_value()->mutable_values());
      break;
    default:
      break;  // null: an empty AnyValue
  }
}

void SetAttributes(const Json& attributes,
                   google::protobuf::RepeatedPtrField<otlp_common::KeyValue>* out) {
  for (const auto& [key, value] : attributes.items()) {
    otlp_common::KeyValue* kv = out->Add();
    kv->set_key(key);
    SetAnyValue(value, kv->mutable_value());
  }
}

absl::Status SetId(std::string_view hex, std::string_view field, std::string* out) {
  if (hex.size() % 2 != 0 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(Sv(field), " is not hex: '", Sv(hex), "'"));
  }
  *out = absl::HexStringToBytes(absl::string_view(hex.data(), hex.size()));
  return absl::OkStatus();
}

absl::Status SetSpan(const RawSpan& span, otlp_trace::Span* out) {
  TRACKLY_RETURN_IF_ERROR(SetId(span.trace_id, "trace_id", out->mutable_trace_id()));
  TRACKLY_RETURN_IF_ERROR(SetId(span.span_id, "span_id", out->mutable_span_id()));
  if (!span.parent_span_id.empty()) {
    TRACKLY_RETURN_IF_ERROR(SetId(span.parent_span_id, "parent_span_id", out->mutable_parent_span_id()));
  }
  out->set_trace_state(span.trace_state);
  out->set_name(span.name);
  out->set_kind(static_cast<otlp_trace::Span_SpanKind>(span.kind));
  out->set_start_time_unix_nano(static_cast<uint64_t>(span.start_time_ns));
  out->set_end_time_unix_nano(static_cast<uint64_t>(span.end_time_ns));
  SetAttributes(span.attributes, out->mutable_attributes());
  for (const model::RawEvent& e : span.events) {
    otlp_trace::Span_Event* event = out->add_events();
    event->set_time_unix_nano(static_cast<uint64_t>(e.time_ns));
    event->set_name(e.name);
    SetAttributes(e.attributes, event->mutable_attributes());
  }
  for (const model::RawLink& l : span.links) {
    otlp_trace::Span_Link* link = out->add_links();
    TRACKLY_RETURN_IF_ERROR(SetId(l.trace_id, "link trace_id", link->mutable_trace_id()));
    TRACKLY_RETURN_IF_ERROR(SetId(l.span_id, "link span_id", link->mutable_span_id()));
    SetAttributes(l.attributes, link->mutable_attributes());
  }
  out->set_dropped_attributes_count(span.dropped_attributes_count);
  out->set_dropped_events_count(span.dropped_events_count);
  out->set_dropped_links_count(span.dropped_links_count);
  out->mutable_status()->set_code(static_cast<otlp_trace::Status_StatusCode>(span.status_code));
  out->mutable_status()->set_message(span.status_message);
  return absl::OkStatus();
}

}  // namespace

Json EncodeOtlpJson(std::span<const RawSpan> spans) {
  Json resource_spans = Json::array();
  for (const ResourceGroup& resource : Group(spans)) {
    Json scope_spans = Json::array();
    for (const ScopeGroup& group : resource.scopes) {
      Json span_list = Json::array();
      for (const RawSpan* span : group.spans) span_list.push_back(SpanJson(*span));
      Json scope = {{"name", group.scope->scope_name}};
      if (!group.scope->scope_version.empty()) scope["version"] = group.scope->scope_version;
      if (!group.scope->scope_attributes.empty()) {
        scope["attributes"] = AttributesJson(group.scope->scope_attributes);
      }
      scope_spans.push_back({{"scope", std::move(scope)}, {"spans", std::move(span_list)}});
    }
    resource_spans.push_back(
        {{"resource", {{"attributes", AttributesJson(*resource.resource_attributes)}}},
         {"scopeSpans", std::move(scope_spans)}});
  }
  return {{"resourceSpans", std::move(resource_spans)}};
}

absl::StatusOr<std::string> EncodeOtlpProtobuf(std::span<const RawSpan> spans) {
  otlp_collector::ExportTraceServiceRequest request;
  for (const ResourceGroup& resource : Group(spans)) {
    otlp_trace::ResourceSpans* rs = request.add_resource_spans();
    SetAttributes(*resource.resource_attributes, rs->mutable_resource()->mutable_attributes());
    for (const ScopeGroup& group : resource.scopes) {
      otlp_trace::ScopeSpans* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name(group.scope->scope_name);
      ss->mutable_scope()->set_version(group.scope->scope_version);
      SetAttributes(group.scope->scope_attributes, ss->mutable_scope()->mutable_attributes());
      for (const RawSpan* span : group.spans) TRACKLY_RETURN_IF_ERROR(SetSpan(*span, ss->add_spans()));
    }
  }
  std::string body;
  if (!request.SerializeToString(&body)) return absl::InternalError("protobuf serialization failed");
  return body;
}

}  // namespace trackly::cli
