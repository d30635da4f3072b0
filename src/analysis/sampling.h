// Tail sampling (docs/insight.md "Tail sampling"): which finished traces a project keeps. The
// decision is taken once a trace has completed and been evaluated (server/trace_finisher.h), so it
// can keep every trace that went wrong and only a stated fraction of the rest. A project keeps its
// policy as the JSON text
//   {"enabled": true, "keep_fraction": 0.1, "keep_errors": true, "keep_findings": true,
//    "keep_rule_failures": true, "keep_scores_below": [{"name": "user_feedback", "value": 0.5}],
//    "keep_cost_above_usd": 0.5, "keep_latency_above_ms": 30000}
// Every field is optional: enabled false, keep_fraction 1, the three keep_* flags true, no score
// thresholds, no cost or latency bound. Unknown fields are refused.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/json.h"
#include "model/observation.h"

namespace trackly::analysis {

// Keep a trace that has a score of this name whose numeric value (a boolean counts as 1 or 0) is
// strictly below `value`.
struct ScoreFloor {
  std::string name;  // 1..200 characters
  double value = 0;
  bool operator==(const ScoreFloor&) const = default;
};

struct SamplingPolicy {
  bool enabled = false;       // false: every trace is kept and nothing is counted
  double keep_fraction = 1;   // 0..1: the share of the traces no rule below keeps that is kept
  bool keep_errors = true;    // keep traces whose status is error
  bool keep_findings = true;  // keep traces with a trackly.finding.* score (a pathology)
  bool keep_rule_failures = true;           // keep traces that broke a process rule (trackly.rule.* false)
  std::vector<ScoreFloor> keep_scores_below;  // at most kMaxScoreFloors, names unique
  std::optional<double> keep_cost_above_usd;    // keep traces whose total cost is above (>= 0)
  std::optional<double> keep_latency_above_ms;  // keep traces that took longer (>= 0)
  bool operator==(const SamplingPolicy&) const = default;
};

inline constexpr size_t kMaxScoreFloors = 20;

// Why a trace was kept or dropped, in the order Decide checks them (the first that holds wins).
enum class SampleReason {
  kError,        // "error"
  kFinding,      // "finding"
  kRuleFailure,  // "rule_failure"
  kLowScore,     // "low_score"
  kHighCost,     // "high_cost"
  kHighLatency,  // "high_latency"
  kFraction,     // "fraction": kept by keep_fraction
  kSampledOut,   // "sampled_out": dropped
  kDisabled,     // "disabled": kept, the policy is off
};
std::string_view ToString(SampleReason reason);

struct SampleDecision {
  bool keep = true;
  SampleReason reason = SampleReason::kDisabled;
  bool operator==(const SampleDecision&) const = default;
};

// The policy of `text` (the JSON above). InvalidArgument naming the field for anything else: not
// a JSON object, an unknown field, a mistyped value, a fraction outside 0..1, a negative bound, a
// score threshold without name or value or a repeated name, more than kMaxScoreFloors of them.
absl::StatusOr<SamplingPolicy> ParseSamplingPolicyText(std::string_view text);
// Every field, so ParseSamplingPolicyText of it gives `policy` back and equal policies give equal
// text; the unset bounds are null.
model::Json SamplingPolicyToJson(const SamplingPolicy& policy);

// Whether a trace of this id falls in the kept `fraction` (0..1). The same answer on every node
// and every run, so servers sharing a project agree without talking to each other:
//   - an OpenTelemetry / W3C trace id (32 hex digits) is random in its low 64 bits; like OTel's
//     TraceIdRatioBased sampler, those bits as a big-endian number, shifted right by one, are
//     compared with fraction × 2^63;
//   - any other id (a Langfuse or LangSmith UUID, a client's own string) is hashed first with a
//     fixed 64-bit hash (FNV-1a, then the MurmurHash3 finalizer to spread its bits), and the
//     hash is compared the same way.
// fraction 0 keeps none, 1 keeps all.
bool InKeptFraction(std::string_view trace_id, double fraction);

// The decision for one completed trace: `trace` is its summary, `evaluation` the scores its
// evaluation at completion gave (trackly.finding.*, trackly.rule.*), `other_scores` the trace's
// stored scores (feedback, client evaluations; only read for keep_scores_below). Checks, in
// order, error, finding, rule failure, low score, cost, latency, then the fraction.
SampleDecision Decide(const SamplingPolicy& policy, const model::Trace& trace,
                      std::span<const model::Score> evaluation, std::span<const model::Score> other_scores);

}  // namespace trackly::analysis
