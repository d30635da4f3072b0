#include "analysis/process_rules.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "analysis/span_tree.h"
#include "analysis/tool_calls.h"
#include "base/status.h"
#include "model/rules_document.h"

namespace trackly::analysis {
namespace {

using model::Json;
using model::Observation;
using model::ObservationType;

constexpr std::pair<RuleKind, std::string_view> kKinds[] = {
    {RuleKind::kToolBeforeAnswer, "tool_before_answer"}, {RuleKind::kMaxModelCalls, "max_model_calls"},
    {RuleKind::kMaxToolCalls, "max_tool_calls"},         {RuleKind::kRetrievalReturns, "retrieval_returns"},
    {RuleKind::kMaxCost, "max_cost"},                    {RuleKind::kMaxLatency, "max_latency"},
};

constexpr size_t kMaxNameLength = 100;

// The fields a rule of `kind` may have besides name, kind and trace_name.
std::vector<std::string_view> FieldsOf(RuleKind kind) {
  switch (kind) {
    case RuleKind::kToolBeforeAnswer: return {"tool"};
    case RuleKind::kMaxModelCalls:
    case RuleKind::kMaxToolCalls: return {"max"};
    case RuleKind::kRetrievalReturns: return {"min_documents"};
    case RuleKind::kMaxCost: return {"max_usd"};
    case RuleKind::kMaxLatency: return {"max_ms"};
  }
  return {};
}

// Reads one rule; errors name the field, the caller adds which rule.
absl::StatusOr<ProcessRule> ParseRule(const Json& json) {
  if (!json.is_object()) return absl::InvalidArgumentError("must be an object");
  ProcessRule rule;
  auto text = [&json](std::string_view field, bool required) -> absl::StatusOr<std::string> {
    auto it = json.find(field);
    if (it == json.end()) {
      if (required) return absl::InvalidArgumentError(absl::StrCat(Sv(field), ": required"));
      return std::string();
    }
    if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(Sv(field), ": must be a non-empty string"));
    }
    return it->get<std::string>();
  };
  auto number = [&json](std::string_view field) -> absl::StatusOr<double> {
    auto it = json.find(field);
    if (it == json.end()) return absl::InvalidArgumentError(absl::StrCat(Sv(field), ": required"));
    if (!it->is_number() || !std::isfinite(it->get<double>())) {
      return absl::InvalidArgumentError(absl::StrCat(Sv(field), ": must be a number"));
    }
    return it->get<double>();
  };
  auto count = [&json](std::string_view field, int64_t min) -> absl::StatusOr<int64_t> {
    auto it = json.find(field);
    if (it == json.end()) return absl::InvalidArgumentError(absl::StrCat(Sv(field), ": required"));
    if (!it->is_number_integer() || it->get<int64_t>() < min) {
      return absl::InvalidArgumentError(absl::StrCat(Sv(field), ": must be a whole number of at least ", min));
    }
    return it->get<int64_t>();
  };
  {
    absl::StatusOr<std::string> name = text("name", true);
    if (!name.ok()) return name.status();
    if (name->size() > kMaxNameLength) {
      return absl::InvalidArgumentError(absl::StrCat("name: longer than ", kMaxNameLength, " characters"));
    }
    for (unsigned char c : *name) {
      if (c < 0x20 || c == 0x7f) return absl::InvalidArgumentError("name: has a control character");
    }
    rule.name = *std::move(name);
  }
  absl::StatusOr<std::string> kind = text("kind", true);
  if (!kind.ok()) return kind.status();
  bool known = false;
  for (const auto& [value, label] : kKinds) {
    if (label == *kind) {
      rule.kind = value;
      known = true;
    }
  }
  if (!known) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kind: unknown \"", *kind,
        "\" (tool_before_answer, max_model_calls, max_tool_calls, retrieval_returns, max_cost or max_latency)"));
  }
  const std::vector<std::string_view> fields = FieldsOf(rule.kind);
  for (const auto& [key, value] : json.items()) {
    if (key == "name" || key == "kind" || key == "trace_name") continue;
    bool allowed = false;
    for (std::string_view field : fields) allowed = allowed || field == key;
    if (!allowed) return absl::InvalidArgumentError(absl::StrCat(key, ": not a field of a ", *kind, " rule"));
  }
  absl::StatusOr<std::string> trace_name = text("trace_name", false);
  if (!trace_name.ok()) return trace_name.status();
  rule.trace_name = *std::move(trace_name);
  switch (rule.kind) {
    case RuleKind::kToolBeforeAnswer: {
      absl::StatusOr<std::string> tool = text("tool", true);
      if (!tool.ok()) return tool.status();
      rule.tool = *std::move(tool);
      break;
    }
    case RuleKind::kMaxModelCalls:
    case RuleKind::kMaxToolCalls: {
      absl::StatusOr<int64_t> max = count("max", 0);
      if (!max.ok()) return max.status();
      rule.max = *max;
      break;
    }
    case RuleKind::kRetrievalReturns: {
      absl::StatusOr<int64_t> min = count("min_documents", 1);
      if (!min.ok()) return min.status();
      rule.min_documents = *min;
      break;
    }
    case RuleKind::kMaxCost: {
      absl::StatusOr<double> max = number("max_usd");
      if (!max.ok()) return max.status();
      if (*max < 0) return absl::InvalidArgumentError("max_usd: must not be negative");
      rule.max_usd = *max;
      break;
    }
    case RuleKind::kMaxLatency: {
      absl::StatusOr<double> max = number("max_ms");
      if (!max.ok()) return max.status();
      if (*max <= 0) return absl::InvalidArgumentError("max_ms: must be more than 0");
      rule.max_ms = *max;
      break;
    }
  }
  return rule;
}

