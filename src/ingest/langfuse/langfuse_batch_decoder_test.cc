#include "ingest/langfuse/langfuse_batch_decoder.h"

#include <string>

#include <gtest/gtest.h>

#include "ingest/langfuse/langfuse_response.h"
#include "model/json.h"

namespace trackly::ingest::langfuse {
namespace {

using model::Json;
using model::ObservationType;

constexpr int64_t kEventNs = 1'795'316'929'500'000'000;  // 2026-11-22T03:08:49.5Z

LangfuseBatch DecodeOk(const Json& body) {
  absl::StatusOr<LangfuseBatch> batch = LangfuseBatchDecoder().Decode(body.dump(), DecodeLimits{});
  EXPECT_TRUE(batch.ok()) << batch.status();
  return batch.ok() ? *std::move(batch) : LangfuseBatch{};
}

// One envelope event.
Json Event(const std::string& id, const std::string& type, Json body) {
  return {{"id", id}, {"type", type}, {"timestamp", "2026-11-22T03:08:49.500Z"}, {"body", std::move(body)}};
}

LangfuseEvent DecodeOne(Json event) {
  LangfuseBatch batch = DecodeOk({{"batch", Json::array({std::move(event)})}});
  EXPECT_EQ(batch.events.size(), 1u);
  return batch.events.empty() ? LangfuseEvent{} : batch.events[0];
}

TEST(LangfuseBatchDecoderTest, TraceCreateBecomesTheRootObservationWithTraceHints) {
  LangfuseEvent event = DecodeOne(Event("ev1", "trace-create",
                                        {{"id", "t1"}, {"name", "agent"}, {"userId", "u"}, {"sessionId", "s"},
                                         {"tags", {"a", "b"}}, {"metadata", {{"k", 1}}}, {"input", "q"},
                                         {"environment", "Langfuse-Staging"}, {"release", "r1"},
                                         {"version", "v3"}, {"public", true}}));
  ASSERT_TRUE(event.status.ok()) << event.status;
  ASSERT_TRUE(event.fragment.has_value());
  const model::ObservationFragment& f = *event.fragment;
  EXPECT_EQ(f.event_id, "ev1");
  EXPECT_EQ(f.event_time_ns, kEventNs);
  EXPECT_EQ(f.kind, model::FragmentKind::kCreate);
  const model::Observation& o = f.observation;
  EXPECT_EQ(o.id, "t1");
  EXPECT_EQ(o.trace_id, "t1");
  EXPECT_TRUE(o.is_root());
  EXPECT_EQ(o.name, "agent");
  EXPECT_EQ(o.trace_hints.trace_name, "agent");
  EXPECT_EQ(o.trace_hints.user_id, "u");
  EXPECT_EQ(o.trace_hints.session_id, "s");
  EXPECT_EQ(o.trace_hints.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(o.trace_hints.trace_metadata, (Json{{"k", 1}}));
  EXPECT_EQ(o.input, Json("q"));
  EXPECT_EQ(o.start_time_ns, kEventNs);  // no body timestamp: the event's
  EXPECT_EQ(o.environment, "staging");
  EXPECT_EQ(o.release, "r1");
  EXPECT_EQ(o.attributes, (Json{{"version", "v3"}, {"public", true}}));
  EXPECT_EQ(f.fields & model::kFieldOutput, 0u);
  EXPECT_NE(f.fields & model::kFieldTraceName, 0u);
}

TEST(LangfuseBatchDecoderTest, TopLevelObservationHangsUnderTheTraceRoot) {
  LangfuseEvent event = DecodeOne(Event("ev", "span-create", {{"id", "s1"}, {"traceId", "t1"}, {"name", "step"},
                                                             {"parentObservationId", nullptr}}));
  ASSERT_TRUE(event.status.ok()) << event.status;
  EXPECT_EQ(event.fragment->observation.parent_id, "t1");
  EXPECT_EQ(event.fragment->observation.type, ObservationType::kSpan);
  EXPECT_EQ(event.fragment->observation.start_time_ns, kEventNs);  // a create without startTime
}

TEST(LangfuseBatchDecoderTest, ObservationWithoutTraceIsTheRootOfItsOwnTrace) {
  LangfuseEvent event = DecodeOne(Event("ev", "generation-create", {{"id", "g1"}}));
  ASSERT_TRUE(event.status.ok()) << event.status;
  EXPECT_EQ(event.fragment->observation.trace_id, "g1");
  EXPECT_TRUE(event.fragment->observation.is_root());
}

TEST(LangfuseBatchDecoderTest, EveryObservationEventTypeMapsToItsType) {
  const std::vector<std::pair<std::string, ObservationType>> cases = {
      {"span-create", ObservationType::kSpan},           {"generation-create", ObservationType::kGeneration},
      {"generation-update", ObservationType::kGeneration}, {"event-create", ObservationType::kEvent},
      {"agent-create", ObservationType::kAgent},         {"tool-create", ObservationType::kTool},
      {"chain-create", ObservationType::kChain},         {"retriever-create", ObservationType::kRetriever},
      {"evaluator-create", ObservationType::kEvaluator}, {"embedding-create", ObservationType::kEmbedding},
      {"guardrail-create", ObservationType::kGuardrail},
  };
  for (const auto& [type, expected] : cases) {
    LangfuseEvent event = DecodeOne(Event("ev", type, {{"id", "o"}, {"traceId", "t"}}));
    ASSERT_TRUE(event.status.ok()) << type << ": " << event.status;
    EXPECT_EQ(event.fragment->observation.type, expected) << type;
    EXPECT_NE(event.fragment->fields & model::kFieldType, 0u) << type;
  }
}

TEST(LangfuseBatchDecoderTest, SpanUpdateSaysNothingAboutTypeParentOrStart) {
  LangfuseEvent event = DecodeOne(Event("ev", "span-update", {{"id", "s1"}, {"endTime", "2026-11-22T03:08:50Z"}}));
  ASSERT_TRUE(event.status.ok()) << event.status;
  const model::ObservationFragment& f = *event.fragment;
  EXPECT_EQ(f.kind, model::FragmentKind::kUpdate);
  EXPECT_EQ(f.fields, model::kFieldEndTime);
  EXPECT_EQ(f.observation.trace_id, "");
}

TEST(LangfuseBatchDecoderTest, EventCreateIsAPointInTime) {
  LangfuseEvent event = DecodeOne(Event("ev", "event-create", {{"id", "e1"}, {"traceId", "t"},
                                                              {"startTime", "2026-11-22T03:08:49.100Z"}}));
  ASSERT_TRUE(event.status.ok()) << event.status;
  EXPECT_EQ(event.fragment->observation.end_time_ns, event.fragment->observation.start_time_ns);
}

TEST(LangfuseBatchDecoderTest, GenerationFieldsAreMapped) {
  LangfuseEvent event = DecodeOne(Event(
      "ev", "generation-create",
      {{"id", "g"}, {"traceId", "t"}, {"parentObservationId", "s"}, {"model", "gpt-4o-mini"},
       {"modelParameters", {{"temperature", 0.2}}}, {"completionStartTime", "2026-11-22T03:08:49.700Z"},
       {"usageDetails", {{"input", 9}, {"output", 25}}}, {"costDetails", {{"total", 0.5}}},
       {"promptName", "qa"}, {"promptVersion", 3}, {"level", "ERROR"}, {"statusMessage", "rate limited"},
       {"metadata", "plain"}}));
  ASSERT_TRUE(event.status.ok()) << event.status;
  const model::Observation& o = event.fragment->observation;
  EXPECT_EQ(o.parent_id, "s");
  EXPECT_EQ(o.model, "gpt-4o-mini");
  EXPECT_EQ(o.model_parameters, (Json{{"temperature", 0.2}}));
  EXPECT_EQ(o.completion_start_time_ns, kEventNs + 200'000'000);
  EXPECT_EQ(o.usage.input_tokens, 9);
  EXPECT_EQ(o.usage.total_tokens, 34);
  EXPECT_EQ(o.cost.total, 0.5);
  EXPECT_EQ(o.cost.source, model::CostSource::kProvided);
  ASSERT_TRUE(o.prompt.has_value());
  EXPECT_EQ(o.prompt->name, "qa");
  EXPECT_EQ(o.prompt->version, "3");
  EXPECT_EQ(o.level, model::Level::kError);
  EXPECT_EQ(o.status, model::Status::kError);
  EXPECT_EQ(o.status_message, "rate limited");
  EXPECT_TRUE(o.is_error());
  EXPECT_EQ(o.metadata, (Json{{"metadata", "plain"}}));
}

TEST(LangfuseBatchDecoderTest, LegacyObservationEventsAndOldSpellings) {
  LangfuseEvent event = DecodeOne(Event("ev", "observation-update",
                                        {{"generationId", "g"}, {"type", "GENERATION"}, {"completion", "done"}}));
  ASSERT_TRUE(event.status.ok()) << event.status;
  EXPECT_EQ(event.fragment->observation.id, "g");
  EXPECT_EQ(event.fragment->observation.type, ObservationType::kGeneration);
  EXPECT_EQ(event.fragment->observation.output, Json("done"));
}

TEST(LangfuseBatchDecoderTest, ScoresOfEveryDataType) {
  LangfuseEvent numeric = DecodeOne(Event("e1", "score-create", {{"id", "sc1"}, {"name", "q"}, {"traceId", "t"},
                                                                {"value", 0.9}, {"comment", "ok"}}));
  ASSERT_TRUE(numeric.status.ok()) << numeric.status;
  ASSERT_TRUE(numeric.score.has_value());
  EXPECT_EQ(numeric.score->id, "sc1");
  EXPECT_EQ(numeric.score->value, Json(0.9));
  EXPECT_EQ(numeric.score->source, "API");
  EXPECT_EQ(numeric.score->time_ns, kEventNs);

  LangfuseEvent boolean = DecodeOne(Event("e2", "score-create", {{"name", "grounded"}, {"traceId", "t"},
                                                                {"observationId", "g"}, {"value", 1},
                                                                {"dataType", "BOOLEAN"}}));
  ASSERT_TRUE(boolean.status.ok()) << boolean.status;
  EXPECT_EQ(boolean.score->id, "e2");
  EXPECT_EQ(boolean.score->value, Json(true));
  EXPECT_EQ(boolean.score->observation_id, "g");

  LangfuseEvent categorical = DecodeOne(Event("e4", "score-create", {{"id", ""}, {"name", "tone"}, {"traceId", "t"},
                                                                    {"value", "friendly"}, {"dataType", "CATEGORICAL"},
                                                                    {"source", "ANNOTATION"}}));
  ASSERT_TRUE(categorical.status.ok()) << categorical.status;
  EXPECT_EQ(categorical.score->id, "e4");  // an empty id is no id: the envelope's stands in
  EXPECT_EQ(categorical.score->value, Json("friendly"));
  EXPECT_EQ(categorical.score->source, "ANNOTATION");

  LangfuseEvent bad = DecodeOne(Event("e3", "score-create", {{"name", "x"}, {"traceId", "t"}, {"value", "yes"},
                                                            {"dataType", "NUMERIC"}}));
  EXPECT_EQ(bad.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status.message(), "event e3: body.value: expected a number for a NUMERIC score, got string");
}

TEST(LangfuseBatchDecoderTest, SdkLogIsAcknowledgedAndDropped) {
  LangfuseEvent event = DecodeOne({{"id", "log1"}, {"type", "sdk-log"}, {"body", {{"log", "hello"}}}});
  EXPECT_TRUE(event.status.ok());
  EXPECT_FALSE(event.fragment.has_value());
  EXPECT_FALSE(event.score.has_value());
}

TEST(LangfuseBatchDecoderTest, MalformedEventsAreReportedOneByOneAndTheRestIsKept) {
  LangfuseBatch batch = DecodeOk(
      {{"batch",
        Json::array({Event("good", "span-create", {{"id", "s"}, {"traceId", "t"}}),
                     Event("bad-level", "span-create", {{"id", "s2"}, {"level", "LOUD"}}),
                     Event("bad-time", "span-create", {{"id", "s3"}, {"startTime", "yesterday"}}),
                     Event("bad-type", "dataset-run-item-create", Json::object()),
                     Event("no-id", "span-update", {{"name", "x"}}),
                     Event("bad-usage", "generation-create", {{"id", "g"}, {"usageDetails", {{"input", "lots"}}}}),
                     Json{{"type", "span-create"}, {"body", Json::object()}}, Json("not an event")})}});
  ASSERT_EQ(batch.events.size(), 8u);
  EXPECT_TRUE(batch.events[0].status.ok());
  EXPECT_EQ(batch.events[1].status.message(),
            "event bad-level: body.level: expected one of DEBUG, DEFAULT, WARNING, ERROR, got \"LOUD\"");
  EXPECT_EQ(batch.events[2].status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(batch.events[3].status.message(),
            "event bad-type: type: unsupported event type \"dataset-run-item-create\"");
  EXPECT_EQ(batch.events[4].status.message(), "event no-id: body.id: required on an update");
  EXPECT_EQ(batch.events[5].status.message(),
            "event bad-usage: body.usageDetails.input: expected a number, got \"lots\"");
  EXPECT_EQ(batch.events[6].status.message(), "batch[6].id: required");
  EXPECT_EQ(batch.events[7].status.message(), "batch[7]: expected an object");

  const Json reply = Json::parse(EncodeMultiStatus(batch.events));
  ASSERT_EQ(reply["successes"].size(), 1u);
  EXPECT_EQ(reply["successes"][0], (Json{{"id", "good"}, {"status", 201}}));
  ASSERT_EQ(reply["errors"].size(), 7u);
  EXPECT_EQ(reply["errors"][0]["id"], "bad-level");
  EXPECT_EQ(reply["errors"][0]["status"], 400);
  EXPECT_EQ(reply["errors"][0]["message"], "Invalid request data");
}

TEST(LangfuseBatchDecoderTest, BodyWithoutBatchArrayIsInvalidArgument) {
  for (const char* body : {"", "not json", "[]", R"({"batch": {}})", R"({"events": []})"}) {
    EXPECT_EQ(LangfuseBatchDecoder().Decode(body, DecodeLimits{}).status().code(),
              absl::StatusCode::kInvalidArgument)
        << body;
  }
}

TEST(LangfuseBatchDecoderTest, TooDeeplyNestedBodyIsInvalidArgument) {
  std::string deep = R"({"batch": [{"id": "e", "type": "span-create", "body": {"id": "s", "input": )";
  deep += std::string(100000, '[') + std::string(100000, ']') + "}}]}";
  absl::StatusOr<LangfuseBatch> batch = LangfuseBatchDecoder().Decode(deep, DecodeLimits{});
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(batch.status().message(), "body: JSON nested deeper than 64 levels");
}

TEST(LangfuseBatchDecoderTest, BodyFieldsCannotNameTheProject) {
  // A project in the body is kept as data only; the store takes the project from the key.
  LangfuseEvent event = DecodeOne(Event("ev", "trace-create", {{"id", "t"}, {"projectId", "other"}}));
  ASSERT_TRUE(event.status.ok());
  EXPECT_EQ(event.fragment->observation.attributes, (Json{{"projectId", "other"}}));
}

}  // namespace
}  // namespace trackly::ingest::langfuse
