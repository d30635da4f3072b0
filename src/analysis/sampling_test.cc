#include "analysis/sampling.h"

#include <cstdio>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trackly::analysis {
namespace {

using ::testing::HasSubstr;
using model::Json;

SamplingPolicy Parse(const std::string& text) {
  absl::StatusOr<SamplingPolicy> policy = ParseSamplingPolicyText(text);
  EXPECT_TRUE(policy.ok()) << text << ": " << policy.status();
  return policy.ok() ? *policy : SamplingPolicy{};
}

model::Score Score(std::string name, Json value) {
  return model::Score{.id = name + ":t", .trace_id = "t", .name = name, .value = std::move(value)};
}

// A trace that nothing but the fraction keeps: ok, cheap, fast.
model::Trace OkTrace(std::string id = "4bf92f3577b34da6a3ce929d0e0e4736") {
  model::Trace trace;
  trace.id = std::move(id);
  trace.status = model::Status::kOk;
  trace.cost.total = 0.01;
  trace.start_time_ns = 0;
  trace.end_time_ns = 2'000'000'000;  // 2 s
  return trace;
}

TEST(SamplingPolicyTest, ParsesAndPrintsEveryFieldSoTheTextRoundTrips) {
  const std::string text = R"({"enabled": true, "keep_fraction": 0.1, "keep_errors": false, "keep_findings": true,
      "keep_rule_failures": false, "keep_scores_below": [{"name": "user_feedback", "value": 0.5}],
      "keep_cost_above_usd": 0.5, "keep_latency_above_ms": 30000})";
  const SamplingPolicy policy = Parse(text);
  EXPECT_TRUE(policy.enabled);
  EXPECT_EQ(policy.keep_fraction, 0.1);
  EXPECT_FALSE(policy.keep_errors);
  EXPECT_FALSE(policy.keep_rule_failures);
  ASSERT_EQ(policy.keep_scores_below.size(), 1u);
  EXPECT_EQ(policy.keep_scores_below[0], (ScoreFloor{.name = "user_feedback", .value = 0.5}));
  EXPECT_EQ(policy.keep_cost_above_usd, 0.5);
  EXPECT_EQ(policy.keep_latency_above_ms, 30000);
  EXPECT_EQ(Parse(model::DumpJson(SamplingPolicyToJson(policy))), policy);
}

TEST(SamplingPolicyTest, AbsentFieldsTakeTheDefaults) {
  const SamplingPolicy policy = Parse("{}");
  EXPECT_EQ(policy, SamplingPolicy{});
  EXPECT_FALSE(policy.enabled);
  EXPECT_EQ(policy.keep_fraction, 1);
  EXPECT_TRUE(policy.keep_errors && policy.keep_findings && policy.keep_rule_failures);
  EXPECT_FALSE(policy.keep_cost_above_usd.has_value());
  EXPECT_EQ(SamplingPolicyToJson(policy)["keep_latency_above_ms"], Json(nullptr));
}

TEST(SamplingPolicyTest, RejectsABadPolicyNamingTheField) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"[]", "policy: must be a JSON object"},
      {"not json", "policy: must be a JSON object"},
      {R"({"enable": true})", "enable: unknown field"},
      {R"({"enabled": 1})", "enabled: must be true or false"},
      {R"({"keep_fraction": 1.5})", "keep_fraction: must be between 0 and 1"},
      {R"({"keep_fraction": -0.1})", "keep_fraction: must be between 0 and 1"},
      {R"({"keep_fraction": "0.1"})", "keep_fraction: must be a number"},
      {R"({"keep_errors": "yes"})", "keep_errors: must be true or false"},
      {R"({"keep_cost_above_usd": -1})", "keep_cost_above_usd: must not be negative"},
      {R"({"keep_latency_above_ms": "slow"})", "keep_latency_above_ms: must be a number"},
      {R"({"keep_scores_below": {"name": "x"}})", "keep_scores_below: must be an array"},
      {R"({"keep_scores_below": [{"value": 1}]})", "keep_scores_below[0].name: must be a non-empty string"},
      {R"({"keep_scores_below": [{"name": "x"}]})", "keep_scores_below[0].value: required"},
      {R"({"keep_scores_below": [{"name": "x", "value": true}]})", "keep_scores_below[0].value: must be a number"},
      {R"({"keep_scores_below": [{"name": "x", "value": 1, "below": 2}]})",
       "keep_scores_below[0].below: unknown field"},
      {R"({"keep_scores_below": [{"name": "x", "value": 1}, {"name": "x", "value": 2}]})",
       "keep_scores_below[1].name: \"x\" is listed twice"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SamplingPolicy> policy = ParseSamplingPolicyText(c.text);
    ASSERT_FALSE(policy.ok()) << c.text;
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(policy.status().message(), HasSubstr(c.error)) << c.text;
  }
}

