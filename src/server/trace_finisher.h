// Evaluates each trace once it has finished (docs/insight.md "Evaluation at completion"): a trace
// counts as finished when no write has touched it for a quiet delay (agents send a run's spans
// within seconds; a late span makes the trace due again). The evaluation runs the analysis layer
// (analysis/run_profile.h, analysis/pathologies.h) over the stored trace and stores the result as
// scores from source "trackly", so the trace list filters on them (score=, score_value=), the UI
// shows them with the trace and the scores API lists them:
//   trackly.stop_reason         categorical: why the run ended (final_answer, error, …), the
//                               evidence as its comment;
//   trackly.finding.<kind>      boolean true, one per kind of pathology found (repeated_tool_call,
//                               tool_error_storm, …), the findings' messages as its comment;
//   trackly.rule.<name>         boolean: whether the trace kept the project's process rule of that
//                               name (analysis/process_rules.h), the result's message as comment.
// It also records the run's contribution to the workflow graph of its trace name
// (Store::RecordWorkflowRuns; docs/insight.md "Workflow graph", "Maintained at completion") in the
// same pass as the scores; a trace without a name has no workflow.
// Then, when the project has a tail sampling policy (analysis/sampling.h; docs/insight.md "Tail
// sampling"), it decides whether to keep the trace; the traces it drops are removed with
// Store::DropSampledOut, in one call per project per batch, after the batch's scores and workflow
// runs are stored (their evaluation scores are not written), and the decisions are counted per
// project and UTC day through SamplingHooks::record_counts, once per project per pass.
// A re-evaluation replaces these scores (their ids are fixed per trace and name); a finding that
// no longer holds after a late span keeps its earlier score (documented limitation).
//
// Quiet means quiet since the trace's last write became readable, not since it was acknowledged:
// a store with a spool (spool/spooled_store.h) acknowledges writes before they reach the store
// reads go to, so a trace is due only once the spool has shipped every write acknowledged up to
// its last touch (StoreStats::spool: nothing waiting, or the oldest waiting record is younger
// than the touch). While the spool lags (an outage of ClickHouse, a backlog), traces wait for it
// instead of being evaluated on what was shipped so far. The one exception is max_pending: beyond
// it the longest-waiting traces are evaluated early, shipped or not, to bound memory.
//
// What is pending lives in memory. A server that stops evaluates it first (Drain, within a
// budget, waiting for the spool to ship the writes the pending traces got); one that crashes
// leaves the traces touched shortly before unevaluated until they are touched again.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "analysis/process_rules.h"
#include "analysis/sampling.h"
#include "base/clock.h"
#include "model/observation.h"
#include "store/catalog.h"
#include "store/store.h"

namespace trackly::server {

inline constexpr std::string_view kEvaluationSource = "trackly";

// The scores the evaluation of `detail` (full observations) at `now_ns` gives: stop reason, one
// per finding kind and one per rule of `rules` that applies to the trace, each on the trace,
// timed `now_ns`.
std::vector<model::Score> EvaluationScores(const store::TraceDetail& detail, int64_t now_ns,
                                           std::span<const analysis::ProcessRule> rules = {});

// The workflow run of an evaluated trace (`detail` with full observations): its rollup keyed by the
// trace's name, environment, release and start; nullopt for a trace without a name.
std::optional<store::WorkflowRun> WorkflowRunOf(const store::TraceDetail& detail);

// The process rules of a project; an error skips the rules of that project for one pass.
using ProcessRulesSource = std::function<absl::StatusOr<std::vector<analysis::ProcessRule>>(std::string_view project)>;

// Tail sampling (docs/insight.md "Tail sampling"). Either may be null: no policy (every trace
// kept, nothing counted), or counts not recorded.
struct SamplingHooks {
  // The policy of a project, asked once per project per pass; an error keeps every trace of that
  // project for that pass.
  std::function<absl::StatusOr<analysis::SamplingPolicy>(std::string_view project)> policy;
  // Adds what a pass decided in `project` to its counts of `day` (store::DayOf of the pass).
  std::function<absl::Status(std::string_view project, int64_t day, const store::SamplingTally& tally)>
      record_counts;
};

struct TraceFinisherOptions {
  absl::Duration quiet = absl::Seconds(30);  // no write for this long: the trace is finished
  // Traces waiting at most; beyond it the longest-waiting ones are evaluated early.
  size_t max_pending = 100'000;
};

// Thread-safe.
class TraceFinisher {
 public:
  // `store` and `clock` must outlive the finisher; `rules` is asked once per project per pass
  // (null: no rules), `sampling` likewise.
  TraceFinisher(store::Store& store, const Clock& clock, TraceFinisherOptions options,
                ProcessRulesSource rules = nullptr, SamplingHooks sampling = {});
  ~TraceFinisher();  // stops the background thread, after the evaluation running (if any)

  // A write of `trace_id` in `project` was acknowledged now.
  void Touch(std::string_view project, std::string_view trace_id);
  // Evaluates every trace quiet for options.quiet (and the oldest beyond max_pending) and stores
  // the scores; returns how many traces it evaluated. A trace that no longer exists (erased,
  // expired) is dropped; one whose evaluation fails is logged and dropped.
  int64_t FinishDue();
  size_t pending() const;

  // Starts a thread that calls FinishDue about every second. Call at most once.
  void Start();

  // For a stopping server: stops the thread, waits (within `budget`) until the store can read
  // the writes of every pending trace, then evaluates every pending trace, due or not, until
  // `budget` has passed. The rest (not readable in time, or not reached) are logged and dropped.
  // Returns how many it evaluated. Touch after Drain records traces that are never evaluated.
  int64_t Drain(absl::Duration budget);

 private:
  using Key = std::pair<std::string, std::string>;  // (project, trace id)

  // Every write acknowledged before this time (the finisher's clock, ns) is readable; see the
  // header comment.
  int64_t ReadableBeforeNs() const;
  // Evaluates `due` in order and stores the scores; stops early once the clock reaches
  // `deadline_ns` (0: no deadline). Returns how many it read.
  int64_t Evaluate(const std::vector<Key>& due, int64_t deadline_ns);

  store::Store& store_;
  const Clock& clock_;
  const TraceFinisherOptions options_;
  const ProcessRulesSource rules_;
  const SamplingHooks sampling_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<Key, int64_t> last_touch_ns_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace trackly::server
