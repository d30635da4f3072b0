#include "server/http_server.h"

#include <future>
#include <mutex>

#include "gtest/gtest.h"
#include "server/http_test_client.h"

namespace trackly::server {
namespace {

// Echoes the body; /client answers the client's address; POST /hold keeps the responder until
// the test releases it.
class HttpServerTest : public testing::Test {
 protected:
  void StartServer(ConnectionLimits limits = {}) {
    HttpServerOptions options;
    options.io_threads = 2;
    options.limits = limits;
    absl::StatusOr<std::unique_ptr<HttpServer>> server =
        HttpServer::Start(options, [this](HttpRequest request,
                                          const boost::asio::ip::address& client,
                                          Responder respond) {
          if (request.target() == "/client") {
            return respond(BodyResponse(http::status::ok, "text/plain", client.to_string()));
          }
          if (request.target() == "/hold") {
            std::lock_guard<std::mutex> lock(mu_);
            held_ = std::move(respond);
            held_promise_.set_value();
            return;
          }
          respond(BodyResponse(http::status::ok, "text/plain", request.body()));
        });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::mutex mu_;
  Responder held_;
  std::promise<void> held_promise_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, BindsAFreePortAndKeepsConnectionsAlive) {
  StartServer();
  ASSERT_NE(server_->endpoint().port(), 0);
  HttpTestClient client(server_->endpoint());
  for (std::string body : {"one", "two", "three"}) {
    std::optional<HttpResponse> response =
        client.Send(MakeRequest(http::verb::post, "/echo", {}, body));
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->result(), http::status::ok);
    EXPECT_EQ(response->body(), body);
    EXPECT_TRUE(response->keep_alive());
    EXPECT_EQ((*response)["X-Content-Type-Options"], "nosniff");
    EXPECT_EQ(response->count(http::field::access_control_allow_origin), 0u);
  }
}

TEST_F(HttpServerTest, RefusesContentLengthAboveCapBeforeReadingBody) {
  StartServer(ConnectionLimits{.max_body_bytes = 100});
  HttpTestClient client(server_->endpoint());
  client.SendRaw("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n");
  std::optional<HttpResponse> response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result(), http::status::payload_too_large);
  EXPECT_FALSE(response->keep_alive());
}

TEST_F(HttpServerTest, RefusesChunkedBodyAboveCap) {
  StartServer(ConnectionLimits{.max_body_bytes = 10});
  HttpTestClient client(server_->endpoint());
  client.SendRaw(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "14\r\n01234567890123456789\r\n0\r\n\r\n");
  std::optional<HttpResponse> response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result(), http::status::payload_too_large);
}

TEST_F(HttpServerTest, RefusesOversizedHeaders) {
  StartServer(ConnectionLimits{.max_header_bytes = 1024});
  HttpTestClient client(server_->endpoint());
  std::optional<HttpResponse> response = client.Send(
      MakeRequest(http::verb::get, "/echo", {{"X-Big", std::string(4000, 'a')}}));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result(), http::status::request_header_fields_too_large);
}

TEST_F(HttpServerTest, MalformedRequestIsBadRequest) {
  StartServer();
  HttpTestClient client(server_->endpoint());
  client.SendRaw("GET /echo HTTP/1.1\r\nHost: t\r\nContent-Length: nope\r\n\r\n");
  std::optional<HttpResponse> response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result(), http::status::bad_request);
}

TEST_F(HttpServerTest, IdleConnectionIsClosed) {
  StartServer(ConnectionLimits{.idle_timeout = std::chrono::milliseconds(20)});
  HttpTestClient client(server_->endpoint());
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, SlowRequestIsClosed) {
  StartServer(ConnectionLimits{.read_timeout = std::chrono::milliseconds(20)});
  HttpTestClient client(server_->endpoint());
  client.SendRaw("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, SlowHeadersAreClosed) {
  StartServer(ConnectionLimits{.idle_timeout = std::chrono::minutes(10),
                               .read_timeout = std::chrono::milliseconds(20)});
  HttpTestClient client(server_->endpoint());
  client.SendRaw("GET /echo HTTP/1.1\r\nHost: t\r\nX-Slow: 1\r\n");  // headers never end
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, HandlerSeesTheClientAddress) {
  StartServer();
  HttpTestClient client(server_->endpoint());
  std::optional<HttpResponse> response = client.Send(MakeRequest(http::verb::get, "/client"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body(), "127.0.0.1");
}

TEST_F(HttpServerTest, ShutdownAnswersRequestsInFlightThenCloses) {
  StartServer();
  HttpTestClient idle(server_->endpoint());
  HttpTestClient busy(server_->endpoint());
  // Make sure the idle connection has been accepted before shutting down.
  ASSERT_TRUE(idle.Send(MakeRequest(http::verb::get, "/echo")).has_value());
  busy.SendRaw("POST /hold HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  held_promise_.get_future().wait();

  server_->BeginShutdown();
  EXPECT_TRUE(idle.WaitForClose());
  {
    std::lock_guard<std::mutex> lock(mu_);
    held_(BodyResponse(http::status::ok, "text/plain", "late"));
  }
  std::optional<HttpResponse> response = busy.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body(), "late");
  EXPECT_FALSE(response->keep_alive());
  busy.Close();
  server_->Wait();
}

TEST_F(HttpServerTest, ExceedingMaxConnectionsClosesNewConnections) {
  HttpServerOptions options;
  options.max_connections = 1;
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, [](HttpRequest, const boost::asio::ip::address&,
                                    Responder respond) {
        respond(BodyResponse(http::status::ok, "text/plain", "ok"));
      });
  ASSERT_TRUE(server.ok());
  HttpTestClient first((*server)->endpoint());
  ASSERT_TRUE(first.Send(MakeRequest(http::verb::get, "/")).has_value());
  HttpTestClient second((*server)->endpoint());
  EXPECT_TRUE(second.WaitForClose());
}

TEST_F(HttpServerTest, BindFailureIsUnavailable) {
  StartServer();
  HttpServerOptions options;
  options.port = server_->endpoint().port();
  absl::StatusOr<std::unique_ptr<HttpServer>> second =
      HttpServer::Start(options, [](HttpRequest, const boost::asio::ip::address&, Responder) {});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace trackly::server
