#include "ingest/langsmith/run_decoder.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "model/codec.h"

namespace trackly::ingest::langsmith {
namespace {

using model::Json;
using model::ObservationFragment;
using model::ObservationType;

constexpr char kRoot[] = "01a20116-06b7-7000-8000-009355883b2f";
constexpr char kChild[] = "01a20116-06d5-7000-8000-02b7abc95f5e";
constexpr char kRootDotted[] = "20261122T022910455001Z01a20116-06b7-7000-8000-009355883b2f";
constexpr char kChildDotted[] =
    "20261122T022910455001Z01a20116-06b7-7000-8000-009355883b2f."
    "20261122T022910485005Z01a20116-06d5-7000-8000-02b7abc95f5e";
constexpr int64_t kChildStartNs = 1'795'314'550'485'005'000;  // 2026-11-22T02:29:10.485005Z

// A child llm run as traceable(wrapOpenAI(...)) posts it.
Json ChildLlmRun() {
  return Json::parse(R"({
    "session_name": "trackly-acceptance",
    "id": "01a20116-06d5-7000-8000-02b7abc95f5e",
    "name": "ChatOpenAI",
    "start_time": "2026-11-22T02:29:10.485005Z",
    "end_time": 1795314550540,
    "run_type": "llm",
    "extra": {
      "metadata": {"ls_provider": "openai", "ls_model_name": "gpt-4o-mini", "ls_temperature": 0,
                   "ls_invocation_params": {"top_p": 1}, "session_id": "sess-1", "user_id": "user-1",
                   "channel": "web",
                   "usage_metadata": {"input_tokens": 86, "output_tokens": 13, "total_tokens": 99,
                                      "input_token_details": {"cache_read": 21, "cache_creation": 4},
                                      "output_token_details": {"reasoning": 2}}},
      "runtime": {"sdk": "langsmith-js", "sdk_version": "0.12.0"}
    },
    "serialized": {},
    "inputs": {"messages": [{"role": "user", "content": "hi"}]},
    "outputs": {"choices": [{"message": {"role": "assistant", "content": "hello"}}]},
    "child_runs": [],
    "parent_run_id": "01a20116-06b7-7000-8000-009355883b2f",
    "trace_id": "01a20116-06b7-7000-8000-009355883b2f",
    "dotted_order": "20261122T022910455001Z01a20116-06b7-7000-8000-009355883b2f.20261122T022910485005Z01a20116-06d5-7000-8000-02b7abc95f5e",
    "tags": ["acceptance"],
    "reference_example_id": "ex-1"
  })");
}

ObservationFragment Decode(const Json& run, RunOperation op = RunOperation::kPost) {
  absl::StatusOr<ObservationFragment> f = RunDecoder().DecodeRun(run, op);
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? *std::move(f) : ObservationFragment{};
}

// The error of decoding `run`, or "" when it decodes.
std::string DecodeError(const Json& run, RunOperation op = RunOperation::kPost) {
  absl::StatusOr<ObservationFragment> f = RunDecoder().DecodeRun(run, op);
  return f.ok() ? "" : std::string(f.status().message());
}

TEST(RunDecoderTest, MapsAPostedLlmRunOntoAFragment) {
  const ObservationFragment f = Decode(ChildLlmRun());
  const model::Observation& o = f.observation;
  EXPECT_EQ(f.kind, model::FragmentKind::kCreate);
  EXPECT_EQ(o.id, kChild);
  EXPECT_EQ(o.trace_id, kRoot);
  EXPECT_EQ(o.parent_id, kRoot);
  EXPECT_EQ(o.name, "ChatOpenAI");
  EXPECT_EQ(o.type, ObservationType::kGeneration);
  EXPECT_EQ(o.start_time_ns, kChildStartNs);
  EXPECT_EQ(o.end_time_ns, 1'795'314'550'540'000'000);
  EXPECT_EQ(o.status, model::Status::kOk);
  EXPECT_EQ(o.model, "gpt-4o-mini");
  EXPECT_EQ(o.provider, "openai");
  EXPECT_EQ(o.model_parameters, (Json{{"temperature", 0}, {"top_p", 1}}));
  EXPECT_EQ(o.usage, (model::Usage{.input_tokens = 86, .output_tokens = 13, .total_tokens = 99,
                                   .cache_read_tokens = 21, .cache_write_tokens = 4,
                                   .reasoning_tokens = 2}));
  EXPECT_EQ(o.cost.source, model::CostSource::kNone);
  EXPECT_EQ(o.input, Json::parse(R"({"messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(o.output["choices"][0]["message"]["content"], "hello");
  EXPECT_FALSE(o.metadata.contains("usage_metadata"));
  EXPECT_EQ(o.metadata["channel"], "web");
  EXPECT_EQ(o.trace_hints.session_id, "sess-1");
  EXPECT_EQ(o.trace_hints.user_id, "user-1");
  // A child run's tags stay on the run; only the root run's are the trace's.
  EXPECT_TRUE(o.trace_hints.tags.empty());
  EXPECT_EQ(o.attributes["tags"], Json::array({"acceptance"}));
  EXPECT_EQ(o.attributes["run_type"], "llm");
  EXPECT_EQ(o.attributes["extra"]["runtime"]["sdk"], "langsmith-js");
  EXPECT_EQ(o.attributes["reference_example_id"], "ex-1");
  EXPECT_FALSE(o.attributes.contains("session_name"));  // never a project choice
  EXPECT_FALSE(o.attributes.contains("serialized"));    // empty
  using namespace model;
  EXPECT_EQ(f.fields, kFieldName | kFieldType | kFieldParent | kFieldStatus | kFieldStartTime |
                          kFieldEndTime | kFieldModel | kFieldModelParameters | kFieldUsage |
                          kFieldInput | kFieldOutput | kFieldMetadata | kFieldAttributes |
                          kFieldSessionId | kFieldUserId);
  EXPECT_EQ(f.event_time_ns, kChildStartNs);
  EXPECT_EQ(f.event_id, std::string("post.") + kChild + "@" + std::to_string(kChildStartNs));
}

TEST(RunDecoderTest, TakesTraceParentAndStartFromDottedOrder) {
  const ObservationFragment f =
      Decode(Json{{"id", kChild}, {"name", "x"}, {"dotted_order", kChildDotted}});
  EXPECT_EQ(f.observation.trace_id, kRoot);
  EXPECT_EQ(f.observation.parent_id, kRoot);
  EXPECT_EQ(f.observation.start_time_ns, kChildStartNs);
  EXPECT_TRUE(f.fields & model::kFieldParent);
  EXPECT_TRUE(f.fields & model::kFieldStartTime);
}

TEST(RunDecoderTest, ParentRunIdWinsOverDottedOrder) {
  const ObservationFragment f =
      Decode(Json{{"id", kChild}, {"parent_run_id", "p-explicit"}, {"dotted_order", kChildDotted}});
  EXPECT_EQ(f.observation.parent_id, "p-explicit");
}

TEST(RunDecoderTest, ARootWithoutTraceIdIsItsOwnTrace) {
  const ObservationFragment f = Decode(Json{{"id", kRoot}, {"start_time", 1795314550455}});
  EXPECT_EQ(f.observation.trace_id, kRoot);
  EXPECT_TRUE(f.observation.parent_id.empty());
  EXPECT_TRUE(f.fields & model::kFieldParent);  // a post states "no parent"
}

TEST(RunDecoderTest, TheRootRunsTagsAreTheTraces) {
  const ObservationFragment f = Decode(Json{{"id", kRoot}, {"trace_id", kRoot}, {"tags", {"e2e", "beta"}}});
  EXPECT_EQ(f.observation.trace_hints.tags, (std::vector<std::string>{"e2e", "beta"}));
  EXPECT_TRUE(f.fields & model::kFieldTags);
  EXPECT_FALSE(f.observation.attributes.contains("tags"));
}

TEST(RunDecoderTest, MapsRunTypesToObservationTypes) {
  struct Case {
    const char* run_type;
    ObservationType type;
    bool kept_in_attributes;
  };
  const Case cases[] = {
      {"llm", ObservationType::kGeneration, true},  {"chain", ObservationType::kChain, false},
      {"tool", ObservationType::kTool, false},      {"retriever", ObservationType::kRetriever, false},
      {"embedding", ObservationType::kEmbedding, false}, {"prompt", ObservationType::kSpan, true},
      {"parser", ObservationType::kSpan, true},     {"something_new", ObservationType::kSpan, true},
  };
  for (const Case& c : cases) {
    const ObservationFragment f = Decode(Json{{"id", kRoot}, {"run_type", c.run_type}});
    EXPECT_EQ(f.observation.type, c.type) << c.run_type;
    EXPECT_EQ(f.observation.attributes.contains("run_type"), c.kept_in_attributes) << c.run_type;
  }
}

TEST(RunDecoderTest, FindsTokenUsageInEveryPlaceTheClientsPutIt) {
  struct Case {
    const char* where;
    const char* run;  // merged into {"id": ...}
    model::Usage usage;
  };
  const Case cases[] = {
      {"outputs.usage_metadata",
       R"({"outputs":{"usage_metadata":{"input_tokens":5,"output_tokens":2}}})",
       {.input_tokens = 5, .output_tokens = 2, .total_tokens = 7}},
      {"extra.metadata.usage_metadata",
       R"({"extra":{"metadata":{"usage_metadata":{"input_tokens":5,"output_tokens":2,"total_tokens":8}}}})",
       {.input_tokens = 5, .output_tokens = 2, .total_tokens = 8}},
      {"serialized generation message",
       R"({"outputs":{"generations":[[{"text":"x","message":{"lc":1,"kwargs":{"content":"x",
          "usage_metadata":{"input_tokens":9,"output_tokens":3,"total_tokens":12}}}}]]}})",
       {.input_tokens = 9, .output_tokens = 3, .total_tokens = 12}},
      {"plain generation message",
       R"({"outputs":{"generations":[{"text":"x","message":{"usage_metadata":{"input_tokens":1,"output_tokens":1}}}]}})",
       {.input_tokens = 1, .output_tokens = 1, .total_tokens = 2}},
      {"llm_output.token_usage",
       R"({"outputs":{"llm_output":{"token_usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14}}}})",
       {.input_tokens = 10, .output_tokens = 4, .total_tokens = 14}},
      {"llm_output.usage",
       R"({"outputs":{"llm_output":{"usage":{"prompt_tokens":10,"completion_tokens":4}}}})",
       {.input_tokens = 10, .output_tokens = 4, .total_tokens = 14}},
      {"OpenAI response usage",
       R"({"outputs":{"usage":{"prompt_tokens":37,"completion_tokens":39,"total_tokens":76,
          "prompt_tokens_details":{"cached_tokens":9},"completion_tokens_details":{"reasoning_tokens":7}}}})",
       {.input_tokens = 37, .output_tokens = 39, .total_tokens = 76, .cache_read_tokens = 9,
        .reasoning_tokens = 7}},
      {"outputs wrapped by RunTree.end({outputs})",
       R"({"outputs":{"outputs":{"generations":[{"text":"hi"}],"usage_metadata":{"input_tokens":3,"output_tokens":1,"total_tokens":4}}}})",
       {.input_tokens = 3, .output_tokens = 1, .total_tokens = 4}},
      {"outputs.usage_metadata before extra.metadata",
       R"({"outputs":{"usage_metadata":{"input_tokens":1,"output_tokens":1}},
           "extra":{"metadata":{"usage_metadata":{"input_tokens":50,"output_tokens":50}}}})",
       {.input_tokens = 1, .output_tokens = 1, .total_tokens = 2}},
  };
  for (const Case& c : cases) {
    Json run = Json::parse(c.run);
    run["id"] = kRoot;
    const ObservationFragment f = Decode(run);
    EXPECT_TRUE(f.fields & model::kFieldUsage) << c.where;
    EXPECT_EQ(f.observation.usage, c.usage) << c.where;
  }
  EXPECT_FALSE(Decode(Json{{"id", kRoot}, {"outputs", {{"text", "no usage"}}}}).fields & model::kFieldUsage);
}

