// A Store that is another one, plus a callback told the traces of every write it acknowledged:
// how the server learns that a trace was touched (server/trace_finisher.h) without each ingest
// handler having to say so. Every method is the wrapped store's; Write's callback runs `touched`
// for each distinct (project, trace id) of the batch's observations and fragments (scores do not
// touch a trace) once the write is acknowledged OK, before the caller's callback.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "store/store.h"

namespace trackly::server {

// Thread-safe if the wrapped store and `touched` are.
class WriteWatchingStore final : public store::Store {
 public:
  using Touched = std::function<void(std::string_view project, std::string_view trace_id)>;
  // `store` must outlive this.
  WriteWatchingStore(store::Store& store, Touched touched) : store_(store), touched_(std::move(touched)) {}

  store::Capabilities capabilities() const override { return store_.capabilities(); }
  store::StoreStats stats() const override { return store_.stats(); }
  void Write(store::WriteBatch batch, store::WriteCallback done) override;
  void Drain() override { store_.Drain(); }
  absl::StatusOr<store::TracePage> ListTraces(const store::TraceQuery& query) override {
    return store_.ListTraces(query);
  }
  absl::StatusOr<store::TraceDetail> GetTrace(std::string_view project, std::string_view trace_id) override {
    return store_.GetTrace(project, trace_id);
  }
  absl::StatusOr<store::ObservationPage> ListTraceObservations(const store::ObservationQuery& query) override {
    return store_.ListTraceObservations(query);
  }
  absl::StatusOr<model::Observation> GetObservation(std::string_view project, std::string_view trace_id,
                                                    std::string_view observation_id) override {
    return store_.GetObservation(project, trace_id, observation_id);
  }
  absl::StatusOr<store::SessionPage> ListSessions(const store::SessionQuery& query) override {
    return store_.ListSessions(query);
  }
  absl::StatusOr<store::ScorePage> ListScores(const store::ScoreQuery& query) override {
    return store_.ListScores(query);
  }
  absl::StatusOr<std::string> FindTraceIdOfObservation(std::string_view project,
                                                       std::string_view observation_id) override {
    return store_.FindTraceIdOfObservation(project, observation_id);
  }
  absl::StatusOr<store::SessionDetail> GetSession(std::string_view project, std::string_view session_id) override {
    return store_.GetSession(project, session_id);
  }
  absl::StatusOr<store::RewriteStats> RewriteObservations(const store::RewriteRange& range,
                                                          const store::ObservationRewrite& rewrite) override {
    return store_.RewriteObservations(range, rewrite);
  }
  absl::StatusOr<store::EraseStats> Erase(const store::EraseRequest& request) override {
    return store_.Erase(request);
  }
  absl::StatusOr<store::ExpireStats> Expire(const store::ExpireRequest& request) override {
    return store_.Expire(request);
  }
  absl::StatusOr<store::MetricsResult> QueryMetrics(const store::MetricsQuery& query) override {
    return store_.QueryMetrics(query);
  }

 private:
  store::Store& store_;
  const Touched touched_;
};

}  // namespace trackly::server
