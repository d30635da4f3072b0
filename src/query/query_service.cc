#include "query/query_service.h"

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/codec.h"

namespace trackly::query {
namespace {

// Ids longer than this are not ids any client sends; refusing them keeps them out of lookups.
constexpr size_t kMaxIdBytes = 512;

absl::Status CheckId(std::string_view what, std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(Sv(what), " must be 1 to ", kMaxIdBytes, " bytes long"));
  }
  return absl::OkStatus();
}

model::Json CursorJson(const std::string& cursor) {
  return cursor.empty() ? model::Json(nullptr) : model::Json(cursor);
}

template <typename T>
model::Json ArrayJson(const std::vector<T>& items) {
  model::Json out = model::Json::array();
  for (const T& item : items) out.push_back(model::ToJson(item));
  return out;
}

}  // namespace

absl::StatusOr<model::Json> QueryService::ListTraces(std::string_view project,
                                                     const QueryParams& params) {
  TRACKLY_ASSIGN_OR_RETURN(store::TraceQuery query, ParseTraceQuery(params, project));
  if (!query.text.empty() && !store_.capabilities().full_text_search) {
    return absl::InvalidArgumentError(
        "parameter 'q' is not supported: this store has no full-text search");
  }
  TRACKLY_ASSIGN_OR_RETURN(store::TracePage page, store_.ListTraces(query));
  return model::Json{{"data", ArrayJson(page.traces)}, {"next_cursor", CursorJson(page.next_cursor)}};
}

absl::StatusOr<model::Json> QueryService::GetTrace(std::string_view project,
                                                   std::string_view trace_id) {
  TRACKLY_RETURN_IF_ERROR(CheckId("trace id", trace_id));
  TRACKLY_ASSIGN_OR_RETURN(store::TraceDetail detail, store_.GetTrace(project, trace_id));
  return model::Json{{"trace", model::ToJson(detail.trace)},
                     {"observations", ArrayJson(detail.observations)}};
}

absl::StatusOr<model::Json> QueryService::ListSessions(std::string_view project,
                                                       const QueryParams& params) {
  TRACKLY_ASSIGN_OR_RETURN(store::SessionQuery query, ParseSessionQuery(params, project));
  TRACKLY_ASSIGN_OR_RETURN(store::SessionPage page, store_.ListSessions(query));
  return model::Json{{"data", ArrayJson(page.sessions)},
                     {"next_cursor", CursorJson(page.next_cursor)}};
}

absl::StatusOr<model::Json> QueryService::GetSession(std::string_view project,
                                                     std::string_view session_id) {
  TRACKLY_RETURN_IF_ERROR(CheckId("session id", session_id));
  TRACKLY_ASSIGN_OR_RETURN(store::SessionDetail detail, store_.GetSession(project, session_id));
  return model::Json{{"session", model::ToJson(detail.session)},
                     {"traces", ArrayJson(detail.traces)}};
}

}  // namespace trackly::query
