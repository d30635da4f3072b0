#include "store/store.h"

#include <bit>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "base/status.h"
#include "model/codec.h"

namespace trackly::store {

std::vector<std::string> TextQueryWords(std::string_view text) {
  return absl::StrSplit(Sv(text), absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
}

absl::StatusOr<RewriteStats> Store::RewriteObservations(const RewriteRange&, const ObservationRewrite&) {
  return absl::UnimplementedError("this store backend cannot rewrite stored observations");
}

absl::StatusOr<ObservationPage> Store::ListTraceObservations(const ObservationQuery&) {
  return absl::UnimplementedError("this store backend cannot page a trace's observations");
}

absl::StatusOr<model::Observation> Store::GetObservation(std::string_view, std::string_view, std::string_view) {
  return absl::UnimplementedError("this store backend cannot read one observation");
}

absl::StatusOr<MetricsResult> Store::QueryMetrics(const MetricsQuery&) {
  return absl::UnimplementedError("this store backend has no metrics rollups");
}

absl::StatusOr<MetricsResult> Store::QueryScoreMetrics(const ScoreMetricsQuery&) {
  return absl::UnimplementedError("this store backend cannot aggregate scores");
}

absl::Status Store::RecordWorkflowRuns(std::string_view, std::vector<WorkflowRun>) {
  return absl::UnimplementedError("this store backend has no workflow rollups");
}

absl::StatusOr<model::WorkflowRollup> Store::QueryWorkflowRollup(const WorkflowRollupQuery&) {
  return absl::UnimplementedError("this store backend has no workflow rollups");
}

absl::StatusOr<EraseStats> Store::Erase(const EraseRequest&) {
  return absl::UnimplementedError("this store backend cannot erase traces");
}

absl::StatusOr<EraseStats> Store::DropSampledOut(std::string_view, const std::vector<std::string>&) {
  return absl::UnimplementedError("this store backend cannot drop sampled-out traces");
}

absl::StatusOr<ExpireStats> Store::Expire(const ExpireRequest&) {
  return absl::UnimplementedError("this store backend cannot expire data");
}

void Store::NoteRetention(std::string_view, int32_t, int32_t) {}

int64_t TraceOrderKey(const model::Trace& trace, TraceOrder order) {
  switch (order) {
    case TraceOrder::kStartTime: return trace.start_time_ns;
    case TraceOrder::kLatency: return std::bit_cast<int64_t>(trace.latency_ms());
    case TraceOrder::kCost: return std::bit_cast<int64_t>(trace.cost.total);
    case TraceOrder::kTokens: return trace.usage.total_tokens;
  }
  return trace.start_time_ns;
}

double TraceOrderValue(int64_t key) { return std::bit_cast<double>(key); }

absl::Status ValidateWriteBatch(const WriteBatch& batch) {
  for (const model::Observation& o : batch.observations) {
    if (o.id.empty() || o.trace_id.empty()) return absl::InvalidArgumentError("observation without id or trace_id");
  }
  for (const model::ObservationFragment& f : batch.fragments) {
    if (f.observation.id.empty() || f.event_id.empty()) {
      return absl::InvalidArgumentError("observation fragment without id or event_id");
    }
  }
  for (const model::Score& s : batch.scores) {
    if (s.id.empty() || s.trace_id.empty()) return absl::InvalidArgumentError("score without id or trace_id");
  }
  if (batch.project.empty()) return absl::InvalidArgumentError("write batch without project");
  if (!batch.observation_json.empty() && batch.observation_json.size() != batch.observations.size()) {
    return absl::InvalidArgumentError(absl::StrCat("write batch with ", batch.observation_json.size(),
                                                   " observation texts for ", batch.observations.size(),
                                                   " observations"));
  }
  return absl::OkStatus();
}

absl::Status ObservationsFromTexts(WriteBatch& batch) {
  for (size_t i = 0; i < batch.observation_json.size(); ++i) {
    absl::StatusOr<model::Observation> whole = model::ParseObservationJson(batch.observation_json[i]);
    if (!whole.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("observation text ", i, " of the write batch: ", whole.status().message()));
    }
    batch.observations[i] = *std::move(whole);
  }
  batch.observation_json.clear();
  return absl::OkStatus();
}

absl::Status ValidateEraseRequest(const EraseRequest& request) {
  if (request.project.empty()) return absl::InvalidArgumentError("project: required");
  const int selectors =
      !request.trace_id.empty() + !request.session_id.empty() + !request.user_id.empty();
  if (selectors != 1) {
    return absl::InvalidArgumentError("exactly one of trace_id, session_id and user_id must be given");
  }
  return absl::OkStatus();
}

absl::Status ValidateExpireRequest(const ExpireRequest& request) {
  if (request.project.empty()) return absl::InvalidArgumentError("project: required");
  if (request.payload_before_day < 0) {
    return absl::InvalidArgumentError(absl::StrCat("payload_before_day: ", request.payload_before_day, " is negative"));
  }
  if (request.summary_before_day < 0) {
    return absl::InvalidArgumentError(absl::StrCat("summary_before_day: ", request.summary_before_day, " is negative"));
  }
  return absl::OkStatus();
}

absl::Status ValidateDropSampledOut(std::string_view project, const std::vector<std::string>& trace_ids) {
  if (project.empty()) return absl::InvalidArgumentError("project: required");
  for (const std::string& trace_id : trace_ids) {
    if (trace_id.empty()) return absl::InvalidArgumentError("trace id: must not be empty");
  }
  return absl::OkStatus();
}

absl::Status ValidateWorkflowRuns(std::string_view project, const std::vector<WorkflowRun>& runs) {
  if (project.empty()) return absl::InvalidArgumentError("project: required");
  for (const WorkflowRun& run : runs) {
    if (run.trace_id.empty()) return absl::InvalidArgumentError("workflow run: trace_id required");
    if (run.name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("workflow run of trace ", run.trace_id, ": name required"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateWorkflowRollupQuery(const WorkflowRollupQuery& query) {
  if (query.project.empty()) return absl::InvalidArgumentError("project: required");
  if (query.name.empty()) return absl::InvalidArgumentError("name: required");
  if (query.from_ns != 0 && query.to_ns != 0 && query.from_ns >= query.to_ns) {
    return absl::InvalidArgumentError("from: must be before to");
  }
  return absl::OkStatus();
}

int64_t HourOf(int64_t time_ns) {
  int64_t hour = time_ns / kNanosPerHour;
  if (time_ns % kNanosPerHour < 0) --hour;
  return hour;
}

int64_t DayOf(int64_t time_ns) {
  int64_t day = time_ns / kNanosPerDay;
  if (time_ns % kNanosPerDay < 0) --day;  // floor, not truncation, before 1970
  return day;
}

absl::Status WriteAndWait(Store& store, WriteBatch batch) {
  absl::Notification done;
  absl::Status result;
  store.Write(std::move(batch), [&](absl::Status status) {
    result = std::move(status);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

}  // namespace trackly::store
