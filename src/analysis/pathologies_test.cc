#include "analysis/pathologies.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "analysis/test_trace.h"

namespace trackly::analysis {
namespace {

using namespace testing;  // NOLINT: the builders of test_trace.h

constexpr int64_t kMinuteMs = 60'000;

std::vector<FindingKind> Kinds(const std::vector<Finding>& findings) {
  std::vector<FindingKind> kinds;
  for (const Finding& f : findings) kinds.push_back(f.kind);
  return kinds;
}

Observation Agent() { return Obs("root", "", 0, 1000, ObservationType::kAgent); }

// `n` tool calls under the root with distinct arguments; the first `failed` of them fail.
std::vector<Observation> ToolCalls(int n, int failed) {
  std::vector<Observation> obs = {Agent()};
  for (int i = 0; i < n; ++i) {
    obs.push_back(Tool("t" + std::to_string(i), "root", 10 * i, 10 * i + 5, "lookup", {{"key", i}},
                       i < failed ? Status::kError : Status::kOk));
  }
  return obs;
}

// Model calls of one loop with these input token counts, 10 ms apart.
std::vector<Observation> ModelCalls(std::vector<int64_t> input_tokens) {
  std::vector<Observation> obs = {Agent()};
  for (size_t i = 0; i < input_tokens.size(); ++i) {
    const int64_t at = 10 * static_cast<int64_t>(i);
    obs.push_back(Gen("g" + std::to_string(i), "root", at, at + 5, input_tokens[i]));
  }
  return obs;
}

std::vector<Observation> Children(int n) {
  std::vector<Observation> obs = {Agent()};
  for (int i = 0; i < n; ++i) obs.push_back(Obs("c" + std::to_string(i), "root", i, i + 1));
  return obs;
}

// A failed send_email, an optional later attempt, and a final answer.
std::vector<Observation> FailedToolThenAnswer(std::string answer, bool retried_ok) {
  std::vector<Observation> obs = {Agent(), Gen("g1", "root", 0, 10, 100, "", "tool_calls"),
                                  Tool("t1", "root", 10, 20, "send_email", {{"to", "a@b.c"}}, Status::kError)};
  if (retried_ok) obs.push_back(Tool("t2", "root", 20, 30, "send_email", {{"to", "a@b.c"}}));
  obs.push_back(Gen("g2", "root", 40, 50, 200, std::move(answer), "stop"));
  return obs;
}

const std::string kLongQuery =
    "compare the quarterly revenue growth of the three largest cloud providers over the last eight quarters "
    "and list them by region";

struct Case {
  const char* name;
  std::vector<Observation> observations;
  std::vector<FindingKind> want;
  int64_t now_ms = 1000;  // just after the traces above end
};

TEST(PathologiesTest, EachDetectorAndItsNearMiss) {
  using K = FindingKind;
  Observation open = Obs("open", "root", 10, kOpen);
  const Case cases[] = {
      {"RepeatedToolCallSameArgumentsUpToKeyOrderAndWhitespace",
       {Agent(), Tool("a", "root", 0, 1, "search", Json::parse(R"({"q": "paris weather", "n": 3})")),
        Tool("b", "root", 2, 3, "search", Json::parse(R"({"n": 3, "q": "paris   weather"})")),
        Tool("c", "root", 4, 5, "search", Json::parse(R"({"q": " paris weather", "n": 3.0})"))},
       {K::kRepeatedToolCall}},
      {"RepeatedToolCallNearIdenticalArguments",
       {Agent(), Tool("a", "root", 0, 1, "search", {{"q", kLongQuery}}),
        Tool("b", "root", 2, 3, "search", {{"q", kLongQuery + " please"}}),
        Tool("c", "root", 4, 5, "search", {{"q", "please " + kLongQuery + " now"}})},
       {K::kRepeatedToolCall}},
      {"NearMissTwoIdenticalCalls",
       {Agent(), Tool("a", "root", 0, 1, "search", {{"q", "x"}}), Tool("b", "root", 2, 3, "search", {{"q", "x"}})},
       {}},
      {"NearMissSimilarShortArguments",
       {Agent(), Tool("a", "root", 0, 1, "search", {{"q", "weather in paris"}}),
        Tool("b", "root", 2, 3, "search", {{"q", "weather in paris today"}}),
        Tool("c", "root", 4, 5, "search", {{"q", "weather in paris tomorrow"}})},
       {}},
      {"NearMissSameArgumentsDifferentTools",
       {Agent(), Tool("a", "root", 0, 1, "search", {{"q", "x"}}), Tool("b", "root", 2, 3, "fetch", {{"q", "x"}}),
        Tool("c", "root", 4, 5, "browse", {{"q", "x"}})},
       {}},
      {"RunawayDepth", Chain(21), {K::kRunawayDepth}},
      {"NearMissDepthAtTheLimit", Chain(20), {}},
      {"RunawayFanOut", Children(51), {K::kRunawayFanOut}},
      {"NearMissFanOutAtTheLimit", Children(50), {}},
      {"ToolErrorStormByCount", ToolCalls(20, 5), {K::kToolErrorStorm}},
      {"ToolErrorStormByShare", ToolCalls(4, 2), {K::kToolErrorStorm}},
      {"NearMissFewerErrorsThanEitherRule", ToolCalls(10, 4), {}},
      {"NearMissHalfOfTooFewCalls", ToolCalls(3, 1), {}},
      {"DanglingSpan", {Agent(), open}, {K::kDanglingSpan}, 1000 + 6 * kMinuteMs},
      {"NearMissOpenSpanNotLongEnough", {Agent(), open}, {}, 1000 + 4 * kMinuteMs},
      {"NearMissNothingOpen", {Agent()}, {}, 1000 + 60 * kMinuteMs},
      {"ContextBloat", ModelCalls({1000, 2000, 3000, 4000, 5000}), {K::kContextBloat}},
      {"NearMissGrowthInterrupted", ModelCalls({1000, 2000, 3000, 4000, 3900, 4100}), {}},
      {"NearMissGrowthTooSmall", ModelCalls({1000, 1500, 2000, 3000, 3900}), {}},
      {"NearMissTooFewCalls", ModelCalls({1000, 3000, 5000, 8000}), {}},
      {"SuccessAfterFailedTool", FailedToolThenAnswer("I have successfully sent the email.", false),
       {K::kSuccessAfterFailedTool}},
      {"NearMissFailedToolRetriedSuccessfully", FailedToolThenAnswer("I have successfully sent the email.", true), {}},
      {"NearMissAnswerAdmitsTheFailure",
       FailedToolThenAnswer("Sorry, I have not been able to send the email.", false), {}},
      {"NearMissAnswerClaimsNothing", FailedToolThenAnswer("The email address looks valid.", false), {}},
  };
  for (const Case& c : cases) {
    const std::vector<Finding> findings = DetectPathologies(c.observations, PathologyOptions(), Ns(c.now_ms));
    std::string messages;
    for (const Finding& f : findings) messages += std::string(ToString(f.kind)) + ": " + f.message + "\n";
    EXPECT_EQ(Kinds(findings), c.want) << c.name << "\n" << messages;
  }
}

TEST(PathologiesTest, FindingsCarryTheirEvidence) {
  struct Case {
    const char* name;
    std::vector<Observation> observations;
    int64_t now_ms;
    std::string want_message;
    std::vector<std::string> want_ids;
  };
  Observation open = Obs("open", "root", 10, kOpen);
  const Case cases[] = {
      {"RepeatedToolCall",
       {Agent(), Tool("c", "root", 4, 5, "search", {{"q", "x"}}, Status::kError),
        Tool("a", "root", 0, 1, "search", {{"q", "x"}}), Tool("b", "root", 2, 3, "search", {{"q", "x"}})},
       1000,
       "tool \"search\" was called 3 times with the same arguments (1 failed)",
       {"a", "b", "c"}},
      {"RunawayDepth", Chain(25), 1000, "the trace is 25 spans deep (more than 20); deepest: \"s24\"", {"s24"}},
      {"RunawayFanOut", Children(60), 1000, "\"root\" has 60 children (more than 50)", {"root"}},
      {"ToolErrorStorm", ToolCalls(4, 2), 1000, "2 of 4 tool calls failed", {"t0", "t1"}},
      {"DanglingSpan", {Agent(), open}, 1000 + 10 * kMinuteMs,
       "1 span is still open 10 min after the trace's last activity", {"open"}},
      {"ContextBloat", ModelCalls({1000, 2000, 3000, 4000, 5000}), 1000,
       "input tokens grew at each of 5 model calls, from 1000 to 5000 (5.0x)", {"g0", "g1", "g2", "g3", "g4"}},
      {"SuccessAfterFailedTool", FailedToolThenAnswer("Done! The email went out.", false), 1000,
       "tool \"send_email\" failed and was not retried successfully, but the final answer says \"done\"",
       {"t1", "g2"}},
  };
  for (const Case& c : cases) {
    const std::vector<Finding> findings = DetectPathologies(c.observations, PathologyOptions(), Ns(c.now_ms));
    ASSERT_EQ(findings.size(), 1u) << c.name;
    EXPECT_EQ(findings[0].message, c.want_message) << c.name;
    EXPECT_EQ(findings[0].observation_ids, c.want_ids) << c.name;
  }
}

TEST(PathologiesTest, ContextBloatIsJudgedPerAgentLoop) {
  // Two sub-agents whose calls interleave: each grows over 3 calls only.
  std::vector<Observation> obs = {Agent(), Obs("a", "root", 0, 100, ObservationType::kAgent),
                                  Obs("b", "root", 0, 100, ObservationType::kAgent)};
  const int64_t tokens[] = {1000, 3000, 9000};  // all six in time order would grow 9x
  for (int i = 0; i < 3; ++i) {
    obs.push_back(Gen("a" + std::to_string(i), "a", 20 * i, 20 * i + 5, tokens[i]));
    obs.push_back(Gen("b" + std::to_string(i), "b", 20 * i + 10, 20 * i + 15, tokens[i] + 1));
  }
  EXPECT_TRUE(DetectPathologies(obs, PathologyOptions(), Ns(1000)).empty());
}

TEST(PathologiesTest, ThresholdsComeFromTheOptions) {
  PathologyOptions strict;
  strict.max_depth = 3;
  strict.repeated_tool_call_min_calls = 2;
  std::vector<Observation> obs = Chain(4);
  obs.push_back(Tool("a", "s0", 0, 1, "search", {{"q", "x"}}));
  obs.push_back(Tool("b", "s0", 2, 3, "search", {{"q", "x"}}));
  EXPECT_EQ(Kinds(DetectPathologies(obs, strict, Ns(1000))),
            (std::vector<FindingKind>{FindingKind::kRepeatedToolCall, FindingKind::kRunawayDepth}));
  EXPECT_TRUE(DetectPathologies(obs, PathologyOptions(), Ns(1000)).empty());
}

TEST(PathologiesTest, ResultDoesNotDependOnOrder) {
  std::vector<Observation> obs = ToolCalls(6, 5);
  for (int i = 0; i < 3; ++i) obs.push_back(Tool("r" + std::to_string(i), "root", 100 + i, 101 + i, "search", {{"q", "x"}}));
  const std::vector<Finding> want = DetectPathologies(obs, PathologyOptions(), Ns(1000));
  ASSERT_EQ(want.size(), 2u);
  std::mt19937 rng(9);
  for (int i = 0; i < 20; ++i) {
    std::shuffle(obs.begin(), obs.end(), rng);
    EXPECT_EQ(DetectPathologies(obs, PathologyOptions(), Ns(1000)), want);
  }
}

TEST(PathologiesTest, HundredThousandDeepChainAndParentCycle) {
  std::vector<Observation> obs = Chain(100'000);
  obs.push_back(Obs("x", "y", 1, 2));
  obs.push_back(Obs("y", "x", 1, 3));
  const std::vector<Finding> findings = DetectPathologies(obs, PathologyOptions(), Ns(0));
  ASSERT_EQ(Kinds(findings), (std::vector<FindingKind>{FindingKind::kRunawayDepth}));
  EXPECT_EQ(findings[0].observation_ids, (std::vector<std::string>{"s99999"}));
}

TEST(PathologiesTest, KindNamesRoundTrip) {
  for (FindingKind k : {FindingKind::kRepeatedToolCall, FindingKind::kRunawayDepth, FindingKind::kRunawayFanOut,
                        FindingKind::kToolErrorStorm, FindingKind::kDanglingSpan, FindingKind::kContextBloat,
                        FindingKind::kSuccessAfterFailedTool}) {
    FindingKind back = FindingKind::kRunawayDepth;
    ASSERT_TRUE(ParseFindingKind(ToString(k), &back)) << ToString(k);
    EXPECT_EQ(back, k);
  }
  EXPECT_EQ(ToString(FindingKind::kRunawayFanOut), "runaway_fan_out");
  FindingKind unchanged = FindingKind::kContextBloat;
  EXPECT_FALSE(ParseFindingKind("RepeatedToolCall", &unchanged));
  EXPECT_EQ(unchanged, FindingKind::kContextBloat);
}

}  // namespace
}  // namespace trackly::analysis
