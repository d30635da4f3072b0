// Langfuse batch ingestion (POST /api/public/ingestion) through the assembled server on port 0
// with the real SQLite store: the captured legacy-client request in, the trace read back through
// /api/v1; per-event errors, order independence and project isolation.
#include <fstream>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/running_app_test_base.h"

namespace trackly::server {
namespace {

using model::Json;

constexpr char kTrace[] = "676b0227-646f-4d22-b1c4-9fc10d4502f4";

std::string CapturedBody() {
  std::ifstream in(std::string(TRACKLY_SHARED_DIR) + "/fixtures/captured/langfuse-legacy.jsonl");
  std::string line;
  EXPECT_TRUE(std::getline(in, line));
  std::string body;
  EXPECT_TRUE(absl::Base64Unescape(Json::parse(line)["body_b64"].get<std::string>(), &body));
  return body;
}

class LangfuseApiTest : public RunningAppTestBase {
 protected:
  LangfuseApiTest() : RunningAppTestBase(1'795'316'950'000'000'000) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    absl::StatusOr<GeneratedKey> pair = GenerateApiKey("p1", store::kScopeIngest | store::kScopeRead, 1);
    ASSERT_TRUE(pair.ok());
    ASSERT_TRUE(catalog_->InsertKey(pair->record).ok());
    basic_ = absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(pair->public_key, ":", pair->secret_key)));
    key_ = pair->key;
    other_key_ = AddKey("p2", store::kScopeIngest | store::kScopeRead);
    ServerOptions options;
    options.io_threads = 2;
    StartApp(options);
  }

  HttpResponse Send(http::verb method, const std::string& target, const std::string& authorization,
                    std::string body = "") {
    std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", authorization}};
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    std::optional<HttpResponse> response = client_->Send(MakeRequest(method, target, headers, std::move(body)));
    return response ? *response : HttpResponse{};
  }
  HttpResponse Ingest(const Json& body, const std::string& authorization = "") {
    return Send(http::verb::post, "/api/public/ingestion", authorization.empty() ? basic_ : authorization,
                body.dump());
  }
  static Json Body(const HttpResponse& response) {
    return Json::parse(response.body(), nullptr, /*allow_exceptions=*/false);
  }
  Json Detail(const std::string& trace_id, const std::string& key) {
    HttpResponse detail = Send(http::verb::get, "/api/v1/traces/" + trace_id, "Bearer " + key);
    EXPECT_EQ(detail.result(), http::status::ok) << detail.body();
    return Body(detail);
  }
  std::map<std::string, Json> ByName(const Json& detail) {
    std::map<std::string, Json> out;
    for (const Json& o : detail["observations"]) out[o["name"]] = o;
    return out;
  }

  std::string basic_, key_, other_key_;
};

TEST_F(LangfuseApiTest, CapturedLegacyClientBatchBecomesTheTraceTree) {
  HttpResponse response = Send(http::verb::post, "/api/public/ingestion", basic_, CapturedBody());
  ASSERT_EQ(response.result(), http::status::multi_status) << response.body();
  Json reply = Body(response);
  EXPECT_EQ(reply["successes"].size(), 11u);
  EXPECT_EQ(reply["errors"], Json::array());

  Json detail = Detail(kTrace, key_);
  const Json& trace = detail["trace"];
  EXPECT_EQ(trace["name"], "research-agent");
  EXPECT_EQ(trace["user_id"], "user-grace");
  EXPECT_EQ(trace["session_id"], "sess-lf-legacy-1");
  EXPECT_EQ(trace["tags"], Json::array({"acceptance"}));
  EXPECT_EQ(trace["environment"], "acceptance");
  EXPECT_EQ(trace["status"], "error");  // notify-slack has level ERROR
  EXPECT_EQ(trace["input"], (Json{{"question", "Summarize our OTLP support."}}));
  EXPECT_EQ(trace["counts"]["observations"], 5);
  EXPECT_EQ(trace["counts"]["generations"], 1);
  EXPECT_EQ(trace["counts"]["errors"], 1);
  EXPECT_EQ(trace["usage"]["output_tokens"], 25);
  EXPECT_DOUBLE_EQ(trace["cost"]["total"].get<double>(), 2.07e-05);  // costDetails, as provided

  std::map<std::string, Json> obs = ByName(detail);
  ASSERT_EQ(obs.size(), 5u);
  EXPECT_TRUE(obs["research-agent"]["parent_id"].is_null());
  for (const char* child : {"retrieve-context", "draft-answer", "notify-slack", "answer-shown"}) {
    EXPECT_EQ(obs[child]["parent_id"], kTrace) << child;
  }
  EXPECT_EQ(obs["draft-answer"]["type"], "generation");
  EXPECT_EQ(obs["draft-answer"]["model"], "gpt-4o-mini");
  EXPECT_EQ(obs["draft-answer"]["output"][0]["role"], "assistant");  // chat content normalized
  EXPECT_EQ(obs["answer-shown"]["type"], "event");
  EXPECT_EQ(obs["notify-slack"]["level"], "ERROR");
  EXPECT_EQ(obs["notify-slack"]["status_message"], "slack webhook 500");
}

TEST_F(LangfuseApiTest, RetriedBatchLeavesTheSameTrace) {
  ASSERT_EQ(Send(http::verb::post, "/api/public/ingestion", basic_, CapturedBody()).result(),
            http::status::multi_status);
  Json first = Detail(kTrace, key_);
  ASSERT_EQ(Send(http::verb::post, "/api/public/ingestion", basic_, CapturedBody()).result(),
            http::status::multi_status);
  EXPECT_EQ(Detail(kTrace, key_), first);
}

