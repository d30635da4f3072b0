#include "query/export.h"

#include <gtest/gtest.h>

namespace trackly::query {
namespace {

model::Json Attribute(const model::Json& span, const std::string& key) {
  for (const model::Json& a : span["attributes"]) {
    if (a["key"] == key) return a["value"];
  }
  return nullptr;
}

store::TraceDetail Detail(const std::string& trace_id, const std::string& root_id, const std::string& child_id) {
  store::TraceDetail detail;
  detail.trace.id = trace_id;
  detail.trace.name = "run";
  model::Observation root;
  root.trace_id = trace_id;
  root.id = root_id;
  root.name = "run";
  root.start_time_ns = 1'000;
  root.end_time_ns = 2'000;
  model::Observation child = root;
  child.id = child_id;
  child.parent_id = root_id;
  child.name = "chat";
  child.type = model::ObservationType::kGeneration;
  child.model = "gpt-4o";
  child.usage.input_tokens = 7;
  child.input = "hello";
  child.status = model::Status::kError;
  child.status_message = "boom";
  detail.observations = {root, child};
  return detail;
}

TEST(ExportTest, KeepsOtlpIdsAndHashesOthersKeepingTheOriginal) {
  model::Json hex = TraceToOtlpJson(Detail("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "00f067aa0ba902b8"));
  const model::Json& spans = hex["scopeSpans"][0]["spans"];
  EXPECT_EQ(spans[0]["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(spans[1]["parentSpanId"], "00f067aa0ba902b7");
  EXPECT_TRUE(Attribute(spans[0], "trackly.trace.id").is_null());

  model::Json uuid = TraceToOtlpJson(Detail("8D6F2C5A-3B1E-4F7A-9C2D-1E5B7A9C3F10", "run-1", "gen-1"));
  const model::Json& uspans = uuid["scopeSpans"][0]["spans"];
  EXPECT_EQ(uspans[0]["traceId"], "8d6f2c5a3b1e4f7a9c2d1e5b7a9c3f10");
  EXPECT_EQ(uspans[0]["spanId"].get<std::string>().size(), 16u);
  EXPECT_EQ(uspans[1]["parentSpanId"], uspans[0]["spanId"]);
  EXPECT_NE(uspans[0]["spanId"], uspans[1]["spanId"]);
  EXPECT_EQ(Attribute(uspans[1], "trackly.observation.id")["stringValue"], "gen-1");
}

TEST(ExportTest, CarriesTheCanonicalFieldsAsAttributesTheNormalizerReads) {
  model::Json spans = TraceToOtlpJson(Detail("t-1", "a", "b"))["scopeSpans"][0]["spans"];
  const model::Json& chat = spans[1];
  EXPECT_EQ(Attribute(chat, "trackly.observation.type")["stringValue"], "generation");
  EXPECT_EQ(Attribute(chat, "langfuse.observation.model.name")["stringValue"], "gpt-4o");
  EXPECT_EQ(model::Json::parse(Attribute(chat, "langfuse.observation.usage_details")["stringValue"].get<std::string>())["input"], 7);
  EXPECT_EQ(Attribute(chat, "langfuse.observation.input")["stringValue"], "hello");
  EXPECT_EQ(chat["status"]["code"], 2);
  EXPECT_EQ(chat["status"]["message"], "boom");
  EXPECT_EQ(Attribute(spans[0], "langfuse.trace.name")["stringValue"], "run");
  EXPECT_EQ(ParseExportFormat("csv").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trackly::query
