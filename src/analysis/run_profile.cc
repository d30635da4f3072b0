#include "analysis/run_profile.h"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "analysis/json_text.h"
#include "analysis/span_tree.h"
#include "analysis/tool_calls.h"
#include "base/status.h"
#include "model/summary.h"

namespace trackly::analysis {
namespace {

using model::Observation;
using model::ObservationType;
using Index = SpanTree::Index;

constexpr std::array<std::pair<StopReason, std::string_view>, 6> kStopReasonNames = {{
    {StopReason::kUnknown, "unknown"},
    {StopReason::kFinalAnswer, "final_answer"},
    {StopReason::kError, "error"},
    {StopReason::kMaxIterations, "max_iterations"},
    {StopReason::kTokenLimit, "token_limit"},
    {StopReason::kCancelled, "cancelled"},
}};

// Exception classes that agent frameworks raise when a loop hits its limit (matched as the end of
// error_type, lowercased): LangGraph, the OpenAI Agents SDK.
constexpr std::array<std::string_view, 2> kIterationLimitErrorTypes = {"graphrecursionerror", "maxturnsexceeded"};
// Phrases of those errors' messages (LangGraph "Recursion limit of 25 reached…", OpenAI Agents
// "Max turns (10) exceeded", CrewAI / LlamaIndex / smolagents wordings).
constexpr std::array<std::string_view, 8> kIterationLimitPhrases = {
    "recursion limit", "max iterations", "maximum iterations",           "max_iterations",
    "iteration limit", "max turns",      "maximum number of iterations", "reached max steps"};
// What LangChain's AgentExecutor answers when it stops early instead of raising.
constexpr std::array<std::string_view, 2> kIterationLimitAnswers = {"agent stopped due to iteration limit",
                                                                    "agent stopped due to max iterations"};
// Provider errors for a prompt over the context window (OpenAI, Anthropic and others).
// Not "too many tokens": rate-limit errors (tokens per minute) say that too.
constexpr std::array<std::string_view, 4> kContextLimitPhrases = {"context_length_exceeded", "maximum context length",
                                                                  "prompt is too long", "context window"};

// Finish reasons by meaning, normalized as json_text.h FinishReasonOf returns them.
constexpr std::array<std::string_view, 6> kTokenLimitReasons = {
    "length", "max_tokens", "max_output_tokens", "model_length", "token_limit", "model_context_window_exceeded"};
constexpr std::array<std::string_view, 7> kFinalReasons = {"stop",     "end_turn", "stop_sequence", "complete",
                                                           "completed", "eos",      "end"};
constexpr std::array<std::string_view, 5> kToolReasons = {"tool_calls", "tool_call", "tool_use", "function_call",
                                                          "tool"};
constexpr std::array<std::string_view, 4> kCancelledReasons = {"cancelled", "canceled", "abort", "aborted"};

template <size_t N>
bool OneOf(std::string_view text, const std::array<std::string_view, N>& names) {
  return std::find(names.begin(), names.end(), text) != names.end();
}

std::string Lower(std::string_view text) { return absl::AsciiStrToLower(Sv(text)); }

struct Decision {
  StopReason reason = StopReason::kUnknown;
  Index by = SpanTree::kNone;
  std::string evidence;
};

// Whether the observation's error type or message says an agent loop hit its limit; sets the
// evidence.
bool SaysIterationLimit(const Observation& o, std::string* evidence) {
  const std::string type = Lower(o.error_type);
  for (std::string_view name : kIterationLimitErrorTypes) {
    if (std::string_view(type).ends_with(name)) {
      *evidence = absl::StrCat("error_type \"", o.error_type, "\"");
      return true;
    }
  }
  const std::string message = Lower(o.status_message);
  if (std::string_view phrase = FirstPhrase(message, kIterationLimitPhrases); !phrase.empty()) {
    *evidence = absl::StrCat("status_message mentions \"", Sv(phrase), "\"");
    return true;
  }
  return false;
}

bool SaysContextLimit(const Observation& o, std::string* evidence) {
  for (const std::string* text : {&o.error_type, &o.status_message}) {
    const std::string lower = Lower(*text);
    if (std::string_view phrase = FirstPhrase(lower, kContextLimitPhrases); !phrase.empty()) {
      *evidence = absl::StrCat(text == &o.error_type ? "error_type" : "status_message", " mentions \"", Sv(phrase), "\"");
      return true;
    }
  }
  return false;
}

bool SaysCancelled(const Observation& o, std::string* evidence) {
  if (o.status == model::Status::kCancelled) {
    *evidence = "status cancelled";
    return true;
  }
  const std::string type = Lower(o.error_type);
  for (std::string_view part : {"cancel", "abort", "keyboardinterrupt"}) {
    if (type.find(part) != std::string::npos) {
      *evidence = absl::StrCat("error_type \"", o.error_type, "\"");
      return true;
    }
  }
  return false;
}

// The root the run's outcome is read from: the latest-ending root with no parent id (else of any
// root: orphans only), ties to the earlier start, then the id.
Index TerminalRoot(const SpanTree& tree) {
  Index best = SpanTree::kNone;
  bool best_true_root = false;
  for (Index r : tree.roots()) {
    const bool true_root = tree.at(r).is_root();
    if (best != SpanTree::kNone) {
      if (best_true_root && !true_root) continue;
      if (best_true_root == true_root) {
        if (tree.end_ns(r) < tree.end_ns(best)) continue;
        if (tree.end_ns(r) == tree.end_ns(best) && !tree.Before(r, best)) continue;
      }
    }
    best = r;
    best_true_root = true_root;
  }
  return best;
}

// Whether a ends after b: by effective end, then the later start, then Before.
bool EndsAfter(const SpanTree& tree, Index a, Index b) {
  if (tree.end_ns(a) != tree.end_ns(b)) return tree.end_ns(a) > tree.end_ns(b);
  return tree.Before(b, a);
}

// The step limit a Vercel-style loop was given (maxSteps), looked up on `i`'s ancestors; the
// ancestor holding it is returned in `holder`. 0 when none.
int64_t StepLimitAbove(const SpanTree& tree, Index i, Index* holder) {
  for (Index a = tree.parent(i); a != SpanTree::kNone; a = tree.parent(a)) {
    const Observation& o = tree.at(a);
    for (const model::Json* bag : {&o.model_parameters, &o.metadata, &o.attributes}) {
      if (!bag->is_object()) continue;
      for (std::string_view key : {"maxSteps", "max_steps", "max_iterations", "max_turns", "ai.settings.maxSteps"}) {
        auto it = bag->find(key);
        if (it != bag->end() && it->is_number_integer() && it->get<int64_t>() > 0) {
          *holder = a;
          return it->get<int64_t>();
        }
      }
    }
  }
  return 0;
}

Decision DecideStop(const SpanTree& tree) {
  Decision d;
  const Index root = TerminalRoot(tree);
  if (root == SpanTree::kNone) return d;

  // 1. A loop limit, anywhere: the exception that ended the loop may have been caught above it.
  for (Index i : tree.preorder()) {
    if (SaysIterationLimit(tree.at(i), &d.evidence)) {
      d.reason = StopReason::kMaxIterations;
      d.by = i;
      return d;
    }
  }
  for (Index r : tree.roots()) {
    const std::string answer = Lower(OutputText(tree.at(r).output, 4096));
    if (std::string_view phrase = FirstPhrase(answer, kIterationLimitAnswers); !phrase.empty()) {
      return {StopReason::kMaxIterations, r, absl::StrCat("output says \"", Sv(phrase), "\"")};
    }
  }

  // 2. The root's own outcome. An error is reported on the failure the run died on: the
  // latest-ending failed observation below the root, else the root.
  const Observation& top = tree.at(root);
  if (SaysCancelled(top, &d.evidence)) return {StopReason::kCancelled, root, d.evidence};
  Index last_failed = SpanTree::kNone;
  Index last_ended = SpanTree::kNone;
  for (Index i : tree.preorder()) {
    if (i == root) continue;
    if (last_ended == SpanTree::kNone || EndsAfter(tree, i, last_ended)) last_ended = i;
    if (Failed(tree.at(i)) && (last_failed == SpanTree::kNone || EndsAfter(tree, i, last_failed))) last_failed = i;
  }
  const bool root_failed = Failed(top);
  const bool died_on_error = !root_failed && top.status != model::Status::kOk && last_ended != SpanTree::kNone &&
                             last_ended == last_failed;
  if (root_failed || died_on_error) {
    const Index cause = last_failed != SpanTree::kNone ? last_failed : root;
    for (Index i : {cause, root}) {
      if (SaysContextLimit(tree.at(i), &d.evidence)) return {StopReason::kTokenLimit, i, d.evidence};
    }
    std::string what = absl::StrCat("status ", Sv(model::ToString(tree.at(cause).status)));
    if (!tree.at(cause).error_type.empty()) absl::StrAppend(&what, ", error_type \"", tree.at(cause).error_type, "\"");
    return {StopReason::kError, cause, what};
  }

  // 3. A run whose root has not ended has not stopped.
  if (tree.open(root)) return {StopReason::kUnknown, root, "root still open"};

  // 4. The last model call's finish reason.
  const Index last_gen = LastModelCall(tree);
  if (last_gen == SpanTree::kNone) return d;
  const Observation& gen = tree.at(last_gen);
  const std::string reason = FinishReasonOf(gen);
  const std::string evidence = absl::StrCat("finish_reason \"", reason, "\"");
  if (OneOf(reason, kTokenLimitReasons)) return {StopReason::kTokenLimit, last_gen, evidence};
  if (OneOf(reason, kFinalReasons)) return {StopReason::kFinalAnswer, last_gen, evidence};
  if (OneOf(reason, kCancelledReasons)) return {StopReason::kCancelled, last_gen, evidence};
  if (reason == "error") return {StopReason::kError, last_gen, evidence};
  if (OneOf(reason, kToolReasons)) {
    // The loop ended while the model still wanted tools: with a step limit that many model calls
    // were made under, the limit stopped it (the Vercel AI SDK's maxSteps ends this way).
    Index holder = SpanTree::kNone;
    if (const int64_t limit = StepLimitAbove(tree, last_gen, &holder); limit > 0) {
      int64_t steps = 0;
      std::vector<Index> stack = {holder};
      while (!stack.empty()) {
        const Index i = stack.back();
        stack.pop_back();
        if (tree.at(i).type == ObservationType::kGeneration) ++steps;
        std::span<const Index> kids = tree.children(i);
        stack.insert(stack.end(), kids.begin(), kids.end());
      }
      if (steps >= limit) {
        return {StopReason::kMaxIterations, last_gen,
                absl::StrCat(evidence, " after ", steps, " model calls with a step limit of ", limit)};
      }
    }
    return {StopReason::kUnknown, last_gen, evidence};
  }
  if (!reason.empty()) return {StopReason::kUnknown, last_gen, evidence};

  // 5. No finish reason: a last model call that answered in text, not with tool calls.
  if (!HasToolCalls(gen.output) && !OutputText(gen.output, 1).empty()) {
    return {StopReason::kFinalAnswer, last_gen, "last model call answered in text"};
  }
  return d;
}

}  // namespace

std::string_view ToString(StopReason reason) {
  for (const auto& [value, name] : kStopReasonNames) {
    if (value == reason) return name;
  }
  return "unknown";
}

bool ParseStopReason(std::string_view text, StopReason* out) {
  for (const auto& [value, name] : kStopReasonNames) {
    if (name == text) {
      *out = value;
      return true;
    }
  }
  return false;
}

RunProfile ProfileRun(std::span<const Observation> observations) {
  RunProfile p;
  const SpanTree tree(observations);
  const Index n = tree.size();

  absl::flat_hash_map<std::string, std::pair<int64_t, bool>> identical;  // key → (calls, any retry_count)
  for (Index i = 0; i < n; ++i) {
    const Observation& o = tree.at(i);
    const model::TraceCounts counts = model::CountsOf(o);
    p.observations += counts.observations;
    p.model_calls += counts.generations;
    p.tool_calls += counts.tool_calls;
    p.retrievals += counts.retrievals;
    p.errors += counts.errors;
    p.retries += std::max<int64_t>(0, o.retry_count);
    p.max_depth = std::max<int64_t>(p.max_depth, tree.depth(i));
    if (o.type == ObservationType::kTool) {
      auto& [calls, reported] = identical[absl::StrCat(o.parent_id, "\n", Sv(ToolName(o)), "\n", ArgumentsKey(o))];
      ++calls;
      reported = reported || o.retry_count > 0;
    }
  }
  for (const auto& [key, group] : identical) {
    if (!group.second) p.retries += group.first - 1;
  }

  // Planning iterations: the model and tool calls of each loop in time order.
  std::vector<Index> steps;
  for (Index i = 0; i < n; ++i) {
    const ObservationType type = tree.at(i).type;
    if (type == ObservationType::kGeneration || type == ObservationType::kTool) steps.push_back(i);
  }
  std::sort(steps.begin(), steps.end(), [&tree](Index a, Index b) {
    if (tree.loop(a) != tree.loop(b)) return tree.loop(a) < tree.loop(b);
    return tree.Before(a, b);
  });
  // A model call is followed by a tool call before the loop's next model call exactly when the
  // next step of its loop is a tool call.
  for (size_t k = 0; k + 1 < steps.size(); ++k) {
    if (tree.at(steps[k]).type == ObservationType::kGeneration && tree.loop(steps[k + 1]) == tree.loop(steps[k]) &&
        tree.at(steps[k + 1]).type == ObservationType::kTool) {
      ++p.planning_iterations;
    }
  }

  Decision stop = DecideStop(tree);
  p.stop_reason = stop.reason;
  if (stop.by != SpanTree::kNone) p.stop_observation_id = tree.at(stop.by).id;
  p.stop_evidence = std::move(stop.evidence);
  return p;
}

}  // namespace trackly::analysis