TEST(RunDecoderTest, KeepsACostTheClientComputed) {
  const ObservationFragment f = Decode(Json::parse(R"({"id":"r1","outputs":{"usage_metadata":
      {"input_tokens":10,"output_tokens":5,"input_cost":0.25,"output_cost":0.5}}})"));
  EXPECT_TRUE(f.fields & model::kFieldCost);
  EXPECT_EQ(f.observation.cost.source, model::CostSource::kProvided);
  EXPECT_DOUBLE_EQ(f.observation.cost.total, 0.75);
}

TEST(RunDecoderTest, RejectsTokenCountsThatAreNotWholeNumbers) {
  EXPECT_EQ(DecodeError(Json::parse(
                R"({"id":"r1","outputs":{"usage_metadata":{"input_tokens":"many"}}})")),
            "outputs.usage_metadata.input_tokens: not a whole number");
}

TEST(RunDecoderTest, MapsAnErrorToStatusErrorWithItsType) {
  struct Case {
    const char* error;
    const char* error_type;
  };
  const Case cases[] = {{"Error: geocoder unavailable (503)", "Error"},
                        {"ValueError('boom')\n\nTraceback (most recent call last): ...", "ValueError"},
                        {"something broke", ""}};
  for (const Case& c : cases) {
    const ObservationFragment f = Decode(Json{{"id", kRoot}, {"error", c.error}, {"end_time", 1795314550540}});
    EXPECT_EQ(f.observation.status, model::Status::kError) << c.error;
    EXPECT_EQ(f.observation.status_message, c.error);
    EXPECT_EQ(f.observation.error_type, c.error_type) << c.error;
  }
}

