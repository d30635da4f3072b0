#include "ingest/otlp/otlp_proto_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace trackly::ingest {
namespace {

using ::testing::HasSubstr;
using model::Json;
namespace pb_collector = ::opentelemetry::proto::collector::trace::v1;
namespace pb_common = ::opentelemetry::proto::common::v1;
namespace pb_trace = ::opentelemetry::proto::trace::v1;

const std::string kTraceId("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);
const std::string kSpanId("\xaa\xbb\xcc\xdd\xee\xff\x00\x11", 8);

pb_trace::Span* AddSpan(pb_collector::ExportTraceServiceRequest& request, std::string name) {
  if (request.resource_spans_size() == 0) request.add_resource_spans()->add_scope_spans();
  pb_trace::Span* span = request.mutable_resource_spans(0)->mutable_scope_spans(0)->add_spans();
  span->set_trace_id(kTraceId);
  span->set_span_id(kSpanId);
  span->set_name(std::move(name));
  return span;
}

pb_common::AnyValue* AddAttribute(google::protobuf::RepeatedPtrField<pb_common::KeyValue>* list,
                                  std::string key) {
  pb_common::KeyValue* kv = list->Add();
  kv->set_key(std::move(key));
  return kv->mutable_value();
}

absl::StatusOr<model::SpanBatch> Decode(const pb_collector::ExportTraceServiceRequest& request,
                                        const DecodeLimits& limits = {}) {
  return OtlpProtoDecoder().Decode(request.SerializeAsString(), limits);
}

TEST(OtlpProtoDecoderTest, DecodesSpanFieldsResourceAndScope) {
  pb_collector::ExportTraceServiceRequest request;
  pb_trace::ResourceSpans* resource_spans = request.add_resource_spans();
  AddAttribute(resource_spans->mutable_resource()->mutable_attributes(), "service.name")
      ->set_string_value("svc");
  pb_trace::ScopeSpans* scope_spans = resource_spans->add_scope_spans();
  scope_spans->mutable_scope()->set_name("my.scope");
  scope_spans->mutable_scope()->set_version("1.2");
  pb_trace::Span* span = scope_spans->add_spans();
  span->set_trace_id(kTraceId);
  span->set_span_id(kSpanId);
  span->set_parent_span_id(std::string("\x00\x00\x00\x00\x00\x00\x00\x01", 8));
  span->set_name("chat");
  span->set_kind(pb_trace::Span::SPAN_KIND_CLIENT);
  span->set_start_time_unix_nano(1000);
  span->set_end_time_unix_nano(2000);
  span->set_trace_state("k=v");
  span->mutable_status()->set_code(pb_trace::Status::STATUS_CODE_ERROR);
  span->mutable_status()->set_message("boom");
  pb_trace::Span::Event* event = span->add_events();
  event->set_name("exception");
  event->set_time_unix_nano(1500);
  AddAttribute(event->mutable_attributes(), "exception.type")->set_string_value("ValueError");
  pb_trace::Span::Link* link = span->add_links();
  link->set_trace_id(kTraceId);
  link->set_span_id(kSpanId);
  scope_spans->add_spans()->CopyFrom(*span);

  absl::StatusOr<model::SpanBatch> batch = Decode(request);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->spans.size(), 2u);
  EXPECT_EQ(batch->rejected_spans, 0);
  const model::RawSpan& out = batch->spans[0];
  EXPECT_EQ(out.trace_id, "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(out.span_id, "aabbccddeeff0011");
  EXPECT_EQ(out.parent_span_id, "0000000000000001");
  EXPECT_EQ(out.name, "chat");
  EXPECT_EQ(out.kind, model::SpanKind::kClient);
  EXPECT_EQ(out.start_time_ns, 1000);
  EXPECT_EQ(out.end_time_ns, 2000);
  EXPECT_EQ(out.trace_state, "k=v");
  EXPECT_EQ(out.status_code, model::StatusCode::kError);
  EXPECT_EQ(out.status_message, "boom");
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].name, "exception");
  EXPECT_EQ(out.events[0].time_ns, 1500);
  EXPECT_EQ(out.events[0].attributes, Json({{"exception.type", "ValueError"}}));
  ASSERT_EQ(out.links.size(), 1u);
  EXPECT_EQ(out.links[0].span_id, "aabbccddeeff0011");
  ASSERT_NE(out.scope, nullptr);
  EXPECT_EQ(out.scope->scope_name, "my.scope");
  EXPECT_EQ(out.scope->scope_version, "1.2");
  EXPECT_EQ(out.scope->resource_attributes, Json({{"service.name", "svc"}}));
  // One RawScope per ScopeSpans, shared by its spans.
  EXPECT_EQ(batch->spans[1].scope.get(), out.scope.get());
}

