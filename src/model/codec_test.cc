#include "model/codec.h"

#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace trackly::model {
namespace {

Observation FullObservation() {
  Observation o;
  o.id = "1df175526ec4215a";
  o.trace_id = "4d9c0ecc9f3a12846ae99b70de27a657";
  o.parent_id = "bb4dcac190fdfb43";
  o.name = "chat gpt-4o";
  o.type = ObservationType::kGeneration;
  o.status = Status::kError;
  o.status_message = "boom";
  o.error_type = "rate_limit";
  o.level = Level::kWarning;
  o.start_time_ns = 1795314529557001000;
  o.end_time_ns = 1795314529857002000;
  o.completion_start_time_ns = 1795314529600000000;
  o.model = "gpt-4o";
  o.provider = "openai";
  o.model_parameters = Json{{"temperature", 0.2}};
  o.usage = Usage{.input_tokens = 10, .output_tokens = 5, .total_tokens = 15, .cache_read_tokens = 2,
                  .cache_write_tokens = 1, .reasoning_tokens = 3};
  o.cost = Cost{.input = 0.1, .output = 0.2, .total = 0.3, .source = CostSource::kComputed,
                .price_id = "openai/gpt-4o@2024-10-02", .cache_savings = 0.05,
                .note = "kept for the round trip"};
  o.input = Json::array({Json{{"role", "user"}, {"content", "hi"}}});
  o.output = "hello";
  o.metadata = Json{{"k", "v"}};
  o.attributes = Json{{"x.y", 1}};
  o.events.push_back(Event{.name = "exception", .time_ns = 1795314529700000000, .attributes = Json{{"a", true}}});
  o.prompt = PromptRef{.name = "p", .version = "3"};
  o.tool = ToolRef{.name = "search", .call_id = "call_1"};
  o.environment = "production";
  o.release = "1.4.2";
  o.service_name = "research-assistant";
  o.retry_count = 2;
  o.trace_hints = TraceHints{.trace_name = "run", .session_id = "s1", .user_id = "u1", .feature = "f",
                             .tags = {"a", "b"}, .trace_metadata = Json{{"m", 1}},
                             .trace_input = "q", .trace_output = "a"};
  return o;
}

TEST(CodecTest, ObservationRoundTripsEveryField) {
  Observation o = FullObservation();
  absl::StatusOr<Observation> back = ObservationFromJson(ToJson(o));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, o);
}

TEST(CodecTest, ScoreRoundTrips) {
  for (const Json& value : {Json(0.875), Json("good"), Json(true)}) {
    Score score{.id = "s1", .trace_id = "t1", .observation_id = "o1", .name = "quality", .value = value,
                .comment = "fine", .source = "EVAL", .time_ns = 1'795'314'529'123'456'000};
    absl::StatusOr<Score> back = ScoreFromJson(ToJson(score));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, score);
  }
  EXPECT_EQ(ScoreFromJson(Json{{"id", 5}}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ScoreFromJson(Json::array()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CodecTest, UsageSaysEstimatedOnlyWhenItIs) {
  Observation o = FullObservation();
  EXPECT_FALSE(ToJson(o)["usage"].contains("estimated"));
  o.usage.estimated = true;
  Json j = ToJson(o);
  EXPECT_EQ(j["usage"]["estimated"], true);
  absl::StatusOr<Observation> back = ObservationFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->usage.estimated);
  std::string text;
  AppendJson(o, &text);
  absl::StatusOr<Observation> parsed = ParseObservationJson(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, o);
}

TEST(CodecTest, RejectsEstimatedThatIsNotABoolean) {
  absl::StatusOr<Observation> o = ParseObservationJson(R"({"id":"a","trace_id":"b","type":"generation","status":"ok","level":"DEFAULT",)"
                                                          R"("usage":{"estimated":1}})");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().message(), "field \"estimated\" is not a boolean");
}

TEST(CodecTest, EmptyObservationRoundTrips) {
  Observation o;
  o.id = "a";
  o.trace_id = "b";
  absl::StatusOr<Observation> back = ObservationFromJson(ToJson(o));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, o);
}

