#include "ingest/otlp/otlp_json_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace trackly::ingest {
namespace {

using ::testing::HasSubstr;
using model::Json;

constexpr char kTraceId[] = "0102030405060708090a0b0c0d0e0f10";
constexpr char kSpanId[] = "aabbccddeeff0011";

// A request with the given spans (JSON objects, comma-separated) under one resource and scope.
std::string Request(std::string_view spans) {
  return absl::StrCat(
      R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},)"
      R"("scopeSpans":[{"scope":{"name":"my.scope","version":"1.0"},"spans":[)",
      std::string(spans), "]}]}]}");
}

// One span with valid ids plus the given extra fields (a JSON fragment, may be empty).
std::string Span(std::string_view extra) {
  return absl::StrCat(R"({"traceId":")", kTraceId, R"(","spanId":")", kSpanId, R"(")",
                      extra.empty() ? "" : ",", std::string(extra), "}");
}

absl::StatusOr<model::SpanBatch> Decode(std::string_view body, const DecodeLimits& limits = {}) {
  return OtlpJsonDecoder().Decode(body, limits);
}

TEST(OtlpJsonDecoderTest, DecodesSpanFieldsResourceAndScope) {
  absl::StatusOr<model::SpanBatch> batch = Decode(Request(absl::StrCat(
      R"({"traceId":"0102030405060708090A0B0C0D0E0F10","spanId":"AABBCCDDEEFF0011",)"
      R"("parentSpanId":"0000000000000001","name":"chat","kind":3,"traceState":"k=v",)"
      R"("startTimeUnixNano":"1000","endTimeUnixNano":2000,)"
      R"("status":{"code":2,"message":"boom"},"droppedAttributesCount":1,)"
      R"("events":[{"timeUnixNano":"1500","name":"exception","attributes":[)"
      R"({"key":"exception.type","value":{"stringValue":"ValueError"}}]}],)"
      R"("links":[{"traceId":")", kTraceId, R"(","spanId":")", kSpanId, R"("}],"flags":257})")));
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->spans.size(), 1u);
  const model::RawSpan& span = batch->spans[0];
  EXPECT_EQ(span.trace_id, kTraceId);  // lowercased
  EXPECT_EQ(span.span_id, kSpanId);
  EXPECT_EQ(span.parent_span_id, "0000000000000001");
  EXPECT_EQ(span.name, "chat");
  EXPECT_EQ(span.kind, model::SpanKind::kClient);
  EXPECT_EQ(span.trace_state, "k=v");
  EXPECT_EQ(span.start_time_ns, 1000);
  EXPECT_EQ(span.end_time_ns, 2000);
  EXPECT_EQ(span.status_code, model::StatusCode::kError);
  EXPECT_EQ(span.status_message, "boom");
  EXPECT_EQ(span.dropped_attributes_count, 1u);
  ASSERT_EQ(span.events.size(), 1u);
  EXPECT_EQ(span.events[0].time_ns, 1500);
  EXPECT_EQ(span.events[0].attributes, Json({{"exception.type", "ValueError"}}));
  ASSERT_EQ(span.links.size(), 1u);
  EXPECT_EQ(span.links[0].trace_id, kTraceId);
  EXPECT_EQ(span.scope->scope_name, "my.scope");
  EXPECT_EQ(span.scope->scope_version, "1.0");
  EXPECT_EQ(span.scope->resource_attributes, Json({{"service.name", "svc"}}));
}