TEST(OtlpProtoDecoderTest, MapsAnyValueToJson) {
  pb_collector::ExportTraceServiceRequest request;
  auto* attributes = AddSpan(request, "s")->mutable_attributes();
  AddAttribute(attributes, "s")->set_string_value("text");
  AddAttribute(attributes, "b")->set_bool_value(true);
  AddAttribute(attributes, "i")->set_int_value(-42);
  AddAttribute(attributes, "d")->set_double_value(0.5);
  AddAttribute(attributes, "whole_double")->set_double_value(2.0);
  AddAttribute(attributes, "bytes")->set_bytes_value(std::string("\x00\xff", 2));
  AddAttribute(attributes, "empty");
  pb_common::ArrayValue* array = AddAttribute(attributes, "arr")->mutable_array_value();
  array->add_values()->set_string_value("x");
  array->add_values()->set_int_value(1);
  pb_common::KeyValueList* kvlist = AddAttribute(attributes, "kv")->mutable_kvlist_value();
  pb_common::KeyValue* entry = kvlist->add_values();
  entry->set_key("inner");
  entry->mutable_value()->set_bool_value(false);
  AddAttribute(attributes, "dup")->set_int_value(1);
  AddAttribute(attributes, "dup")->set_int_value(2);

  absl::StatusOr<model::SpanBatch> batch = Decode(request);
  ASSERT_TRUE(batch.ok()) << batch.status();
  const Json& got = batch->spans.at(0).attributes;
  EXPECT_EQ(got, Json::parse(R"({"s":"text","b":true,"i":-42,"d":0.5,"whole_double":2.0,
      "bytes":"AP8=","empty":null,"arr":["x",1],"kv":{"inner":false},"dup":2})"));
  EXPECT_TRUE(got["i"].is_number_integer());
  EXPECT_TRUE(got["whole_double"].is_number_float());
}

struct RejectCase {
  std::string name;
  std::function<void(pb_trace::Span&)> mutate;
  std::string want_message;
};

TEST(OtlpProtoDecoderTest, RejectsSpansWithBadIdsAndKeepsTheRest) {
  const RejectCase cases[] = {
      {"zero trace id", [](pb_trace::Span& s) { s.set_trace_id(std::string(16, '\0')); },
       "resource_spans[0].scope_spans[0].spans[1].trace_id: all zero"},
      {"short trace id", [](pb_trace::Span& s) { s.set_trace_id(std::string(15, '\1')); },
       "resource_spans[0].scope_spans[0].spans[1].trace_id: expected 16 bytes, got 15"},
      {"missing span id", [](pb_trace::Span& s) { s.clear_span_id(); },
       "resource_spans[0].scope_spans[0].spans[1].span_id: expected 8 bytes, got 0"},
      {"zero span id", [](pb_trace::Span& s) { s.set_span_id(std::string(8, '\0')); },
       "resource_spans[0].scope_spans[0].spans[1].span_id: all zero"},
      {"long parent id", [](pb_trace::Span& s) { s.set_parent_span_id(std::string(9, '\1')); },
       "resource_spans[0].scope_spans[0].spans[1].parent_span_id: expected 8 bytes, got 9"},
  };
  for (const RejectCase& c : cases) {
    pb_collector::ExportTraceServiceRequest request;
    AddSpan(request, "good-0");
    c.mutate(*AddSpan(request, "bad"));
    AddSpan(request, "good-2");
    absl::StatusOr<model::SpanBatch> batch = Decode(request);
    ASSERT_TRUE(batch.ok()) << c.name << ": " << batch.status();
    ASSERT_EQ(batch->spans.size(), 2u) << c.name;
    EXPECT_EQ(batch->spans[0].name, "good-0");
    EXPECT_EQ(batch->spans[1].name, "good-2");
    EXPECT_EQ(batch->rejected_spans, 1) << c.name;
    EXPECT_EQ(batch->rejection_message, c.want_message) << c.name;
  }
}