TEST(CodecTest, ApiShapeUsesNullsForAbsentValues) {
  Observation o;
  o.id = "a";
  o.trace_id = "b";
  Json j = ToJson(o);
  EXPECT_TRUE(j["parent_id"].is_null());
  EXPECT_TRUE(j["prompt"].is_null());
  EXPECT_TRUE(j["cost"]["source"].is_null());
  EXPECT_EQ(j["cost"]["currency"], "USD");
  EXPECT_FALSE(j.contains("trace_hints"));
  EXPECT_FALSE(j["cost"].contains("price_id"));
  EXPECT_FALSE(j["cost"].contains("note"));
}

TEST(CodecTest, RejectsWrongFieldTypeNamingTheField) {
  Json j = ToJson(FullObservation());
  j["model"] = 42;
  absl::StatusOr<Observation> back = ObservationFromJson(j);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(back.status().message().find("\"model\""), std::string::npos);
}


// ---------------------------------------------------------------------------------------------
// AppendJson and ParseObservationJson against the Json-tree path they replace.

// Observations chosen to reach every branch of the writer and the reader: absent and present
// fields, escaping, invalid UTF-8, extreme numbers and times, free-form values of every type.
std::vector<std::pair<std::string, Observation>> EdgeCaseObservations() {
  std::vector<std::pair<std::string, Observation>> cases;
  cases.emplace_back("default", Observation{});
  {
    Observation o;
    o.id = "a";
    o.trace_id = "b";
    cases.emplace_back("minimal", o);
  }
  cases.emplace_back("every field", FullObservation());
  {
    Observation o = FullObservation();
    o.name = "héllo 日本語 🎉 Ω";
    o.status_message = std::string("quote\" backslash\\ slash/ tab\t nl\n cr\r ff\f bs\b nul") +
                       std::string(1, '\0') + "\x01\x1f\x7f end";
    o.input = Json{{"ключ", "значение"}, {"emoji 😀", {"a\"b", "c\\d", "\x1b[0m"}}};
    cases.emplace_back("unicode and escapes", o);
  }
  {
    Observation o = FullObservation();
    o.name = "bad \xff byte";
    o.model = "truncated \xc3";
    o.provider = "\xe2\x82 cut in the middle";
    o.status_message = "surrogate \xed\xa0\x80 overlong \xc0\xaf ok \xc3\xa9";
    o.trace_hints.tags = {"\xfe\xff", "fine"};
    o.attributes = Json{{"k\xff", "v\x80\x80"}, {"ok", "\xf4\x90\x80\x80"}};
    o.events[0].name = "\xf0\x9f\x98";
    cases.emplace_back("invalid UTF-8", o);
  }
  {
    Observation o = FullObservation();
    o.usage = Usage{.input_tokens = std::numeric_limits<int64_t>::max(),
                    .output_tokens = std::numeric_limits<int64_t>::min(),
                    .total_tokens = -1};
    o.retry_count = std::numeric_limits<int32_t>::min();
    o.attributes = Json{{"u64", std::numeric_limits<uint64_t>::max()},
                        {"i64", std::numeric_limits<int64_t>::min()},
                        {"zero", 0},
                        {"neg", -42}};
    cases.emplace_back("huge integers", o);
  }
  {
    Observation o = FullObservation();
    o.cost = Cost{.input = 0.1, .output = 1e300, .total = -0.0, .source = CostSource::kComputed};
    o.model_parameters = Json{{"a", 15.0},
                              {"b", 1e-7},
                              {"c", 5e-324},
                              {"d", std::numeric_limits<double>::max()},
                              {"e", 0.30000000000000004},
                              {"f", 1e16},
                              {"g", 123456789012345.0},
                              {"h", -2.5e-5}};
    cases.emplace_back("doubles", o);
  }
  {
    Observation o = FullObservation();
    o.cost = Cost{.input = std::numeric_limits<double>::quiet_NaN(),
                  .output = std::numeric_limits<double>::infinity(),
                  .total = -std::numeric_limits<double>::infinity()};
    cases.emplace_back("non-finite doubles", o);
  }
  {
    Observation o = FullObservation();
    o.input = Json::array({Json::array({Json::array()}), Json::array({1, Json::array({2, Json::array({3})})}),
                           Json::object(), nullptr, true, false, "s"});
    o.output = Json::array();
    cases.emplace_back("nested arrays", o);
  }
  {
    Observation o = FullObservation();
    o.events.push_back(Event{.name = "", .time_ns = 0, .attributes = Json::object()});
    o.events.push_back(
        Event{.name = "second", .time_ns = 1000, .attributes = Json{{"n", Json{{"deep", {1, 2}}}}}});
    cases.emplace_back("events", o);
  }
  {
    Observation o = FullObservation();
    o.input = nullptr;
    o.output = nullptr;
    o.prompt = PromptRef{.name = "p", .version = ""};
    o.tool = ToolRef{.name = "t", .call_id = ""};
    o.trace_hints = TraceHints{};
    cases.emplace_back("null input, output and hints", o);
  }
  {
    Observation o = FullObservation();
    o.input = 42;
    o.output = true;
    o.metadata = Json::object();
    o.attributes = Json::object();
    o.model_parameters = nullptr;  // not what the normalizer makes, but the writer must still agree
    o.trace_hints = TraceHints{.user_id = "u", .trace_metadata = "not an object", .trace_input = 0};
    cases.emplace_back("scalar free-form values", o);
  }
  {
    Observation o = FullObservation();
    o.start_time_ns = -1'500'000'123;  // before 1970
    o.end_time_ns = 9'000'000'000'000'000'000;
    o.completion_start_time_ns = std::numeric_limits<int64_t>::max();
    o.events[0].time_ns = std::numeric_limits<int64_t>::min();
    o.events.push_back(Event{.name = "soon after 1970", .time_ns = 1});
    cases.emplace_back("extreme times", o);
  }
  {
    Observation o = FullObservation();
    o.end_time_ns = o.start_time_ns - 1000;  // latency 0
    o.type = ObservationType::kEvent;
    o.status = Status::kCancelled;
    o.level = Level::kDebug;
    cases.emplace_back("end before start", o);
  }
  {
    Observation o = FullObservation();
    o.usage = Usage{.input_tokens = 24, .output_tokens = 7, .total_tokens = 31, .estimated = true};
    o.cost.note = "computed from estimated usage";
    cases.emplace_back("estimated usage", o);
  }
  return cases;
}