TEST(SamplingDecideTest, KeepsForTheFirstReasonThatHoldsElseSamples) {
  const SamplingPolicy all = Parse(R"({"enabled": true, "keep_fraction": 0,
      "keep_scores_below": [{"name": "user_feedback", "value": 0.5}],
      "keep_cost_above_usd": 0.5, "keep_latency_above_ms": 30000})");
  model::Trace error = OkTrace();
  error.status = model::Status::kError;
  model::Trace expensive = OkTrace();
  expensive.cost.total = 0.75;
  model::Trace slow = OkTrace();
  slow.end_time_ns = 31'000'000'000;
  const std::vector<model::Score> finding = {Score("trackly.finding.repeated_tool_call", true)};
  const std::vector<model::Score> rule_broken = {Score("trackly.rule.few tools", false)};
  const std::vector<model::Score> rule_kept = {Score("trackly.rule.few tools", true)};
  const std::vector<model::Score> low = {Score("user_feedback", 0.2)};
  const std::vector<model::Score> thumbs_down = {Score("user_feedback", false)};
  const std::vector<model::Score> high = {Score("user_feedback", 0.9)};
  const std::vector<model::Score> categorical = {Score("user_feedback", "bad")};
  struct Case {
    const char* name;
    SamplingPolicy policy;
    model::Trace trace;
    std::vector<model::Score> evaluation;
    std::vector<model::Score> others;
    SampleDecision want;
  } cases[] = {
      {"disabled keeps", SamplingPolicy{}, OkTrace(), {}, {}, {true, SampleReason::kDisabled}},
      {"error", all, error, finding, {}, {true, SampleReason::kError}},
      {"finding", all, OkTrace(), finding, {}, {true, SampleReason::kFinding}},
      {"broken rule", all, OkTrace(), rule_broken, {}, {true, SampleReason::kRuleFailure}},
      {"kept rule does not keep", all, OkTrace(), rule_kept, {}, {false, SampleReason::kSampledOut}},
      {"low feedback", all, OkTrace(), {}, low, {true, SampleReason::kLowScore}},
      {"false counts as 0", all, OkTrace(), {}, thumbs_down, {true, SampleReason::kLowScore}},
      {"high feedback", all, OkTrace(), {}, high, {false, SampleReason::kSampledOut}},
      {"categorical never below", all, OkTrace(), {}, categorical, {false, SampleReason::kSampledOut}},
      {"cost", all, expensive, {}, {}, {true, SampleReason::kHighCost}},
      {"latency", all, slow, {}, {}, {true, SampleReason::kHighLatency}},
      {"ok trace sampled out", all, OkTrace(), {}, {}, {false, SampleReason::kSampledOut}},
      {"errors not kept when off", Parse(R"({"enabled": true, "keep_fraction": 0, "keep_errors": false})"), error,
       {}, {}, {false, SampleReason::kSampledOut}},
      {"findings not kept when off", Parse(R"({"enabled": true, "keep_fraction": 0, "keep_findings": false})"),
       OkTrace(), finding, {}, {false, SampleReason::kSampledOut}},
      {"fraction 1 keeps", Parse(R"({"enabled": true, "keep_fraction": 1})"), OkTrace(), {}, {},
       {true, SampleReason::kFraction}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Decide(c.policy, c.trace, c.evaluation, c.others), c.want) << c.name;
  }
}

TEST(SamplingFractionTest, OtelTraceIdsUseTheirLow64BitsLikeTraceIdRatioBased) {
  struct Case {
    const char* id;
    double fraction;
    bool kept;
  } cases[] = {
      // Low 64 bits 0: kept by any fraction above 0.
      {"ffffffffffffffff0000000000000000", 0.0001, true},
      {"ffffffffffffffff0000000000000000", 0, false},
      // Low 64 bits all ones: (2^64-1) >> 1 = 2^63-1, kept only by fraction 1.
      {"0000000000000000ffffffffffffffff", 0.9999, false},
      {"0000000000000000ffffffffffffffff", 1, true},
      // Low bits 0x4000…: >> 1 is 2^61, a quarter of 2^63: kept above 0.25, not at it.
      {"00000000000000004000000000000000", 0.25, false},
      {"00000000000000004000000000000001", 0.2500001, true},
      // Upper case hex reads the same.
      {"FFFFFFFFFFFFFFFF4000000000000000", 0.25, false},
  };
  for (const Case& c : cases) EXPECT_EQ(InKeptFraction(c.id, c.fraction), c.kept) << c.id << " at " << c.fraction;
}

TEST(SamplingFractionTest, KeepsAboutTheFractionOfRandomAndOtherIds) {
  // Sequential ids are the worst case for a weak hash; OTel ids are random in practice.
  for (bool otel : {true, false}) {
    int kept = 0;
    for (int i = 0; i < 20000; ++i) {
      char id[40];
      if (otel) {
        // A fixed pseudo-random sequence (an LCG) for the low bits, so the test is reproducible.
        uint64_t x = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(i + 1);
        std::snprintf(id, sizeof id, "%016llx%016llx", static_cast<unsigned long long>(i),
                      static_cast<unsigned long long>(x));
      } else {
        std::snprintf(id, sizeof id, "run-%d", i);
      }
      kept += InKeptFraction(id, 0.1) ? 1 : 0;
    }
    EXPECT_GT(kept, 1800) << (otel ? "otel" : "other");
    EXPECT_LT(kept, 2200) << (otel ? "otel" : "other");
  }
}

TEST(SamplingFractionTest, TheSameIdGetsTheSameAnswerAndASmallerFractionKeepsASubset) {
  for (const char* id : {"4bf92f3577b34da6a3ce929d0e0e4736", "a1b2c3d4-0000-4000-8000-123456789abc", "x"}) {
    EXPECT_EQ(InKeptFraction(id, 0.3), InKeptFraction(id, 0.3)) << id;
    for (double low : {0.01, 0.1, 0.3, 0.6}) {
      if (InKeptFraction(id, low)) {
        EXPECT_TRUE(InKeptFraction(id, low * 1.5)) << id;
      }
    }
  }
}

}  // namespace
}  // namespace trackly::analysis