TEST(OtlpProtoDecoderTest, CountsSeveralRejectionsInOneMessage) {
  pb_collector::ExportTraceServiceRequest request;
  for (int i = 0; i < 3; ++i) AddSpan(request, "bad")->set_trace_id(std::string(16, '\0'));
  absl::StatusOr<model::SpanBatch> batch = Decode(request);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_TRUE(batch->spans.empty());
  EXPECT_EQ(batch->rejected_spans, 3);
  EXPECT_EQ(batch->rejection_message,
            "resource_spans[0].scope_spans[0].spans[0].trace_id: all zero (and 2 more rejected "
            "spans)");
}

TEST(OtlpProtoDecoderTest, AllZeroParentIdMeansRoot) {
  pb_collector::ExportTraceServiceRequest request;
  AddSpan(request, "root")->set_parent_span_id(std::string(8, '\0'));
  absl::StatusOr<model::SpanBatch> batch = Decode(request);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->spans.size(), 1u);
  EXPECT_EQ(batch->spans[0].parent_span_id, "");
}

// A value nested `depth` levels deep: arrays or kvlists wrapping a string.
void Nest(pb_common::AnyValue* value, int depth, bool kvlist) {
  for (int level = 1; level < depth; ++level) {
    if (kvlist) {
      pb_common::KeyValue* kv = value->mutable_kvlist_value()->add_values();
      kv->set_key("k");
      value = kv->mutable_value();
    } else {
      value = value->mutable_array_value()->add_values();
    }
  }
  value->set_string_value("leaf");
}

TEST(OtlpProtoDecoderTest, AcceptsNesting64AndRejects65) {
  for (bool kvlist : {false, true}) {
    pb_collector::ExportTraceServiceRequest ok_request;
    Nest(AddAttribute(AddSpan(ok_request, "s")->mutable_attributes(), "deep"), 64, kvlist);
    absl::StatusOr<model::SpanBatch> ok = Decode(ok_request);
    EXPECT_TRUE(ok.ok()) << ok.status();

    pb_collector::ExportTraceServiceRequest bad_request;
    Nest(AddAttribute(AddSpan(bad_request, "s")->mutable_attributes(), "deep"), 65, kvlist);
    absl::StatusOr<model::SpanBatch> bad = Decode(bad_request);
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(bad.status().message(),
                HasSubstr("resource_spans[0].scope_spans[0].spans[0].attributes[0].value."));
    EXPECT_THAT(bad.status().message(), HasSubstr("nested deeper than 64 levels"));
  }
}

TEST(OtlpProtoDecoderTest, AppliesPerSpanLimitsAndCountsCuts) {
  pb_collector::ExportTraceServiceRequest request;
  pb_trace::Span* span = AddSpan(request, "s");
  for (int i = 0; i < 5; ++i) AddAttribute(span->mutable_attributes(), "a" + std::to_string(i))->set_int_value(i);
  AddAttribute(span->mutable_attributes(), "long")->set_string_value("ignored: over the count");
  span->set_dropped_attributes_count(7);
  for (int i = 0; i < 4; ++i) span->add_events()->set_name("e" + std::to_string(i));
  for (int i = 0; i < 3; ++i) {
    span->add_links()->set_trace_id(kTraceId);
    span->mutable_links(i)->set_span_id(kSpanId);
  }
  pb_trace::Span* other = AddSpan(request, "t");
  AddAttribute(other->mutable_attributes(), "text")->set_string_value("h\xC3\xA9llo w\xC3\xB6rld");
  AddAttribute(other->mutable_attributes(), "short")->set_string_value("ok");

  DecodeLimits limits;
  limits.max_attributes_per_span = 3;
  limits.max_events_per_span = 2;
  limits.max_links_per_span = 1;
  limits.max_attribute_value_bytes = 2;
  absl::StatusOr<model::SpanBatch> batch = Decode(request, limits);
  ASSERT_TRUE(batch.ok()) << batch.status();
  const model::RawSpan& first = batch->spans.at(0);
  EXPECT_EQ(first.attributes, Json({{"a0", 0}, {"a1", 1}, {"a2", 2}}));
  EXPECT_EQ(first.dropped_attributes_count, 7u + 3u);
  EXPECT_EQ(first.events.size(), 2u);
  EXPECT_EQ(first.dropped_events_count, 2u);
  EXPECT_EQ(first.links.size(), 1u);
  EXPECT_EQ(first.dropped_links_count, 2u);
  EXPECT_EQ(first.truncated_by_server, 3u + 2u + 2u);
  const model::RawSpan& second = batch->spans.at(1);
  EXPECT_EQ(second.attributes, Json({{"text", "h"}, {"short", "ok"}}));  // é not split
  EXPECT_EQ(second.truncated_by_server, 1u);
}

