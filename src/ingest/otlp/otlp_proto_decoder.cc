#include "ingest/otlp/otlp_proto_decoder.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <climits>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "ingest/otlp/batch_builder.h"
#include "ingest/otlp/field_path.h"
#include "ingest/otlp/otlp_id.h"
#include "ingest/utf8.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace trackly::ingest {
namespace {

namespace pb_collector = ::opentelemetry::proto::collector::trace::v1;
namespace pb_common = ::opentelemetry::proto::common::v1;
namespace pb_trace = ::opentelemetry::proto::trace::v1;
using google::protobuf::RepeatedPtrField;
using model::Json;
using otlp::BatchBuilder;
using otlp::CutCounts;
using otlp::FieldPath;

// Moves a text field out of the (arena-owned) message, repairing invalid UTF-8. Moving is safe:
// the arena later runs the moved-from string's destructor.
std::string TakeText(std::string* field) {
  std::string text = std::move(*field);
  RepairUtf8(text);
  return text;
}

int64_t ToNanos(uint64_t unix_nano) {
  return static_cast<int64_t>(std::min<uint64_t>(unix_nano, std::numeric_limits<int64_t>::max()));
}

model::SpanKind ToSpanKind(int kind) {
  return kind >= 0 && kind <= 5 ? static_cast<model::SpanKind>(kind) : model::SpanKind::kUnspecified;
}

model::StatusCode ToStatusCode(int code) {
  return code >= 0 && code <= 2 ? static_cast<model::StatusCode>(code) : model::StatusCode::kUnset;
}

// Turns the parsed request into the model, consuming (moving out of) the request's strings.
class Converter {
 public:
  explicit Converter(const DecodeLimits& limits) : builder_(limits) {}

  absl::Status Convert(pb_collector::ExportTraceServiceRequest& request) {
    const FieldPath root;
    for (int i = 0; i < request.resource_spans_size(); ++i) {
      TRACKLY_RETURN_IF_ERROR(ConvertResourceSpans(*request.mutable_resource_spans(i),
                                                   root.Child("resource_spans", i)));
    }
    return absl::OkStatus();
  }

  model::SpanBatch Finish() && { return std::move(builder_).Finish(); }

 private:
  absl::Status ConvertResourceSpans(pb_trace::ResourceSpans& resource_spans, const FieldPath& path) {
    Json resource_attributes = Json::object();
    if (resource_spans.has_resource()) {
      CutCounts ignored;
      TRACKLY_RETURN_IF_ERROR(ConvertAttributes(
          *resource_spans.mutable_resource()->mutable_attributes(), path.Child("resource"), ignored,
          &resource_attributes));
    }
    for (int i = 0; i < resource_spans.scope_spans_size(); ++i) {
      TRACKLY_RETURN_IF_ERROR(ConvertScopeSpans(*resource_spans.mutable_scope_spans(i),
                                                resource_attributes, path.Child("scope_spans", i)));
    }
    for (int i = 0; i < resource_spans.instrumentation_library_spans_size(); ++i) {
      TRACKLY_RETURN_IF_ERROR(ConvertScopeSpans(
          *resource_spans.mutable_instrumentation_library_spans(i), resource_attributes,
          path.Child("instrumentation_library_spans", i)));
    }
    return absl::OkStatus();
  }

  absl::Status ConvertScopeSpans(pb_trace::ScopeSpans& scope_spans, const Json& resource_attributes,
                                 const FieldPath& path) {
    auto scope = std::make_shared<model::RawScope>();
    scope->resource_attributes = resource_attributes;
    if (scope_spans.has_scope()) {
      pb_common::InstrumentationScope& pb_scope = *scope_spans.mutable_scope();
      scope->scope_name = TakeText(pb_scope.mutable_name());
      scope->scope_version = TakeText(pb_scope.mutable_version());
      CutCounts ignored;
      TRACKLY_RETURN_IF_ERROR(ConvertAttributes(*pb_scope.mutable_attributes(),
                                                path.Child("scope"), ignored,
                                                &scope->scope_attributes));
    }
    std::shared_ptr<const model::RawScope> shared_scope = std::move(scope);
    for (int i = 0; i < scope_spans.spans_size(); ++i) {
      TRACKLY_RETURN_IF_ERROR(
          ConvertSpan(*scope_spans.mutable_spans(i), shared_scope, path.Child("spans", i)));
    }
    return absl::OkStatus();
  }