TEST_F(LangfuseApiTest, EventsReversedAndSplitGiveTheSameTrace) {
  Json batch = Json::parse(CapturedBody())["batch"];
  ASSERT_EQ(Ingest({{"batch", batch}}, "Bearer " + other_key_).result(), http::status::multi_status);
  for (auto it = batch.rbegin(); it != batch.rend(); ++it) {  // one event per request, last first
    HttpResponse response = Ingest({{"batch", Json::array({*it})}});
    ASSERT_EQ(response.result(), http::status::multi_status) << response.body();
  }
  EXPECT_EQ(Detail(kTrace, key_), Detail(kTrace, other_key_));
}

TEST_F(LangfuseApiTest, GenerationWithUsageButNoCostIsPricedOnTheMerge) {
  Json batch = Json::array({
      {{"id", "e1"}, {"type", "generation-create"}, {"timestamp", "2026-11-22T03:00:00.000Z"},
       {"body", {{"id", "g"}, {"traceId", "t-priced"}, {"model", "gpt-4o-mini"}}}},
      {{"id", "e2"}, {"type", "generation-update"}, {"timestamp", "2026-11-22T03:00:01.000Z"},
       {"body", {{"id", "g"}, {"usage", {{"promptTokens", 1000}, {"completionTokens", 1000}}}}}},
  });
  ASSERT_EQ(Ingest({{"batch", batch}}).result(), http::status::multi_status);
  Json generation = Detail("t-priced", key_)["observations"][0];
  EXPECT_EQ(generation["cost"]["source"], "computed") << generation.dump();
  EXPECT_GT(generation["cost"]["total"].get<double>(), 0);
}

TEST_F(LangfuseApiTest, BadEventsAreReportedAndGoodOnesKept) {
  Json batch = Json::array({
      {{"id", "good"}, {"type", "span-create"}, {"timestamp", "2026-11-22T03:00:00.000Z"},
       {"body", {{"id", "s"}, {"traceId", "t-mixed"}, {"name", "kept"}}}},
      {{"id", "negative"}, {"type", "generation-create"}, {"timestamp", "2026-11-22T03:00:00.000Z"},
       {"body", {{"id", "g"}, {"traceId", "t-mixed"}, {"usageDetails", {{"input", -5}}}}}},
      {{"id", "unknown"}, {"type", "nonsense"}, {"body", Json::object()}},
  });
  HttpResponse response = Ingest({{"batch", batch}});
  ASSERT_EQ(response.result(), http::status::multi_status) << response.body();
  Json reply = Body(response);
  EXPECT_EQ(reply["successes"], Json::array({{{"id", "good"}, {"status", 201}}}));
  ASSERT_EQ(reply["errors"].size(), 2u);
  EXPECT_EQ(reply["errors"][0]["id"], "negative");
  EXPECT_EQ(reply["errors"][0]["status"], 400);
  EXPECT_THAT(reply["errors"][0]["error"].get<std::string>(), ::testing::HasSubstr("input_tokens"));
  EXPECT_EQ(reply["errors"][1]["id"], "unknown");
  Json detail = Detail("t-mixed", key_);
  ASSERT_EQ(detail["observations"].size(), 1u);
  EXPECT_EQ(detail["observations"][0]["name"], "kept");
}

TEST_F(LangfuseApiTest, RequestErrorsHaveJsonBodies) {
  HttpResponse not_json = Send(http::verb::post, "/api/public/ingestion", basic_, "{oops");
  EXPECT_EQ(not_json.result(), http::status::bad_request);
  EXPECT_EQ(Body(not_json)["message"], "Invalid request data");
  HttpResponse no_batch = Ingest({{"events", Json::array()}});
  EXPECT_EQ(no_batch.result(), http::status::bad_request);
  EXPECT_FALSE(Body(no_batch).is_discarded());
  HttpResponse bad_key = Ingest({{"batch", Json::array()}}, "Basic " + absl::Base64Escape("pk-tk-0:sk-tk-0-x"));
  EXPECT_EQ(bad_key.result(), http::status::unauthorized);
  EXPECT_FALSE(Body(bad_key).is_discarded()) << bad_key.body();
  HttpResponse empty = Ingest({{"batch", Json::array()}});
  EXPECT_EQ(empty.result(), http::status::multi_status);
  EXPECT_EQ(Body(empty), (Json{{"successes", Json::array()}, {"errors", Json::array()}}));
}

TEST_F(LangfuseApiTest, BodyCannotChooseTheProject) {
  Json batch = Json::array({{{"id", "e"}, {"type", "trace-create"}, {"timestamp", "2026-11-22T03:00:00.000Z"},
                             {"body", {{"id", "t-own"}, {"projectId", "p2"}, {"project", "p2"}}}}});
  ASSERT_EQ(Ingest({{"batch", batch}, {"metadata", {{"public_key", "pk-other"}}}}).result(),
            http::status::multi_status);
  Detail("t-own", key_);  // stored in the key's project p1
  EXPECT_EQ(Send(http::verb::get, "/api/v1/traces/t-own", "Bearer " + other_key_).result(), http::status::not_found);
}

}  // namespace
}  // namespace trackly::server
