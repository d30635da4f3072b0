#include "cli/tail_follower.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "cli/trace_view.h"
#include "model/json.h"

namespace trackly::cli {
namespace {

// RFC 3986 unreserved characters stay; every other byte is %XX.
std::string PercentEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

// Whether an answer with this status may be followed by a good one without the user doing
// anything: overload, a restart, a proxy's gateway error.
bool WillPass(int http_status) { return http_status == 429 || http_status == 408 || http_status >= 500; }

// The message of an API error body, else the start of the body.
std::string ErrorMessage(const ApiResponse& response) {
  model::Json body = model::Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("error") && body["error"].is_object() && body["error"].contains("message") &&
      body["error"]["message"].is_string()) {
    return body["error"]["message"].get<std::string>();
  }
  return response.body.substr(0, 200);
}

}  // namespace

absl::StatusOr<query::QueryParams> ParseTailFilters(const std::vector<std::string>& flags) {
  query::QueryParams params;
  for (const std::string& flag : flags) {
    const size_t equals = flag.find('=');
    if (equals == std::string::npos || equals == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--filter '", flag, "': expected NAME=VALUE, e.g. --filter type=generation"));
    }
    params.emplace_back(flag.substr(0, equals), flag.substr(equals + 1));
  }
  return params;
}

std::string TailTarget(const TailFollowOptions& options, std::optional<int64_t> after) {
  std::string target = absl::StrCat("/api/v1/tail?wait_ms=", after ? options.wait_ms : 0, "&limit=", options.limit);
  if (after) absl::StrAppend(&target, "&after=", *after);
  for (const auto& [name, value] : options.filters) {
    absl::StrAppend(&target, "&", PercentEncode(name), "=", PercentEncode(value));
  }
  return target;
}

absl::Status FollowTail(const TailFollowOptions& options, const TailFetch& fetch, const TailSleep& sleep,
                        std::ostream& out, std::ostream& err) {
  std::optional<int64_t> after;
  absl::Duration retry = options.first_retry;
  bool following = false;
  while (true) {
    absl::StatusOr<ApiResponse> response = fetch(TailTarget(options, after));
    if (absl::IsCancelled(response.status())) return absl::OkStatus();
    std::string problem;
    if (!response.ok()) {
      problem = std::string(response.status().message());
    } else if (response->http_status != 200) {
      if (!WillPass(response->http_status)) {
        return absl::InvalidArgumentError(
            absl::StrCat("the server answered HTTP ", response->http_status, ": ", ErrorMessage(*response)));
      }
      problem = absl::StrCat("HTTP ", response->http_status, ": ", ErrorMessage(*response));
    }
    model::Json body;
    if (problem.empty()) {
      body = model::Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
      if (!body.is_object() || !body.contains("data") || !body["data"].is_array() || !body.contains("next") ||
          !body["next"].is_number_integer()) {
        problem = absl::StrCat("unexpected answer: ", response->body.substr(0, 200));
      }
    }
    if (!problem.empty()) {
      // Retried from where it stood: the server reports what fell off meanwhile as dropped.
      err << "trackly: tail: " << problem << "; retrying in " << absl::FormatDuration(retry) << std::endl;
      sleep(retry);
      retry = std::min(retry * 2, options.max_retry);
      continue;
    }
    retry = options.first_retry;
    if (!following) {
      err << "trackly: following the live tail (Ctrl-C stops)" << std::endl;
      following = true;
    }
    const int64_t dropped = body.value("dropped", int64_t{0});
    if (dropped > 0) {
      (options.json ? err : out) << "… " << dropped << (dropped == 1 ? " span" : " spans")
                                 << " dropped: the tail fell behind or the server kept none" << "\n";
    }
    for (const model::Json& entry : body["data"]) {
      out << (options.json ? model::DumpJson(entry) : FormatTailLine(entry)) << "\n";
    }
    out.flush();
    after = body["next"].get<int64_t>();
  }
}

}  // namespace trackly::cli