  // Rejects (and returns false) unless `bytes` is a valid, non-zero id.
  bool TakeRequiredId(const std::string& bytes, size_t width, const FieldPath& where,
                      std::string* hex) {
    if (absl::Status status = otlp::HexIdFromBytes(bytes, width, hex); !status.ok()) {
      builder_.RejectSpan(where, std::string(status.message()));
      return false;
    }
    if (otlp::IsZeroId(*hex)) {
      builder_.RejectSpan(where, "all zero");
      return false;
    }
    return true;
  }

  absl::Status ConvertSpan(pb_trace::Span& span, const std::shared_ptr<const model::RawScope>& scope,
                           const FieldPath& path) {
    model::RawSpan out;
    if (!TakeRequiredId(span.trace_id(), otlp::kTraceIdBytes, path.Child("trace_id"),
                        &out.trace_id) ||
        !TakeRequiredId(span.span_id(), otlp::kSpanIdBytes, path.Child("span_id"), &out.span_id)) {
      return absl::OkStatus();
    }
    if (!span.parent_span_id().empty()) {
      if (absl::Status status =
              otlp::HexIdFromBytes(span.parent_span_id(), otlp::kSpanIdBytes, &out.parent_span_id);
          !status.ok()) {
        builder_.RejectSpan(path.Child("parent_span_id"), std::string(status.message()));
        return absl::OkStatus();
      }
      // Some senders write zeros instead of leaving the field empty for a root span.
      if (otlp::IsZeroId(out.parent_span_id)) out.parent_span_id.clear();
    }
    out.trace_state = TakeText(span.mutable_trace_state());
    out.name = TakeText(span.mutable_name());
    out.kind = ToSpanKind(span.kind());
    out.start_time_ns = ToNanos(span.start_time_unix_nano());
    out.end_time_ns = ToNanos(span.end_time_unix_nano());

    CutCounts cuts;
    TRACKLY_RETURN_IF_ERROR(
        ConvertAttributes(*span.mutable_attributes(), path, cuts, &out.attributes));
    out.dropped_attributes_count = span.dropped_attributes_count();

    out.events.reserve(std::min(span.events_size(), builder_.limits().max_events_per_span));
    for (int i = 0; i < span.events_size(); ++i) {
      if (!builder_.KeepEvent(i, cuts)) continue;
      pb_trace::Span::Event& event = *span.mutable_events(i);
      model::RawEvent& raw = out.events.emplace_back();
      raw.time_ns = ToNanos(event.time_unix_nano());
      raw.name = TakeText(event.mutable_name());
      TRACKLY_RETURN_IF_ERROR(ConvertAttributes(*event.mutable_attributes(),
                                                path.Child("events", i), cuts, &raw.attributes));
    }
    out.dropped_events_count = span.dropped_events_count();

    out.dropped_links_count = span.dropped_links_count();
    for (int i = 0; i < span.links_size(); ++i) {
      if (!builder_.KeepLink(i, cuts)) continue;
      pb_trace::Span::Link& link = *span.mutable_links(i);
      model::RawLink raw;
      if (!otlp::HexIdFromBytes(link.trace_id(), otlp::kTraceIdBytes, &raw.trace_id).ok() ||
          !otlp::HexIdFromBytes(link.span_id(), otlp::kSpanIdBytes, &raw.span_id).ok()) {
        ++out.dropped_links_count;
        continue;
      }
      TRACKLY_RETURN_IF_ERROR(ConvertAttributes(*link.mutable_attributes(),
                                                path.Child("links", i), cuts, &raw.attributes));
      out.links.push_back(std::move(raw));
    }

    if (span.has_status()) {
      out.status_code = ToStatusCode(span.status().code());
      out.status_message = TakeText(span.mutable_status()->mutable_message());
    }
    out.scope = scope;
    builder_.AddSpan(std::move(out), cuts);
    return absl::OkStatus();
  }

  // Fills the JSON object *out from `attributes` (the field named "attributes" under `owner`).
  absl::Status ConvertAttributes(RepeatedPtrField<pb_common::KeyValue>& attributes,
                                 const FieldPath& owner, CutCounts& cuts, Json* out) {
    for (int i = 0; i < attributes.size(); ++i) {
      if (!builder_.KeepAttribute(i, cuts)) continue;
      pb_common::KeyValue& kv = attributes[i];
      Json value;
      if (kv.has_value()) {
        const FieldPath item = owner.Child("attributes", i);
        TRACKLY_RETURN_IF_ERROR(ConvertValue(*kv.mutable_value(), 1, item.Child("value"), cuts, &value));
      }
      (*out)[TakeText(kv.mutable_key())] = std::move(value);
    }
    return absl::OkStatus();
  }

