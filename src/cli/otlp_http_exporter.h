// A minimal OTLP/HTTP trace exporter: what an OTel SDK's exporter does, for `trackly demo` and the
// load generator in bench/. Plain http:// only (no TLS), one keep-alive connection.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "model/raw_span.h"

namespace trackly::cli {

class KeepAliveHttpConnection;

enum class OtlpFormat { kJson, kProtobuf };

// "json" | "protobuf" (also "proto"); InvalidArgument otherwise.
absl::StatusOr<OtlpFormat> ParseOtlpFormat(std::string_view text);

// Where to send: parsed from a base URL like OTEL_EXPORTER_OTLP_ENDPOINT.
struct HttpEndpoint {
  std::string host;  // without IPv6 brackets
  std::string port;
  std::string path;  // the base path + "/v1/traces"
};

// "http://HOST[:PORT][/BASE]" (port defaults to 80; IPv6 hosts in brackets). InvalidArgument
// naming the problem for anything else, including https://.
absl::StatusOr<HttpEndpoint> ParseOtlpEndpoint(std::string_view url);

struct OtlpHttpExporterOptions {
  std::string endpoint = "http://127.0.0.1:4318";  // base URL; "/v1/traces" is appended
  std::string api_key;                              // sent as "Authorization: Bearer <key>"
  OtlpFormat format = OtlpFormat::kProtobuf;        // request (and response) encoding
  absl::Duration timeout = absl::Seconds(10);       // per connect / write / read
};

// What the server answered.
struct ExportResponse {
  int http_status = 0;
  std::string body;
  // From a 200 reply's partial_success (wire-formats.md §1.2); 0 when unset or not parsable.
  int64_t rejected_spans = 0;
};

// Not thread-safe: one exporter per thread.
class OtlpHttpExporter {
 public:
  // InvalidArgument for a bad endpoint.
  static absl::StatusOr<std::unique_ptr<OtlpHttpExporter>> Create(OtlpHttpExporterOptions options);
  ~OtlpHttpExporter();

  // Encodes `spans` and POSTs them. Returns the server's answer whatever its HTTP status (the
  // caller decides what a non-200 means); Unavailable when the server cannot be reached or does
  // not answer within the timeout; InvalidArgument when the spans cannot be encoded. A failure on
  // a reused keep-alive connection is retried once on a fresh one (ingest is idempotent).
  absl::StatusOr<ExportResponse> Export(std::span<const model::RawSpan> spans);

 private:
  OtlpHttpExporter(OtlpHttpExporterOptions options, HttpEndpoint endpoint);

  OtlpHttpExporterOptions options_;
  HttpEndpoint endpoint_;
  std::unique_ptr<KeepAliveHttpConnection> connection_;  // cli/keep_alive_http.h
};

}  // namespace trackly::cli
