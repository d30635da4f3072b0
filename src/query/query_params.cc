#include "query/query_params.h"

#include <cmath>
#include <functional>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/time_format.h"

namespace trackly::query {
namespace {


// Sets one field of a query from a parameter value, or says why the value is bad (the caller
// prefixes the parameter name).
template <typename Query>
using Setter = std::function<absl::Status(std::string_view value, Query& query)>;

absl::Status ParseLimit(std::string_view value, int* out) {
  int limit = 0;
  if (!absl::SimpleAtoi(Sv(value), &limit) || limit < 1 || limit > store::kMaxListLimit) {
    return absl::InvalidArgumentError(absl::StrCat("must be an integer from 1 to ", store::kMaxListLimit));
  }
  *out = limit;
  return absl::OkStatus();
}

absl::Status ParseTime(std::string_view value, int64_t* out) {
  absl::StatusOr<int64_t> ns = model::ParseTimestamp(value);
  if (!ns.ok()) {
    return absl::InvalidArgumentError("must be an RFC 3339 time or a Unix timestamp");
  }
  *out = *ns;
  return absl::OkStatus();
}

absl::Status ParseNonNegative(std::string_view value, double* out) {
  double number = 0;
  if (!absl::SimpleAtod(Sv(value), &number) || !std::isfinite(number) || number < 0) {
    return absl::InvalidArgumentError("must be a non-negative number");
  }
  *out = number;
  return absl::OkStatus();
}

template <typename Query>
Setter<Query> Text(std::string Query::*member) {
  return [member](std::string_view value, Query& query) {
    query.*member = std::string(value);
    return absl::OkStatus();
  };
}

template <typename Query>
std::map<std::string, Setter<Query>, std::less<>> CommonSetters() {
  return {
      {"from", [](std::string_view v, Query& q) { return ParseTime(v, &q.from_ns); }},
      {"to", [](std::string_view v, Query& q) { return ParseTime(v, &q.to_ns); }},
      {"limit", [](std::string_view v, Query& q) { return ParseLimit(v, &q.limit); }},
      {"cursor", Text(&Query::cursor)},
      {"user_id", Text(&Query::user_id)},
  };
}

const std::map<std::string, Setter<store::TraceQuery>, std::less<>>& TraceSetters() {
  using Q = store::TraceQuery;
  static const auto* const setters = [] {
    auto* out = new std::map<std::string, Setter<Q>, std::less<>>(CommonSetters<Q>());
    out->insert({
        {"name", Text(&Q::name)},
        {"session_id", Text(&Q::session_id)},
        {"environment", Text(&Q::environment)},
        {"release", Text(&Q::release)},
        {"tag", Text(&Q::tag)},
        {"model", Text(&Q::model)},
        {"q", Text(&Q::text)},
        {"status",
         [](std::string_view v, Q& q) {
           model::Status status;
           if (!model::ParseStatus(v, &status)) {
             return absl::InvalidArgumentError(
                 "must be one of ok, error, timeout, cancelled, skipped, unset");
           }
           q.status = status;
           return absl::OkStatus();
         }},
        {"min_latency_ms",
         [](std::string_view v, Q& q) { return ParseNonNegative(v, &q.min_latency_ms); }},
        {"min_cost", [](std::string_view v, Q& q) { return ParseNonNegative(v, &q.min_cost); }},
        {"order",
         [](std::string_view v, Q& q) {
           if (v != "asc" && v != "desc") return absl::InvalidArgumentError("must be asc or desc");
           q.oldest_first = v == "asc";
           return absl::OkStatus();
         }},
    });
    return out;
  }();
  return *setters;
}

const std::map<std::string, Setter<store::SessionQuery>, std::less<>>& SessionSetters() {
  static const auto* const setters =
      new std::map<std::string, Setter<store::SessionQuery>, std::less<>>(
          CommonSetters<store::SessionQuery>());
  return *setters;
}

template <typename Query>
absl::Status Apply(const QueryParams& params,
                   const std::map<std::string, Setter<Query>, std::less<>>& setters, Query& query) {
  std::map<std::string_view, bool> seen;
  for (const auto& [name, value] : params) {
    auto it = setters.find(name);
    if (it == setters.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", name, "'"));
    }
    if (seen[it->first]) {
      return absl::InvalidArgumentError(absl::StrCat("parameter '", name, "' is repeated"));
    }
    seen[it->first] = true;
    if (value.empty()) continue;
    if (absl::Status status = it->second(value, query); !status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter '", name, "' ", status.message(), ", got '", value, "'"));
    }
  }
  if (query.from_ns != 0 && query.to_ns != 0 && query.from_ns >= query.to_ns) {
    return absl::InvalidArgumentError("parameter 'from' must be before 'to'");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<store::TraceQuery> ParseTraceQuery(const QueryParams& params,
                                                  std::string_view project) {
  store::TraceQuery query;
  query.project = std::string(project);
  TRACKLY_RETURN_IF_ERROR(Apply(params, TraceSetters(), query));
  return query;
}

absl::StatusOr<store::SessionQuery> ParseSessionQuery(const QueryParams& params,
                                                      std::string_view project) {
  store::SessionQuery query;
  query.project = std::string(project);
  TRACKLY_RETURN_IF_ERROR(Apply(params, SessionSetters(), query));
  return query;
}

}  // namespace trackly::query
