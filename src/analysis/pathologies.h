// Known ways agent runs go wrong, detected in ONE trace's observations (docs/insight.md
// "Findings"; the analysis layer of issue 9 "Agent insight").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/observation.h"

namespace trackly::analysis {

enum class FindingKind {
  kRepeatedToolCall,        // one tool called again and again with the same arguments
  kRunawayDepth,            // the tree is deeper than any sane agent nests
  kRunawayFanOut,           // one span has a huge number of children
  kToolErrorStorm,          // many tool calls failed
  kDanglingSpan,            // spans never ended, long after the rest of the trace did
  kContextBloat,            // the prompt of an agent loop grows with every model call
  kSuccessAfterFailedTool,  // a tool failed for good, yet the final answer claims success
};

// "repeated_tool_call", "runaway_depth", "runaway_fan_out", "tool_error_storm", "dangling_span",
// "context_bloat", "success_after_failed_tool".
std::string_view ToString(FindingKind kind);
// Returns false when `text` names no value (the output is left unchanged).
bool ParseFindingKind(std::string_view text, FindingKind* out);

struct Finding {
  FindingKind kind = FindingKind::kRepeatedToolCall;
  std::string message;                       // one sentence for people, with the numbers
  std::vector<std::string> observation_ids;  // the evidence, in time order
  bool operator==(const Finding&) const = default;
};

// Thresholds of the detectors (docs/insight.md gives each rule).
struct PathologyOptions {
  // Calls of one tool with identical or near-identical arguments that make a repeated_tool_call.
  int repeated_tool_call_min_calls = 3;
  // Token-set Jaccard similarity at or above which two argument sets are near-identical.
  double near_identical_min_jaccard = 0.9;
  // Distinct recent argument sets of the same tool a new one is compared with (bounds the cost).
  int near_identical_window = 16;
  // Spans on the longest root-to-leaf chain above which the trace is runaway_depth.
  int max_depth = 20;
  // Children of one span above which it is runaway_fan_out.
  int max_children = 50;
  // Failed tool calls that make a tool_error_storm on their own.
  int tool_error_storm_min_errors = 5;
  // Or this share of failed tool calls…
  double tool_error_storm_min_share = 0.5;
  // …among at least this many tool calls.
  int tool_error_storm_min_calls = 4;
  // How long after the trace's last start or end a span still open is dangling.
  int64_t dangling_after_ns = 5LL * 60 * 1'000'000'000;
  // Successive model calls of one agent loop with growing input tokens that make context_bloat…
  int context_bloat_min_calls = 5;
  // …when the last one's input tokens are at least this multiple of the first one's.
  double context_bloat_min_growth = 4.0;
};

// Runs every detector over one trace's observations (any order; the result does not depend on it)
// and returns the findings ordered by kind, then by their first evidence. `now_ns` (Unix ns) is
// only used to judge dangling spans. Orphans are roots, parent-id cycles are cut (span_tree.h).
// O(n log n) apart from the bounded near-identical comparison; iterative at any depth.
std::vector<Finding> DetectPathologies(std::span<const model::Observation> observations,
                                       const PathologyOptions& options, int64_t now_ns);

}  // namespace trackly::analysis