// Every observation of the normalizer's golden files.
std::vector<std::pair<std::string, Observation>> GoldenObservations() {
  std::vector<std::pair<std::string, Observation>> cases;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(TRACKLY_SOURCE_DIR) + "/src/normalize/testdata")) {
    if (!absl::EndsWith(entry.path().filename().string(), ".golden.json")) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    Json golden = Json::parse(in);
    for (size_t i = 0; i < golden.size(); ++i) {
      absl::StatusOr<Observation> o = ObservationFromJson(golden[i]);
      EXPECT_TRUE(o.ok()) << entry.path() << "[" << i << "]: " << o.status();
      if (o.ok()) cases.emplace_back(absl::StrCat(entry.path().filename().string(), "[", i, "]"), *o);
    }
  }
  return cases;
}

std::vector<std::pair<std::string, Observation>> AllObservations() {
  std::vector<std::pair<std::string, Observation>> cases = EdgeCaseObservations();
  std::vector<std::pair<std::string, Observation>> golden = GoldenObservations();
  EXPECT_GE(golden.size(), 20u);  // the four golden files were found
  cases.insert(cases.end(), golden.begin(), golden.end());
  return cases;
}

std::string AppendedJson(const Observation& o) {
  std::string text;
  AppendJson(o, &text);
  return text;
}

// ParseObservationJson(text) must give what the Json-tree path gives, status and value.
void ExpectParsesLikeJsonTree(std::string_view text, const std::string& label) {
  SCOPED_TRACE(label);
  absl::StatusOr<Observation> got = ParseObservationJson(text);
  Json tree = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (tree.is_discarded()) {
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(got.status().message().find("not JSON"), std::string::npos) << got.status();
    return;
  }
  absl::StatusOr<Observation> want = ObservationFromJson(tree);
  ASSERT_EQ(got.status(), want.status());
  if (!want.ok()) return;
  EXPECT_EQ(*got, *want);
  // Json's == calls 1 and 1.0 equal; the text does not.
  EXPECT_EQ(AppendedJson(*got), AppendedJson(*want));
}

TEST(CodecTest, AppendJsonWritesExactlyDumpOfToJson) {
  for (const auto& [label, o] : AllObservations()) {
    EXPECT_EQ(AppendedJson(o), DumpJson(ToJson(o))) << label;
  }
}