TEST(OtlpJsonDecoderTest, MapsAnyValueToJson) {
  absl::StatusOr<model::SpanBatch> batch = Decode(Request(Span(R"("attributes":[
      {"key":"s","value":{"stringValue":"text"}},
      {"key":"b","value":{"boolValue":true}},
      {"key":"i_number","value":{"intValue":-42}},
      {"key":"i_string","value":{"intValue":"9007199254740993"}},
      {"key":"d","value":{"doubleValue":0.5}},
      {"key":"d_whole","value":{"doubleValue":2}},
      {"key":"d_string","value":{"doubleValue":"Infinity"}},
      {"key":"bytes","value":{"bytesValue":"AP8="}},
      {"key":"empty","value":{}},
      {"key":"missing"},
      {"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"x"},{"intValue":"1"}]}}},
      {"key":"empty_arr","value":{"arrayValue":{}}},
      {"key":"kv","value":{"kvlistValue":{"values":[{"key":"inner","value":{"boolValue":false}}]}}},
      {"key":"dup","value":{"intValue":1}},
      {"key":"dup","value":{"intValue":2}}])")));
  ASSERT_TRUE(batch.ok()) << batch.status();
  const Json& got = batch->spans.at(0).attributes;
  EXPECT_EQ(got["s"], "text");
  EXPECT_EQ(got["b"], true);
  EXPECT_EQ(got["i_number"], -42);
  EXPECT_TRUE(got["i_number"].is_number_integer());
  EXPECT_EQ(got["i_string"], int64_t{9007199254740993});
  EXPECT_EQ(got["d"], 0.5);
  EXPECT_TRUE(got["d_whole"].is_number_float());
  EXPECT_TRUE(std::isinf(got["d_string"].get<double>()));
  EXPECT_EQ(got["bytes"], "AP8=");
  EXPECT_TRUE(got["empty"].is_null());
  EXPECT_TRUE(got["missing"].is_null());
  EXPECT_EQ(got["arr"], Json::parse(R"(["x",1])"));
  EXPECT_EQ(got["empty_arr"], Json::array());
  EXPECT_EQ(got["kv"], Json::parse(R"({"inner":false})"));
  EXPECT_EQ(got["dup"], 2);
}

struct KindCase {
  std::string kind;
  std::string code;
  model::SpanKind want_kind;
  model::StatusCode want_code;
};

TEST(OtlpJsonDecoderTest, ToleratesEnumNames) {
  const KindCase cases[] = {
      {"3", "2", model::SpanKind::kClient, model::StatusCode::kError},
      {R"("SPAN_KIND_CLIENT")", R"("STATUS_CODE_ERROR")", model::SpanKind::kClient,
       model::StatusCode::kError},
      {R"("SERVER")", R"("OK")", model::SpanKind::kServer, model::StatusCode::kOk},
      {R"("span_kind_consumer")", R"("STATUS_CODE_UNSET")", model::SpanKind::kConsumer,
       model::StatusCode::kUnset},
      {"99", "7", model::SpanKind::kUnspecified, model::StatusCode::kUnset},  // open enums
  };
  for (const KindCase& c : cases) {
    absl::StatusOr<model::SpanBatch> batch = Decode(
        Request(Span(absl::StrCat(R"("kind":)", c.kind, R"(,"status":{"code":)", c.code, "}"))));
    ASSERT_TRUE(batch.ok()) << c.kind << ": " << batch.status();
    EXPECT_EQ(batch->spans.at(0).kind, c.want_kind) << c.kind;
    EXPECT_EQ(batch->spans.at(0).status_code, c.want_code) << c.code;
  }
  absl::StatusOr<model::SpanBatch> unknown = Decode(Request(Span(R"("kind":"SIDEWAYS")")));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(),
              HasSubstr("resourceSpans[0].scopeSpans[0].spans[0].kind: unknown enum value"));
}

TEST(OtlpJsonDecoderTest, AcceptsInt64AsStringOrNumber) {
  for (const char* time : {R"("1795314529557000000")", "1795314529557000000"}) {
    absl::StatusOr<model::SpanBatch> batch =
        Decode(Request(Span(absl::StrCat(R"("startTimeUnixNano":)", time,
                                         R"(,"attributes":[{"key":"n","value":{"intValue":)",
                                         time, "}}]"))));
    ASSERT_TRUE(batch.ok()) << time << ": " << batch.status();
    EXPECT_EQ(batch->spans.at(0).start_time_ns, int64_t{1795314529557000000}) << time;
    EXPECT_EQ(batch->spans.at(0).attributes["n"], int64_t{1795314529557000000}) << time;
  }
  // proto3 JSON also allows an integral number in exponent form.
  absl::StatusOr<model::SpanBatch> exponent =
      Decode(Request(Span(R"("attributes":[{"key":"n","value":{"intValue":1.5e3}}])")));
  ASSERT_TRUE(exponent.ok()) << exponent.status();
  EXPECT_EQ(exponent->spans.at(0).attributes["n"], 1500);
}

TEST(OtlpJsonDecoderTest, AcceptsSnakeCaseKeysAndIgnoresUnknownAndNullFields) {
  const std::string body = absl::StrCat(
      R"({"resource_spans":[{"future_field":{"x":[1,2]},"scope_spans":[{"spans":[{"trace_id":")",
      kTraceId, R"(","span_id":")", kSpanId,
      R"(","parent_span_id":null,"name":"snake","start_time_unix_nano":"5","unknown":[{}],)"
      R"("attributes":[{"key":"k","value":{"string_value":"v"}}],"status":null}]}],)"
      R"("resource":{"attributes":[{"key":"service.name","value":{"stringValue":"late"}}]}}]})");
  absl::StatusOr<model::SpanBatch> batch = Decode(body);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->spans.size(), 1u);
  EXPECT_EQ(batch->spans[0].name, "snake");
  EXPECT_EQ(batch->spans[0].start_time_ns, 5);
  EXPECT_EQ(batch->spans[0].parent_span_id, "");
  EXPECT_EQ(batch->spans[0].attributes, Json({{"k", "v"}}));
  // The resource came after scopeSpans in the body; it still applies.
  EXPECT_EQ(batch->spans[0].scope->resource_attributes, Json({{"service.name", "late"}}));
}

