// GET /api/v1/tail through the assembled server (real SQLite store, real HTTP, the ingest
// handlers writing through the WriteWatchingStore): a waiting request is answered by the caller's
// project's matching span when its write is acknowledged, never by another project's; bad
// parameters are a 400 naming them; the read scope is needed; a request waiting at shutdown is
// answered.
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/json.h"
#include "server/running_app_test_base.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;
using model::Json;

constexpr int64_t kNow = 1'800'000'000'000'000'000;

// One OTLP/JSON span named `name`, with `input` as its input.
std::string OtlpSpan(const std::string& span_id, const std::string& name, const std::string& input = "") {
  Json attributes = Json::array();
  if (!input.empty()) attributes.push_back({{"key", "input.value"}, {"value", {{"stringValue", input}}}});
  Json span = {{"traceId", "4bf92f3577b34da6a3ce929d0e0e4736"},
               {"spanId", span_id},
               {"name", name},
               {"startTimeUnixNano", std::to_string(kNow - 2'000'000'000)},
               {"endTimeUnixNano", std::to_string(kNow - 1'000'000'000)},
               {"attributes", attributes}};
  return Json{{"resourceSpans", {{{"scopeSpans", {{{"spans", {span}}}}}}}}}.dump();
}

class TailApiTest : public RunningAppTestBase {
 protected:
  TailApiTest() : RunningAppTestBase(kNow) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    p1_ = AddKey("p1", store::kScopeIngest | store::kScopeRead);
    p2_ = AddKey("p2", store::kScopeIngest | store::kScopeRead);
    ingest_only_ = AddKey("p1", store::kScopeIngest);
    ServerOptions options;
    options.io_threads = 2;
    StartApp(options);
  }

  Json Get(const std::string& target, const std::string& key) {
    HttpResponse response = SendWithKey(http::verb::get, target, key);
    EXPECT_EQ(response.result(), http::status::ok) << target << ": " << response.body();
    return Json::parse(response.body(), nullptr, false);
  }

  void Ingest(const std::string& key, const std::string& body) {
    HttpResponse response = SendWithKey(http::verb::post, "/v1/traces", key, body);
    ASSERT_EQ(response.result(), http::status::ok) << response.body();
  }

  // Sends `target` with `key` on a connection of its own, on another thread; Answer() joins it
  // and returns the response, or nullopt when the connection failed (the server was stopping).
  class Waiting {
   public:
    Waiting(const boost::asio::ip::tcp::endpoint& endpoint, std::string target, std::string key)
        : thread_([this, endpoint, target = std::move(target), key = std::move(key)] {
            boost::asio::io_context io;
            boost::asio::ip::tcp::socket socket(io);
            boost::system::error_code error;
            socket.connect(endpoint, error);
            HttpRequest request = MakeRequest(http::verb::get, target, {{"Authorization", "Bearer " + key}});
            request.set(http::field::host, "test");
            if (!error) http::write(socket, request, error);
            boost::beast::flat_buffer buffer;
            HttpResponse response;
            if (!error) http::read(socket, buffer, response, error);
            if (!error) response_ = std::move(response);
          }) {}
    std::optional<HttpResponse> Answer() {
      thread_.join();
      return response_;
    }

   private:
    std::optional<HttpResponse> response_;
    std::thread thread_;
  };

  std::string p1_, p2_, ingest_only_;
};

TEST_F(TailApiTest, AWaitingRequestGetsOnlyItsProjectsMatchingSpansAsTheyAreAcknowledged) {
  // From now: nothing yet, and where to follow from; this starts the project's watch.
  const Json start = Get("/api/v1/tail?wait_ms=0", p1_);
  EXPECT_EQ(start["data"], Json::array());
  const int64_t next = start["next"].get<int64_t>();
  Get("/api/v1/tail?wait_ms=0", p2_);

  // The fake clock never ends the wait: only a matching span answers it. (If it is sent after the
  // spans arrive it is answered at once with the same spans.)
  Waiting waiting(app_->endpoint(), absl::StrCat("/api/v1/tail?after=", next, "&wait_ms=30000&name=wanted"), p1_);
  Ingest(p2_, OtlpSpan("00000000000000a1", "wanted", "p2's secret"));
  Ingest(p1_, OtlpSpan("00000000000000b1", "other"));
  Ingest(p1_, OtlpSpan("00000000000000b2", "wanted", "what was asked"));

  std::optional<HttpResponse> answer = waiting.Answer();
  ASSERT_TRUE(answer.has_value());
  ASSERT_EQ(answer->result(), http::status::ok) << answer->body();
  const Json body = Json::parse(answer->body());
  ASSERT_EQ(body["data"].size(), 1u) << body.dump();
  const Json& entry = body["data"][0];
  EXPECT_EQ(entry["id"], "00000000000000b2");
  EXPECT_EQ(entry["name"], "wanted");
  EXPECT_EQ(entry["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(entry["input_preview"], "what was asked");
  EXPECT_EQ(entry["seq"], next + 2);
  EXPECT_EQ(body["next"], next + 2);
  EXPECT_EQ(body["dropped"], 0);
  EXPECT_EQ(answer->body().find("p2's secret"), std::string::npos);

  // p2 has its own numbers and its own span only.
  const Json p2 = Get("/api/v1/tail?after=0&wait_ms=0", p2_);
  ASSERT_EQ(p2["data"].size(), 1u) << p2.dump();
  EXPECT_EQ(p2["data"][0]["id"], "00000000000000a1");
  EXPECT_EQ(p2["data"][0]["seq"], 1);
}

TEST_F(TailApiTest, RefusesBadParametersAndKeysWithoutReadScope) {
  HttpResponse bad = SendWithKey(http::verb::get, "/api/v1/tail?wait_ms=60000", p1_);
  EXPECT_EQ(bad.result(), http::status::bad_request);
  EXPECT_THAT(std::string(bad.body()), HasSubstr("parameter 'wait_ms' must be an integer from 0 to 30000"));
  HttpResponse unknown = SendWithKey(http::verb::get, "/api/v1/tail?project=p2", p1_);
  EXPECT_EQ(unknown.result(), http::status::bad_request);
  EXPECT_THAT(std::string(unknown.body()), HasSubstr("unknown parameter 'project'"));
  EXPECT_EQ(SendWithKey(http::verb::get, "/api/v1/tail?wait_ms=0", ingest_only_).result(), http::status::forbidden);
}

TEST_F(TailApiTest, StoppingTheServerAnswersARequestWaitingForSpans) {
  // The fake clock never ends the wait, so without the answer at shutdown Wait() would not return.
  // (Should the request reach the server only once it is stopping, it is refused or answered at
  // once; either way nothing waits.)
  Waiting waiting(app_->endpoint(), "/api/v1/tail?wait_ms=30000", p1_);
  Ingest(p1_, OtlpSpan("00000000000000c1", "x"));  // a round trip: the request has most likely arrived
  app_->BeginShutdown();
  app_->Wait();
  std::optional<HttpResponse> answer = waiting.Answer();
  if (answer.has_value()) {
    EXPECT_EQ(answer->result(), http::status::ok) << answer->body();
  }
}

}  // namespace
}  // namespace trackly::server