TEST(RunDecoderTest, APatchSetsOnlyWhatItCarries) {
  const ObservationFragment f = Decode(
      Json{{"id", kChild}, {"end_time", "2026-11-22T02:29:10.600000Z"}, {"outputs", {{"text", "done"}}}},
      RunOperation::kPatch);
  EXPECT_EQ(f.kind, model::FragmentKind::kUpdate);
  using namespace model;
  EXPECT_EQ(f.fields, kFieldEndTime | kFieldOutput | kFieldStatus);
  EXPECT_TRUE(f.observation.trace_id.empty());  // the store takes it from the post
  EXPECT_EQ(f.event_time_ns, 1'795'314'550'600'000'000);
  EXPECT_EQ(f.event_id, std::string("patch.") + kChild + "@1795314550600000000");
}

TEST(RunDecoderTest, AcceptsTimesAsEpochMillisecondsOrIsoStrings) {
  const int64_t want = 1'795'314'550'455'001'000;
  for (const Json& time : {Json("2026-11-22T02:29:10.455001Z"), Json("2026-11-22T02:29:10.455001"),
                           Json(1795314550455.001)}) {
    EXPECT_EQ(Decode(Json{{"id", kRoot}, {"start_time", time}}).observation.start_time_ns, want)
        << time.dump();
  }
}