// The writer scans strings 8 bytes at a time; a byte to escape or a non-ASCII one must be caught at
// any offset, in texts longer than the writer's buffer too.
TEST(CodecTest, AppendJsonEscapesAtEveryOffset) {
  const std::string specials[] = {"\"", "\\", "\n", std::string(1, '\0'), "\x1f", "\x7f", "é", "\xff", "🎉"};
  for (size_t length : {1, 7, 8, 9, 17, 5000}) {
    for (size_t offset = 0; offset < length; ++offset) {
      if (offset == 17 && length > 34) offset = length - 17;  // the first and last 17 offsets
      for (const std::string& special : specials) {
        Observation o;
        o.name = std::string(length, 'a');
        o.name.replace(offset, 1, special);
        o.input = o.name;
        EXPECT_EQ(AppendedJson(o), DumpJson(ToJson(o))) << length << " " << offset << " " << special;
      }
    }
  }
}

TEST(CodecTest, AppendJsonAppendsAfterExistingText) {
  std::string text = "prefix";
  AppendJson(FullObservation(), &text);
  EXPECT_EQ(text, "prefix" + DumpJson(ToJson(FullObservation())));
}

TEST(CodecTest, ParseObservationJsonMatchesJsonTreeOnWrittenText) {
  for (const auto& [label, o] : AllObservations()) {
    std::string text = AppendedJson(o);
    ExpectParsesLikeJsonTree(text, label);
    std::string pretty = ToJson(o).dump(2, ' ', false, Json::error_handler_t::replace);
    ExpectParsesLikeJsonTree(pretty, label + " pretty");
  }
}

TEST(CodecTest, ParseObservationJsonRoundTripsWhatAppendJsonWrote) {
  Observation o = FullObservation();
  absl::StatusOr<Observation> back = ParseObservationJson(AppendedJson(o));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, o);
}

TEST(CodecTest, ParseObservationJsonOfTheSummaryLeavesOutOnlyTheFreeFormFields) {
  for (const auto& [label, o] : AllObservations()) {
    absl::StatusOr<Observation> whole = ParseObservationJson(AppendedJson(o));
    if (!whole.ok()) continue;  // a text AppendJson cannot write exactly, e.g. trace metadata not an object
    Observation summary;
    ASSERT_TRUE(ParseObservationJson(AppendedJson(o), ObservationFields::kSummary, summary).ok()) << label;
    Observation expected = *whole;
    const Observation defaults;
    expected.input = defaults.input;
    expected.output = defaults.output;
    expected.metadata = defaults.metadata;
    expected.attributes = defaults.attributes;
    expected.events = defaults.events;
    expected.model_parameters = defaults.model_parameters;
    EXPECT_EQ(summary, expected) << label;
  }
  // What it reads it checks as the whole parse does; what it leaves out it does not check.
  Observation out;
  EXPECT_EQ(ParseObservationJson(R"({"model":42})", ObservationFields::kSummary, out).message(),
            ParseObservationJson(R"({"model":42})").status().message());
  Observation unchecked;
  const std::string malformed_free_form =
      R"({"type":"span","status":"ok","level":"DEFAULT","metadata":[1],"events":3,"input":{"a":1}})";
  EXPECT_FALSE(ParseObservationJson(malformed_free_form).ok());
  EXPECT_TRUE(ParseObservationJson(malformed_free_form, ObservationFields::kSummary, unchecked).ok());
  EXPECT_TRUE(unchecked.input.is_null());
}

// What the codec keeps of a time: whole microseconds, floored (the times of int64's first
// microsecond have no floor in int64, and are left as they are).
int64_t FlooredToMicros(int64_t ns) {
  if (ns < std::numeric_limits<int64_t>::min() + 1000) return ns;
  return ns - (((ns % 1000) + 1000) % 1000);
}

TEST(CodecTest, AppendJsonSaysWhetherTheTextHoldsEveryValueExactly) {
  for (auto [label, o] : AllObservations()) {
    SCOPED_TRACE(label);
    o.start_time_ns = FlooredToMicros(o.start_time_ns);
    o.end_time_ns = FlooredToMicros(o.end_time_ns);
    o.completion_start_time_ns = FlooredToMicros(o.completion_start_time_ns);
    for (Event& event : o.events) event.time_ns = FlooredToMicros(event.time_ns);
    std::string text;
    const bool exact = AppendJson(o, &text);
    const bool inexact_case = label == "invalid UTF-8" || label == "non-finite doubles" ||
                              label == "scalar free-form values" || label == "extreme times";
    EXPECT_EQ(exact, !inexact_case);
    if (!exact) continue;
    absl::StatusOr<Observation> back = ParseObservationJson(text);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, o);
  }
  Observation binary;
  binary.metadata = Json{{"b", Json::binary({1, 2})}};
  std::string text;
  EXPECT_FALSE(AppendJson(binary, &text));
}

