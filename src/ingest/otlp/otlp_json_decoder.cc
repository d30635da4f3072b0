#include "ingest/otlp/otlp_json_decoder.h"

#include <simdjson.h>

#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "ingest/otlp/batch_builder.h"
#include "ingest/otlp/field_path.h"
#include "ingest/otlp/otlp_id.h"

namespace trackly::ingest {
namespace {

namespace dom = simdjson::dom;
using model::Json;
using otlp::BatchBuilder;
using otlp::CutCounts;
using otlp::FieldPath;

// Bodies above this size are parsed with a parser of their own instead of the thread's reused
// one, so one huge request does not pin its buffers for the life of the thread.
constexpr size_t kReusedParserMaxBytes = size_t{8} << 20;

// Matches a key in its lowerCamelCase (OTLP/JSON) or snake_case (proto field name) spelling.
bool KeyIs(std::string_view key, std::string_view camel, std::string_view snake) {
  return key == camel || key == snake;
}

std::string_view TypeName(dom::element value) {
  switch (value.type()) {
    case dom::element_type::ARRAY:
      return "array";
    case dom::element_type::OBJECT:
      return "object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      return "number";
    case dom::element_type::STRING:
      return "string";
    case dom::element_type::BOOL:
      return "boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
  }
  return "value";
}

absl::Status TypeError(const FieldPath& path, std::string_view expected, dom::element value) {
  return absl::InvalidArgumentError(
      absl::StrCat(path.ToString(), ": expected ", Sv(expected), ", got ", Sv(TypeName(value))));
}

absl::Status RangeError(const FieldPath& path, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path.ToString(), ": ", Sv(what)));
}

absl::Status ReadObject(dom::element value, const FieldPath& path, dom::object* out) {
  if (value.get_object().get(*out) != simdjson::SUCCESS) return TypeError(path, "an object", value);
  return absl::OkStatus();
}

absl::Status ReadArray(dom::element value, const FieldPath& path, dom::array* out) {
  if (value.get_array().get(*out) != simdjson::SUCCESS) return TypeError(path, "an array", value);
  return absl::OkStatus();
}

absl::Status ReadString(dom::element value, const FieldPath& path, std::string_view* out) {
  if (value.get_string().get(*out) != simdjson::SUCCESS) return TypeError(path, "a string", value);
  return absl::OkStatus();
}

// An integral double in [min, max] as an integer; proto3 JSON allows "1e3" for int64 fields.
template <typename Int>
std::optional<Int> IntegralDouble(double number) {
  // 2^63 and 2^64 are exact doubles; compare against them rather than the (inexact) max values.
  constexpr double kUpper = std::is_signed_v<Int> ? 9223372036854775808.0 : 18446744073709551616.0;
  constexpr double kLower = std::is_signed_v<Int> ? -9223372036854775808.0 : 0.0;
  if (!(number >= kLower && number < kUpper) || std::trunc(number) != number) return std::nullopt;
  return static_cast<Int>(number);
}

// int64 fields: a JSON number or a decimal string (proto3 JSON writes 64-bit values as strings).
absl::Status ReadInt64(dom::element value, const FieldPath& path, int64_t* out) {
  switch (value.type()) {
    case dom::element_type::INT64:
      *out = value.get_int64().value_unsafe();
      return absl::OkStatus();
    case dom::element_type::UINT64:
      return RangeError(path, "out of range for int64");
    case dom::element_type::DOUBLE:
      if (auto number = IntegralDouble<int64_t>(value.get_double().value_unsafe())) {
        *out = *number;
        return absl::OkStatus();
      }
      return RangeError(path, "expected an integer");
    case dom::element_type::STRING:
      if (absl::SimpleAtoi(Sv(value.get_string().value_unsafe()), out)) return absl::OkStatus();
      return RangeError(path, "expected an integer");
    default:
      return TypeError(path, "an integer", value);
  }
}

