#include "model/codec.h"

#include <gtest/gtest.h>

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
  o.cost = Cost{.input = 0.1, .output = 0.2, .total = 0.3, .source = CostSource::kProvided};
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
}

TEST(CodecTest, RejectsWrongFieldTypeNamingTheField) {
  Json j = ToJson(FullObservation());
  j["model"] = 42;
  absl::StatusOr<Observation> back = ObservationFromJson(j);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(back.status().message().find("\"model\""), std::string::npos);
}

}  // namespace
}  // namespace trackly::model