// Documents a retrieval returned, as process_rules.h defines them.
int64_t DocumentsOf(const Observation& retrieval) {
  const Json& output = retrieval.output;
  if (output.is_null()) return 0;
  if (output.is_array()) return static_cast<int64_t>(output.size());
  if (output.is_object()) {
    auto documents = output.find("documents");
    if (documents != output.end() && documents->is_array()) return static_cast<int64_t>(documents->size());
  }
  return 1;
}

RuleResult Fail(std::string message, std::vector<std::string> evidence = {}) {
  return RuleResult{.applies = true, .passed = false, .message = std::move(message),
                    .observation_ids = std::move(evidence)};
}
RuleResult Pass(std::string message) { return RuleResult{.applies = true, .passed = true, .message = std::move(message)}; }

RuleResult CheckCount(const ProcessRule& rule, std::span<const Observation> observations, ObservationType type,
                      std::string_view what) {
  std::vector<std::string> calls;
  for (const Observation& o : observations) {
    if (o.type == type) calls.push_back(o.id);
  }
  const int64_t n = static_cast<int64_t>(calls.size());
  std::string message = absl::StrCat(n, " ", Sv(what), n == 1 ? "" : "s", " (at most ", rule.max, ")");
  if (n <= rule.max) return Pass(std::move(message));
  return Fail(std::move(message), std::move(calls));
}

RuleResult CheckToolBeforeAnswer(const ProcessRule& rule, std::span<const Observation> observations) {
  const SpanTree tree(observations);
  const SpanTree::Index answer = LastModelCall(tree);
  if (answer == SpanTree::kNone) return Pass("no final answer");
  for (SpanTree::Index i = 0; i < tree.size(); ++i) {
    const Observation& o = tree.at(i);
    if (o.type == ObservationType::kTool && ToolName(o) == rule.tool && tree.start_ns(i) < tree.start_ns(answer)) {
      return Pass(absl::StrCat("tool \"", rule.tool, "\" was called before the final answer"));
    }
  }
  return Fail(absl::StrCat("the final answer came without a call of tool \"", rule.tool, "\" before it"),
              {tree.at(answer).id});
}

RuleResult CheckRetrievals(const ProcessRule& rule, std::span<const Observation> observations) {
  std::vector<std::string> short_ones;
  int64_t retrievals = 0;
  for (const Observation& o : observations) {
    if (o.type != ObservationType::kRetriever) continue;
    ++retrievals;
    if (DocumentsOf(o) < rule.min_documents) short_ones.push_back(o.id);
  }
  if (short_ones.empty()) {
    return Pass(absl::StrCat(retrievals, " retrievals, each with at least ", rule.min_documents, " documents"));
  }
  std::string message = absl::StrCat(short_ones.size(), " of ", retrievals, " retrievals returned fewer than ",
                                     rule.min_documents, " documents");
  return Fail(std::move(message), std::move(short_ones));
}

}  // namespace

std::string_view ToString(RuleKind kind) {
  for (const auto& [value, label] : kKinds) {
    if (value == kind) return label;
  }
  return "max_model_calls";
}

absl::StatusOr<std::vector<ProcessRule>> ParseProcessRulesText(std::string_view text) {
  return model::ParseRulesDocument<ProcessRule>(text, kMaxProcessRules,
                                                [](const Json& item) { return ParseRule(item); });
}

Json ProcessRulesToJson(const std::vector<ProcessRule>& rules) {
  Json list = Json::array();
  for (const ProcessRule& rule : rules) {
    Json j = {{"name", rule.name}, {"kind", ToString(rule.kind)}};
    if (!rule.trace_name.empty()) j["trace_name"] = rule.trace_name;
    switch (rule.kind) {
      case RuleKind::kToolBeforeAnswer: j["tool"] = rule.tool; break;
      case RuleKind::kMaxModelCalls:
      case RuleKind::kMaxToolCalls: j["max"] = rule.max; break;
      case RuleKind::kRetrievalReturns: j["min_documents"] = rule.min_documents; break;
      case RuleKind::kMaxCost: j["max_usd"] = rule.max_usd; break;
      case RuleKind::kMaxLatency: j["max_ms"] = rule.max_ms; break;
    }
    list.push_back(std::move(j));
  }
  return Json{{"rules", std::move(list)}};
}

RuleResult EvaluateProcessRule(const ProcessRule& rule, std::span<const Observation> observations,
                               const model::Trace& trace) {
  if (!rule.trace_name.empty() && rule.trace_name != trace.name) return RuleResult{};
  switch (rule.kind) {
    case RuleKind::kToolBeforeAnswer: return CheckToolBeforeAnswer(rule, observations);
    case RuleKind::kMaxModelCalls: return CheckCount(rule, observations, ObservationType::kGeneration, "model call");
    case RuleKind::kMaxToolCalls: return CheckCount(rule, observations, ObservationType::kTool, "tool call");
    case RuleKind::kRetrievalReturns: return CheckRetrievals(rule, observations);
    case RuleKind::kMaxCost: {
      std::string message = absl::StrFormat("cost $%.6g (at most $%.6g)", trace.cost.total, rule.max_usd);
      return trace.cost.total <= rule.max_usd ? Pass(std::move(message)) : Fail(std::move(message));
    }
    case RuleKind::kMaxLatency: {
      std::string message = absl::StrFormat("took %.0f ms (at most %.0f ms)", trace.latency_ms(), rule.max_ms);
      return trace.latency_ms() <= rule.max_ms ? Pass(std::move(message)) : Fail(std::move(message));
    }
  }
  return RuleResult{};
}

}  // namespace trackly::analysis
