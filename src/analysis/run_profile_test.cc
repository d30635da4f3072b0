#include "analysis/run_profile.h"

#include <algorithm>
#include <functional>
#include <random>

#include <gtest/gtest.h>

#include "analysis/test_trace.h"

namespace trackly::analysis {
namespace {

using namespace testing;  // NOLINT: the builders of test_trace.h

Observation WithStatus(Observation o, Status status, std::string error_type = "", std::string message = "") {
  o.status = status;
  o.error_type = std::move(error_type);
  o.status_message = std::move(message);
  return o;
}

// An agent that calls get_weather (which fails once and is retried), then search, then answers.
std::vector<Observation> AgentRun() {
  Observation retried = Tool("t2", "root", 200, 300, "get_weather", {{"city", "Lisbon"}});
  retried.retry_count = 1;
  return {WithStatus(Obs("root", "", 0, 1000, ObservationType::kAgent), Status::kOk),
          Gen("g1", "root", 0, 100, 300, "", "tool_calls"),
          Tool("t1", "root", 100, 200, "get_weather", {{"city", "Lisbon"}}, Status::kError),
          retried,
          Gen("g2", "root", 300, 400, 400, "", "tool_calls"),
          Tool("t3", "root", 400, 500, "search", {{"q", "umbrella"}}),
          Gen("g3", "root", 500, 600, 500, "Pack an umbrella.", "stop"),
          Obs("ret", "root", 5, 9, ObservationType::kRetriever)};
}

TEST(RunProfileTest, CountsAnAgentRun) {
  const RunProfile p = ProfileRun(AgentRun());
  EXPECT_EQ(p.observations, 8);
  EXPECT_EQ(p.model_calls, 3);
  EXPECT_EQ(p.tool_calls, 3);
  EXPECT_EQ(p.retrievals, 1);
  EXPECT_EQ(p.retries, 1);  // t2 reports it; the identical t1/t2 pair adds nothing more
  EXPECT_EQ(p.errors, 1);
  EXPECT_EQ(p.max_depth, 2);
  EXPECT_EQ(p.planning_iterations, 2);
  EXPECT_EQ(p.stop_reason, StopReason::kFinalAnswer);
  EXPECT_EQ(p.stop_observation_id, "g3");
  EXPECT_EQ(p.stop_evidence, "finish_reason \"stop\"");
}

TEST(RunProfileTest, ResultDoesNotDependOnOrder) {
  std::vector<Observation> obs = AgentRun();
  const RunProfile want = ProfileRun(obs);
  std::mt19937 rng(11);
  for (int i = 0; i < 20; ++i) {
    std::shuffle(obs.begin(), obs.end(), rng);
    EXPECT_EQ(ProfileRun(obs), want);
  }
}

TEST(RunProfileTest, RetriesSumRetryCountsAndUnreportedIdenticalRepeats) {
  struct Case {
    const char* name;
    std::vector<Observation> observations;
    int64_t want;
  };
  Observation reported = Tool("t", "root", 1, 2, "fetch");
  reported.retry_count = 3;  // three retries inside one span
  const Case cases[] = {
      {"RetryCountInsideOneSpan", {Obs("root", "", 0, 10), reported}, 3},
      {"IdenticalRepeatsUpToKeyOrderAndWhitespace",
       {Obs("root", "", 0, 10), Tool("a", "root", 1, 2, "search", Json::parse(R"({"q": "x  y", "n": 1})")),
        Tool("b", "root", 2, 3, "search", Json::parse(R"({"n": 1.0, "q": "x y"})")),
        Tool("c", "root", 3, 4, "search", Json::parse(R"({"q": " x y ", "n": 1})"))},
       2},
      {"DifferentArgumentsAreNotRetries",
       {Obs("root", "", 0, 10), Tool("a", "root", 1, 2, "search", {{"q", "x"}}),
        Tool("b", "root", 2, 3, "search", {{"q", "y"}})},
       0},
      {"SameCallUnderDifferentParentsIsNotARetry",
       {Obs("root", "", 0, 10), Obs("p1", "root", 0, 5), Obs("p2", "root", 5, 10),
        Tool("a", "p1", 1, 2, "search", {{"q", "x"}}), Tool("b", "p2", 6, 7, "search", {{"q", "x"}})},
       0},
  };
  for (const Case& c : cases) EXPECT_EQ(ProfileRun(c.observations).retries, c.want) << c.name;
}

TEST(RunProfileTest, PlanningIterationsCountModelCallsFollowedByToolsInTheirLoop) {
  struct Case {
    const char* name;
    std::vector<Observation> observations;
    int64_t want;
  };
  const Case cases[] = {
      {"ToolsUnderTheSameAgent", AgentRun(), 2},
      {"ModelCallsWithoutTools",
       {Obs("root", "", 0, 10, ObservationType::kAgent), Gen("g1", "root", 0, 1), Gen("g2", "root", 2, 3)},
       0},
      {"ToolBeforeAnyModelCall",
       {Obs("root", "", 0, 10, ObservationType::kAgent), Tool("t", "root", 0, 1, "x"), Gen("g", "root", 2, 3)},
       0},
      {"SeveralToolsAfterOneModelCallCountOnce",
       {Obs("root", "", 0, 10, ObservationType::kAgent), Gen("g", "root", 0, 1), Tool("t1", "root", 1, 2, "x"),
        Tool("t2", "root", 1, 2, "y")},
       1},
      // LangGraph: the model call and the tool sit under different node spans of one graph.
      {"LangGraphNodesShareTheRootLoop",
       {Obs("graph", "", 0, 100, ObservationType::kChain), Obs("agent1", "graph", 0, 10, ObservationType::kChain),
        Gen("g1", "agent1", 1, 9), Obs("tools", "graph", 10, 20, ObservationType::kChain),
        Tool("t1", "tools", 11, 19, "search"), Obs("agent2", "graph", 20, 30, ObservationType::kChain),
        Gen("g2", "agent2", 21, 29)},
       1},
      // Two sub-agents in parallel interleave in time; each loop is read on its own.
      {"ParallelSubAgentsAreSeparateLoops",
       {Obs("root", "", 0, 100, ObservationType::kAgent), Obs("a", "root", 0, 30, ObservationType::kAgent),
        Obs("b", "root", 0, 30, ObservationType::kAgent), Gen("ga", "a", 0, 10), Gen("gb", "b", 5, 15),
        Tool("ta", "a", 10, 20, "x"), Tool("tb", "b", 15, 25, "y")},
       2},
  };
  for (const Case& c : cases) EXPECT_EQ(ProfileRun(c.observations).planning_iterations, c.want) << c.name;
}

TEST(RunProfileTest, StopReasonRules) {
  struct Case {
    const char* name;
    std::function<std::vector<Observation>()> build;
    StopReason want;
    std::string want_by;
  };
  const Case cases[] = {
      {"FinishStopIsFinalAnswer", [] { return AgentRun(); }, StopReason::kFinalAnswer, "g3"},
      {"FinishLengthIsTokenLimit",
       [] {
         Observation g = Gen("g", "root", 1, 5, 10, "partial answ");
         g.attributes["gen_ai.response.finish_reasons"] = Json::array({"length"});
         return std::vector<Observation>{Obs("root", "", 0, 10), g};
       },
       StopReason::kTokenLimit, "g"},
      {"AnthropicMaxTokensIsTokenLimit",
       [] { return std::vector<Observation>{Obs("root", "", 0, 10), Gen("g", "root", 1, 5, 10, "x", "max_tokens")}; },
       StopReason::kTokenLimit, "g"},
      {"RootErrorIsReportedOnTheLastFailure",
       [] {
         return std::vector<Observation>{WithStatus(Obs("root", "", 0, 10), Status::kError),
                                         Gen("g", "root", 1, 2, 10, "", "tool_calls"),
                                         Tool("t", "root", 2, 9, "x", {}, Status::kError)};
       },
       StopReason::kError, "t"},
      {"RootTimeoutIsError",
       [] {
         return std::vector<Observation>{WithStatus(Obs("root", "", 0, 10), Status::kTimeout),
                                         Gen("g", "root", 1, 2, 10, "x", "stop")};
       },
       StopReason::kError, "root"},
      {"RootCancelled",
       [] {
         return std::vector<Observation>{WithStatus(Obs("root", "", 0, 10), Status::kCancelled),
                                         Gen("g", "root", 1, 2, 10, "x", "stop")};
       },
       StopReason::kCancelled, "root"},
      {"CancelledErrorTypeIsCancelled",
       [] {
         return std::vector<Observation>{
             WithStatus(Obs("root", "", 0, 10), Status::kError, "asyncio.CancelledError"),
             Gen("g", "root", 1, 2, 10, "x", "stop")};
       },
       StopReason::kCancelled, "root"},
      {"RateLimitErrorIsAnErrorNotATokenLimit",
       [] {
         return std::vector<Observation>{
             WithStatus(Obs("root", "", 0, 10), Status::kError),
             WithStatus(Gen("g", "root", 1, 9), Status::kError, "RateLimitError",
                        "Rate limit reached: too many tokens per minute")};
       },
       StopReason::kError, "g"},
      {"LangGraphRecursionErrorIsMaxIterations",
       [] {
         return std::vector<Observation>{
             WithStatus(Obs("root", "", 0, 10), Status::kError, "GraphRecursionError",
                        "GraphRecursionError: Recursion limit of 25 reached without hitting a stop condition."),
             Gen("g", "root", 1, 2, 10, "", "tool_calls")};
       },
       StopReason::kMaxIterations, "root"},
      {"OpenAiAgentsMaxTurnsIsMaxIterations",
       [] {
         return std::vector<Observation>{
             Obs("root", "", 0, 10),
             WithStatus(Obs("run", "root", 0, 10), Status::kError, "agents.exceptions.MaxTurnsExceeded")};
       },
       StopReason::kMaxIterations, "run"},
      {"AgentExecutorIterationLimitAnswer",
       [] {
         Observation root = WithStatus(Obs("root", "", 0, 10, ObservationType::kChain), Status::kOk);
         root.output = {{"output", "Agent stopped due to iteration limit or time limit."}};
         return std::vector<Observation>{root, Gen("g", "root", 1, 2, 10, "", "tool_calls")};
       },
       StopReason::kMaxIterations, "root"},
      {"ContextLengthErrorIsTokenLimit",
       [] {
         return std::vector<Observation>{
             WithStatus(Obs("root", "", 0, 10), Status::kError),
             WithStatus(Gen("g", "root", 1, 9), Status::kError, "BadRequestError",
                        "This model's maximum context length is 8192 tokens")};
       },
       StopReason::kTokenLimit, "g"},
      {"OpenRootIsStillRunning",
       [] { return std::vector<Observation>{Obs("root", "", 0, kOpen), Gen("g", "root", 1, 2, 10, "x", "stop")}; },
       StopReason::kUnknown, "root"},
      {"UnsetRootThatDiedOnAnError",
       [] {
         return std::vector<Observation>{Obs("root", "", 0, 10), Gen("g", "root", 1, 2, 10, "", "tool_calls"),
                                         Tool("t", "root", 2, 10, "x", {}, Status::kError)};
       },
       StopReason::kError, "t"},
      {"HandledToolErrorThenAnswer",
       [] {
         return std::vector<Observation>{Obs("root", "", 0, 10), Tool("t", "root", 1, 2, "x", {}, Status::kError),
                                         Gen("g", "root", 3, 9, 10, "It failed; here is why.", "stop")};
       },
       StopReason::kFinalAnswer, "g"},
      {"TextAnswerWithoutFinishReason",
       [] { return std::vector<Observation>{Obs("root", "", 0, 10), Gen("g", "root", 1, 2, 10, "Paris.")}; },
       StopReason::kFinalAnswer, "g"},
      {"LastModelCallAskedForTools",
       [] {
         return std::vector<Observation>{Obs("root", "", 0, 10), Gen("g", "root", 1, 2, 10, "", "tool_calls"),
                                         Tool("t", "root", 2, 3, "x")};
       },
       StopReason::kUnknown, "g"},
      {"VercelStepLimitReached",
       [] {
         Observation outer = Obs("ai.generateText", "", 0, 10);
         outer.model_parameters = {{"maxSteps", 2}};
         return std::vector<Observation>{outer, Gen("s1", "ai.generateText", 0, 3, 10, "", "tool-calls"),
                                         Tool("t1", "ai.generateText", 3, 4, "x"),
                                         Gen("s2", "ai.generateText", 4, 7, 10, "", "tool-calls"),
                                         Tool("t2", "ai.generateText", 7, 8, "x")};
       },
       StopReason::kMaxIterations, "s2"},
      {"NoModelCalls",
       [] { return std::vector<Observation>{WithStatus(Obs("root", "", 0, 10), Status::kOk)}; }, StopReason::kUnknown,
       ""},
      {"EmptyTrace", [] { return std::vector<Observation>{}; }, StopReason::kUnknown, ""},
  };
  for (const Case& c : cases) {
    const RunProfile p = ProfileRun(c.build());
    EXPECT_EQ(p.stop_reason, c.want) << c.name << ": " << p.stop_evidence;
    EXPECT_EQ(p.stop_observation_id, c.want_by) << c.name;
  }
}

TEST(RunProfileTest, StopReasonNamesRoundTrip) {
  for (StopReason r : {StopReason::kUnknown, StopReason::kFinalAnswer, StopReason::kError, StopReason::kMaxIterations,
                       StopReason::kTokenLimit, StopReason::kCancelled}) {
    StopReason back = StopReason::kUnknown;
    ASSERT_TRUE(ParseStopReason(ToString(r), &back)) << ToString(r);
    EXPECT_EQ(back, r);
  }
  StopReason unchanged = StopReason::kError;
  EXPECT_FALSE(ParseStopReason("final-answer", &unchanged));
  EXPECT_EQ(unchanged, StopReason::kError);
  EXPECT_EQ(ToString(StopReason::kMaxIterations), "max_iterations");
}

TEST(RunProfileTest, OrphansAndParentCyclesAreProfiledWithoutLooping) {
  std::vector<Observation> obs = {Obs("root", "", 0, 100), Gen("orphan", "missing", 10, 20, 5, "hi", "stop"),
                                  Obs("a", "b", 30, 40), Obs("b", "a", 30, 50)};
  const RunProfile p = ProfileRun(obs);
  EXPECT_EQ(p.observations, 4);
  EXPECT_EQ(p.max_depth, 2);  // the cycle is cut above a (it sorts first), b hangs below it
  EXPECT_EQ(p.stop_reason, StopReason::kFinalAnswer);
}

TEST(RunProfileTest, HundredThousandDeepChain) {
  const RunProfile p = ProfileRun(Chain(100'000));
  EXPECT_EQ(p.max_depth, 100'000);
  EXPECT_EQ(p.observations, 100'000);
}

}  // namespace
}  // namespace trackly::analysis
