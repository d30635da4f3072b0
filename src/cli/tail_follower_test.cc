// The loop of `trackly tail` (cli/tail_follower.h) against scripted answers: what it asks, what it
// prints, how it retries and when it gives up. No network, no sleeping (the pauses are recorded).
#include "cli/tail_follower.h"

#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/json.h"

namespace trackly::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using model::Json;

// Answers the loop's requests from a script, recording the targets; Cancelled when it runs out.
class Script {
 public:
  explicit Script(std::vector<absl::StatusOr<ApiResponse>> answers) : answers_(std::move(answers)) {}
  TailFetch Fetch() {
    return [this](const std::string& target) -> absl::StatusOr<ApiResponse> {
      targets.push_back(target);
      if (next_ == answers_.size()) return absl::CancelledError("end of script");
      return answers_[next_++];
    };
  }
  TailSleep Sleep() {
    return [this](absl::Duration pause) { pauses.push_back(pause); };
  }
  std::vector<std::string> targets;
  std::vector<absl::Duration> pauses;

 private:
  std::vector<absl::StatusOr<ApiResponse>> answers_;
  size_t next_ = 0;
};

ApiResponse Ok(Json body) { return ApiResponse{.http_status = 200, .body = body.dump()}; }

Json Entry(int seq, const std::string& name) {
  return {{"seq", seq}, {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}, {"id", "s"}, {"type", "tool"},
          {"name", name}, {"status", "ok"}, {"level", "DEFAULT"}, {"start_time", "2026-11-22T03:04:05.557000Z"},
          {"latency_ms", 5.0}, {"usage", {{"total_tokens", 0}}}, {"cost", {{"total", 0}}}, {"update", false}};
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(ParseTailFiltersTest, SplitsAtTheFirstEquals) {
  absl::StatusOr<query::QueryParams> params = ParseTailFilters({"type=generation", "name=a=b", "model="});
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ(*params, (query::QueryParams{{"type", "generation"}, {"name", "a=b"}, {"model", ""}}));
  for (const std::string bad : {"type", "=x"}) {
    absl::StatusOr<query::QueryParams> refused = ParseTailFilters({bad});
    EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << bad;
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr("expected NAME=VALUE"));
  }
}

TEST(TailTargetTest, StartsFromNowWithoutWaitingThenLongPollsWithEncodedFilters) {
  TailFollowOptions options;
  options.filters = {{"name", "a b&c"}, {"type", "tool"}};
  EXPECT_EQ(TailTarget(options, std::nullopt), "/api/v1/tail?wait_ms=0&limit=1000&name=a%20b%26c&type=tool");
  EXPECT_EQ(TailTarget(options, 42), "/api/v1/tail?wait_ms=25000&limit=1000&after=42&name=a%20b%26c&type=tool");
}

TEST(FollowTailTest, PrintsEachSpanOnceAndFollowsFromTheAnswersNext) {
  Script script({Ok({{"data", Json::array()}, {"next", 7}, {"dropped", 0}}),
                 Ok({{"data", {Entry(8, "search"), Entry(9, "fetch")}}, {"next", 9}, {"dropped", 0}}),
                 Ok({{"data", Json::array()}, {"next", 9}, {"dropped", 0}})});
  std::ostringstream out, err;
  ASSERT_TRUE(FollowTail(TailFollowOptions{}, script.Fetch(), script.Sleep(), out, err).ok());
  ASSERT_EQ(script.targets.size(), 4u);
  EXPECT_THAT(script.targets[0], HasSubstr("wait_ms=0"));
  EXPECT_THAT(script.targets[1], HasSubstr("after=7"));
  EXPECT_THAT(script.targets[2], HasSubstr("after=9"));
  EXPECT_THAT(script.targets[3], HasSubstr("after=9"));
  const std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 2u) << out.str();
  EXPECT_THAT(lines[0], HasSubstr("search"));
  EXPECT_THAT(lines[1], HasSubstr("fetch"));
  EXPECT_THAT(err.str(), HasSubstr("following the live tail"));
  EXPECT_TRUE(script.pauses.empty());
}