TEST(RunDecoderTest, FirstNewTokenEventIsTheCompletionStart) {
  const ObservationFragment f = Decode(Json::parse(R"({"id":"r1","events":[
      {"name":"start","time":"2026-11-22T02:29:10.000000Z"},
      {"name":"new_token","time":"2026-11-22T02:29:10.250000Z","kwargs":{"token":"He"}},
      {"name":"new_token","time":"2026-11-22T02:29:10.300000Z","kwargs":{"token":"llo"}}]})"));
  EXPECT_EQ(f.observation.completion_start_time_ns, 1'795'314'550'250'000'000);
  ASSERT_EQ(f.observation.events.size(), 3u);
  EXPECT_EQ(f.observation.events[1].attributes, (Json{{"token", "He"}}));
  EXPECT_TRUE(f.fields & model::kFieldEvents);
  EXPECT_TRUE(f.fields & model::kFieldCompletionStart);
}

TEST(RunDecoderTest, RejectsMalformedRunsNamingTheField) {
  struct Case {
    const char* run;
    const char* message;
  };
  const Case cases[] = {
      {R"({"name":"x"})", "id: missing"},
      {R"({"id":7})", "id: not a string"},
      {R"({"id":"a b"})", "id: contains whitespace or control characters"},
      {R"({"id":"r1","start_time":"yesterday"})", "start_time: "},
      {R"({"id":"r1","start_time":true})", "start_time: not a time"},
      {R"({"id":"r1","dotted_order":"garbage"})", "dotted_order: segment 0"},
      {R"({"id":"r1","dotted_order":"20261122T022910455001Zother"})", "dotted_order: its last segment names run other"},
      {R"({"id":"r1","parent_run_id":"p1"})", "trace_id: missing"},
      {R"({"id":"r1","tags":["a",3]})", "tags[1]: not a string"},
      {R"({"id":"r1","extra":[]})", "extra: not an object"},
      {R"({"id":"r1","extra":{"metadata":"x"}})", "extra.metadata: not an object"},
      {R"({"id":"r1","events":[{"name":"e","time":"never"}]})", "events[0].time: "},
      // Found by fuzz/langsmith_batch_fuzzer: epoch milliseconds past 2262 overflowed int64 ns.
      {R"({"id":"r1","end_time":17295314550886})", "end_time: 17295314550886 is not a time in epoch milliseconds"},
      {R"({"id":"r1","end_time":9223372036854.9})", "end_time: 9223372036854.9 is not a time in epoch milliseconds"},
  };
  for (const Case& c : cases) {
    const std::string error = DecodeError(Json::parse(c.run));
    EXPECT_EQ(error.rfind(c.message, 0), 0u) << c.run << " → " << error;
  }
}

