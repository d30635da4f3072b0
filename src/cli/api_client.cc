#include "cli/api_client.h"

#include <boost/beast/http.hpp>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"

namespace trackly::cli {

namespace http = boost::beast::http;

absl::StatusOr<std::unique_ptr<ApiClient>> ApiClient::Create(ApiClientOptions options) {
  // The URL rules of the OTLP exporter's endpoint; its path is the base path + "/v1/traces".
  TRACKLY_ASSIGN_OR_RETURN(HttpEndpoint endpoint, ParseOtlpEndpoint(options.url));
  constexpr std::string_view kOtlpSuffix = "/v1/traces";
  if (absl::EndsWith(endpoint.path, Sv(kOtlpSuffix))) endpoint.path.resize(endpoint.path.size() - kOtlpSuffix.size());
  return std::unique_ptr<ApiClient>(new ApiClient(std::move(options), std::move(endpoint)));
}

ApiClient::ApiClient(ApiClientOptions options, HttpEndpoint endpoint)
    : options_(std::move(options)), endpoint_(std::move(endpoint)), connection_(endpoint_.host, endpoint_.port) {}

ApiClient::~ApiClient() = default;

absl::StatusOr<ApiResponse> ApiClient::Get(std::string_view target, absl::Duration timeout) {
  KeepAliveHttpConnection::Request request{http::verb::get, absl::StrCat(endpoint_.path, Sv(target)), 11};
  request.set(http::field::host, absl::StrCat(endpoint_.host, ":", endpoint_.port));
  request.set(http::field::user_agent, "trackly-cli");
  if (!options_.api_key.empty()) request.set(http::field::authorization, absl::StrCat("Bearer ", options_.api_key));
  request.keep_alive(true);
  TRACKLY_ASSIGN_OR_RETURN(KeepAliveHttpConnection::Response response,
                           connection_.Exchange(request, options_.connect_timeout, timeout));
  return ApiResponse{.http_status = static_cast<int>(response.result_int()), .body = std::move(response.body())};
}

}  // namespace trackly::cli
