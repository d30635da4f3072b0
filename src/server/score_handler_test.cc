#include "server/score_handler.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;

TEST(ParseScoreBodyTest, ReadsEveryFieldAndEachValueType) {
  absl::StatusOr<model::Score> score = ParseScoreBody(
      R"({"id": "s1", "trace_id": "t1", "observation_id": "o1", "name": "quality", "value": 0.5,
          "data_type": "numeric", "comment": "fine", "source": "EVAL", "time": "2026-11-22T03:04:05Z"})");
  ASSERT_TRUE(score.ok()) << score.status();
  EXPECT_EQ(score->id, "s1");
  EXPECT_EQ(score->trace_id, "t1");
  EXPECT_EQ(score->observation_id, "o1");
  EXPECT_EQ(score->name, "quality");
  EXPECT_EQ(score->value, 0.5);
  EXPECT_EQ(score->comment, "fine");
  EXPECT_EQ(score->source, "EVAL");
  EXPECT_EQ(score->time_ns, 1795316645000000000);  // 2026-11-22T03:04:05Z

  absl::StatusOr<model::Score> categorical = ParseScoreBody(R"({"trace_id": "t", "name": "label", "value": "spam"})");
  ASSERT_TRUE(categorical.ok()) << categorical.status();
  EXPECT_TRUE(categorical->value.is_string());
  EXPECT_EQ(categorical->source, "API");
  EXPECT_EQ(categorical->id, "");
  EXPECT_EQ(categorical->time_ns, 0);
  absl::StatusOr<model::Score> boolean =
      ParseScoreBody(R"({"observation_id": "o", "name": "helpful", "value": true, "data_type": "boolean"})");
  ASSERT_TRUE(boolean.ok()) << boolean.status();
  EXPECT_TRUE(boolean->value.is_boolean());
}

TEST(ParseScoreBodyTest, RejectsBadBodiesNamingTheField) {
  const struct {
    const char* body;
    const char* message;
  } kCases[] = {
      {"[1]", "body: must be a JSON object"},
      {"not json", "body: must be a JSON object"},
      {R"({"name": "q", "value": 1})", "trace_id: required"},
      {R"({"trace_id": "t", "value": 1})", "name: required"},
      {R"({"trace_id": "t", "name": "", "value": 1})", "name: must not be empty"},
      {R"({"trace_id": "t", "name": "q"})", "value: required"},
      {R"({"trace_id": "t", "name": "q", "value": {"a": 1}})", "value: must be a number, a string or a boolean"},
      {R"({"trace_id": "t", "name": "q", "value": 1, "data_type": "boolean"})", "value: does not match data_type boolean"},
      {R"({"trace_id": "t", "name": "q", "value": 1, "data_type": "percent"})", "data_type: must be numeric"},
      {R"({"trace_id": "t", "name": "q", "value": 1, "time": "yesterday"})", "time: "},
      {R"({"trace_id": "t", "name": "q", "value": 1, "colour": "red"})", "colour: unknown field"},
      {R"({"trace_id": 7, "name": "q", "value": 1})", "trace_id: must be a string"},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<model::Score> score = ParseScoreBody(c.body);
    EXPECT_TRUE(absl::IsInvalidArgument(score.status())) << c.body << " → " << score.status();
    EXPECT_THAT(std::string(score.status().message()), HasSubstr(c.message)) << c.body;
  }
}

}  // namespace
}  // namespace trackly::server
