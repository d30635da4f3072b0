// Golden inputs: requests captured from real SDKs (shared/fixtures/captured, see its README).
// Ids and timestamps differ per capture, so these tests compare structure, not bytes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "ingest/registry.h"
#include "model/json.h"

namespace trackly::ingest {
namespace {

using model::Json;

struct CapturedRequest {
  std::string content_type;
  std::string body;
};

std::vector<CapturedRequest> LoadFixture(const std::string& name) {
  std::ifstream file(std::string(TRACKLY_SHARED_DIR) + "/fixtures/captured/" + name);
  EXPECT_TRUE(file.is_open()) << name;
  std::vector<CapturedRequest> requests;
  for (std::string line; std::getline(file, line);) {
    if (line.empty()) continue;
    const Json record = Json::parse(line);
    CapturedRequest request;
    if (record["content_type"].is_string()) request.content_type = record["content_type"];
    const std::string body_b64 = record.value("body_b64", "");
    EXPECT_TRUE(absl::Base64Unescape(body_b64, &request.body)) << name;
    requests.push_back(std::move(request));
  }
  return requests;
}

// Decodes an OTLP request with the decoder its Content-Type selects.
model::SpanBatch DecodeCaptured(const CapturedRequest& request) {
  DecoderRegistry registry;
  RegisterDecoders(registry);
  absl::StatusOr<DecoderRoute> route = registry.Find(IngestProtocol::kOtlpTraces, request.content_type);
  EXPECT_TRUE(route.ok()) << route.status();
  if (!route.ok()) return {};
  absl::StatusOr<model::SpanBatch> batch = route->decoder->Decode(request.body, DecodeLimits{});
  EXPECT_TRUE(batch.ok()) << batch.status();
  return batch.ok() ? *std::move(batch) : model::SpanBatch{};
}

const model::RawSpan& ByName(const model::SpanBatch& batch, std::string_view name) {
  for (const model::RawSpan& span : batch.spans) {
    if (span.name == name) return span;
  }
  ADD_FAILURE() << "no span named " << name;
  static const model::RawSpan kNone;
  return kNone;
}

// The shape of a span that does not depend on the run: names instead of ids, value types
// instead of values for attributes whose values vary (ports, response ids).
Json Shape(const model::SpanBatch& batch, const model::RawSpan& span) {
  std::string parent_name;
  for (const model::RawSpan& other : batch.spans) {
    if (other.span_id == span.parent_span_id && other.trace_id == span.trace_id) parent_name = other.name;
  }
  Json attribute_types = Json::object();
  for (const auto& [key, value] : span.attributes.items()) attribute_types[key] = value.type_name();
  Json events = Json::array();
  for (const model::RawEvent& event : span.events) {
    Json event_keys = Json::array();
    for (const auto& [key, value] : event.attributes.items()) event_keys.push_back(key);
    events.push_back({{"name", event.name}, {"attribute_keys", event_keys}});
  }
  return {{"parent", parent_name},
          {"kind", static_cast<int>(span.kind)},
          {"status", static_cast<int>(span.status_code)},
          {"status_message", span.status_message},
          {"attribute_types", attribute_types},
          {"events", events},
          {"scope", span.scope->scope_name},
          {"service", span.scope->resource_attributes.value("service.name", "")}};
}

TEST(OtlpFixtureTest, DecodesOtelJsCaptureAsJson) {
  const std::vector<CapturedRequest> requests = LoadFixture("otel-manual-http-json.jsonl");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].content_type, "application/json");
  const model::SpanBatch batch = DecodeCaptured(requests[0]);
  ASSERT_EQ(batch.spans.size(), 7u);
  EXPECT_EQ(batch.rejected_spans, 0);

  const model::RawSpan& root = ByName(batch, "research_agent_run");
  EXPECT_EQ(root.trace_id, "4d9c0ecc9f3a12846ae99b70de27a657");
  EXPECT_EQ(root.span_id, "bb4dcac190fdfb43");
  EXPECT_EQ(root.parent_span_id, "");
  EXPECT_EQ(root.status_code, model::StatusCode::kOk);
  EXPECT_EQ(root.attributes["session.id"], "sess-research-42");
  EXPECT_EQ(root.start_time_ns, int64_t{1795314529556000000});

