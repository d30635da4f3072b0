#include "analysis/pathologies.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "analysis/json_text.h"
#include "analysis/span_tree.h"
#include "analysis/tool_calls.h"
#include "base/status.h"

namespace trackly::analysis {
namespace {

using model::Observation;
using model::ObservationType;
using Index = SpanTree::Index;

constexpr std::array<std::pair<FindingKind, std::string_view>, 7> kKindNames = {{
    {FindingKind::kRepeatedToolCall, "repeated_tool_call"},
    {FindingKind::kRunawayDepth, "runaway_depth"},
    {FindingKind::kRunawayFanOut, "runaway_fan_out"},
    {FindingKind::kToolErrorStorm, "tool_error_storm"},
    {FindingKind::kDanglingSpan, "dangling_span"},
    {FindingKind::kContextBloat, "context_bloat"},
    {FindingKind::kSuccessAfterFailedTool, "success_after_failed_tool"},
}};

// A final answer claims success when it has one of these (whole words, any case)…
constexpr std::array<std::string_view, 9> kSuccessPhrases = {
    "successfully", "succeeded", "completed", "done", "finished", "i have", "i've", "all set", "is ready"};
// …and none of these, which admit a problem (kept broad: a missed finding beats a false one).
constexpr std::array<std::string_view, 27> kFailurePhrases = {
    "fail",       "failed",      "failure",     "error",       "errors",         "unable",     "could not",
    "couldn't",   "cannot",      "can't",       "not able",    "unfortunately",  "sorry",      "did not",
    "didn't",     "was not",     "wasn't",      "were not",    "unsuccessful",   "timed out",  "timeout",
    "i have not", "i haven't",   "haven't",     "not been",    "not completed",  "problem"};

// Context for the detectors: the tree and every observation in time order.
struct Run {
  explicit Run(std::span<const Observation> observations) : tree(observations) {
    by_time.reserve(static_cast<size_t>(tree.size()));
    for (Index i = 0; i < tree.size(); ++i) by_time.push_back(i);
    std::sort(by_time.begin(), by_time.end(), [this](Index a, Index b) { return tree.Before(a, b); });
  }
  const Observation& at(Index i) const { return tree.at(i); }
  std::vector<std::string> Ids(const std::vector<Index>& indexes) const {
    std::vector<std::string> ids;
    ids.reserve(indexes.size());
    for (Index i : indexes) ids.push_back(at(i).id);
    return ids;
  }

