#include "cli/otlp_http_exporter.h"

#include <boost/beast/http.hpp>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "cli/keep_alive_http.h"
#include "cli/otlp_request.h"
#include "model/json.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace trackly::cli {
namespace {

namespace http = boost::beast::http;

int64_t RejectedSpans(OtlpFormat format, const std::string& body) {
  if (body.empty()) return 0;
  if (format == OtlpFormat::kProtobuf) {
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
    if (!response.ParseFromString(body)) return 0;
    return response.partial_success().rejected_spans();
  }
  model::Json json = model::Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return 0;
  auto partial = json.find("partialSuccess");
  if (partial == json.end() || !partial->is_object()) return 0;
  auto rejected = partial->find("rejectedSpans");
  if (rejected == partial->end()) return 0;
  if (rejected->is_number_integer()) return rejected->get<int64_t>();
  int64_t n = 0;
  if (rejected->is_string() && absl::SimpleAtoi(rejected->get<std::string>(), &n)) return n;
  return 0;
}

}  // namespace

absl::StatusOr<OtlpFormat> ParseOtlpFormat(std::string_view text) {
  if (text == "json") return OtlpFormat::kJson;
  if (text == "protobuf" || text == "proto") return OtlpFormat::kProtobuf;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format '", Sv(text), "' (expected json or protobuf)"));
}

absl::StatusOr<HttpEndpoint> ParseOtlpEndpoint(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (absl::StartsWithIgnoreCase(Sv(url), "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("endpoint '", Sv(url), "': https is not supported here; use http://"));
  }
  if (!absl::StartsWithIgnoreCase(Sv(url), Sv(kScheme))) {
    return absl::InvalidArgumentError(
        absl::StrCat("endpoint '", Sv(url), "' must start with http://"));
  }
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view base_path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!base_path.empty() && base_path.back() == '/') base_path.remove_suffix(1);

  HttpEndpoint endpoint;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("endpoint '", Sv(url), "': unclosed '['"));
    }
    endpoint.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return absl::InvalidArgumentError(absl::StrCat("endpoint '", Sv(url), "': bad port"));
      }
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (endpoint.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("endpoint '", Sv(url), "' has no host"));
  }
  int port_number = 80;
  if (!port.empty() && (!absl::SimpleAtoi(Sv(port), &port_number) || port_number <= 0 ||
                        port_number > 65535)) {
    return absl::InvalidArgumentError(absl::StrCat("endpoint '", Sv(url), "': bad port '",
                                                   Sv(port), "'"));
  }
  endpoint.port = absl::StrCat(port_number);
  endpoint.path = absl::StrCat(Sv(base_path), "/v1/traces");
  return endpoint;
}

absl::StatusOr<std::unique_ptr<OtlpHttpExporter>> OtlpHttpExporter::Create(
    OtlpHttpExporterOptions options) {
  TRACKLY_ASSIGN_OR_RETURN(HttpEndpoint endpoint, ParseOtlpEndpoint(options.endpoint));
  return std::unique_ptr<OtlpHttpExporter>(
      new OtlpHttpExporter(std::move(options), std::move(endpoint)));
}

OtlpHttpExporter::OtlpHttpExporter(OtlpHttpExporterOptions options, HttpEndpoint endpoint)
    : options_(std::move(options)),
      endpoint_(std::move(endpoint)),
      connection_(std::make_unique<KeepAliveHttpConnection>(endpoint_.host, endpoint_.port)) {}

OtlpHttpExporter::~OtlpHttpExporter() = default;

absl::StatusOr<ExportResponse> OtlpHttpExporter::Export(std::span<const model::RawSpan> spans) {
  std::string body;
  if (options_.format == OtlpFormat::kJson) {
    body = model::DumpJson(EncodeOtlpJson(spans));
  } else {
    TRACKLY_ASSIGN_OR_RETURN(body, EncodeOtlpProtobuf(spans));
  }
  KeepAliveHttpConnection::Request request{http::verb::post, endpoint_.path, 11};
  request.set(http::field::host, absl::StrCat(endpoint_.host, ":", endpoint_.port));
  request.set(http::field::user_agent, "trackly-demo");
  request.set(http::field::content_type, options_.format == OtlpFormat::kJson
                                             ? "application/json"
                                             : "application/x-protobuf");
  if (!options_.api_key.empty()) {
    request.set(http::field::authorization, absl::StrCat("Bearer ", options_.api_key));
  }
  request.keep_alive(true);
  request.body() = std::move(body);
  request.prepare_payload();
  // Ingest is idempotent, so the connection may send it twice (a reused connection's retry).
  TRACKLY_ASSIGN_OR_RETURN(KeepAliveHttpConnection::Response response,
                           connection_->Exchange(request, options_.timeout, options_.timeout));
  ExportResponse out;
  out.http_status = static_cast<int>(response.result_int());
  out.body = std::move(response.body());
  if (out.http_status == 200) out.rejected_spans = RejectedSpans(options_.format, out.body);
  return out;
}

}  // namespace trackly::cli
