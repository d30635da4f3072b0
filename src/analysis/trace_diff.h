// Trace diff: what changed between two runs of one agent, step by step, and the "typical" run of a
// set of runs (docs/insight.md "Trace diff" gives every rule and bound; issue 9).
//
// Pure functions over the observations of traces, in any order (the results do not depend on
// it). Orphans are roots and parent-id cycles are cut as in span_tree.h. Everything is iterative,
// so a 100,000-span-deep trace cannot overflow the stack, and every alignment is bounded (near
// linear in the number of spans, see DiffOptions::max_alignment_cells).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/json.h"
#include "model/observation.h"

namespace trackly::analysis {

// The key two steps must share to be aligned: "<type>:<label>", or "<type>" when the label is
// empty. The label is the tool name for tools (tool.name, else the name); for generations the name
// with the model taken out (o.model, else the gen_ai.request.model attribute, when the name
// contains it: "chat gpt-4o" → "chat"), so a model swap is a changed step, not a rename; the name
// for everything else. E.g. "tool:search", "generation:chat", "span:plan".
std::string StepKey(const model::Observation& observation);

enum class DiffKind {
  kSame,     // aligned, nothing below the thresholds changed
  kChanged,  // aligned, but status, model, input, output, latency, tokens or cost changed
  kAdded,    // only in b
  kRemoved,  // only in a
};

// "same", "changed", "added", "removed".
std::string_view ToString(DiffKind kind);
// Returns false when `text` names no value (the output is left unchanged).
bool ParseDiffKind(std::string_view text, DiffKind* out);

struct DiffOptions {
  // An aligned step's latency changed when it moved by at least this share of a's latency…
  double latency_min_ratio = 0.2;
  // …and by at least this many milliseconds.
  double latency_min_ms = 50;
  // Input, output or total tokens that moved by more than this changed the step (0: any change).
  int64_t tokens_tolerance = 0;
  // Cost (USD) that moved by more than this changed the step (0: any change).
  double cost_tolerance_usd = 0;
  // The largest stretch of two sibling lists (length in a × length in b, after their common
  // prefix and suffix) aligned exactly; longer stretches are split at keys unique to both sides,
  // then aligned in windows of sqrt(max_alignment_cells) steps a side. Also bounds the alignment
  // table's memory (4 bytes per cell). Capped at 2^30.
  size_t max_alignment_cells = 1 << 18;
};

// One step of the merged tree: an aligned pair, or a step of one side only.
struct StepDiff {
  DiffKind kind = DiffKind::kSame;
  std::string a_id;  // "" when added
  std::string b_id;  // "" when removed
  std::string key;   // StepKey of the step (both sides share it when aligned)
  int32_t depth = 0;        // in the merged tree: 1 for a root
  int32_t parent_step = -1;  // index in TraceDiff::steps of the merged parent; -1 for a root
  // b - a; a side without the step counts as 0, so an added step has b's figures, a removed one
  // their negation. Latency is the effective duration of span_tree.h (an open span runs to its
  // trace's last time); tokens and cost are the step's own (model::Usage, model::Cost::total).
  double latency_delta_ms = 0;
  int64_t input_tokens_delta = 0;
  int64_t output_tokens_delta = 0;
  int64_t total_tokens_delta = 0;
  double cost_delta_usd = 0;
  // Why an aligned step is kChanged (all false for added, removed and same steps).
  bool input_changed = false;   // inputs differ beyond key order, whitespace runs and 1 vs 1.0
  bool output_changed = false;  // likewise for outputs
  bool latency_changed = false;
  bool tokens_changed = false;
  bool cost_changed = false;
  std::string status_a, status_b;  // model::ToString(Status); "" on the side without the step
  std::string model_a, model_b;    // the step's model; differing models make it kChanged
  bool operator==(const StepDiff&) const = default;
};

// What one whole trace adds up to, by the rules of the trace row (model/summary.h).
struct DiffTotals {
  int64_t steps = 0;       // observations
  double latency_ms = 0;   // earliest start to last start or end (span_tree.h)
  int64_t input_tokens = 0;  // usage and cost summed over leaf carriers (model::SummarizeTrace)
  int64_t output_tokens = 0;
  int64_t total_tokens = 0;
  double cost_usd = 0;
  int64_t errors = 0;  // observations with status or level error
  bool operator==(const DiffTotals&) const = default;
};

struct TraceDiff {
  // The merged tree in pre-order: each step before its children; siblings in alignment order,
  // where between two aligned siblings the removed ones come before the added ones.
  std::vector<StepDiff> steps;
  DiffTotals a_totals, b_totals;
  // Steps of each kind.
  int64_t same = 0, changed = 0, added = 0, removed = 0;
};

// Diffs trace a (the baseline) against trace b. Roots are aligned like siblings, then the children
// of each aligned pair, top-down: a step whose parent is not aligned is added or removed with its
// whole subtree (a step moved to another parent is removed and added). Siblings are aligned by a
// longest common subsequence of their StepKeys; of equally long ones, the one pairing the most
// steps whose neighbouring siblings have the same keys too, then the earliest. So repeated
// identical steps (retries, loop iterations) pair up in order, the surplus is added or removed,
// and a loop's final step still pairs with the final step. Lists too long for the exact table
// are anchored on keys unique to both, then aligned window by window (docs/insight.md).
// O(n log n + n·sqrt(max_alignment_cells)) time at worst, iterative at any depth.
TraceDiff DiffTraces(std::span<const model::Observation> a, std::span<const model::Observation> b,
                     const DiffOptions& options = {});

// The representative run of several runs of one agent (say, the last N traces of one name).
// The medoid by structure is picked: the trace whose multiset of StepKeys has the smallest sum of
// distances to the others' (distance: the size of the multisets' symmetric difference); ties go
// to the first in the order given. Each of its steps is aligned with every other trace as by
// DiffTraces; its duration, input/output/total tokens and input/output/total cost become the
// median over the traces in which it aligned (itself included; an even count takes the mean of
// the middle two; durations rounded to whole microseconds). A step keeps its start and its end
// becomes start + median duration (a step open or without a start in the medoid keeps its
// times); children are not laid out again, so one may end after its parent. Returns a copy of
// the medoid's observations in their order with those fields replaced; empty when `traces` is.
// O(N²·n) for the medoid plus N diffs, for N traces of n spans.
std::vector<model::Observation> TypicalTrace(std::span<const std::vector<model::Observation>> traces,
                                             const DiffOptions& options = {});

// Line-based text diff, for showing how an input or an output changed.
enum class LineOp {
  kSame,
  kRemoved,  // only in a
  kAdded,    // only in b
  kOmitted,  // the last line, when a cap cut either text: what was left out (text says how much)
};

// "same", "removed", "added", "omitted".
std::string_view ToString(LineOp op);

struct DiffLine {
  LineOp op = LineOp::kSame;
  std::string text;  // the line without its '\n' (nor a '\r' before it)
  bool operator==(const DiffLine&) const = default;
};

struct TextDiffOptions {
  // Bytes of each text compared; whole lines only (a first line longer than this is cut).
  size_t max_bytes = 256 * 1024;
  // Lines of each text compared.
  size_t max_lines = 10'000;
  // As DiffOptions::max_alignment_cells, over lines.
  size_t max_alignment_cells = 1 << 20;
};

// The lines of a and b in order, each same, removed or added: a longest common subsequence of the
// lines (exact, up to a trailing '\r'), chosen and bounded like the step alignment of DiffTraces;
// between two common lines the removed ones come first. Beyond the caps, the rest of both texts
// is not compared and one kOmitted line ends the diff ("12 more lines of a and 3 of b not
// compared"). A text ending in '\n' has no empty last line.
std::vector<DiffLine> DiffText(std::string_view a, std::string_view b,
                               const TextDiffOptions& options = {});

// A JSON value as text to give DiffText: the canonical form of json_text.h (object keys in order,
// integral numbers as integers) indented by two spaces with one member or element per line, and a
// string holding newlines continued over several lines ("line 1\n" / "line 2") so a prompt diffs
// line by line. Whitespace inside strings is kept; indentation stops growing at 32 levels. For
// display, not meant to be parsed; stops after `max_bytes`. Iterative at any depth.
std::string DiffableJson(const model::Json& value, size_t max_bytes = 256 * 1024);

}  // namespace trackly::analysis