  const model::RawSpan& draft = ByName(batch, "draft_answer");
  EXPECT_EQ(draft.parent_span_id, "bb4dcac190fdfb43");
  EXPECT_EQ(draft.kind, model::SpanKind::kClient);
  EXPECT_EQ(draft.end_time_ns, int64_t{1795314529697851913});
  EXPECT_EQ(draft.attributes["gen_ai.usage.input_tokens"], 67);
  EXPECT_TRUE(draft.attributes["gen_ai.usage.input_tokens"].is_number_integer());
  EXPECT_EQ(draft.attributes["gen_ai.request.temperature"], 0.2);
  EXPECT_TRUE(draft.attributes["gen_ai.request.temperature"].is_number_float());
  EXPECT_EQ(draft.attributes["gen_ai.response.finish_reasons"], Json::array({"stop"}));
  EXPECT_TRUE(draft.attributes["gen_ai.input.messages"].is_string());

  const model::RawSpan& tool = ByName(batch, "execute_tool get_weather");
  EXPECT_EQ(tool.trace_id, "7d9962dca3c2b8cddbe1be0b5e20a04c");
  EXPECT_EQ(tool.parent_span_id, "ab4c8a9db888a698");
  EXPECT_EQ(tool.status_code, model::StatusCode::kError);
  EXPECT_EQ(tool.status_message, "weather upstream timed out after 5000ms");
  ASSERT_EQ(tool.events.size(), 1u);
  EXPECT_EQ(tool.events[0].name, "exception");
  EXPECT_EQ(tool.events[0].attributes["exception.type"], "WeatherTimeoutError");
  EXPECT_EQ(tool.events[0].time_ns, int64_t{1795314529707307790});

  EXPECT_EQ(root.scope->scope_name, "trackly-acceptance.research-assistant");
  EXPECT_EQ(root.scope->scope_version, "0.1.0");
  EXPECT_EQ(root.scope->resource_attributes["service.name"], "research-assistant");
  EXPECT_EQ(root.scope->resource_attributes["deployment.environment.name"], "acceptance");
}

TEST(OtlpFixtureTest, ProtobufAndJsonCapturesOfTheSameWorkflowDecodeAlike) {
  const std::vector<CapturedRequest> json_requests = LoadFixture("otel-manual-http-json.jsonl");
  const std::vector<CapturedRequest> proto_requests = LoadFixture("otel-manual-http-proto.jsonl");
  ASSERT_EQ(json_requests.size(), 1u);
  ASSERT_EQ(proto_requests.size(), 1u);
  EXPECT_EQ(proto_requests[0].content_type, "application/x-protobuf");
  const model::SpanBatch from_json = DecodeCaptured(json_requests[0]);
  const model::SpanBatch from_proto = DecodeCaptured(proto_requests[0]);
  ASSERT_EQ(from_proto.spans.size(), from_json.spans.size());

  std::map<std::string, Json> json_shapes;
  std::map<std::string, Json> proto_shapes;
  for (const model::RawSpan& span : from_json.spans) json_shapes[span.name] = Shape(from_json, span);
  for (const model::RawSpan& span : from_proto.spans) proto_shapes[span.name] = Shape(from_proto, span);
  EXPECT_EQ(proto_shapes, json_shapes);

  // Values that do not vary between runs are equal too.
  const model::RawSpan& json_retrieve = ByName(from_json, "retrieve_context");
  const model::RawSpan& proto_retrieve = ByName(from_proto, "retrieve_context");
  EXPECT_EQ(proto_retrieve.attributes, json_retrieve.attributes);
  EXPECT_EQ(proto_retrieve.events[0].attributes, json_retrieve.events[0].attributes);
  const model::RawSpan& proto_tool = ByName(from_proto, "execute_tool get_weather");
  EXPECT_EQ(proto_tool.events.at(0).attributes["exception.type"], "WeatherTimeoutError");
  for (const model::RawSpan& span : from_proto.spans) {
    EXPECT_EQ(span.trace_id.size(), 32u);
    EXPECT_EQ(span.span_id.size(), 16u);
    EXPECT_GT(span.end_time_ns, span.start_time_ns);
  }
}

TEST(OtlpFixtureTest, DecodesEveryOtlpRequestOfOtherSdks) {
  for (const std::string name : {"vercel-ai-legacy.jsonl", "openinference-openai.jsonl"}) {
    const std::vector<CapturedRequest> requests = LoadFixture(name);
    ASSERT_FALSE(requests.empty()) << name;
    for (const CapturedRequest& request : requests) {
      SCOPED_TRACE(name);
      const model::SpanBatch batch = DecodeCaptured(request);
      EXPECT_FALSE(batch.spans.empty());
      EXPECT_EQ(batch.rejected_spans, 0);
    }
  }
  const model::SpanBatch vercel = DecodeCaptured(LoadFixture("vercel-ai-legacy.jsonl").at(0));
  EXPECT_EQ(vercel.spans.at(0).scope->scope_name, "ai");
}

}  // namespace
}  // namespace trackly::ingest
