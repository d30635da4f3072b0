#include "cli/otlp_request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "cli/demo_runs.h"
#include "ingest/otlp/otlp_json_decoder.h"
#include "ingest/otlp/otlp_proto_decoder.h"
#include "model/json.h"

namespace trackly::cli {
namespace {

using model::Json;
using ::testing::SizeIs;

constexpr int64_t kNow = 1'795'314'529'557'000'000;

model::RawSpan SpanWithScope(std::shared_ptr<const model::RawScope> scope, std::string span_id) {
  model::RawSpan span;
  span.trace_id = "0af7651916cd43dd8448eb211c80319c";
  span.span_id = std::move(span_id);
  span.name = "chat gpt-4o";
  span.kind = model::SpanKind::kClient;
  span.start_time_ns = kNow;
  span.end_time_ns = kNow + 1000;
  span.scope = std::move(scope);
  return span;
}

TEST(EncodeOtlpJsonTest, FollowsTheOtlpJsonRules) {
  auto scope = std::make_shared<model::RawScope>();
  scope->resource_attributes = {{"service.name", "svc"}};
  scope->scope_name = "lib";
  model::RawSpan span = SpanWithScope(scope, "b7ad6b7169203331");
  span.parent_span_id = "00f067aa0ba902b7";
  span.status_code = model::StatusCode::kError;
  span.status_message = "boom";
  span.attributes = {{"i", 42},
                     {"d", 0.5},
                     {"b", true},
                     {"s", "x"},
                     {"a", Json::array({1, "two"})},
                     {"o", {{"k", "v"}}},
                     {"n", nullptr}};
  span.events.push_back({"exception", kNow + 500, {{"exception.type", "ValueError"}}});

  Json body = EncodeOtlpJson(std::span<const model::RawSpan>(&span, 1));
  const Json& out = body["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(body["resourceSpans"][0]["resource"]["attributes"][0],
            Json::parse(R"({"key":"service.name","value":{"stringValue":"svc"}})"));
  EXPECT_EQ(body["resourceSpans"][0]["scopeSpans"][0]["scope"]["name"], "lib");
  EXPECT_EQ(out["traceId"], "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(out["parentSpanId"], "00f067aa0ba902b7");
  EXPECT_EQ(out["kind"], 3);
  EXPECT_EQ(out["startTimeUnixNano"], "1795314529557000000");
  EXPECT_EQ(out["status"], Json::parse(R"({"code":2,"message":"boom"})"));
  EXPECT_EQ(out["events"][0]["timeUnixNano"], "1795314529557000500");

  Json by_key = Json::object();
  for (const Json& kv : out["attributes"]) by_key[kv["key"].get<std::string>()] = kv["value"];
  EXPECT_EQ(by_key["i"], Json::parse(R"({"intValue":"42"})"));
  EXPECT_EQ(by_key["d"], Json::parse(R"({"doubleValue":0.5})"));
  EXPECT_EQ(by_key["b"], Json::parse(R"({"boolValue":true})"));
  EXPECT_EQ(by_key["a"], Json::parse(R"({"arrayValue":{"values":[{"intValue":"1"},{"stringValue":"two"}]}})"));
  EXPECT_EQ(by_key["o"], Json::parse(R"({"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}})"));
  EXPECT_EQ(by_key["n"], Json::object());
}

TEST(EncodeOtlpJsonTest, GroupsSpansByResourceThenScope) {
  auto a = std::make_shared<model::RawScope>();
  a->resource_attributes = {{"service.name", "one"}};
  a->scope_name = "lib-a";
  auto a_again = std::make_shared<model::RawScope>(*a);  // equal content, other pointer
  auto b = std::make_shared<model::RawScope>(*a);
  b->scope_name = "lib-b";
  auto c = std::make_shared<model::RawScope>();
  c->resource_attributes = {{"service.name", "two"}};
  c->scope_name = "lib-a";
  std::vector<model::RawSpan> spans = {SpanWithScope(a, "0000000000000001"), SpanWithScope(c, "0000000000000002"),
                                       SpanWithScope(b, "0000000000000003"), SpanWithScope(a_again, "0000000000000004")};
  Json body = EncodeOtlpJson(spans);
  ASSERT_THAT(body["resourceSpans"], SizeIs(2));
  const Json& first = body["resourceSpans"][0]["scopeSpans"];
  ASSERT_THAT(first, SizeIs(2));
  EXPECT_THAT(first[0]["spans"], SizeIs(2));  // spans 1 and 4
  EXPECT_EQ(first[0]["spans"][1]["spanId"], "0000000000000004");
  EXPECT_EQ(first[1]["scope"]["name"], "lib-b");
  EXPECT_THAT(body["resourceSpans"][1]["scopeSpans"][0]["spans"], SizeIs(1));
}

TEST(EncodeOtlpProtobufTest, RejectsNonHexIds) {
  auto scope = std::make_shared<model::RawScope>();
  model::RawSpan span = SpanWithScope(scope, "not-hex!");
  absl::StatusOr<std::string> body = EncodeOtlpProtobuf(std::span<const model::RawSpan>(&span, 1));
  ASSERT_TRUE(absl::IsInvalidArgument(body.status()));
  EXPECT_THAT(body.status().message(), ::testing::HasSubstr("span_id"));
}

// What the encoders write, our own decoders read back unchanged: the demo's traffic is real OTLP.
void ExpectSameSpans(const std::vector<model::RawSpan>& sent, const model::SpanBatch& got) {
  EXPECT_EQ(got.rejected_spans, 0) << got.rejection_message;
  ASSERT_EQ(got.spans.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    const model::RawSpan& a = sent[i];
    const model::RawSpan& b = got.spans[i];
    SCOPED_TRACE(a.name);
    EXPECT_EQ(a.trace_id, b.trace_id);
    EXPECT_EQ(a.span_id, b.span_id);
    EXPECT_EQ(a.parent_span_id, b.parent_span_id);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.start_time_ns, b.start_time_ns);
    EXPECT_EQ(a.end_time_ns, b.end_time_ns);
    EXPECT_EQ(a.status_code, b.status_code);
    EXPECT_EQ(a.status_message, b.status_message);
    EXPECT_EQ(a.attributes, b.attributes);
    ASSERT_EQ(a.events.size(), b.events.size());
    for (size_t j = 0; j < a.events.size(); ++j) {
      EXPECT_EQ(a.events[j].name, b.events[j].name);
      EXPECT_EQ(a.events[j].time_ns, b.events[j].time_ns);
      EXPECT_EQ(a.events[j].attributes, b.events[j].attributes);
    }
    ASSERT_NE(b.scope, nullptr);
    EXPECT_EQ(a.scope->resource_attributes, b.scope->resource_attributes);
    EXPECT_EQ(a.scope->scope_name, b.scope->scope_name);
    EXPECT_EQ(a.scope->scope_version, b.scope->scope_version);
  }
}

TEST(EncodeOtlpTest, DemoRunsRoundTripThroughTheJsonDecoder) {
  for (const DemoRun& run : DemoRunBuilder(kNow, 3).All()) {
    SCOPED_TRACE(run.name);
    std::string body = model::DumpJson(EncodeOtlpJson(run.spans));
    absl::StatusOr<model::SpanBatch> batch = ingest::OtlpJsonDecoder().Decode(body, ingest::DecodeLimits{});
    ASSERT_TRUE(batch.ok()) << batch.status();
    ExpectSameSpans(run.spans, *batch);
  }
}

TEST(EncodeOtlpTest, DemoRunsRoundTripThroughTheProtobufDecoder) {
  for (const DemoRun& run : DemoRunBuilder(kNow, 3).All()) {
    SCOPED_TRACE(run.name);
    absl::StatusOr<std::string> body = EncodeOtlpProtobuf(run.spans);
    ASSERT_TRUE(body.ok()) << body.status();
    absl::StatusOr<model::SpanBatch> batch = ingest::OtlpProtoDecoder().Decode(*body, ingest::DecodeLimits{});
    ASSERT_TRUE(batch.ok()) << batch.status();
    ExpectSameSpans(run.spans, *batch);
  }
}

}  // namespace
}  // namespace trackly::cli
