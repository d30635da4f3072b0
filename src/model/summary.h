// How a trace summary and a session summary are derived from observations. Every backend uses
// these functions, so "the trace row equals a recomputation" holds by construction.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "model/observation.h"

namespace trackly::model {

// Builds the trace summary from ALL observations of one trace (any order; the result does not
// depend on it). Rules (docs/data-model.md):
//   name        root's trace_hints.trace_name ≥ any span's trace_name ≥ root's name ≥ earliest name
//   start/end   min start / max end over observations
//   status      error if any observation is_error(); else the root's status if set; else ok when
//               the root has arrived, unset before
//   session, user, feature (hints), environment, release: root's ≥ first non-empty by (start, id)
//   tags        sorted union of every span's hints; metadata: merge of hints, the root's wins
//   input/output  root's trace_hints ≥ any span's trace_hints ≥ the root's input/output; only
//               the root's input/output is read, so callers may pass others without payloads
//   counts      over all observations; usage and cost summed over "leaf carriers" only: an
//               observation with usage or cost none of whose descendants has any, so wrapper spans
//               that repeat their children's totals (Vercel ai.generateText, invoke_agent) are not
//               counted twice
//   models      sorted unique models of generations and embeddings
// Observations must be unique by id.
Trace SummarizeTrace(std::span<const Observation> observations);

// What one observation's subtree (itself and every descendant) holds: counts over all of it, and
// usage and cost summed over its leaf carriers by the same rule as SummarizeTrace, so what a
// sub-agent cost includes its tools' model calls once, and the subtree of a root that every other
// observation hangs under equals the trace's totals.
struct SubtreeTotals {
  TraceCounts counts;
  Usage usage;
  Cost cost;
  bool operator==(const SubtreeTotals&) const = default;
};

// One SubtreeTotals per observation, in the order given. An observation whose parent is not among
// them starts a subtree of its own; observations caught in a parent cycle count only themselves.
// Linear in the number of observations, whatever the depth. Observations must be unique by id.
std::vector<SubtreeTotals> SummarizeSubtrees(std::span<const Observation> observations);

// What one observation adds to TraceCounts: one observation, and one generation, tool call,
// retrieval, error and retry where it is one (the rules every count above uses).
TraceCounts CountsOf(const Observation& observation);

// Builds a session summary from the summaries of its traces: counts, usage and cost are the sums
// of the traces'; error_count counts the traces whose status is error.
Session SummarizeSession(const std::string& session_id, std::span<const Trace> traces);

// The summary of a session after some of its traces changed, from the summary it had before, so
// that a write costs the same in a session of ten traces or of ten thousand. `removed` are what
// the changed traces were in the session before (each a trace that left it or is rewritten),
// `added` what they are now (each a trace that joined it or was rewritten), with the fields
// SummarizeSession reads. Counts and sums change by the difference (amounts: the summed change
// is added, so a change that leaves an amount as it was leaves the session's exactly as it was;
// otherwise it may differ from a recomputation in the last bits, as sums in another order do).
// Returns nullopt when the first or last time cannot be known from the summary: a removed trace
// held it and no added trace reaches it, or the change removes more traces than the session has.
// Recompute with SummarizeSession then. user_id is left as it was (see ChangesSessionUser).
std::optional<Session> UpdateSessionSummary(Session session, std::span<const Trace> removed,
                                            std::span<const Trace> added);

// Whether such a change can move the session's user_id, which names the user of its earliest
// trace (by start, then id) that has one; the summary does not say which trace that is, so any
// removed or added trace with a user can.
bool ChangesSessionUser(std::span<const Trace> removed, std::span<const Trace> added);

}  // namespace trackly::model