TEST(OtlpProtoDecoderTest, ReadsLegacyInstrumentationLibrarySpans) {
  pb_collector::ExportTraceServiceRequest request;
  pb_trace::ScopeSpans* legacy = request.add_resource_spans()->add_instrumentation_library_spans();
  legacy->mutable_scope()->set_name("old.library");
  pb_trace::Span* span = legacy->add_spans();
  span->set_trace_id(kTraceId);
  span->set_span_id(kSpanId);
  span->set_name("old");
  absl::StatusOr<model::SpanBatch> batch = Decode(request);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->spans.size(), 1u);
  EXPECT_EQ(batch->spans[0].scope->scope_name, "old.library");
}

TEST(OtlpProtoDecoderTest, RepairsInvalidUtf8InsteadOfFailing) {
  pb_collector::ExportTraceServiceRequest request;
  pb_trace::Span* span = AddSpan(request, "bad\xFFname");
  AddAttribute(span->mutable_attributes(), "k\xC3")->set_string_value("v\xFF");
  absl::StatusOr<model::SpanBatch> batch = Decode(request);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->spans.at(0).name, "bad\xEF\xBF\xBDname");
  EXPECT_EQ(batch->spans.at(0).attributes, Json({{"k\xEF\xBF\xBD", "v\xEF\xBF\xBD"}}));
}

// Regression: arena blocks sized from the body length misaligned the arena's cleanup records,
// which unknown fields (here KeyValue.key_strindex, a profiles-only field) allocate once parsing
// needs a second block. Found by UBSan in the Sanitize build.
TEST(OtlpProtoDecoderTest, DecodesUnknownFieldsWithBodiesOfEveryLengthModulo8) {
  for (int extra = 0; extra < 8; ++extra) {
    pb_collector::ExportTraceServiceRequest request;
    pb_trace::Span* span = AddSpan(request, std::string(1 + extra, 'n'));
    // Enough attributes that parsing needs more than the arena's first block.
    for (int i = 0; i < 200; ++i) {
      pb_common::KeyValue* kv = span->add_attributes();
      kv->set_key(std::to_string(i));
      kv->mutable_value()->set_int_value(i);
      kv->GetReflection()->MutableUnknownFields(kv)->AddVarint(3, 7);
    }
    absl::StatusOr<model::SpanBatch> batch = Decode(request);
    ASSERT_TRUE(batch.ok()) << batch.status();
    EXPECT_EQ(batch->spans.at(0).attributes.size(), 200u);
  }
}

TEST(OtlpProtoDecoderTest, EmptyBodyIsAnEmptyBatch) {
  absl::StatusOr<model::SpanBatch> batch = OtlpProtoDecoder().Decode("", {});
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_TRUE(batch->spans.empty());
  EXPECT_EQ(batch->rejected_spans, 0);
}

TEST(OtlpProtoDecoderTest, RejectsMalformedProtobuf) {
  for (std::string_view body : {std::string_view("\x0a\xff\xff\xff\xff\x0f", 6),
                                std::string_view("{\"resourceSpans\":[]}")}) {
    absl::StatusOr<model::SpanBatch> batch = OtlpProtoDecoder().Decode(body, {});
    EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(batch.status().message(), HasSubstr("invalid protobuf"));
  }
}

}  // namespace
}  // namespace trackly::ingest
