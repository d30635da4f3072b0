// A Store that is another one: every method calls the same method of the wrapped store. The base
// of decorators (spool/spooled_store.h, server/write_watching_store.h), which override only what
// they change.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/store.h"

namespace trackly::store {

// Thread-safe if the wrapped store is.
class ForwardingStore : public Store {
 public:
  Capabilities capabilities() const override { return backing_.capabilities(); }
  StoreStats stats() const override { return backing_.stats(); }
  void Write(WriteBatch batch, WriteCallback done) override { backing_.Write(std::move(batch), std::move(done)); }
  void Drain() override { backing_.Drain(); }
  absl::StatusOr<TracePage> ListTraces(const TraceQuery& query) override { return backing_.ListTraces(query); }
  absl::StatusOr<TraceDetail> GetTrace(std::string_view project, std::string_view trace_id) override {
    return backing_.GetTrace(project, trace_id);
  }
  absl::StatusOr<ObservationPage> ListTraceObservations(const ObservationQuery& query) override {
    return backing_.ListTraceObservations(query);
  }
  absl::StatusOr<model::Observation> GetObservation(std::string_view project, std::string_view trace_id,
                                                    std::string_view observation_id) override {
    return backing_.GetObservation(project, trace_id, observation_id);
  }
  absl::StatusOr<SessionPage> ListSessions(const SessionQuery& query) override { return backing_.ListSessions(query); }
  absl::StatusOr<ScorePage> ListScores(const ScoreQuery& query) override { return backing_.ListScores(query); }
  absl::StatusOr<std::string> FindTraceIdOfObservation(std::string_view project,
                                                       std::string_view observation_id) override {
    return backing_.FindTraceIdOfObservation(project, observation_id);
  }
  absl::StatusOr<SessionDetail> GetSession(std::string_view project, std::string_view session_id) override {
    return backing_.GetSession(project, session_id);
  }
  absl::StatusOr<RewriteStats> RewriteObservations(const RewriteRange& range,
                                                   const ObservationRewrite& rewrite) override {
    return backing_.RewriteObservations(range, rewrite);
  }
  absl::StatusOr<EraseStats> Erase(const EraseRequest& request) override { return backing_.Erase(request); }
  absl::StatusOr<EraseStats> DropSampledOut(std::string_view project,
                                            const std::vector<std::string>& trace_ids) override {
    return backing_.DropSampledOut(project, trace_ids);
  }
  absl::StatusOr<ExpireStats> Expire(const ExpireRequest& request) override { return backing_.Expire(request); }
  void NoteRetention(std::string_view project, int32_t payload_days, int32_t summary_days) override {
    backing_.NoteRetention(project, payload_days, summary_days);
  }
  absl::StatusOr<MetricsResult> QueryMetrics(const MetricsQuery& query) override {
    return backing_.QueryMetrics(query);
  }
  absl::StatusOr<MetricsResult> QueryScoreMetrics(const ScoreMetricsQuery& query) override {
    return backing_.QueryScoreMetrics(query);
  }
  absl::Status RecordWorkflowRuns(std::string_view project, std::vector<WorkflowRun> runs) override {
    return backing_.RecordWorkflowRuns(project, std::move(runs));
  }
  absl::StatusOr<model::WorkflowRollup> QueryWorkflowRollup(const WorkflowRollupQuery& query) override {
    return backing_.QueryWorkflowRollup(query);
  }

 protected:
  // `backing` must outlive this store.
  explicit ForwardingStore(Store& backing) : backing_(backing) {}

  Store& backing_;
};

}  // namespace trackly::store