// fixed64 / uint64 fields, same forms as ReadInt64.
absl::Status ReadUint64(dom::element value, const FieldPath& path, uint64_t* out) {
  switch (value.type()) {
    case dom::element_type::UINT64:
      *out = value.get_uint64().value_unsafe();
      return absl::OkStatus();
    case dom::element_type::INT64:
      if (int64_t number = value.get_int64().value_unsafe(); number >= 0) {
        *out = static_cast<uint64_t>(number);
        return absl::OkStatus();
      }
      return RangeError(path, "expected a non-negative integer");
    case dom::element_type::DOUBLE:
      if (auto number = IntegralDouble<uint64_t>(value.get_double().value_unsafe())) {
        *out = *number;
        return absl::OkStatus();
      }
      return RangeError(path, "expected a non-negative integer");
    case dom::element_type::STRING:
      if (absl::SimpleAtoi(Sv(value.get_string().value_unsafe()), out)) return absl::OkStatus();
      return RangeError(path, "expected a non-negative integer");
    default:
      return TypeError(path, "an integer", value);
  }
}

// Timestamps are fixed64 on the wire; the model keeps int64 nanoseconds (good until 2262).
absl::Status ReadNanos(dom::element value, const FieldPath& path, int64_t* out) {
  uint64_t nanos = 0;
  TRACKLY_RETURN_IF_ERROR(ReadUint64(value, path, &nanos));
  *out = static_cast<int64_t>(std::min<uint64_t>(nanos, std::numeric_limits<int64_t>::max()));
  return absl::OkStatus();
}

absl::Status ReadUint32(dom::element value, const FieldPath& path, uint32_t* out) {
  uint64_t number = 0;
  TRACKLY_RETURN_IF_ERROR(ReadUint64(value, path, &number));
  if (number > std::numeric_limits<uint32_t>::max()) return RangeError(path, "out of range for uint32");
  *out = static_cast<uint32_t>(number);
  return absl::OkStatus();
}

absl::Status ReadDouble(dom::element value, const FieldPath& path, double* out) {
  if (value.is_number()) {
    *out = value.get_double().value_unsafe();
    return absl::OkStatus();
  }
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return TypeError(path, "a number", value);
  // proto3 JSON spells the special values as strings; plain numbers in strings are tolerated.
  if (text == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
  } else if (text == "Infinity") {
    *out = std::numeric_limits<double>::infinity();
  } else if (text == "-Infinity") {
    *out = -std::numeric_limits<double>::infinity();
  } else if (!absl::SimpleAtod(Sv(text), out)) {
    return RangeError(path, "expected a number");
  }
  return absl::OkStatus();
}

absl::Status ReadBool(dom::element value, const FieldPath& path, bool* out) {
  if (value.get_bool().get(*out) == simdjson::SUCCESS) return absl::OkStatus();
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS && (text == "true" || text == "false")) {
    *out = text == "true";
    return absl::OkStatus();
  }
  return TypeError(path, "a boolean", value);
}

// An enum as its number or its name; `names[i]` is the full name of value i and `prefix` the part
// senders sometimes leave off ("SPAN_KIND_"). Numbers are not range-checked (proto3 enums are open).
absl::Status ReadEnum(dom::element value, const FieldPath& path, std::string_view prefix,
                      std::initializer_list<std::string_view> names, int* out) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    int index = 0;
    for (std::string_view name : names) {
      if (absl::EqualsIgnoreCase(Sv(text), Sv(name)) ||
          absl::EqualsIgnoreCase(Sv(text), Sv(name.substr(prefix.size())))) {
        *out = index;
        return absl::OkStatus();
      }
      ++index;
    }
    if (absl::SimpleAtoi(Sv(text), out)) return absl::OkStatus();
    return RangeError(path, absl::StrCat("unknown enum value \"", Sv(text.substr(0, 64)), "\""));
  }
  int64_t number = 0;
  TRACKLY_RETURN_IF_ERROR(ReadInt64(value, path, &number));
  *out = number >= std::numeric_limits<int>::min() && number <= std::numeric_limits<int>::max()
             ? static_cast<int>(number)
             : -1;
  return absl::OkStatus();
}

model::SpanKind ToSpanKind(int kind) {
  return kind >= 0 && kind <= 5 ? static_cast<model::SpanKind>(kind) : model::SpanKind::kUnspecified;
}

model::StatusCode ToStatusCode(int code) {
  return code >= 0 && code <= 2 ? static_cast<model::StatusCode>(code) : model::StatusCode::kUnset;
}