TEST(OtlpJsonDecoderTest, ReadsLegacyInstrumentationLibraryKeys) {
  const std::string body = absl::StrCat(
      R"({"resourceSpans":[{"instrumentationLibrarySpans":[{"instrumentationLibrary":{"name":"old"},)"
      R"("spans":[)", Span(""), "]}]}]}");
  absl::StatusOr<model::SpanBatch> batch = Decode(body);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->spans.size(), 1u);
  EXPECT_EQ(batch->spans[0].scope->scope_name, "old");
}

struct RejectCase {
  std::string span;
  std::string want_message;
};

TEST(OtlpJsonDecoderTest, RejectsSpansWithBadIdsAndKeepsTheRest) {
  const std::string path = "resourceSpans[0].scopeSpans[0].spans[1].";
  const RejectCase cases[] = {
      {absl::StrCat(R"({"traceId":"00000000000000000000000000000000","spanId":")", kSpanId, R"("})"),
       path + "traceId: all zero"},
      {absl::StrCat(R"({"traceId":"0102030405060708090a0b0c0d0e0f","spanId":")", kSpanId, R"("})"),
       path + "traceId: expected 32 hex characters, got 30"},
      {absl::StrCat(R"({"traceId":"0102030405060708090a0b0c0d0e0fzz","spanId":")", kSpanId, R"("})"),
       path + "traceId: expected 32 hex characters, found 'z'"},
      {absl::StrCat(R"({"spanId":")", kSpanId, R"("})"),
       path + "traceId: expected 32 hex characters, got 0"},
      {absl::StrCat(R"({"traceId":12,"spanId":")", kSpanId, R"("})"),
       path + "traceId: expected a hex string, got number"},
      {absl::StrCat(R"({"traceId":")", kTraceId, R"(","spanId":"0000000000000000"})"),
       path + "spanId: all zero"},
      {absl::StrCat(R"({"traceId":")", kTraceId, R"(","spanId":"aabb"})"),
       path + "spanId: expected 16 hex characters, got 4"},
      {absl::StrCat(R"({"traceId":")", kTraceId, R"(","spanId":")", kSpanId,
                    R"(","parentSpanId":"abc"})"),
       path + "parentSpanId: expected 16 hex characters, got 3"},
  };
  for (const RejectCase& c : cases) {
    absl::StatusOr<model::SpanBatch> batch =
        Decode(Request(absl::StrCat(Span(R"("name":"good-0")"), ",", c.span, ",",
                                    Span(R"("name":"good-2")"))));
    ASSERT_TRUE(batch.ok()) << c.span << ": " << batch.status();
    ASSERT_EQ(batch->spans.size(), 2u) << c.span;
    EXPECT_EQ(batch->spans[0].name, "good-0");
    EXPECT_EQ(batch->spans[1].name, "good-2");
    EXPECT_EQ(batch->rejected_spans, 1) << c.span;
    EXPECT_EQ(batch->rejection_message, c.want_message) << c.span;
  }
}

TEST(OtlpJsonDecoderTest, EmptyOrZeroParentIdMeansRoot) {
  for (const char* parent : {R"("")", R"("0000000000000000")"}) {
    absl::StatusOr<model::SpanBatch> batch =
        Decode(Request(Span(absl::StrCat(R"("parentSpanId":)", parent))));
    ASSERT_TRUE(batch.ok()) << batch.status();
    EXPECT_EQ(batch->spans.at(0).parent_span_id, "");
  }
}

// An AnyValue nested `depth` levels deep, as arrays or kvlists.
std::string Nested(int depth, bool kvlist) {
  std::string value = R"({"stringValue":"leaf"})";
  for (int level = 1; level < depth; ++level) {
    value = kvlist ? absl::StrCat(R"({"kvlistValue":{"values":[{"key":"k","value":)", value, "}]}}")
                   : absl::StrCat(R"({"arrayValue":{"values":[)", value, "]}}");
  }
  return value;
}