TEST(RunDecoderTest, BatchKeepsGoodRunsAndNamesTheBadOnes) {
  Json body = {{"post", Json::array({ChildLlmRun(), Json{{"id", "bad-1"}, {"start_time", "nope"}}})},
               {"patch", Json::array({Json{{"id", kChild}, {"end_time", 1795314550600}}, Json{{"name", "no id"}}})}};
  absl::StatusOr<RunBatch> batch = RunDecoder().DecodeBatch(body.dump());
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->fragments.size(), 2u);
  EXPECT_EQ(batch->fragments[0].kind, model::FragmentKind::kCreate);
  EXPECT_EQ(batch->fragments[1].kind, model::FragmentKind::kUpdate);
  ASSERT_EQ(batch->errors.size(), 2u);
  EXPECT_EQ(batch->errors[0].run_id, "bad-1");
  EXPECT_EQ(batch->errors[0].message.rfind("run bad-1: start_time: ", 0), 0u) << batch->errors[0].message;
  EXPECT_EQ(batch->errors[1].message, "patch[1]: id: missing");
}

TEST(RunDecoderTest, BatchRejectsBodiesOfTheWrongShape) {
  struct Case {
    const char* body;
    const char* message;
  };
  const Case cases[] = {{"[]", "body: not a JSON object"},
                        {R"({"post":{}})", "post: not an array"},
                        {"{", "not valid JSON"}};
  for (const Case& c : cases) {
    absl::StatusOr<RunBatch> batch = RunDecoder().DecodeBatch(c.body);
    ASSERT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument) << c.body;
    EXPECT_NE(batch.status().message().find(c.message), std::string::npos) << batch.status();
  }
}

TEST(RunDecoderTest, RefusesJsonNestedDeeperThanTheLimit) {
  std::string deep = R"({"post":[{"id":"r1","inputs":)";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  deep += "}]}";
  absl::StatusOr<RunBatch> batch = RunDecoder(DecodeLimits{.max_nesting_depth = 64}).DecodeBatch(deep);
  ASSERT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(batch.status().message().find("deeper than 64"), std::string::npos);
}

TEST(RunDecoderTest, DecodesNestedChildRuns) {
  Json root = {{"id", "root"}, {"name", "r"}, {"start_time", 1795314550455},
               {"child_runs", Json::array({Json{{"id", "kid"}, {"start_time", 1795314550456},
                                                {"child_runs", Json::array({Json{{"id", "grandkid"}}})}}})}};
  absl::StatusOr<RunBatch> batch = RunDecoder().DecodeOne(root.dump(), RunOperation::kPost, "");
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->fragments.size(), 3u);
  EXPECT_EQ(batch->fragments[1].observation.id, "kid");
  EXPECT_EQ(batch->fragments[1].observation.parent_id, "root");
  EXPECT_EQ(batch->fragments[2].observation.parent_id, "kid");
  EXPECT_EQ(batch->fragments[2].observation.trace_id, "root");
}