  // AnyValue → JSON as model/raw_span.h specifies. Recursion depth is bounded by CheckDepth.
  absl::Status ConvertValue(pb_common::AnyValue& value, int depth, const FieldPath& path,
                            CutCounts& cuts, Json* out) {
    TRACKLY_RETURN_IF_ERROR(builder_.CheckDepth(depth, path));
    switch (value.value_case()) {
      case pb_common::AnyValue::kStringValue: {
        std::string text = TakeText(value.mutable_string_value());
        builder_.LimitValue(text, cuts);
        *out = std::move(text);
        break;
      }
      case pb_common::AnyValue::kBoolValue:
        *out = value.bool_value();
        break;
      case pb_common::AnyValue::kIntValue:
        *out = value.int_value();
        break;
      case pb_common::AnyValue::kDoubleValue:
        *out = value.double_value();
        break;
      case pb_common::AnyValue::kArrayValue: {
        RepeatedPtrField<pb_common::AnyValue>& values = *value.mutable_array_value()->mutable_values();
        *out = Json::array();
        Json::array_t& array = out->get_ref<Json::array_t&>();
        array.reserve(values.size());
        const FieldPath array_path = path.Child("array_value");
        for (int i = 0; i < values.size(); ++i) {
          TRACKLY_RETURN_IF_ERROR(ConvertValue(values[i], depth + 1, array_path.Child("values", i),
                                               cuts, &array.emplace_back()));
        }
        break;
      }
      case pb_common::AnyValue::kKvlistValue: {
        RepeatedPtrField<pb_common::KeyValue>& values = *value.mutable_kvlist_value()->mutable_values();
        *out = Json::object();
        const FieldPath list_path = path.Child("kvlist_value");
        for (int i = 0; i < values.size(); ++i) {
          Json item;
          if (values[i].has_value()) {
            const FieldPath entry = list_path.Child("values", i);
            TRACKLY_RETURN_IF_ERROR(ConvertValue(*values[i].mutable_value(), depth + 1,
                                                 entry.Child("value"), cuts, &item));
          }
          (*out)[TakeText(values[i].mutable_key())] = std::move(item);
        }
        break;
      }
      case pb_common::AnyValue::kBytesValue: {
        std::string encoded = absl::Base64Escape(value.bytes_value());
        builder_.LimitValue(encoded, cuts);
        *out = std::move(encoded);
        break;
      }
      case pb_common::AnyValue::VALUE_NOT_SET:
        *out = nullptr;
        break;
    }
    return absl::OkStatus();
  }

  BatchBuilder builder_;
};

}  // namespace

absl::StatusOr<model::SpanBatch> OtlpProtoDecoder::Decode(std::string_view body,
                                                          const DecodeLimits& limits) const {
  if (body.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError("protobuf body larger than 2 GiB");
  }
  // Parsed messages take a few times the body size; sizing the arena's blocks from it keeps a big
  // request to a handful of allocations, all freed at once.
  // Block sizes must stay multiples of 8: protobuf 3.21 puts cleanup records at the end of a
  // block without realigning (UBSan caught a misaligned one), so round to whole pages.
  google::protobuf::ArenaOptions arena_options;
  arena_options.start_block_size =
      (std::clamp<size_t>(body.size() * 2, 4096, size_t{1} << 20) + 4095) & ~size_t{4095};
  arena_options.max_block_size = size_t{4} << 20;
  google::protobuf::Arena arena(arena_options);
  auto* request =
      google::protobuf::Arena::CreateMessage<pb_collector::ExportTraceServiceRequest>(&arena);

  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(body.data()),
                                               static_cast<int>(body.size()));
  // A kvlist nesting level costs 3 message levels (AnyValue → KeyValueList → KeyValue), and the
  // envelope above an attribute value 5 more; allow that much so the depth check below, which
  // names the field, is what rejects deep values.
  input.SetRecursionLimit(3 * std::max(limits.max_nesting_depth, 0) + 16);
  if (!request->ParseFromCodedStream(&input)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid protobuf: body is not an OTLP ExportTraceServiceRequest (malformed, or nested "
        "deeper than ",
        limits.max_nesting_depth, " levels)"));
  }
  Converter converter(limits);
  TRACKLY_RETURN_IF_ERROR(converter.Convert(*request));
  return std::move(converter).Finish();
}

}  // namespace trackly::ingest
