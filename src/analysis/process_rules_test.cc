#include "analysis/process_rules.h"

#include <string>
#include <vector>

#include "analysis/test_trace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trackly::analysis {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace testing;  // NOLINT: the synthetic trace builders

// An agent that searches, retrieves two documents and one empty result, then answers.
std::vector<Observation> AgentRun() {
  Observation empty = Obs("r2", "root", 250, 300, ObservationType::kRetriever);
  empty.output = Json::array();
  Observation found = Obs("r1", "root", 200, 240, ObservationType::kRetriever);
  found.output = Json{{"documents", Json::array({"a", "b"})}};
  return {Obs("root", "", 0, 1000, ObservationType::kAgent), Gen("plan", "root", 10, 100),
          Tool("s1", "root", 110, 190, "search"), found, empty, Gen("answer", "root", 400, 900, 0, "Done.")};
}

model::Trace Summary(std::string name, double cost, int64_t latency_ms) {
  model::Trace trace;
  trace.name = std::move(name);
  trace.cost.total = cost;
  trace.start_time_ns = Ns(0);
  trace.end_time_ns = Ns(latency_ms);
  return trace;
}

ProcessRule Parse(const std::string& rule_json) {
  absl::StatusOr<std::vector<ProcessRule>> rules = ParseProcessRulesText(R"({"rules": [)" + rule_json + "]}");
  EXPECT_TRUE(rules.ok()) << rules.status();
  return rules.ok() && rules->size() == 1 ? (*rules)[0] : ProcessRule{};
}

TEST(ProcessRulesTest, EvaluatesEachKindOnOneTrace) {
  struct Case {
    const char* rule;
    bool applies;
    bool passed;
    const char* message;
    std::vector<std::string> evidence;
  } cases[] = {
      {R"({"name": "a", "kind": "tool_before_answer", "tool": "search"})", true, true,
       "tool \"search\" was called before the final answer", {}},
      {R"({"name": "a", "kind": "tool_before_answer", "tool": "calendar"})", true, false,
       "the final answer came without a call of tool \"calendar\" before it", {"answer"}},
      {R"({"name": "a", "kind": "max_model_calls", "max": 2})", true, true, "2 model calls (at most 2)", {}},
      {R"({"name": "a", "kind": "max_model_calls", "max": 1})", true, false, "2 model calls (at most 1)",
       {"plan", "answer"}},
      {R"({"name": "a", "kind": "max_tool_calls", "max": 0})", true, false, "1 tool call (at most 0)", {"s1"}},
      {R"({"name": "a", "kind": "retrieval_returns", "min_documents": 1})", true, false,
       "1 of 2 retrievals returned fewer than 1 documents", {"r2"}},
      {R"({"name": "a", "kind": "max_cost", "max_usd": 0.05})", true, true, "cost $0.02 (at most $0.05)", {}},
      {R"({"name": "a", "kind": "max_cost", "max_usd": 0.01})", true, false, "cost $0.02 (at most $0.01)", {}},
      {R"({"name": "a", "kind": "max_latency", "max_ms": 500})", true, false, "took 1000 ms (at most 500 ms)", {}},
      {R"({"name": "a", "kind": "max_latency", "max_ms": 500, "trace_name": "other_agent"})", false, true, "", {}},
  };
  const std::vector<Observation> run = AgentRun();
  const model::Trace trace = Summary("support_agent", 0.02, 1000);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.rule);
    RuleResult result = EvaluateProcessRule(Parse(c.rule), run, trace);
    EXPECT_EQ(result.applies, c.applies);
    EXPECT_EQ(result.passed, c.passed);
    EXPECT_EQ(result.message, c.message);
    EXPECT_EQ(result.observation_ids, c.evidence);
  }
}

TEST(ProcessRulesTest, ARunWithoutAFinalAnswerPassesToolBeforeAnswer) {
  std::vector<Observation> run = {Obs("root", "", 0, 100), Tool("s1", "root", 10, 20, "search")};
  RuleResult result = EvaluateProcessRule(Parse(R"({"name": "a", "kind": "tool_before_answer", "tool": "x"})"), run,
                                          Summary("agent", 0, 100));
  EXPECT_TRUE(result.passed);
  EXPECT_EQ(result.message, "no final answer");
}

