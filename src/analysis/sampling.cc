#include "analysis/sampling.h"

#include <cmath>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"

namespace trackly::analysis {
namespace {

using model::Json;

constexpr size_t kMaxScoreNameLength = 200;
constexpr std::string_view kFindingPrefix = "trackly.finding.";
constexpr std::string_view kRulePrefix = "trackly.rule.";

constexpr std::pair<SampleReason, std::string_view> kReasons[] = {
    {SampleReason::kError, "error"},          {SampleReason::kFinding, "finding"},
    {SampleReason::kRuleFailure, "rule_failure"}, {SampleReason::kLowScore, "low_score"},
    {SampleReason::kHighCost, "high_cost"},   {SampleReason::kHighLatency, "high_latency"},
    {SampleReason::kFraction, "fraction"},    {SampleReason::kSampledOut, "sampled_out"},
    {SampleReason::kDisabled, "disabled"},
};

absl::StatusOr<bool> Flag(const Json& value, std::string_view field) {
  if (!value.is_boolean()) return absl::InvalidArgumentError(absl::StrCat(Sv(field), ": must be true or false"));
  return value.get<bool>();
}

absl::StatusOr<double> Number(const Json& value, std::string_view field) {
  if (!value.is_number() || !std::isfinite(value.get<double>())) {
    return absl::InvalidArgumentError(absl::StrCat(Sv(field), ": must be a number"));
  }
  return value.get<double>();
}

absl::StatusOr<double> NonNegative(const Json& value, std::string_view field) {
  TRACKLY_ASSIGN_OR_RETURN(double number, Number(value, field));
  if (number < 0) return absl::InvalidArgumentError(absl::StrCat(Sv(field), ": must not be negative"));
  return number;
}

absl::StatusOr<std::vector<ScoreFloor>> ParseFloors(const Json& list) {
  if (!list.is_array()) {
    return absl::InvalidArgumentError(R"(keep_scores_below: must be an array of {"name", "value"})");
  }
  if (list.size() > kMaxScoreFloors) {
    return absl::InvalidArgumentError(absl::StrCat("keep_scores_below: more than ", kMaxScoreFloors, " scores"));
  }
  std::vector<ScoreFloor> floors;
  absl::flat_hash_set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& item = list[i];
    const std::string where = absl::StrCat("keep_scores_below[", i, "]");
    if (!item.is_object()) return absl::InvalidArgumentError(absl::StrCat(where, ": must be an object"));
    for (const auto& [key, value] : item.items()) {
      if (key != "name" && key != "value") {
        return absl::InvalidArgumentError(absl::StrCat(where, ".", key, ": unknown field (name, value)"));
      }
    }
    ScoreFloor floor;
    auto name = item.find("name");
    if (name == item.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".name: must be a non-empty string"));
    }
    floor.name = name->get<std::string>();
    if (floor.name.size() > kMaxScoreNameLength) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".name: longer than ", kMaxScoreNameLength, " characters"));
    }
    auto value = item.find("value");
    if (value == item.end()) return absl::InvalidArgumentError(absl::StrCat(where, ".value: required"));
    TRACKLY_ASSIGN_OR_RETURN(floor.value, Number(*value, absl::StrCat(where, ".value")));
    if (!names.insert(floor.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".name: \"", floor.name, "\" is listed twice"));
    }
    floors.push_back(std::move(floor));
  }
  return floors;
}

// The score's value as a number (a boolean as 1 or 0); nullopt for a categorical one.
std::optional<double> NumericValue(const Json& value) {
  if (value.is_boolean()) return value.get<bool>() ? 1.0 : 0.0;
  if (value.is_number()) return value.get<double>();
  return std::nullopt;
}

// The MurmurHash3 64-bit finalizer: spreads every input bit over the whole word.
uint64_t Mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// FNV-1a 64: fixed by its published constants, so every node and every version hashes alike.
uint64_t Fnv1a64(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The 64 bits a trace id is sampled on (InKeptFraction).
uint64_t SamplingBits(std::string_view trace_id) {
  if (trace_id.size() == 32) {
    uint64_t low = 0;
    bool hex = true;
    for (size_t i = 0; i < 32 && hex; ++i) {
      const int digit = HexDigit(trace_id[i]);
      hex = digit >= 0;
      if (i >= 16) low = (low << 4) | static_cast<uint64_t>(digit < 0 ? 0 : digit);
    }
    if (hex) return low;
  }
  return Mix64(Fnv1a64(trace_id));
}

}  // namespace

std::string_view ToString(SampleReason reason) {
  for (const auto& [value, label] : kReasons) {
    if (value == reason) return label;
  }
  return "unknown";
}