TEST(FollowTailTest, JsonLinesAreTheApisEntries) {
  Script script({Ok({{"data", {Entry(1, "search")}}, {"next", 1}, {"dropped", 0}})});
  std::ostringstream out, err;
  TailFollowOptions options;
  options.json = true;
  ASSERT_TRUE(FollowTail(options, script.Fetch(), script.Sleep(), out, err).ok());
  EXPECT_THAT(Lines(out.str()), ElementsAre(Entry(1, "search").dump()));
}

TEST(FollowTailTest, SaysWhenSpansWereDropped) {
  Script script({Ok({{"data", {Entry(13, "search")}}, {"next", 13}, {"dropped", 12}})});
  std::ostringstream out, err;
  ASSERT_TRUE(FollowTail(TailFollowOptions{}, script.Fetch(), script.Sleep(), out, err).ok());
  const std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("12 spans dropped"));
  // With --json the notice goes to stderr, so stdout stays JSON lines.
  Script json_script({Ok({{"data", Json::array()}, {"next", 13}, {"dropped", 1}})});
  std::ostringstream json_out, json_err;
  TailFollowOptions options;
  options.json = true;
  ASSERT_TRUE(FollowTail(options, json_script.Fetch(), json_script.Sleep(), json_out, json_err).ok());
  EXPECT_EQ(json_out.str(), "");
  EXPECT_THAT(json_err.str(), HasSubstr("1 span dropped"));
}

TEST(FollowTailTest, RetriesWhatMayPassWithGrowingPausesFromWhereItStood) {
  Script script({Ok({{"data", Json::array()}, {"next", 3}, {"dropped", 0}}),
                 absl::UnavailableError("cannot connect to http://127.0.0.1:1: Connection refused"),
                 ApiResponse{.http_status = 503, .body = R"({"error":{"code":"unavailable","message":"stopping"}})"},
                 ApiResponse{.http_status = 429, .body = "slow down"},
                 Ok({{"data", Json::array()}, {"next", 3}, {"dropped", 0}}),
                 absl::UnavailableError("no answer")});
  std::ostringstream out, err;
  TailFollowOptions options;
  options.first_retry = absl::Seconds(1);
  options.max_retry = absl::Seconds(3);
  ASSERT_TRUE(FollowTail(options, script.Fetch(), script.Sleep(), out, err).ok());
  // 1 s, 2 s, then at most 3 s; after an answer it starts again at 1 s.
  EXPECT_THAT(script.pauses, ElementsAre(absl::Seconds(1), absl::Seconds(2), absl::Seconds(3), absl::Seconds(1)));
  for (size_t i = 2; i < script.targets.size(); ++i) EXPECT_THAT(script.targets[i], HasSubstr("after=3"));
  EXPECT_THAT(err.str(), HasSubstr("Connection refused; retrying in 1s"));
  EXPECT_THAT(err.str(), HasSubstr("HTTP 503: stopping; retrying in 2s"));
}

TEST(FollowTailTest, GivesUpOnErrorsThatWillNotPassWithTheServersMessage) {
  for (int status : {400, 401, 403, 404}) {
    SCOPED_TRACE(status);
    Script script({ApiResponse{.http_status = status,
                               .body = R"({"error":{"code":"invalid_argument","message":"parameter 'type' must be one of span"}})"}});
    std::ostringstream out, err;
    absl::Status given_up = FollowTail(TailFollowOptions{}, script.Fetch(), script.Sleep(), out, err);
    EXPECT_FALSE(given_up.ok());
    EXPECT_THAT(std::string(given_up.message()), HasSubstr("parameter 'type' must be one of span"));
    EXPECT_EQ(script.targets.size(), 1u);
  }
}

}  // namespace
}  // namespace trackly::cli
