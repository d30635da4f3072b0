#include "server/trace_finisher.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "analysis/pathologies.h"
#include "analysis/run_profile.h"
#include "analysis/workflow_graph.h"
#include "base/log.h"
#include "base/status.h"

namespace trackly::server {
namespace {

// Traces whose scores are written together (bounds what a pass holds in memory).
constexpr size_t kTracesPerWrite = 500;
// The nice value of the evaluation thread (0 is normal, 19 the lowest priority).
constexpr int kEvaluationNice = 10;

// The scores stored on a trace (feedback, a client's evaluations), every page.
std::vector<model::Score> StoredScores(store::Store& store, const std::string& project, const std::string& trace_id) {
  std::vector<model::Score> all;
  store::ScoreQuery query{.project = project, .trace_id = trace_id, .limit = store::kMaxListLimit};
  while (true) {
    absl::StatusOr<store::ScorePage> page = store.ListScores(query);
    if (!page.ok()) {
      LogWarn("scores of trace ", trace_id, " in project ", project, " not read for sampling: ", page.status().ToString());
      return all;
    }
    all.insert(all.end(), std::make_move_iterator(page->scores.begin()), std::make_move_iterator(page->scores.end()));
    if (page->next_cursor.empty()) return all;
    query.cursor = std::move(page->next_cursor);
  }
}

}  // namespace

std::optional<store::WorkflowRun> WorkflowRunOf(const store::TraceDetail& detail) {
  const model::Trace& trace = detail.trace;
  if (trace.name.empty()) return std::nullopt;
  return store::WorkflowRun{.trace_id = trace.id,
                            .name = trace.name,
                            .environment = trace.environment,
                            .release = trace.release,
                            .start_ns = trace.start_time_ns,
                            .rollup = analysis::WorkflowRollupOfRun(detail.observations)};
}

std::vector<model::Score> EvaluationScores(const store::TraceDetail& detail, int64_t now_ns,
                                           std::span<const analysis::ProcessRule> rules) {
  const std::string& trace_id = detail.trace.id;
  auto score = [&](std::string name, model::Json value, std::string comment) {
    // A fixed id per trace and name: a re-evaluation replaces the score instead of adding one.
    return model::Score{.id = absl::StrCat(name, ":", trace_id),
                        .trace_id = trace_id,
                        .name = std::move(name),
                        .value = std::move(value),
                        .comment = std::move(comment),
                        .source = std::string(kEvaluationSource),
                        .time_ns = now_ns};
  };
  std::vector<model::Score> scores;
  const analysis::RunProfile profile = analysis::ProfileRun(detail.observations);
  scores.push_back(score("trackly.stop_reason", std::string(analysis::ToString(profile.stop_reason)),
                         profile.stop_evidence));
  const std::vector<analysis::Finding> findings =
      analysis::DetectPathologies(detail.observations, analysis::PathologyOptions(), now_ns);
  // Findings come ordered by kind: one score per run of the same kind.
  for (auto it = findings.begin(); it != findings.end();) {
    auto end = std::find_if(it, findings.end(), [&](const analysis::Finding& f) { return f.kind != it->kind; });
    std::vector<std::string> messages;
    for (auto f = it; f != end; ++f) messages.push_back(f->message);
    scores.push_back(score(absl::StrCat("trackly.finding.", Sv(analysis::ToString(it->kind))), true,
                           absl::StrJoin(messages, " ")));
    it = end;
  }
  for (const analysis::ProcessRule& rule : rules) {
    analysis::RuleResult result = analysis::EvaluateProcessRule(rule, detail.observations, detail.trace);
    if (result.applies) {
      scores.push_back(score(absl::StrCat("trackly.rule.", rule.name), result.passed, std::move(result.message)));
    }
  }
  return scores;
}

TraceFinisher::TraceFinisher(store::Store& store, const Clock& clock, TraceFinisherOptions options,
                             ProcessRulesSource rules, SamplingHooks sampling)
    : store_(store), clock_(clock), options_(options), rules_(std::move(rules)), sampling_(std::move(sampling)) {}

TraceFinisher::~TraceFinisher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void TraceFinisher::Touch(std::string_view project, std::string_view trace_id) {
  const int64_t now = clock_.NowNanos();
  absl::MutexLock lock(&mu_);
  last_touch_ns_[Key(project, trace_id)] = now;
}

size_t TraceFinisher::pending() const {
  absl::MutexLock lock(&mu_);
  return last_touch_ns_.size();
}

int64_t TraceFinisher::ReadableBeforeNs() const {
  const store::SpoolFigures spool = store_.stats().spool;
  if (spool.records_waiting == 0) return std::numeric_limits<int64_t>::max();
  // The oldest waiting record was appended ship_lag_ms ago (rounded down, hence the extra
  // millisecond); the spool ships in order, so every record appended before it has been shipped,
  // and a touch comes after its record's append.
  return clock_.NowNanos() - (spool.ship_lag_ms + 1) * 1'000'000;
}

int64_t TraceFinisher::FinishDue() {
  std::vector<Key> due;
  {
    const int64_t quiet_before =
        std::min(clock_.NowNanos() - absl::ToInt64Nanoseconds(options_.quiet), ReadableBeforeNs() - 1);
    absl::MutexLock lock(&mu_);
    std::vector<std::pair<int64_t, Key>> waiting;  // only filled when over max_pending
    for (const auto& [key, touched] : last_touch_ns_) {
      if (touched <= quiet_before) {
        due.push_back(key);
      } else if (last_touch_ns_.size() > options_.max_pending) {
        waiting.emplace_back(touched, key);
      }
    }
    if (last_touch_ns_.size() - due.size() > options_.max_pending) {
      const size_t excess = last_touch_ns_.size() - due.size() - options_.max_pending;
      std::partial_sort(waiting.begin(), waiting.begin() + excess, waiting.end());
      for (size_t i = 0; i < excess; ++i) due.push_back(std::move(waiting[i].second));
    }
    for (const Key& key : due) last_touch_ns_.erase(key);
  }
  return Evaluate(due, /*deadline_ns=*/0);
}

int64_t TraceFinisher::Drain(absl::Duration budget) {
  const int64_t deadline_ns = clock_.NowNanos() + absl::ToInt64Nanoseconds(budget);
  std::vector<std::pair<int64_t, Key>> pending;  // (last touch, key)
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& [key, touched] : last_touch_ns_) pending.emplace_back(touched, key);
    last_touch_ns_.clear();
  }
  if (thread_.joinable()) thread_.join();
  // The store's spool, if any, goes on shipping until the store is drained after this: wait for
  // it to ship what the pending traces got. Polled, as the Store interface has no notification
  // for it; the wait is on the real clock, so a test clock that stands still cannot make it
  // endless.
  int64_t newest_touch = 0;
  for (const auto& [touched, key] : pending) newest_touch = std::max(newest_touch, touched);
  const absl::Time wait_until = absl::Now() + budget;
  while (ReadableBeforeNs() <= newest_touch && absl::Now() < wait_until) absl::SleepFor(absl::Milliseconds(20));
  const int64_t readable_before = ReadableBeforeNs();
  std::vector<Key> due;
  for (auto& [touched, key] : pending) {
    if (touched < readable_before) due.push_back(std::move(key));
  }
  const int64_t evaluated = Evaluate(due, deadline_ns);
  if (evaluated < static_cast<int64_t>(pending.size())) {
    LogWarn("shutdown: ", pending.size() - evaluated, " traces not evaluated within ", absl::FormatDuration(budget),
            " (", pending.size() - due.size(), " of them not yet shipped from the spool); each is when it next gets a span");
  }
  return evaluated;
}