TEST(OtlpJsonDecoderTest, AcceptsNesting64AndRejects65NamingThePath) {
  for (bool kvlist : {false, true}) {
    const auto attribute = [&](int depth) {
      return Request(Span(absl::StrCat(R"("attributes":[{"key":"deep","value":)",
                                       Nested(depth, kvlist), "}]")));
    };
    absl::StatusOr<model::SpanBatch> ok = Decode(attribute(64));
    EXPECT_TRUE(ok.ok()) << ok.status();
    absl::StatusOr<model::SpanBatch> bad = Decode(attribute(65));
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(bad.status().message(),
                HasSubstr(kvlist ? "spans[0].attributes[0].value.kvlistValue.values[0].value."
                                 : "spans[0].attributes[0].value.arrayValue.values[0]."));
    EXPECT_THAT(bad.status().message(), HasSubstr("nested deeper than 64 levels"));
  }
}

struct ErrorCase {
  std::string body;
  std::string want_message;
};

TEST(OtlpJsonDecoderTest, RejectsMalformedRequestsNamingTheField) {
  const std::string span_path = "resourceSpans[0].scopeSpans[0].spans[0].";
  const ErrorCase cases[] = {
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":)", "invalid JSON at byte"},
      {"", "invalid JSON"},
      {"[]", "expected an object, got array"},
      {R"({"resourceSpans":{}})", "resourceSpans: expected an array, got object"},
      {Request(Span(R"("name":5)")), span_path + "name: expected a string, got number"},
      {Request(Span(R"("startTimeUnixNano":"soon")")),
       span_path + "startTimeUnixNano: expected a non-negative integer"},
      {Request(Span(R"("startTimeUnixNano":-1)")),
       span_path + "startTimeUnixNano: expected a non-negative integer"},
      {Request(Span(R"("attributes":{"k":"v"})")), span_path + "attributes: expected an array"},
      {Request(Span(R"("attributes":[{"key":"k","value":{"intValue":1.5}}])")),
       span_path + "attributes[0].value.intValue: expected an integer"},
      {Request(Span(R"("attributes":[{"key":"k","value":{"intValue":"9223372036854775808"}}])")),
       span_path + "attributes[0].value.intValue: expected an integer"},
      {Request(Span(R"("attributes":[{"key":"k","value":"v"}])")),
       span_path + "attributes[0].value: expected an object, got string"},
      {Request(Span(R"("events":[{"name":["x"]}])")),
       span_path + "events[0].name: expected a string, got array"},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<model::SpanBatch> batch = Decode(c.body);
    EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument) << c.body;
    EXPECT_THAT(batch.status().message(), HasSubstr(c.want_message)) << c.body;
  }
}

TEST(OtlpJsonDecoderTest, MalformedJsonErrorGivesTheBytePosition) {
  absl::StatusOr<model::SpanBatch> batch = Decode(R"({"resourceSpans": [}])");
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(batch.status().message(), HasSubstr("invalid JSON at byte 20: syntax error"));
}

TEST(OtlpJsonDecoderTest, EmptyObjectIsAnEmptyBatch) {
  absl::StatusOr<model::SpanBatch> batch = Decode("{}");
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_TRUE(batch->spans.empty());
}

TEST(OtlpJsonDecoderTest, AppliesPerSpanLimitsAndCountsCuts) {
  DecodeLimits limits;
  limits.max_attributes_per_span = 2;
  limits.max_events_per_span = 1;
  limits.max_attribute_value_bytes = 4;
  absl::StatusOr<model::SpanBatch> batch = Decode(
      Request(Span(R"("attributes":[{"key":"a","value":{"stringValue":"h\u00e9llo"}},
          {"key":"b","value":{"arrayValue":{"values":[{"stringValue":"abcdef"}]}}},
          {"key":"c","value":{"intValue":3}}],
          "events":[{"name":"e1"},{"name":"e2"},{"name":"e3"}],"droppedEventsCount":"4")")),
      limits);
  ASSERT_TRUE(batch.ok()) << batch.status();
  const model::RawSpan& span = batch->spans.at(0);
  EXPECT_EQ(span.attributes, Json::parse(R"({"a":"h\u00e9l","b":["abcd"]})"));
  EXPECT_EQ(span.dropped_attributes_count, 1u);
  EXPECT_EQ(span.events.size(), 1u);
  EXPECT_EQ(span.dropped_events_count, 4u + 2u);
  EXPECT_EQ(span.truncated_by_server, 2u /*values*/ + 1u /*attribute*/ + 2u /*events*/);
}

}  // namespace
}  // namespace trackly::ingest