TEST(RunDecoderTest, PatchTakesTheRunIdFromThePath) {
  absl::StatusOr<RunBatch> batch =
      RunDecoder().DecodeOne(R"({"end_time":1795314550600})", RunOperation::kPatch, "r1");
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->fragments.size(), 1u);
  EXPECT_EQ(batch->fragments[0].observation.id, "r1");

  absl::StatusOr<RunBatch> mismatch =
      RunDecoder().DecodeOne(R"({"id":"r2"})", RunOperation::kPatch, "r1");
  ASSERT_EQ(mismatch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(mismatch.status().message().find("path names r1"), std::string::npos);
}

std::string MultipartPart(const std::string& name, const std::string& data) {
  return "--XyZ\r\nContent-Disposition: form-data; name=\"" + name +
         "\"\r\nContent-Type: application/json; length=" + std::to_string(data.size()) + "\r\n\r\n" +
         data + "\r\n";
}

TEST(RunDecoderTest, MultipartAssemblesRunsFromTheirParts) {
  Json post = ChildLlmRun();
  const Json inputs = post["inputs"];
  const Json extra = post["extra"];
  post.erase("inputs");
  post.erase("extra");
  post.erase("outputs");
  const std::string id = kChild;
  const std::string body =
      MultipartPart("post." + id + ".inputs", inputs.dump()) +  // before its run: order is free
      MultipartPart("post." + id, post.dump()) + MultipartPart("post." + id + ".extra", extra.dump()) +
      MultipartPart("attachment." + id + ".image", "\x89PNG") +
      MultipartPart("patch.r2", R"({"id":"r2","trace_id":"r2","dotted_order":"20261122T022910455001Zr2","end_time":1795314550600})") +
      MultipartPart("patch.r2.outputs", R"({"answer":42})") +
      MultipartPart("patch.r2.error", R"("Error: late failure")") +
      MultipartPart("post.r3", "{not json") + MultipartPart("post.r3.inputs", "{}") +
      MultipartPart("post.r4.unknown_field", "{}") + MultipartPart("something.else", "{}") +
      MultipartPart("feedback.f1", R"({"id":"f1","run_id":"r2","trace_id":"r2","key":"correct","score":1})") +
      "--XyZ--\r\n";
  absl::StatusOr<RunBatch> batch =
      RunDecoder().DecodeMultipart(body, "multipart/form-data; boundary=XyZ");
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->fragments.size(), 2u);
  const model::Observation& llm = batch->fragments[0].observation;
  EXPECT_EQ(llm.id, kChild);
  EXPECT_EQ(llm.input, inputs);
  EXPECT_EQ(llm.model, "gpt-4o-mini");
  EXPECT_EQ(llm.usage.input_tokens, 86);
  const model::Observation& patched = batch->fragments[1].observation;
  EXPECT_EQ(batch->fragments[1].kind, model::FragmentKind::kUpdate);
  EXPECT_EQ(patched.output, (Json{{"answer", 42}}));
  EXPECT_EQ(patched.status, model::Status::kError);
  EXPECT_EQ(patched.status_message, "Error: late failure");
  ASSERT_EQ(batch->errors.size(), 1u);
  EXPECT_EQ(batch->errors[0].run_id, "r3");
  EXPECT_EQ(batch->errors[0].message.rfind("run r3: post.r3: not valid JSON", 0), 0u) << batch->errors[0].message;
  EXPECT_EQ(batch->ignored_parts, 3);  // the attachment, the unknown field, the unknown name
  ASSERT_EQ(batch->scores.size(), 1u);
  EXPECT_EQ(batch->scores[0].id, "f1");
  EXPECT_EQ(batch->scores[0].name, "correct");
  EXPECT_EQ(batch->scores[0].observation_id, "r2");
  EXPECT_EQ(batch->scores[0].trace_id, "r2");
  EXPECT_EQ(batch->scores[0].value, Json(1));
}

TEST(RunDecoderTest, FeedbackBecomesAScore) {
  absl::StatusOr<model::Score> score = RunDecoder().DecodeFeedbackBody(
      R"({"id":"f1","run_id":"r2","trace_id":"t1","key":"helpfulness","score":0.75,"value":"ignored",)"
      R"("comment":"good","feedback_source":{"type":"model","metadata":{}},"created_at":"2026-11-22T02:29:10.455001Z",)"
      R"("correction":null,"session_id":null})");
  ASSERT_TRUE(score.ok()) << score.status();
  EXPECT_EQ(*score, (model::Score{.id = "f1",
                                  .trace_id = "t1",
                                  .observation_id = "r2",
                                  .name = "helpfulness",
                                  .value = 0.75,
                                  .comment = "good",
                                  .source = "model",
                                  .time_ns = 1'795'314'550'455'001'000}));
}

