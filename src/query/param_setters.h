// How every query-string endpoint reads its parameters (query_params.h and the live tail's
// server/tail_handler.h): a table of setters, one per parameter name, applied to a request.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "query/query_params.h"

namespace trackly::query {

// Sets one field of a request from a parameter value, or says why the value is bad (ApplyParams
// prefixes the parameter name).
template <typename Request>
using ParamSetter = std::function<absl::Status(std::string_view value, Request& request)>;
template <typename Request>
using ParamSetters = std::map<std::string, ParamSetter<Request>, std::less<>>;

// A finite number >= 0 into *out; else "must be a non-negative number".
absl::Status ParseNonNegative(std::string_view value, double* out);

// Applies `params` in order. An empty value means "not given". InvalidArgument naming the
// parameter for an unknown or repeated one or a bad value (`parameter 'limit' must be …, got
// '0'`), and for a request with a time range (from_ns, to_ns) whose from is not before its to.
template <typename Request>
absl::Status ApplyParams(const QueryParams& params, const ParamSetters<Request>& setters, Request& request) {
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
    if (absl::Status status = it->second(value, request); !status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter '", name, "' ", status.message(), ", got '", value, "'"));
    }
  }
  if constexpr (requires { request.from_ns; }) {
    if (request.from_ns != 0 && request.to_ns != 0 && request.from_ns >= request.to_ns) {
      return absl::InvalidArgumentError("parameter 'from' must be before 'to'");
    }
  }
  return absl::OkStatus();
}

}  // namespace trackly::query