// Finds where nlohmann's parser stops on malformed JSON; simdjson's errors carry no position.
// Only used once a body has already failed to parse, so its cost does not matter.
class ErrorLocator final : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& error) override {
    position_ = position;
    // "[json.exception.parse_error.101] parse error at line 1, column 5: <detail>" → "<detail>"
    std::string_view what = error.what();
    if (size_t column = what.find("column "); column != std::string_view::npos) {
      if (size_t colon = what.find(": ", column); colon != std::string_view::npos) {
        what.remove_prefix(colon + 2);
      }
    }
    detail_ = std::string(what.substr(0, 200));
    return false;
  }

  std::optional<size_t> position() const { return position_; }
  const std::string& detail() const { return detail_; }

 private:
  std::optional<size_t> position_;
  std::string detail_;
};

absl::Status SyntaxError(std::string_view body, simdjson::error_code error) {
  ErrorLocator locator;
  Json::sax_parse(body.begin(), body.end(), &locator);
  if (locator.position().has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at byte ", *locator.position(), ": ", locator.detail()));
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", simdjson::error_message(error)));
}

// Walks the parsed document into the model.
class Converter {
 public:
  explicit Converter(const DecodeLimits& limits) : builder_(limits) {}

  absl::Status Convert(dom::element root) {
    const FieldPath top;
    dom::object request;
    TRACKLY_RETURN_IF_ERROR(ReadObject(root, top, &request));
    for (auto [key, value] : request) {
      if (!KeyIs(key, "resourceSpans", "resource_spans") || value.is_null()) continue;
      const FieldPath field = top.Child("resourceSpans");
      dom::array list;
      TRACKLY_RETURN_IF_ERROR(ReadArray(value, field, &list));
      int64_t i = 0;
      for (dom::element item : list) {
        TRACKLY_RETURN_IF_ERROR(ConvertResourceSpans(item, top.Child("resourceSpans", i++)));
      }
    }
    return absl::OkStatus();
  }

  model::SpanBatch Finish() && { return std::move(builder_).Finish(); }

 private:
  absl::Status ConvertResourceSpans(dom::element element, const FieldPath& path) {
    dom::object object;
    TRACKLY_RETURN_IF_ERROR(ReadObject(element, path, &object));
    // The resource must be known before any scope is built, whatever the key order.
    Json resource_attributes = Json::object();
    for (auto [key, value] : object) {
      if (key != "resource" || value.is_null()) continue;
      const FieldPath resource_path = path.Child("resource");
      dom::object resource;
      TRACKLY_RETURN_IF_ERROR(ReadObject(value, resource_path, &resource));
      for (auto [resource_key, resource_value] : resource) {
        if (resource_key != "attributes" || resource_value.is_null()) continue;
        CutCounts ignored;
        TRACKLY_RETURN_IF_ERROR(
            ConvertAttributes(resource_value, resource_path, ignored, &resource_attributes));
      }
    }
    for (auto [key, value] : object) {
      std::string_view name;
      if (KeyIs(key, "scopeSpans", "scope_spans")) {
        name = "scopeSpans";
      } else if (KeyIs(key, "instrumentationLibrarySpans", "instrumentation_library_spans")) {
        name = "instrumentationLibrarySpans";
      } else {
        continue;
      }
      if (value.is_null()) continue;
      const FieldPath list_path = path.Child(name);
      dom::array list;
      TRACKLY_RETURN_IF_ERROR(ReadArray(value, list_path, &list));
      int64_t i = 0;
      for (dom::element item : list) {
        TRACKLY_RETURN_IF_ERROR(ConvertScopeSpans(item, resource_attributes, path.Child(name, i++)));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ConvertScopeSpans(dom::element element, const Json& resource_attributes,
                                 const FieldPath& path) {
    dom::object object;
    TRACKLY_RETURN_IF_ERROR(ReadObject(element, path, &object));
    auto scope = std::make_shared<model::RawScope>();
    scope->resource_attributes = resource_attributes;
    std::optional<dom::element> spans;
    for (auto [key, value] : object) {
      if (value.is_null()) continue;
      if (key == "scope" || KeyIs(key, "instrumentationLibrary", "instrumentation_library")) {
        TRACKLY_RETURN_IF_ERROR(ConvertScope(value, path.Child(key == "scope" ? "scope" : "instrumentationLibrary"), *scope));
      } else if (key == "spans") {
        spans = value;
      }
    }
    if (!spans.has_value()) return absl::OkStatus();
    std::shared_ptr<const model::RawScope> shared_scope = std::move(scope);
    const FieldPath list_path = path.Child("spans");
    dom::array list;
    TRACKLY_RETURN_IF_ERROR(ReadArray(*spans, list_path, &list));
    int64_t i = 0;
    for (dom::element item : list) {
      TRACKLY_RETURN_IF_ERROR(ConvertSpan(item, shared_scope, path.Child("spans", i++)));
    }
    return absl::OkStatus();
  }

  absl::Status ConvertScope(dom::element element, const FieldPath& path, model::RawScope& scope) {
    dom::object object;
    TRACKLY_RETURN_IF_ERROR(ReadObject(element, path, &object));
    for (auto [key, value] : object) {
      if (value.is_null()) continue;
      std::string_view text;
      if (key == "name") {
        TRACKLY_RETURN_IF_ERROR(ReadString(value, path.Child("name"), &text));
        scope.scope_name = text;
      } else if (key == "version") {
        TRACKLY_RETURN_IF_ERROR(ReadString(value, path.Child("version"), &text));
        scope.scope_version = text;
      } else if (key == "attributes") {
        CutCounts ignored;
        TRACKLY_RETURN_IF_ERROR(ConvertAttributes(value, path, ignored, &scope.scope_attributes));
      }
    }
    return absl::OkStatus();
  }

  // An id field's text, or nullopt (with the span rejected) if it is not a string.
  std::optional<std::string_view> IdText(dom::element value, const FieldPath& where) {
    std::string_view text;
    if (value.get_string().get(text) == simdjson::SUCCESS) return text;
    builder_.RejectSpan(where, absl::StrCat("expected a hex string, got ", Sv(TypeName(value))));
    return std::nullopt;
  }

  // Checks a required id; rejects the span (returning false) if it is malformed or all zero.
  bool CheckRequiredId(std::string_view text, size_t width, const FieldPath& where, std::string* hex) {
    if (absl::Status status = otlp::HexIdFromText(text, width, hex); !status.ok()) {
      builder_.RejectSpan(where, std::string(status.message()));
      return false;
    }
    if (otlp::IsZeroId(*hex)) {
      builder_.RejectSpan(where, "all zero");
      return false;
    }
    return true;
  }

  absl::Status ConvertSpan(dom::element element, const std::shared_ptr<const model::RawScope>& scope,
                           const FieldPath& path) {
    dom::object object;
    TRACKLY_RETURN_IF_ERROR(ReadObject(element, path, &object));
    model::RawSpan out;
    CutCounts cuts;
    // Ids are checked after the loop, in a fixed order, so the rejection names the first bad one.
    std::optional<dom::element> trace_id;
    std::optional<dom::element> span_id;
    std::optional<dom::element> parent_span_id;
    for (auto [key, value] : object) {
      if (value.is_null()) continue;
      std::string_view text;
      if (KeyIs(key, "traceId", "trace_id")) {
        trace_id = value;
      } else if (KeyIs(key, "spanId", "span_id")) {
        span_id = value;
      } else if (KeyIs(key, "parentSpanId", "parent_span_id")) {
        parent_span_id = value;
      } else if (key == "name") {
        TRACKLY_RETURN_IF_ERROR(ReadString(value, path.Child("name"), &text));
        out.name = text;
      } else if (key == "kind") {
        int kind = 0;
        TRACKLY_RETURN_IF_ERROR(ReadEnum(value, path.Child("kind"), "SPAN_KIND_",
                                         {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
                                          "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT",
                                          "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"},
                                         &kind));
        out.kind = ToSpanKind(kind);
      } else if (KeyIs(key, "startTimeUnixNano", "start_time_unix_nano")) {
        TRACKLY_RETURN_IF_ERROR(ReadNanos(value, path.Child("startTimeUnixNano"), &out.start_time_ns));
      } else if (KeyIs(key, "endTimeUnixNano", "end_time_unix_nano")) {
        TRACKLY_RETURN_IF_ERROR(ReadNanos(value, path.Child("endTimeUnixNano"), &out.end_time_ns));
      } else if (key == "attributes") {
        TRACKLY_RETURN_IF_ERROR(ConvertAttributes(value, path, cuts, &out.attributes));
      } else if (KeyIs(key, "droppedAttributesCount", "dropped_attributes_count")) {
        TRACKLY_RETURN_IF_ERROR(ReadUint32(value, path.Child("droppedAttributesCount"),
                                           &out.dropped_attributes_count));
      } else if (key == "events") {
        TRACKLY_RETURN_IF_ERROR(ConvertEvents(value, path, cuts, out.events));
      } else if (KeyIs(key, "droppedEventsCount", "dropped_events_count")) {
        TRACKLY_RETURN_IF_ERROR(
            ReadUint32(value, path.Child("droppedEventsCount"), &out.dropped_events_count));
      } else if (key == "links") {
        TRACKLY_RETURN_IF_ERROR(ConvertLinks(value, path, cuts, out));
      } else if (KeyIs(key, "droppedLinksCount", "dropped_links_count")) {
        // Added, not assigned: ConvertLinks may already have counted malformed links.
        uint32_t dropped = 0;
        TRACKLY_RETURN_IF_ERROR(ReadUint32(value, path.Child("droppedLinksCount"), &dropped));
        out.dropped_links_count += dropped;
      } else if (KeyIs(key, "traceState", "trace_state")) {
        TRACKLY_RETURN_IF_ERROR(ReadString(value, path.Child("traceState"), &text));
        out.trace_state = text;
      } else if (key == "status") {
        TRACKLY_RETURN_IF_ERROR(ConvertStatus(value, path.Child("status"), out));
      }
    }

    const FieldPath trace_id_path = path.Child("traceId");
    const FieldPath span_id_path = path.Child("spanId");
    const FieldPath parent_path = path.Child("parentSpanId");
    const auto id_text = [&](const std::optional<dom::element>& field,
                             const FieldPath& where) -> std::optional<std::string_view> {
      return field.has_value() ? IdText(*field, where) : std::string_view();
    };
    std::optional<std::string_view> text = id_text(trace_id, trace_id_path);
    if (!text || !CheckRequiredId(*text, otlp::kTraceIdBytes, trace_id_path, &out.trace_id)) {
      return absl::OkStatus();
    }
    text = id_text(span_id, span_id_path);
    if (!text || !CheckRequiredId(*text, otlp::kSpanIdBytes, span_id_path, &out.span_id)) {
      return absl::OkStatus();
    }
    text = id_text(parent_span_id, parent_path);
    if (!text) return absl::OkStatus();
    if (!text->empty()) {
      if (absl::Status status = otlp::HexIdFromText(*text, otlp::kSpanIdBytes, &out.parent_span_id);
          !status.ok()) {
        builder_.RejectSpan(parent_path, std::string(status.message()));
        return absl::OkStatus();
      }
      // Some senders write zeros instead of leaving the field empty for a root span.
      if (otlp::IsZeroId(out.parent_span_id)) out.parent_span_id.clear();
    }
    out.scope = scope;
    builder_.AddSpan(std::move(out), cuts);
    return absl::OkStatus();
  }

  absl::Status ConvertStatus(dom::element element, const FieldPath& path, model::RawSpan& out) {
    dom::object object;
    TRACKLY_RETURN_IF_ERROR(ReadObject(element, path, &object));
    for (auto [key, value] : object) {
      if (value.is_null()) continue;
      if (key == "code") {
        int code = 0;
        TRACKLY_RETURN_IF_ERROR(ReadEnum(value, path.Child("code"), "STATUS_CODE_",
                                         {"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"},
                                         &code));
        out.status_code = ToStatusCode(code);
      } else if (key == "message") {
        std::string_view text;
        TRACKLY_RETURN_IF_ERROR(ReadString(value, path.Child("message"), &text));
        out.status_message = text;
      }
    }
    return absl::OkStatus();
  }

  absl::Status ConvertEvents(dom::element element, const FieldPath& span_path, CutCounts& cuts,
                             std::vector<model::RawEvent>& out) {
    dom::array list;
    TRACKLY_RETURN_IF_ERROR(ReadArray(element, span_path.Child("events"), &list));
    int64_t i = 0;
    for (dom::element item : list) {
      const FieldPath path = span_path.Child("events", i);
      if (!builder_.KeepEvent(i++, cuts)) continue;
      dom::object object;
      TRACKLY_RETURN_IF_ERROR(ReadObject(item, path, &object));
      model::RawEvent& event = out.emplace_back();
      for (auto [key, value] : object) {
        if (value.is_null()) continue;
        if (KeyIs(key, "timeUnixNano", "time_unix_nano")) {
          TRACKLY_RETURN_IF_ERROR(ReadNanos(value, path.Child("timeUnixNano"), &event.time_ns));
        } else if (key == "name") {
          std::string_view text;
          TRACKLY_RETURN_IF_ERROR(ReadString(value, path.Child("name"), &text));
          event.name = text;
        } else if (key == "attributes") {
          TRACKLY_RETURN_IF_ERROR(ConvertAttributes(value, path, cuts, &event.attributes));
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status ConvertLinks(dom::element element, const FieldPath& span_path, CutCounts& cuts,
                            model::RawSpan& span) {
    dom::array list;
    TRACKLY_RETURN_IF_ERROR(ReadArray(element, span_path.Child("links"), &list));
    int64_t i = 0;
    for (dom::element item : list) {
      const FieldPath path = span_path.Child("links", i);
      if (!builder_.KeepLink(i++, cuts)) continue;
      dom::object object;
      TRACKLY_RETURN_IF_ERROR(ReadObject(item, path, &object));
      model::RawLink link;
      std::string_view trace_id;
      std::string_view span_id;
      for (auto [key, value] : object) {
        if (value.is_null()) continue;
        if (KeyIs(key, "traceId", "trace_id")) {
          // Not a string: stays empty, so the link is dropped below.
          if (value.is_string()) trace_id = value.get_string().value_unsafe();
        } else if (KeyIs(key, "spanId", "span_id")) {
          if (value.is_string()) span_id = value.get_string().value_unsafe();
        } else if (key == "attributes") {
          TRACKLY_RETURN_IF_ERROR(ConvertAttributes(value, path, cuts, &link.attributes));
        }
      }
      if (!otlp::HexIdFromText(trace_id, otlp::kTraceIdBytes, &link.trace_id).ok() ||
          !otlp::HexIdFromText(span_id, otlp::kSpanIdBytes, &link.span_id).ok()) {
        ++span.dropped_links_count;
        continue;
      }
      span.links.push_back(std::move(link));
    }
    return absl::OkStatus();
  }

  // Fills the JSON object *out from the "attributes" list under `owner`.
  absl::Status ConvertAttributes(dom::element element, const FieldPath& owner, CutCounts& cuts,
                                 Json* out) {
    dom::array list;
    TRACKLY_RETURN_IF_ERROR(ReadArray(element, owner.Child("attributes"), &list));
    int64_t i = 0;
    for (dom::element item : list) {
      const FieldPath path = owner.Child("attributes", i);
      if (!builder_.KeepAttribute(i++, cuts)) continue;
      TRACKLY_RETURN_IF_ERROR(ConvertKeyValue(item, path, 1, cuts, *out));
    }
    return absl::OkStatus();
  }

  // One {key, value} into `object` (last key wins); `depth` is the value's nesting level.
  absl::Status ConvertKeyValue(dom::element element, const FieldPath& path, int depth,
                               CutCounts& cuts, Json& object) {
    dom::object kv;
    TRACKLY_RETURN_IF_ERROR(ReadObject(element, path, &kv));
    std::string_view key;
    Json value;
    for (auto [field, field_value] : kv) {
      if (field == "key") {
        TRACKLY_RETURN_IF_ERROR(ReadString(field_value, path.Child("key"), &key));
      } else if (field == "value") {
        TRACKLY_RETURN_IF_ERROR(ConvertValue(field_value, depth, path.Child("value"), cuts, &value));
      }
    }
    object[std::string(key)] = std::move(value);
    return absl::OkStatus();
  }

  // AnyValue → JSON as model/raw_span.h specifies. Recursion depth is bounded by CheckDepth.
  absl::Status ConvertValue(dom::element element, int depth, const FieldPath& path, CutCounts& cuts,
                            Json* out) {
    TRACKLY_RETURN_IF_ERROR(builder_.CheckDepth(depth, path));
    *out = nullptr;
    if (element.is_null()) return absl::OkStatus();
    dom::object object;
    TRACKLY_RETURN_IF_ERROR(ReadObject(element, path, &object));
    for (auto [key, value] : object) {
      if (value.is_null()) continue;
      if (KeyIs(key, "stringValue", "string_value")) {
        std::string_view text;
        TRACKLY_RETURN_IF_ERROR(ReadString(value, path.Child("stringValue"), &text));
        std::string copy(text);
        builder_.LimitValue(copy, cuts);
        *out = std::move(copy);
      } else if (KeyIs(key, "intValue", "int_value")) {
        int64_t number = 0;
        TRACKLY_RETURN_IF_ERROR(ReadInt64(value, path.Child("intValue"), &number));
        *out = number;
      } else if (KeyIs(key, "doubleValue", "double_value")) {
        double number = 0;
        TRACKLY_RETURN_IF_ERROR(ReadDouble(value, path.Child("doubleValue"), &number));
        *out = number;
      } else if (KeyIs(key, "boolValue", "bool_value")) {
        bool flag = false;
        TRACKLY_RETURN_IF_ERROR(ReadBool(value, path.Child("boolValue"), &flag));
        *out = flag;
      } else if (KeyIs(key, "arrayValue", "array_value")) {
        TRACKLY_RETURN_IF_ERROR(ConvertArray(value, depth, path.Child("arrayValue"), cuts, out));
      } else if (KeyIs(key, "kvlistValue", "kvlist_value")) {
        TRACKLY_RETURN_IF_ERROR(ConvertKvlist(value, depth, path.Child("kvlistValue"), cuts, out));
      } else if (KeyIs(key, "bytesValue", "bytes_value")) {
        std::string_view text;
        TRACKLY_RETURN_IF_ERROR(ReadString(value, path.Child("bytesValue"), &text));
        std::string copy(text);
        builder_.LimitValue(copy, cuts);
        *out = std::move(copy);
      }
    }
    return absl::OkStatus();
  }

  // {"values": [AnyValue...]} at `path` (the arrayValue field).
  absl::Status ConvertArray(dom::element element, int depth, const FieldPath& path, CutCounts& cuts,
                            Json* out) {
    dom::object object;
    TRACKLY_RETURN_IF_ERROR(ReadObject(element, path, &object));
    *out = Json::array();
    for (auto [key, value] : object) {
      if (key != "values" || value.is_null()) continue;
      dom::array list;
      TRACKLY_RETURN_IF_ERROR(ReadArray(value, path.Child("values"), &list));
      Json::array_t& array = out->get_ref<Json::array_t&>();
      array.clear();
      array.reserve(list.size());
      int64_t i = 0;
      for (dom::element item : list) {
        TRACKLY_RETURN_IF_ERROR(
            ConvertValue(item, depth + 1, path.Child("values", i++), cuts, &array.emplace_back()));
      }
    }
    return absl::OkStatus();
  }

  // {"values": [{key, value}...]} at `path` (the kvlistValue field).
  absl::Status ConvertKvlist(dom::element element, int depth, const FieldPath& path, CutCounts& cuts,
                             Json* out) {
    dom::object object;
    TRACKLY_RETURN_IF_ERROR(ReadObject(element, path, &object));
    *out = Json::object();
    for (auto [key, value] : object) {
      if (key != "values" || value.is_null()) continue;
      dom::array list;
      TRACKLY_RETURN_IF_ERROR(ReadArray(value, path.Child("values"), &list));
      int64_t i = 0;
      for (dom::element item : list) {
        TRACKLY_RETURN_IF_ERROR(ConvertKeyValue(item, path.Child("values", i++), depth + 1, cuts, *out));
      }
    }
    return absl::OkStatus();
  }

  BatchBuilder builder_;
};

}  // namespace

absl::StatusOr<model::SpanBatch> OtlpJsonDecoder::Decode(std::string_view body,
                                                         const DecodeLimits& limits) const {
  // simdjson parsers keep their buffers between documents; reusing one per thread avoids
  // reallocating them for every request.
  thread_local dom::parser reused_parser;
  std::optional<dom::parser> own_parser;
  dom::parser& parser =
      body.size() <= kReusedParserMaxBytes ? reused_parser : own_parser.emplace();
  dom::element root;
  if (simdjson::error_code error = parser.parse(body.data(), body.size()).get(root);
      error != simdjson::SUCCESS) {
    return SyntaxError(body, error);
  }
  Converter converter(limits);
  TRACKLY_RETURN_IF_ERROR(converter.Convert(root));
  return std::move(converter).Finish();
}

}  // namespace trackly::ingest