TEST(RunDecoderTest, FeedbackValueAndDefaults) {
  RunDecoder decoder;
  // Only a run: the trace comes from the stored run later; no time: stamped on receipt.
  absl::StatusOr<model::Score> categorical =
      decoder.DecodeFeedback(Json{{"id", "f"}, {"run_id", "r"}, {"key", "tone"}, {"value", "terse"}});
  ASSERT_TRUE(categorical.ok()) << categorical.status();
  EXPECT_EQ(categorical->value, Json("terse"));
  EXPECT_EQ(categorical->trace_id, "");
  EXPECT_EQ(categorical->source, "api");
  EXPECT_EQ(categorical->time_ns, 0);
  absl::StatusOr<model::Score> boolean =
      decoder.DecodeFeedback(Json{{"id", "f"}, {"run_id", "r"}, {"key", "ok"}, {"score", true}, {"value", nullptr}});
  ASSERT_TRUE(boolean.ok()) << boolean.status();
  EXPECT_EQ(boolean->value, Json(true));
  absl::StatusOr<model::Score> structured =
      decoder.DecodeFeedback(Json{{"id", "f"}, {"run_id", "r"}, {"key", "labels"}, {"value", {{"a", 1}}}});
  ASSERT_TRUE(structured.ok()) << structured.status();
  EXPECT_EQ(structured->value, Json(R"({"a":1})"));
}

TEST(RunDecoderTest, BadFeedbackNamesTheField) {
  RunDecoder decoder;
  struct Case {
    std::string body;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"([1])", "feedback: not a JSON object"},
      {R"({"run_id":"r","key":"k","score":1})", "feedback: id: required"},
      {R"({"id":"f","key":"k","score":1})", "feedback f: run_id: required (feedback on a project, not a run, is not kept)"},
      {R"({"id":"f","run_id":"r","score":1})", "feedback f: key: required"},
      {R"({"id":"f","run_id":"r","key":"k"})", "feedback f: score or value: required"},
      {R"({"id":"f","run_id":"r","key":"k","score":"high"})", "feedback f: score: not a number or a boolean, got string"},
      {R"({"id":"f","run_id":"r","key":"k","score":1,"comment":3})", "feedback f: comment: not a string"},
      {R"({"id":"f","run_id":"r","key":"k","score":1,"created_at":"yesterday"})", "feedback f: created_at: "},
  };
  for (const Case& c : cases) {
    absl::StatusOr<model::Score> score = decoder.DecodeFeedbackBody(c.body);
    EXPECT_EQ(score.status().code(), absl::StatusCode::kInvalidArgument) << c.body;
    // The message starts with the feedback and the field (a time's reason follows its name).
    EXPECT_EQ(score.status().message().substr(0, c.message.size()), c.message) << c.body;
  }
}

TEST(RunDecoderTest, MultipartRejectsAPartWhoseJsonNamesAnotherRun) {
  const std::string body = MultipartPart("post.r1", R"({"id":"r9"})") + "--XyZ--";
  absl::StatusOr<RunBatch> batch = RunDecoder().DecodeMultipart(body, "multipart/form-data; boundary=XyZ");
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_TRUE(batch->fragments.empty());
  ASSERT_EQ(batch->errors.size(), 1u);
  EXPECT_NE(batch->errors[0].message.find("part names run r1"), std::string::npos);
}

// ---- golden: the captured langsmith JS client requests ------------------------------------