int64_t TraceFinisher::Evaluate(const std::vector<Key>& due, int64_t deadline_ns) {
  // The scores of many traces go in one write per project: waiting for one durable write per
  // trace would make evaluation much slower than ingestion.
  absl::flat_hash_map<std::string, std::vector<model::Score>> scores;
  absl::flat_hash_map<std::string, std::vector<store::WorkflowRun>> runs;  // per project, as the scores
  // Tail sampling, per project: the traces to drop at the next flush, their evaluation scores
  // (written only if the drop fails, so they are not written just to be deleted), and the
  // decisions of the whole pass.
  absl::flat_hash_map<std::string, std::vector<std::string>> drops;
  absl::flat_hash_map<std::string, std::vector<model::Score>> held_scores;
  absl::flat_hash_map<std::string, store::SamplingTally> tallies;
  size_t batched = 0;
  auto flush = [&] {
    for (auto& [project, batch] : scores) {
      // Written as a client's scores are; scores do not touch a trace (WriteWatchingStore), so an
      // evaluation never makes its own trace due.
      if (absl::Status status = store::WriteAndWait(store_, store::WriteBatch{.project = project,
                                                                              .scores = std::move(batch)});
          !status.ok()) {
        LogWarn("evaluation scores of project ", project, " not stored: ", status.ToString());
      }
    }
    scores.clear();
    // Each run's contribution to its agent's workflow graph (docs/insight.md "Maintained at
    // completion"), replacing the one of an earlier evaluation.
    for (auto& [project, batch] : runs) {
      if (absl::Status status = store_.RecordWorkflowRuns(project, std::move(batch));
          !status.ok() && !absl::IsUnimplemented(status)) {  // a backend without workflow rollups
        LogWarn("workflow runs of project ", project, " not recorded: ", status.ToString());
      }
    }
    runs.clear();
    // Last, so a dropped trace's workflow run is recorded first and still counts in its graph.
    for (auto& [project, ids] : drops) {
      {
        // A trace touched again since this pass took it (a late span) is left for its next
        // evaluation, which decides it anew with that span, rather than dropped with the span.
        absl::MutexLock lock(&mu_);
        std::erase_if(ids, [&](const std::string& id) { return last_touch_ns_.contains(Key(project, id)); });
      }
      if (ids.empty()) continue;
      const int64_t decided = static_cast<int64_t>(ids.size());
      absl::StatusOr<store::EraseStats> dropped = store_.DropSampledOut(project, ids);
      if (dropped.ok()) {
        tallies[project].dropped += decided;
        continue;
      }
      LogWarn(decided, " sampled-out traces of project ", project, " kept: ", dropped.status().ToString());
      // Not dropped: they stay, evaluated like any other trace, and are not counted.
      if (absl::Status status = store::WriteAndWait(store_, store::WriteBatch{.project = project,
                                                                              .scores = std::move(held_scores[project])});
          !status.ok()) {
        LogWarn("evaluation scores of project ", project, " not stored: ", status.ToString());
      }
    }
    drops.clear();
    held_scores.clear();
    batched = 0;
  };
  absl::flat_hash_map<std::string, std::vector<analysis::ProcessRule>> rules;  // per project, read once
  auto rules_of = [&](const std::string& project) -> const std::vector<analysis::ProcessRule>& {
    auto it = rules.find(project);
    if (it != rules.end()) return it->second;
    std::vector<analysis::ProcessRule>& read = rules[project];
    if (rules_ != nullptr) {
      absl::StatusOr<std::vector<analysis::ProcessRule>> got = rules_(project);
      if (got.ok()) {
        read = *std::move(got);
      } else {
        LogWarn("process rules of project ", project, " not checked: ", got.status().ToString());
      }
    }
    return read;
  };
  absl::flat_hash_map<std::string, analysis::SamplingPolicy> policies;  // per project, read once
  auto policy_of = [&](const std::string& project) -> const analysis::SamplingPolicy& {
    auto it = policies.find(project);
    if (it != policies.end()) return it->second;
    analysis::SamplingPolicy& read = policies[project];  // disabled unless read
    if (sampling_.policy != nullptr) {
      absl::StatusOr<analysis::SamplingPolicy> got = sampling_.policy(project);
      if (got.ok()) {
        read = *std::move(got);
      } else {
        LogWarn("sampling policy of project ", project, " not read, keeping every trace: ", got.status().ToString());
      }
    }
    return read;
  };
  int64_t evaluated = 0;
  for (const Key& key : due) {
    if (deadline_ns != 0 && clock_.NowNanos() >= deadline_ns) break;
    ++evaluated;
    absl::StatusOr<store::TraceDetail> detail = store_.GetTrace(key.first, key.second);
    if (!detail.ok()) {
      if (!absl::IsNotFound(detail.status())) {  // erased or expired meanwhile: nothing to evaluate
        LogWarn("evaluation of trace ", key.second, " in project ", key.first, " failed: ", detail.status().ToString());
      }
      continue;
    }
    std::vector<model::Score> evaluated = EvaluationScores(*detail, clock_.NowNanos(), rules_of(key.first));
    const analysis::SamplingPolicy& policy = policy_of(key.first);
    bool keep = true;
    if (policy.enabled) {
      std::vector<model::Score> others;
      if (!policy.keep_scores_below.empty()) others = StoredScores(store_, key.first, key.second);
      const analysis::SampleDecision decision = analysis::Decide(policy, detail->trace, evaluated, others);
      keep = decision.keep;
      if (keep) {
        store::SamplingTally& tally = tallies[key.first];
        ++tally.kept;
        ++tally.kept_by_reason[std::string(analysis::ToString(decision.reason))];
      } else {
        drops[key.first].push_back(key.second);
      }
    }
    std::vector<model::Score>& batch = keep ? scores[key.first] : held_scores[key.first];
    batch.insert(batch.end(), std::make_move_iterator(evaluated.begin()), std::make_move_iterator(evaluated.end()));
    if (std::optional<store::WorkflowRun> run = WorkflowRunOf(*detail)) runs[key.first].push_back(*std::move(run));
    if (++batched == kTracesPerWrite) flush();
  }
  flush();
  if (sampling_.record_counts != nullptr && !tallies.empty()) {
    const int64_t day = store::DayOf(clock_.NowNanos());
    for (const auto& [project, tally] : tallies) {
      if (absl::Status status = sampling_.record_counts(project, day, tally); !status.ok()) {
        LogWarn("sampling counts of project ", project, " not recorded: ", status.ToString());
      }
    }
  }
  return evaluated;
}

void TraceFinisher::Start() {
  thread_ = std::thread([this] {
    // Evaluation is background work: at a lower CPU priority than the threads that ingest and
    // answer requests, it uses the time they leave and falls behind (bounded by max_pending)
    // rather than slowing them down. Linux applies a nice value to one thread when given its id.
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kEvaluationNice) != 0) {
      LogWarn("evaluation thread keeps normal priority: setpriority failed");
    }
    while (true) {
      FinishDue();
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(1));
      if (stopping_) return;
    }
  });
}

}  // namespace trackly::server