TEST(CodecTest, ParseObservationJsonMatchesJsonTreeOnOddText) {
  const std::string deep = std::string(2000, '[') + std::string(2000, ']');
  const char* kObservationShape = R"({"id":"a","trace_id":"b","type":"span","status":"ok","level":"DEFAULT")";
  struct Case {
    std::string label;
    std::string text;
  } cases[] = {
      {"not an object", "[]"},
      {"not JSON", "{\"id\":"},
      {"empty text", ""},
      {"trailing garbage", "{} x"},
      {"raw control character", "{\"name\":\"a\tb\"}"},
      {"lone surrogate escape", R"({"name":"\udc00"})"},
      {"invalid UTF-8 in text", "{\"name\":\"\xff\"}"},
      {"byte-order mark (Json::parse accepts it)", "\xef\xbb\xbf{\"id\":\"a\"}"},
      {"empty object", "{}"},
      {"unknown type", R"({"type":"bogus"})"},
      {"unknown status", R"({"status":"bogus"})"},
      {"unknown level", R"({"level":"bogus"})"},
      {"wrong type before unknown type: the type error wins", R"({"id":42,"type":"bogus"})"},
      {"string field is a number", R"({"model":42})"},
      {"first of two wrong fields", R"({"model":42,"id":true})"},
      {"number field is a string", R"({"retry_count":"2"})"},
      {"object field is an array", R"({"metadata":[1]})"},
      {"nested usage wrong", R"({"usage":{"input_tokens":"x"}})"},
      {"nested cost wrong", R"({"cost":{"input":"x","source":"provided"}})"},
      {"usage not an object", R"({"usage":7})"},
      {"estimated not a boolean", R"({"usage":{"estimated":"yes"}})"},
      {"estimated null", R"({"usage":{"input_tokens":3,"estimated":null}})"},
      {"fractional integer", R"({"usage":{"input_tokens":1.9},"retry_count":-3.7})"},
      {"integer doubles", R"({"cost":{"input":3,"output":18446744073709551615,"total":-4}})"},
      {"uint64 retry count", R"({"retry_count":18446744073709551615})"},
      {"integer beyond 64 bits (simdjson refuses)", R"({"attributes":{"big":18446744073709551616}})"},
      {"number out of double range", R"({"attributes":{"x":1e400}})"},
      {"negative zero integer", R"({"attributes":{"z":-0,"y":-0.0}})"},
      {"bad time", R"({"start_time":"yesterday"})"},
      {"time with offset", R"({"start_time":"2026-11-22T03:28:49.557+01:00"})"},
      {"time as integer text", R"({"end_time":"1795314529"})"},
      {"time month 13", R"({"start_time":"2026-13-22T02:28:49.557000Z"})"},
      {"time not a string", R"({"start_time":5})"},
      {"event not an object", R"({"events":[1,{"name":"e"}]})"},
      {"event with bad time", R"({"events":[{"name":"e","time":"never"}],"model":42})"},
      {"event attributes wrong", R"({"events":[{"attributes":"x"}]})"},
      {"events not an array", R"({"events":{"name":"e"}})"},
      {"prompt field errors are ignored",
       R"({"prompt":{"name":5,"version":"1"},"tool":{"name":"t","call_id":[]}})"},
      {"prompt not an object", R"({"prompt":"p","tool":3})"},
      {"tags with non-strings", R"({"trace_hints":{"tags":["a",1,null,"b"],"user_id":"u"}})"},
      {"hints wrong", R"({"trace_hints":{"metadata":[],"session_id":1}})"},
      {"repeated key: last wins", R"({"name":"first","name":"second"})"},
      {"repeated key: an earlier wrong one is forgotten", R"({"name":1,"name":"second"})"},
      {"repeated nested key", R"({"attributes":{"k":1,"k":{"x":2}}})"},
      {"unsorted keys", R"({"type":"tool","name":"n","id":"i","attributes":{"b":1,"a":2}})"},
      {"unknown fields ignored", R"({"latency_ms":"whatever","extra":{"x":1}})"},
      {"whitespace everywhere", " {\n\t\"id\" : \"a\" ,\r\n \"input\" : [ 1 , { } ] } \n"},
      {"deep nesting (beyond simdjson's limit)", absl::StrCat(R"({"input":)", deep, "}")},
      {"full shape", absl::StrCat(kObservationShape, R"(,"input":{"m":[1,2.5,"x",null,true]}})")},
  };
  for (const Case& c : cases) ExpectParsesLikeJsonTree(c.text, c.label);
}