TEST(ProcessRulesTest, RejectsBadRulesNamingTheRuleAndField) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"not json", "rules: must be a JSON object"},
      {R"({"rules": {}})", "rules: must be an array"},
      {R"({"rules": [], "extra": 1})", "extra: unknown field"},
      {R"({"rules": [{"kind": "max_cost", "max_usd": 1}]})", "rule 0: name: required"},
      {R"({"rules": [{"name": "x", "kind": "max_calls", "max": 1}]})", "rule 0 (\"x\"): kind: unknown \"max_calls\""},
      {R"({"rules": [{"name": "x", "kind": "max_model_calls"}]})", "rule 0 (\"x\"): max: required"},
      {R"({"rules": [{"name": "x", "kind": "max_model_calls", "max": -1}]})", "max: must be a whole number of at least 0"},
      {R"({"rules": [{"name": "x", "kind": "max_model_calls", "max": 1.5}]})", "max: must be a whole number"},
      {R"({"rules": [{"name": "x", "kind": "max_model_calls", "max": 1, "tool": "t"}]})",
       "tool: not a field of a max_model_calls rule"},
      {R"({"rules": [{"name": "x", "kind": "max_cost", "max_usd": -1}]})", "max_usd: must not be negative"},
      {R"({"rules": [{"name": "x", "kind": "max_latency", "max_ms": 0}]})", "max_ms: must be more than 0"},
      {R"({"rules": [{"name": "x", "kind": "retrieval_returns", "min_documents": 0}]})",
       "min_documents: must be a whole number of at least 1"},
      {R"({"rules": [{"name": "x", "kind": "tool_before_answer", "tool": ""}]})", "tool: must be a non-empty string"},
      {R"({"rules": [{"name": "x", "kind": "max_cost", "max_usd": 1}, {"name": "x", "kind": "max_cost", "max_usd": 2}]})",
       "rule 1 (\"x\"): name: used by an earlier rule"},
      {R"({"rules": [{"name": "a\nb", "kind": "max_cost", "max_usd": 1}]})", "name: has a control character"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<std::vector<ProcessRule>> rules = ParseProcessRulesText(c.text);
    ASSERT_FALSE(rules.ok());
    EXPECT_TRUE(absl::IsInvalidArgument(rules.status()));
    EXPECT_THAT(std::string(rules.status().message()), HasSubstr(c.error));
  }
}

TEST(ProcessRulesTest, RulesReadBackEqualFromTheirJson) {
  const std::string text = R"({"rules": [
      {"name": "search first", "kind": "tool_before_answer", "tool": "search", "trace_name": "support"},
      {"name": "few calls", "kind": "max_model_calls", "max": 10},
      {"name": "few tools", "kind": "max_tool_calls", "max": 20},
      {"name": "retrieval finds", "kind": "retrieval_returns", "min_documents": 2},
      {"name": "cheap", "kind": "max_cost", "max_usd": 0.05},
      {"name": "fast", "kind": "max_latency", "max_ms": 30000}]})";
  absl::StatusOr<std::vector<ProcessRule>> rules = ParseProcessRulesText(text);
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->size(), 6u);
  absl::StatusOr<std::vector<ProcessRule>> again = ParseProcessRulesText(ProcessRulesToJson(*rules).dump());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *rules);
  EXPECT_EQ(ProcessRulesToJson(*again), ProcessRulesToJson(*rules));
  std::vector<std::string> kinds;
  for (const ProcessRule& rule : *rules) kinds.emplace_back(ToString(rule.kind));
  EXPECT_THAT(kinds, ElementsAre("tool_before_answer", "max_model_calls", "max_tool_calls", "retrieval_returns",
                                 "max_cost", "max_latency"));
}

}  // namespace
}  // namespace trackly::analysis