absl::StatusOr<SamplingPolicy> ParseSamplingPolicyText(std::string_view text) {
  const Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError(R"(policy: must be a JSON object such as {"enabled": true, "keep_fraction": 0.1})");
  }
  SamplingPolicy policy;
  for (const auto& [key, value] : json.items()) {
    if (key == "enabled") {
      TRACKLY_ASSIGN_OR_RETURN(policy.enabled, Flag(value, key));
    } else if (key == "keep_fraction") {
      TRACKLY_ASSIGN_OR_RETURN(policy.keep_fraction, Number(value, key));
      if (policy.keep_fraction < 0 || policy.keep_fraction > 1) {
        return absl::InvalidArgumentError("keep_fraction: must be between 0 and 1");
      }
    } else if (key == "keep_errors") {
      TRACKLY_ASSIGN_OR_RETURN(policy.keep_errors, Flag(value, key));
    } else if (key == "keep_findings") {
      TRACKLY_ASSIGN_OR_RETURN(policy.keep_findings, Flag(value, key));
    } else if (key == "keep_rule_failures") {
      TRACKLY_ASSIGN_OR_RETURN(policy.keep_rule_failures, Flag(value, key));
    } else if (key == "keep_scores_below") {
      TRACKLY_ASSIGN_OR_RETURN(policy.keep_scores_below, ParseFloors(value));
    } else if (key == "keep_cost_above_usd") {
      if (!value.is_null()) {
        TRACKLY_ASSIGN_OR_RETURN(policy.keep_cost_above_usd, NonNegative(value, key));
      }
    } else if (key == "keep_latency_above_ms") {
      if (!value.is_null()) {
        TRACKLY_ASSIGN_OR_RETURN(policy.keep_latency_above_ms, NonNegative(value, key));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          key, ": unknown field (enabled, keep_fraction, keep_errors, keep_findings, keep_rule_failures, "
               "keep_scores_below, keep_cost_above_usd, keep_latency_above_ms)"));
    }
  }
  return policy;
}

model::Json SamplingPolicyToJson(const SamplingPolicy& policy) {
  Json floors = Json::array();
  for (const ScoreFloor& floor : policy.keep_scores_below) floors.push_back({{"name", floor.name}, {"value", floor.value}});
  auto optional = [](const std::optional<double>& value) { return value ? Json(*value) : Json(nullptr); };
  return Json{{"enabled", policy.enabled},
              {"keep_fraction", policy.keep_fraction},
              {"keep_errors", policy.keep_errors},
              {"keep_findings", policy.keep_findings},
              {"keep_rule_failures", policy.keep_rule_failures},
              {"keep_scores_below", std::move(floors)},
              {"keep_cost_above_usd", optional(policy.keep_cost_above_usd)},
              {"keep_latency_above_ms", optional(policy.keep_latency_above_ms)}};
}

bool InKeptFraction(std::string_view trace_id, double fraction) {
  if (!(fraction > 0)) return false;
  if (fraction >= 1) return true;
  // As OTel's TraceIdRatioBased: 63 bits, so fraction × 2^63 fits a uint64 exactly enough.
  const uint64_t bound = static_cast<uint64_t>(fraction * 9223372036854775808.0);  // 2^63
  return (SamplingBits(trace_id) >> 1) < bound;
}

SampleDecision Decide(const SamplingPolicy& policy, const model::Trace& trace,
                      std::span<const model::Score> evaluation, std::span<const model::Score> other_scores) {
  auto kept = [](SampleReason reason) { return SampleDecision{.keep = true, .reason = reason}; };
  if (!policy.enabled) return kept(SampleReason::kDisabled);
  if (policy.keep_errors && trace.status == model::Status::kError) return kept(SampleReason::kError);
  if (policy.keep_findings) {
    for (const model::Score& score : evaluation) {
      if (score.name.starts_with(kFindingPrefix) && score.value == Json(true)) {
        return kept(SampleReason::kFinding);
      }
    }
  }
  if (policy.keep_rule_failures) {
    for (const model::Score& score : evaluation) {
      if (score.name.starts_with(kRulePrefix) && score.value == Json(false)) {
        return kept(SampleReason::kRuleFailure);
      }
    }
  }
  for (const ScoreFloor& floor : policy.keep_scores_below) {
    for (std::span<const model::Score> scores : {evaluation, other_scores}) {
      for (const model::Score& score : scores) {
        if (score.name != floor.name) continue;
        std::optional<double> value = NumericValue(score.value);
        if (value && *value < floor.value) return kept(SampleReason::kLowScore);
      }
    }
  }
  if (policy.keep_cost_above_usd && trace.cost.total > *policy.keep_cost_above_usd) {
    return kept(SampleReason::kHighCost);
  }
  if (policy.keep_latency_above_ms && trace.latency_ms() > *policy.keep_latency_above_ms) {
    return kept(SampleReason::kHighLatency);
  }
  if (InKeptFraction(trace.id, policy.keep_fraction)) return kept(SampleReason::kFraction);
  return SampleDecision{.keep = false, .reason = SampleReason::kSampledOut};
}

}  // namespace trackly::analysis
