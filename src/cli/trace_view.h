// Terminal rendering of traces for `trackly traces`, `trackly trace` and `trackly tail`: pure functions from the
// canonical model to text lines (no trailing newlines), so the layout is unit-tested without a
// store or a terminal. Columns are aligned by display width (one column per UTF-8 code point);
// times are shown in UTC.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "analysis/pathologies.h"
#include "analysis/run_profile.h"
#include "model/observation.h"

namespace trackly::cli {

// Marks an error row or node. Also used in tests.
inline constexpr char kErrorMark[] = "✗";

// "523ms", "2.41s", "3m05s"; "-" for an open span (end before start or unset).
std::string FormatDurationMs(double latency_ms);
// "1,234,567"; "-" for 0 (none reported).
std::string FormatTokens(int64_t tokens);
// "$0.0123"; "<$0.0001" for tiny amounts; "-" for 0.
std::string FormatCost(double usd);

// The trace list: a header row, then one row per trace in the given order with columns
// ID, NAME, START (UTC), LATENCY, TOKENS, COST, STATUS. Error rows start with kErrorMark.
// Long names are cut with "…". An empty list yields a single "no traces" line.
std::vector<std::string> FormatTraceList(std::span<const model::Trace> traces);

// One trace: a few summary lines, a blank line, then the observation tree with a header row.
// Each node shows its type and name indented by depth, then aligned duration, own tokens and cost,
// the cost of its whole subtree where it has children (model::SummarizeSubtrees), and status; error nodes start with kErrorMark and show their status message. Children are ordered
// by (start time, id). An observation whose parent was not received (an orphan) is shown at the
// top level with the note "(parent <id> not received)"; observations caught in a parent cycle
// are shown the same way with "(parent cycle)", so every observation appears exactly once.
// Indentation stops growing past a fixed depth (the depth is then printed), so a deep tree stays
// readable. Iterative: a 100k-deep trace cannot overflow the stack.
std::vector<std::string> FormatTraceTree(const model::Trace& trace,
                                         std::span<const model::Observation> observations);

// A trace diff (query::TraceDiffJson): both sides with their totals and the change, the step
// counts, then the merged step tree, one line per step marked "=" same, "~" changed (with why and
// the deltas), "+" added, "-" removed, and under a changed step its line diffs when present.
std::vector<std::string> FormatTraceDiff(const model::Json& diff);

// One span of the live tail (an entry of GET /api/v1/tail, docs/api.md) as one line with
// fixed-width columns, so lines printed as spans arrive stay aligned: start time (UTC, to the
// millisecond), error mark, the trace id's first 8 characters, type ("update" for an update that
// did not say), name, model, latency ("open" while open), total tokens, cost, status (with the
// level when it is ERROR). Long names and models are cut with "…"; a missing value is "-".
std::string FormatTailLine(const model::Json& entry);

// Marks a finding. Also used in tests.
inline constexpr char kFindingMark[] = "⚠";

// What the run did and why it stopped (analysis/run_profile.h), then one line per finding
// (analysis/pathologies.h) starting with kFindingMark, or "No findings." (docs/insight.md).
std::vector<std::string> FormatRunInsight(const analysis::RunProfile& profile,
                                          std::span<const analysis::Finding> findings);

}  // namespace trackly::cli
