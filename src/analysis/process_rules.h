// Process rules (docs/insight.md "Process rules"): what a project says every run of its agents
// must do, checked on each finished trace. A project keeps its rules as the JSON text
// {"rules": [Rule, ...]}, each Rule an object:
//   {"name": "search first", "kind": "tool_before_answer", "tool": "search"}
//   {"name": "few model calls", "kind": "max_model_calls", "max": 10}
//   {"name": "few tool calls", "kind": "max_tool_calls", "max": 20}
//   {"name": "retrieval finds", "kind": "retrieval_returns", "min_documents": 1}
//   {"name": "cheap", "kind": "max_cost", "max_usd": 0.05}
//   {"name": "fast", "kind": "max_latency", "max_ms": 30000}
// plus, on any rule, "trace_name": "support_agent" to check only traces of that name.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/json.h"
#include "model/observation.h"

namespace trackly::analysis {

enum class RuleKind { kToolBeforeAnswer, kMaxModelCalls, kMaxToolCalls, kRetrievalReturns, kMaxCost, kMaxLatency };

// "tool_before_answer", "max_model_calls", "max_tool_calls", "retrieval_returns", "max_cost",
// "max_latency".
std::string_view ToString(RuleKind kind);

struct ProcessRule {
  std::string name;        // unique in the project, 1..100 characters, no control characters
  RuleKind kind = RuleKind::kMaxModelCalls;
  std::string trace_name;  // only traces of this name; "" = every trace
  std::string tool;        // tool_before_answer: the tool's name
  int64_t max = 0;         // max_model_calls, max_tool_calls: at most this many (>= 0)
  int64_t min_documents = 1;  // retrieval_returns: each retrieval returns at least this many (>= 1)
  double max_usd = 0;      // max_cost: the trace's total cost at most this (>= 0)
  double max_ms = 0;       // max_latency: the trace's latency at most this (> 0)
  bool operator==(const ProcessRule&) const = default;
};

// Most rules one project may have.
inline constexpr size_t kMaxProcessRules = 100;

// The rules of `text` ({"rules": [...]}, as above). InvalidArgument naming the rule (by index and
// name when it has one) and the field for anything else: not JSON, an unknown kind or field, a
// missing or mistyped field, a value out of range, a repeated name, more than kMaxProcessRules.
absl::StatusOr<std::vector<ProcessRule>> ParseProcessRulesText(std::string_view text);
// {"rules": [...]} with only the fields each kind uses, so ParseProcessRulesText of it gives
// `rules` back and equal rule lists give equal text.
model::Json ProcessRulesToJson(const std::vector<ProcessRule>& rules);

struct RuleResult {
  bool applies = false;  // false: the trace is not of the rule's trace_name
  bool passed = true;
  std::string message;   // one sentence with the numbers, for people
  std::vector<std::string> observation_ids;  // the evidence (e.g. the final answer, the empty retrievals)
  bool operator==(const RuleResult&) const = default;
};

// Checks `rule` against ONE trace: its observations (full: retrieval outputs are counted) and
// its summary (name, cost, latency). The final answer is the model call that ends last; a run
// without one passes tool_before_answer. A retrieval's documents are its output's elements when
// the output is an array, the elements of its "documents" array when it has one, none when it has
// no output, else one.
RuleResult EvaluateProcessRule(const ProcessRule& rule, std::span<const model::Observation> observations,
                               const model::Trace& trace);

}  // namespace trackly::analysis
