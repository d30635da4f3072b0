#include "query/insight.h"

#include <vector>

#include "analysis/critical_path.h"
#include "analysis/pathologies.h"
#include "analysis/run_profile.h"
#include "model/time_format.h"

namespace trackly::query {
namespace {

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

model::Json ProfileJson(const analysis::RunProfile& p) {
  return model::Json{{"observations", p.observations},
                     {"model_calls", p.model_calls},
                     {"tool_calls", p.tool_calls},
                     {"retrievals", p.retrievals},
                     {"retries", p.retries},
                     {"errors", p.errors},
                     {"max_depth", p.max_depth},
                     {"planning_iterations", p.planning_iterations},
                     {"stop_reason", analysis::ToString(p.stop_reason)},
                     {"stop_observation_id",
                      p.stop_observation_id.empty() ? model::Json(nullptr) : model::Json(p.stop_observation_id)},
                     {"stop_evidence", p.stop_evidence}};
}

}  // namespace

model::Json TraceInsightJson(const store::TraceDetail& detail, int64_t now_ns) {
  const std::vector<model::Observation>& observations = detail.observations;
  model::Json path = model::Json::array();
  for (const analysis::PathSegment& segment : analysis::CriticalPath(observations)) {
    path.push_back({{"observation_id", segment.observation_id.empty() ? model::Json(nullptr)
                                                                       : model::Json(segment.observation_id)},
                    {"start", model::FormatRfc3339Micros(segment.start_ns)},
                    {"end", model::FormatRfc3339Micros(segment.end_ns)},
                    {"duration_ms", Ms(segment.end_ns - segment.start_ns)}});
  }
  model::Json self = model::Json::object();
  for (const analysis::SpanTiming& timing : analysis::SelfTimes(observations)) {
    self[timing.observation_id] = Ms(timing.self_ns);
  }
  model::Json findings = model::Json::array();
  for (const analysis::Finding& finding :
       analysis::DetectPathologies(observations, analysis::PathologyOptions(), now_ns)) {
    findings.push_back({{"kind", analysis::ToString(finding.kind)},
                        {"message", finding.message},
                        {"observation_ids", finding.observation_ids}});
  }
  return model::Json{{"trace_id", detail.trace.id},
                     {"profile", ProfileJson(analysis::ProfileRun(observations))},
                     {"critical_path", std::move(path)},
                     {"self_ms", std::move(self)},
                     {"findings", std::move(findings)}};
}

}  // namespace trackly::query
