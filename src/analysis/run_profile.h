// What one agent run did and why it stopped, from the observations of its trace
// (docs/insight.md "Run profile"; the analysis layer of issue 9 "Agent insight").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "model/observation.h"

namespace trackly::analysis {

// Why a run ended (docs/insight.md "Stop reason" gives the rules in order).
enum class StopReason {
  kUnknown,        // still running, or nothing says
  kFinalAnswer,    // the last model call finished normally ("stop", "end_turn", …)
  kError,          // the run failed (root error or timeout, or it died on an error)
  kMaxIterations,  // an agent loop hit its iteration / recursion / turn limit
  kTokenLimit,     // the last model call ran out of tokens ("length", "max_tokens") or context
  kCancelled,      // the run was cancelled
};

// "unknown", "final_answer", "error", "max_iterations", "token_limit", "cancelled".
std::string_view ToString(StopReason reason);
// Returns false when `text` names no value (the output is left unchanged).
bool ParseStopReason(std::string_view text, StopReason* out);

struct RunProfile {
  int64_t observations = 0;
  int64_t model_calls = 0;    // observations of type generation
  int64_t tool_calls = 0;     // observations of type tool
  int64_t retrievals = 0;     // observations of type retriever
  // Σ retry_count, plus for each group of identical tool calls (same parent, tool name and
  // canonical arguments) in which none reports a retry_count, its size - 1.
  int64_t retries = 0;
  int64_t errors = 0;         // observations with status error or level error (as in the trace row)
  int64_t max_depth = 0;      // spans on the longest root-to-leaf chain (a lone root: 1)
  // Model calls followed by at least one tool call of the same agent loop before the loop's next
  // model call: the plan → act round trips (docs/insight.md "Planning iterations").
  int64_t planning_iterations = 0;
  StopReason stop_reason = StopReason::kUnknown;
  std::string stop_observation_id;  // the observation that decided stop_reason; "" when unknown
  std::string stop_evidence;        // what decided it, e.g. `finish_reason "length"`
  bool operator==(const RunProfile&) const = default;
};

// Profiles ONE trace's observations, in any order (the result does not depend on it). Orphans
// count as roots, parent-id cycles are cut (span_tree.h); O(n log n), iterative at any depth.
RunProfile ProfileRun(std::span<const model::Observation> observations);

}  // namespace trackly::analysis
