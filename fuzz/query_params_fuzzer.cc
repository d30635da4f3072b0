// Raw request targets ("/api/v1/traces?limit=10&cursor=...") through server::ParseRequestTarget,
// then the decoded parameters through every query-parameter parser of the API (trace list,
// sessions, scores, observations, metrics, what-if), cursors included.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "query/query_params.h"
#include "server/request_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trackly;
  absl::StatusOr<server::RequestTarget> target =
      server::ParseRequestTarget(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!target.ok()) return 0;
  const query::QueryParams& params = target->params;
  (void)query::ParseTraceQuery(params, "fuzz");
  (void)query::ParseSessionQuery(params, "fuzz");
  (void)query::ParseScoreQuery(params, "fuzz");
  (void)query::ParseObservationQuery(params, "fuzz", "4d9c0ecc9f3a12846ae99b70de27a657");
  (void)query::ParseMetricsQuery(params, "fuzz");
  (void)query::ParseWhatIfQuery(params);
  return 0;
}