Json FieldNames(uint64_t fields) {
  static const std::pair<uint64_t, const char*> kNames[] = {
      {model::kFieldName, "name"}, {model::kFieldType, "type"}, {model::kFieldParent, "parent"},
      {model::kFieldStatus, "status"}, {model::kFieldLevel, "level"},
      {model::kFieldStartTime, "start_time"}, {model::kFieldEndTime, "end_time"},
      {model::kFieldCompletionStart, "completion_start_time"}, {model::kFieldModel, "model"},
      {model::kFieldModelParameters, "model_parameters"}, {model::kFieldUsage, "usage"},
      {model::kFieldCost, "cost"}, {model::kFieldInput, "input"}, {model::kFieldOutput, "output"},
      {model::kFieldMetadata, "metadata"}, {model::kFieldAttributes, "attributes"},
      {model::kFieldEvents, "events"}, {model::kFieldPrompt, "prompt"}, {model::kFieldTool, "tool"},
      {model::kFieldEnvironment, "environment"}, {model::kFieldRelease, "release"},
      {model::kFieldServiceName, "service_name"}, {model::kFieldRetryCount, "retry_count"},
      {model::kFieldTraceName, "trace_name"}, {model::kFieldSessionId, "session_id"},
      {model::kFieldUserId, "user_id"}, {model::kFieldFeature, "feature"}, {model::kFieldTags, "tags"},
      {model::kFieldTraceMetadata, "trace_metadata"}, {model::kFieldTraceInput, "trace_input"},
      {model::kFieldTraceOutput, "trace_output"}};
  Json out = Json::array();
  for (auto [bit, name] : kNames) {
    if (fields & bit) out.push_back(name);
  }
  return out;
}

Json FragmentJson(const ObservationFragment& f) {
  Json trace_hints = {{"session_id", f.observation.trace_hints.session_id},
                      {"user_id", f.observation.trace_hints.user_id},
                      {"tags", f.observation.trace_hints.tags}};
  return {{"kind", f.kind == model::FragmentKind::kCreate ? "create" : "update"},
          {"fields", FieldNames(f.fields)},
          {"event_id", f.event_id},
          {"event_time_ns", f.event_time_ns},
          {"trace_hints", trace_hints},
          {"observation", model::ToJson(f.observation)}};
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

// Regenerate with TRACKLY_UPDATE_GOLDEN=1 ./ingest_test --gtest_filter='*Golden*' (review the diff).
TEST(RunDecoderGoldenTest, CapturedLangsmithClientRequestsMatchTheGoldenFile) {
  const std::string fixture = std::string(TRACKLY_SHARED_DIR) + "/fixtures/captured/langsmith-batch.jsonl";
  const std::string golden_path =
      std::string(TRACKLY_SOURCE_DIR) + "/src/ingest/langsmith/testdata/langsmith-batch.golden.json";
  std::ifstream file(fixture);
  ASSERT_TRUE(file.is_open()) << fixture;
  const RunDecoder decoder;
  Json got = Json::array();
  for (std::string line; std::getline(file, line);) {
    if (line.empty()) continue;
    const Json record = Json::parse(line);
    std::string body;
    ASSERT_TRUE(absl::Base64Unescape(record.value("body_b64", ""), &body));
    const std::string method = record["method"];
    const std::string path = record["path"];
    absl::StatusOr<RunBatch> batch;
    if (method == "POST" && path == "/runs/batch") {
      batch = decoder.DecodeBatch(body);
    } else if (method == "POST" && path == "/runs") {
      batch = decoder.DecodeOne(body, RunOperation::kPost, "");
    } else if (method == "PATCH" && path.rfind("/runs/", 0) == 0) {
      batch = decoder.DecodeOne(body, RunOperation::kPatch, path.substr(6));
    } else {
      continue;
    }
    ASSERT_TRUE(batch.ok()) << path << ": " << batch.status();
    EXPECT_TRUE(batch->errors.empty()) << batch->errors[0].message;
    for (const ObservationFragment& f : batch->fragments) got.push_back(FragmentJson(f));
  }
  ASSERT_EQ(got.size(), 12u);  // 8 batched posts, 2 posts, 2 patches
  const char* update = std::getenv("TRACKLY_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(golden_path, std::ios::binary | std::ios::trunc) << got.dump(2) << "\n";
    GTEST_SKIP() << "rewrote " << golden_path;
  }
  const std::string text = ReadFile(golden_path);
  ASSERT_FALSE(text.empty()) << golden_path << " missing; run with TRACKLY_UPDATE_GOLDEN=1";
  const Json want = Json::parse(text);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], want[i]) << "fragment " << i << "\n got: " << got[i].dump(2);
  }
}

}  // namespace
}  // namespace trackly::ingest::langsmith