TEST(CodecTest, ParseObservationJsonReportsTextThatIsNotJson) {
  absl::StatusOr<Observation> got = ParseObservationJson("{\"id\":");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(got.status().message().find("not JSON"), std::string::npos);
}

TEST(CodecTest, ParseObservationJsonHandlesLargeObservations) {
  Observation o = FullObservation();
  o.input = std::string(3 << 20, 'x');  // above the size a thread's parser keeps
  absl::StatusOr<Observation> back = ParseObservationJson(AppendedJson(o));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, o);
}

std::vector<std::pair<std::string, Trace>> EdgeCaseTraces() {
  std::vector<std::pair<std::string, Trace>> cases;
  cases.emplace_back("default", Trace{});
  Trace t;
  t.id = "4d9c0ecc9f3a12846ae99b70de27a657";
  t.name = "agent run \xff";
  t.start_time_ns = 1795314529557001000;
  t.end_time_ns = 1795314529857002000;
  t.status = Status::kError;
  t.session_id = "s1";
  t.user_id = "u1";
  t.feature = "search";
  t.environment = "production";
  t.release = "1.4.2";
  t.tags = {"a", "b\"c"};
  t.metadata = Json{{"k", "v"}, {"n", 0.1}};
  t.input = "question";
  t.output = Json{{"answer", {1, 2}}};
  t.counts = TraceCounts{.observations = 5, .generations = 2, .tool_calls = 1, .retrievals = 1, .errors = 1,
                         .retries = 3};
  t.usage = Usage{.input_tokens = 10, .output_tokens = 5, .total_tokens = 15};
  t.cost = Cost{.input = 0.1, .output = 0.2, .total = 0.30000000000000004};
  t.models = {"gpt-4o", "gpt-4o-mini"};
  t.has_root = true;
  cases.emplace_back("every field", t);
  return cases;
}

// What a store keeping the summary in columns has of `o` without its detail payload.
Observation WithoutDetail(Observation o) {
  MergeDetail(Observation(), o);
  return o;
}

// Merged into the summary fields, the detail gives what the whole JSON gives (the same as the
// observation itself, except for the edge cases the JSON form does not keep, such as invalid
// UTF-8 or non-finite doubles).
TEST(CodecTest, DetailJsonMergedIntoTheSummaryGivesWhatTheWholeJsonGives) {
  for (const auto& [label, o] : AllObservations()) {
    absl::StatusOr<Observation> whole = ParseObservationJson(AppendedJson(o));
    std::string text;
    AppendDetailJson(o, &text);
    EXPECT_TRUE(text.starts_with(kDetailJsonPrefix)) << label << ": " << text;
    absl::StatusOr<Observation> detail = ParseObservationJson(text);
    if (!whole.ok()) continue;  // the JSON form refuses it: nothing to compare with
    ASSERT_TRUE(detail.ok()) << label << ": " << detail.status();
    Observation merged = WithoutDetail(*whole);
    MergeDetail(*std::move(detail), merged);
    EXPECT_EQ(merged, *whole) << label;
  }
  Observation o = FullObservation();
  std::string text;
  AppendDetailJson(o, &text);
  Observation merged = WithoutDetail(o);
  MergeDetail(*ParseObservationJson(text), merged);
  EXPECT_EQ(merged, o);
}

TEST(CodecTest, DetailJsonLeavesOutTheSummaryFields) {
  std::string text;
  AppendDetailJson(FullObservation(), &text);
  for (std::string_view summary_value : {"4d9c0ecc9f3a12846ae99b70de27a657", "bb4dcac190fdfb43", "chat gpt-4o",
                                         "rate_limit", "production", "s1", "u1"}) {
    EXPECT_EQ(text.find(summary_value), std::string::npos) << summary_value << " in " << text;
  }
}

TEST(CodecTest, AppendJsonOfTraceWritesExactlyDumpOfToJson) {
  for (const auto& [label, t] : EdgeCaseTraces()) {
    std::string text;
    AppendJson(t, &text);
    EXPECT_EQ(text, DumpJson(ToJson(t))) << label;
  }
}

}  // namespace
}  // namespace trackly::model
