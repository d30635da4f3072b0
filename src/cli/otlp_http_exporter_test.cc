#include "cli/otlp_http_exporter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "cli/demo_runs.h"
#include "ingest/otlp/otlp_proto_decoder.h"

namespace trackly::cli {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using ::testing::HasSubstr;

struct EndpointCase {
  std::string url;
  std::string host;
  std::string port;
  std::string path;
};

TEST(ParseOtlpEndpointTest, AcceptsBaseUrls) {
  const std::vector<EndpointCase> cases = {
      {"http://127.0.0.1:4318", "127.0.0.1", "4318", "/v1/traces"},
      {"http://localhost:4318/", "localhost", "4318", "/v1/traces"},
      {"http://example.com", "example.com", "80", "/v1/traces"},
      {"http://h:9000/api/public/otel", "h", "9000", "/api/public/otel/v1/traces"},
      {"HTTP://[::1]:4318", "::1", "4318", "/v1/traces"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<HttpEndpoint> endpoint = ParseOtlpEndpoint(c.url);
    ASSERT_TRUE(endpoint.ok()) << c.url << ": " << endpoint.status();
    EXPECT_EQ(endpoint->host, c.host) << c.url;
    EXPECT_EQ(endpoint->port, c.port) << c.url;
    EXPECT_EQ(endpoint->path, c.path) << c.url;
  }
}

TEST(ParseOtlpEndpointTest, RejectsWhatItCannotSendTo) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"https://cloud.example.com", "https is not supported"},
      {"127.0.0.1:4318", "must start with http://"},
      {"http://:4318", "has no host"},
      {"http://h:99999", "bad port"},
      {"http://h:abc", "bad port"},
      {"http://[::1", "unclosed"},
  };
  for (const auto& [url, message] : cases) {
    absl::StatusOr<HttpEndpoint> endpoint = ParseOtlpEndpoint(url);
    ASSERT_TRUE(absl::IsInvalidArgument(endpoint.status())) << url;
    EXPECT_THAT(endpoint.status().message(), HasSubstr(message)) << url;
  }
}

TEST(ParseOtlpFormatTest, KnowsJsonAndProtobuf) {
  EXPECT_EQ(*ParseOtlpFormat("json"), OtlpFormat::kJson);
  EXPECT_EQ(*ParseOtlpFormat("protobuf"), OtlpFormat::kProtobuf);
  EXPECT_TRUE(absl::IsInvalidArgument(ParseOtlpFormat("xml").status()));
}

// A one-shot HTTP server on an ephemeral port: accepts one connection, records each request and
// answers with the given status and body.
class FakeOtlpServer {
 public:
  FakeOtlpServer(int status, std::string body, int requests)
      : acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, status, body = std::move(body), requests] {
      beast::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec) return;
      beast::flat_buffer buffer;
      for (int i = 0; i < requests; ++i) {
        http::request<http::string_body> request;
        http::read(socket, buffer, request, ec);
        if (ec) return;
        requests_.push_back(request);
        http::response<http::string_body> response{static_cast<http::status>(status), 11};
        response.set(http::field::content_type, "application/json");
        response.body() = body;
        response.keep_alive(true);
        response.prepare_payload();
        http::write(socket, response, ec);
      }
    });
  }
  ~FakeOtlpServer() { Join(); }

  // Waits until the server has answered all its requests.
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Only after Join().
  const std::vector<http::request<http::string_body>>& requests() const { return requests_; }

 private:
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::vector<http::request<http::string_body>> requests_;
  std::thread thread_;
};

constexpr int64_t kNow = 1'795'314'529'557'000'000;

TEST(OtlpHttpExporterTest, PostsProtobufWithBearerKeyOnOneConnection) {
  FakeOtlpServer server(200, "", 2);
  std::vector<DemoRun> runs = DemoRunBuilder(kNow, 5).All();
  auto exporter = OtlpHttpExporter::Create({.endpoint = server.url(), .api_key = "tk-abc-secret"});
  ASSERT_TRUE(exporter.ok());
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<ExportResponse> response = (*exporter)->Export(runs[i].spans);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->http_status, 200);
    EXPECT_EQ(response->rejected_spans, 0);
  }
  server.Join();
  ASSERT_EQ(server.requests().size(), 2u);
  const auto& request = server.requests()[0];
  EXPECT_EQ(request.method(), http::verb::post);
  EXPECT_EQ(request.target(), "/v1/traces");
  EXPECT_EQ(request[http::field::content_type], "application/x-protobuf");
  EXPECT_EQ(request[http::field::authorization], "Bearer tk-abc-secret");
  absl::StatusOr<model::SpanBatch> batch =
      ingest::OtlpProtoDecoder().Decode(request.body(), ingest::DecodeLimits{});
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->spans.size(), runs[0].spans.size());
}

TEST(OtlpHttpExporterTest, ReturnsNon200AnswersAndPartialSuccess) {
  {
    FakeOtlpServer server(401, R"({"error":{"code":"unauthenticated","message":"unknown API key"}})", 1);
    auto exporter = OtlpHttpExporter::Create({.endpoint = server.url(), .format = OtlpFormat::kJson});
    ASSERT_TRUE(exporter.ok());
    absl::StatusOr<ExportResponse> response = (*exporter)->Export(DemoRunBuilder(kNow, 5).ToolAgentWithRetry().spans);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->http_status, 401);
    EXPECT_THAT(response->body, HasSubstr("unknown API key"));
    server.Join();
    EXPECT_EQ(server.requests()[0][http::field::content_type], "application/json");
  }
  {
    FakeOtlpServer server(200, R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"bad ids"}})", 1);
    auto exporter = OtlpHttpExporter::Create({.endpoint = server.url(), .format = OtlpFormat::kJson});
    ASSERT_TRUE(exporter.ok());
    absl::StatusOr<ExportResponse> response = (*exporter)->Export(DemoRunBuilder(kNow, 5).ToolAgentWithRetry().spans);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->rejected_spans, 2);
  }
}

TEST(OtlpHttpExporterTest, UnreachableServerIsUnavailable) {
  // Bind a port, then close it, so nothing listens there.
  unsigned short port;
  {
    boost::asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }
  auto exporter = OtlpHttpExporter::Create({.endpoint = "http://127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(exporter.ok());
  absl::StatusOr<ExportResponse> response = (*exporter)->Export(DemoRunBuilder(kNow, 5).ResearchAssistant().spans);
  ASSERT_TRUE(absl::IsUnavailable(response.status())) << response.status();
  EXPECT_THAT(response.status().message(), HasSubstr("cannot connect to http://127.0.0.1:"));
}

}  // namespace
}  // namespace trackly::cli