  SpanTree tree;
  std::vector<Index> by_time;
};

std::string Ratio(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

std::string Minutes(int64_t ns) {
  const int64_t seconds = ns / 1'000'000'000;
  if (seconds < 120) return absl::StrCat(seconds, " s");
  return absl::StrCat(seconds / 60, " min");
}

// Groups tool calls by tool name and canonical arguments; a new argument set joins the group of
// a recent one of the same tool when their token sets are near-identical. Comparing with the
// last `near_identical_window` groups only keeps this linear: loops repeat recent calls.
void RepeatedToolCalls(const Run& run, const PathologyOptions& options, std::vector<Finding>& out) {
  struct Group {
    std::vector<Index> calls;
    std::vector<std::string> tokens;  // of the first call's arguments
    bool near = false;                // some member joined as near-identical
  };
  std::vector<Group> groups;
  absl::flat_hash_map<std::string, size_t> group_of;             // name \n arguments → group
  absl::flat_hash_map<std::string, std::vector<size_t>> of_tool;  // name → its groups, oldest first
  for (Index i : run.by_time) {
    const Observation& o = run.at(i);
    if (o.type != ObservationType::kTool) continue;
    const std::string name(ToolName(o));
    const std::string arguments = ArgumentsKey(o);
    const std::string key = absl::StrCat(name, "\n", arguments);
    if (auto it = group_of.find(key); it != group_of.end()) {
      groups[it->second].calls.push_back(i);
      continue;
    }
    std::vector<std::string> tokens = TokenSet(arguments);
    std::vector<size_t>& mine = of_tool[name];
    size_t best = groups.size();
    double best_similarity = 0;
    const size_t window = static_cast<size_t>(std::max(0, options.near_identical_window));
    for (size_t k = mine.size(); k-- > 0 && mine.size() - k <= window;) {
      const double similarity = Jaccard(tokens, groups[mine[k]].tokens);
      if (similarity >= options.near_identical_min_jaccard && similarity > best_similarity) {
        best = mine[k];
        best_similarity = similarity;
      }
    }
    if (best == groups.size()) {
      groups.push_back({{i}, std::move(tokens), false});
      mine.push_back(best);
    } else {
      groups[best].calls.push_back(i);
      groups[best].near = true;
    }
    group_of.emplace(key, best);
  }
  // Groups were created in the time order of their first call.
  for (const Group& g : groups) {
    if (static_cast<int64_t>(g.calls.size()) < options.repeated_tool_call_min_calls) continue;
    int64_t failed = 0;
    for (Index i : g.calls) failed += Failed(run.at(i)) ? 1 : 0;
    std::string message = absl::StrCat("tool \"", Sv(ToolName(run.at(g.calls.front()))), "\" was called ", g.calls.size(),
                                       " times with ", g.near ? "near-identical" : "the same", " arguments");
    if (failed > 0) absl::StrAppend(&message, " (", failed, " failed)");
    out.push_back({FindingKind::kRepeatedToolCall, std::move(message), run.Ids(g.calls)});
  }
}

void RunawayDepth(const Run& run, const PathologyOptions& options, std::vector<Finding>& out) {
  Index deepest = SpanTree::kNone;
  for (Index i : run.by_time) {
    if (deepest == SpanTree::kNone || run.tree.depth(i) > run.tree.depth(deepest)) deepest = i;
  }
  if (deepest == SpanTree::kNone || run.tree.depth(deepest) <= options.max_depth) return;
  out.push_back({FindingKind::kRunawayDepth,
                 absl::StrCat("the trace is ", run.tree.depth(deepest), " spans deep (more than ", options.max_depth,
                              "); deepest: \"", run.at(deepest).name, "\""),
                 {run.at(deepest).id}});
}

void RunawayFanOut(const Run& run, const PathologyOptions& options, std::vector<Finding>& out) {
  for (Index i : run.by_time) {
    const size_t children = run.tree.children(i).size();
    if (static_cast<int64_t>(children) <= options.max_children) continue;
    out.push_back({FindingKind::kRunawayFanOut,
                   absl::StrCat("\"", run.at(i).name, "\" has ", children, " children (more than ",
                                options.max_children, ")"),
                   {run.at(i).id}});
  }
}

void ToolErrorStorm(const Run& run, const PathologyOptions& options, std::vector<Finding>& out) {
  int64_t calls = 0;
  std::vector<Index> failed;
  for (Index i : run.by_time) {
    if (run.at(i).type != ObservationType::kTool) continue;
    ++calls;
    if (Failed(run.at(i))) failed.push_back(i);
  }
  const int64_t errors = static_cast<int64_t>(failed.size());
  const bool many = errors >= options.tool_error_storm_min_errors;
  const bool most = calls >= options.tool_error_storm_min_calls && errors > 0 &&
                    static_cast<double>(errors) >= options.tool_error_storm_min_share * static_cast<double>(calls);
  if (!many && !most) return;
  out.push_back({FindingKind::kToolErrorStorm, absl::StrCat(errors, " of ", calls, " tool calls failed"),
                 run.Ids(failed)});
}

void DanglingSpans(const Run& run, const PathologyOptions& options, int64_t now_ns, std::vector<Finding>& out) {
  std::vector<Index> open;
  for (Index i : run.by_time) {
    if (run.tree.open(i)) open.push_back(i);
  }
  const int64_t quiet_ns = now_ns - run.tree.trace_end_ns();
  if (open.empty() || quiet_ns <= options.dangling_after_ns) return;
  out.push_back({FindingKind::kDanglingSpan,
                 absl::StrCat(open.size(), open.size() == 1 ? " span is" : " spans are", " still open ",
                              Minutes(quiet_ns), " after the trace's last activity"),
                 run.Ids(open)});
}

void ContextBloat(const Run& run, const PathologyOptions& options, std::vector<Finding>& out) {
  // Model calls that report input tokens, by loop, each loop in time order.
  std::vector<Index> calls;
  for (Index i : run.by_time) {
    if (run.at(i).type == ObservationType::kGeneration && run.at(i).usage.input_tokens > 0) calls.push_back(i);
  }
  std::stable_sort(calls.begin(), calls.end(),
                   [&run](Index a, Index b) { return run.tree.loop(a) < run.tree.loop(b); });
  std::vector<std::pair<Index, Finding>> found;  // (first call, finding), to order by time
  auto report = [&](size_t begin, size_t end) {
    if (static_cast<int64_t>(end - begin) < options.context_bloat_min_calls) return;
    const int64_t first = run.at(calls[begin]).usage.input_tokens;
    const int64_t last = run.at(calls[end - 1]).usage.input_tokens;
    const double growth = static_cast<double>(last) / static_cast<double>(first);
    if (growth < options.context_bloat_min_growth) return;
    std::vector<Index> run_calls(calls.begin() + static_cast<ptrdiff_t>(begin), calls.begin() + static_cast<ptrdiff_t>(end));
    found.emplace_back(calls[begin],
                       Finding{FindingKind::kContextBloat,
                               absl::StrCat("input tokens grew at each of ", end - begin, " model calls, from ", first,
                                            " to ", last, " (", Ratio(growth), "x)"),
                               run.Ids(run_calls)});
  };
  size_t begin = 0;
  for (size_t k = 1; k <= calls.size(); ++k) {
    const bool continues = k < calls.size() && run.tree.loop(calls[k]) == run.tree.loop(calls[k - 1]) &&
                           run.at(calls[k]).usage.input_tokens > run.at(calls[k - 1]).usage.input_tokens;
    if (continues) continue;
    report(begin, k);
    begin = k;
  }
  std::sort(found.begin(), found.end(),
            [&run](const auto& a, const auto& b) { return run.tree.Before(a.first, b.first); });
  for (auto& [first, finding] : found) out.push_back(std::move(finding));
}

void SuccessAfterFailedTool(const Run& run, std::vector<Finding>& out) {
  const Index answer = LastModelCall(run.tree);  // the final answer
  if (answer == SpanTree::kNone || HasToolCalls(run.at(answer).output)) return;
  const std::string text = absl::AsciiStrToLower(OutputText(run.at(answer).output));
  const std::string_view claim = FirstPhrase(text, kSuccessPhrases);
  if (claim.empty() || !FirstPhrase(text, kFailurePhrases).empty()) return;

  // Failed tool calls with no later successful call of the same tool, ended by the answer's end.
  absl::flat_hash_map<std::string_view, Index> last_success;  // tool name → latest successful call
  for (Index i : run.by_time) {
    if (run.at(i).type == ObservationType::kTool && !Failed(run.at(i))) last_success[ToolName(run.at(i))] = i;
  }
  std::vector<Index> evidence;
  for (Index i : run.by_time) {
    const Observation& o = run.at(i);
    if (o.type != ObservationType::kTool || !Failed(o) || run.tree.end_ns(i) > run.tree.end_ns(answer)) continue;
    auto it = last_success.find(ToolName(o));
    if (it != last_success.end() && run.tree.Before(i, it->second)) continue;
    evidence.push_back(i);
  }
  if (evidence.empty()) return;
  std::string message = absl::StrCat("tool \"", Sv(ToolName(run.at(evidence.front()))), "\" failed");
  if (evidence.size() > 1) absl::StrAppend(&message, " (and ", evidence.size() - 1, " more)");
  absl::StrAppend(&message, " and was not retried successfully, but the final answer says \"", Sv(claim), "\"");
  evidence.push_back(answer);
  out.push_back({FindingKind::kSuccessAfterFailedTool, std::move(message), run.Ids(evidence)});
}

}  // namespace

std::string_view ToString(FindingKind kind) {
  for (const auto& [value, name] : kKindNames) {
    if (value == kind) return name;
  }
  return "";
}

bool ParseFindingKind(std::string_view text, FindingKind* out) {
  for (const auto& [value, name] : kKindNames) {
    if (name == text) {
      *out = value;
      return true;
    }
  }
  return false;
}

std::vector<Finding> DetectPathologies(std::span<const Observation> observations, const PathologyOptions& options,
                                       int64_t now_ns) {
  const Run run(observations);
  std::vector<Finding> findings;
  RepeatedToolCalls(run, options, findings);
  RunawayDepth(run, options, findings);
  RunawayFanOut(run, options, findings);
  ToolErrorStorm(run, options, findings);
  DanglingSpans(run, options, now_ns, findings);
  ContextBloat(run, options, findings);
  SuccessAfterFailedTool(run, findings);
  return findings;
}

}  // namespace trackly::analysis
