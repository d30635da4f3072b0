// The read side of Query API v1 (docs/api.md): validates parameters, asks the Store, and shapes
// the JSON answer. Every call is scoped to one project, which the caller took from the
// credential.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "model/json.h"
#include "query/query_params.h"
#include "store/store.h"

namespace trackly::query {

// Thread-safe (the Store is). Reads run on the calling thread.
class QueryService {
 public:
  explicit QueryService(store::Store& store) : store_(store) {}

  // {"data":[Trace], "next_cursor": string|null}. InvalidArgument names a bad parameter.
  absl::StatusOr<model::Json> ListTraces(std::string_view project, const QueryParams& params);
  // {"trace": Trace, "observations": [Observation]}. NotFound when not in `project`.
  absl::StatusOr<model::Json> GetTrace(std::string_view project, std::string_view trace_id);
  // {"data":[Session], "next_cursor": string|null}.
  absl::StatusOr<model::Json> ListSessions(std::string_view project, const QueryParams& params);
  // {"session": Session, "traces": [Trace]}. NotFound when not in `project`.
  absl::StatusOr<model::Json> GetSession(std::string_view project, std::string_view session_id);

 private:
  store::Store& store_;
};

}  // namespace trackly::query
