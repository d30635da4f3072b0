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
    return SendRequest(method, target, std::move(headers), std::move(body));
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

TEST_F(LangfuseApiTest, CapturedScoresAreStoredAndInTheTraceDetail) {
  ASSERT_EQ(Send(http::verb::post, "/api/public/ingestion", basic_, CapturedBody()).result(),
            http::status::multi_status);
  HttpResponse listed = Send(http::verb::get, absl::StrCat("/api/v1/scores?trace_id=", kTrace), "Bearer " + key_);
  ASSERT_EQ(listed.result(), http::status::ok) << listed.body();
  const Json scores = Body(listed)["data"];
  ASSERT_EQ(scores.size(), 2u) << scores.dump();
  std::map<std::string, Json> by_name;
  for (const Json& score : scores) by_name[score["name"]] = score;
  EXPECT_EQ(by_name["helpfulness"], (Json{{"id", "fea04118-bf72-4461-9dba-f85dbe1347d5"},
                                          {"trace_id", kTrace},
                                          {"observation_id", nullptr},
                                          {"name", "helpfulness"},
                                          {"value", 0.9},
                                          {"comment", "clear and correct"},
                                          {"source", "API"},
                                          {"time", "2026-11-22T02:29:06.763000Z"}}));
  EXPECT_EQ(by_name["is_grounded"]["value"], true);  // BOOLEAN 1
  EXPECT_EQ(by_name["is_grounded"]["observation_id"], "b33dcb37-49af-4e72-b355-937082cf851f");
  EXPECT_EQ(Body(listed)["next_cursor"], nullptr);

  Json detail = Detail(kTrace, key_);
  EXPECT_EQ(detail["scores"], scores);
  HttpResponse one = Send(http::verb::get, "/api/v1/scores?name=is_grounded&source=API", "Bearer " + key_);
  ASSERT_EQ(one.result(), http::status::ok) << one.body();
  EXPECT_EQ(Body(one)["data"].size(), 1u);

  // Another project sees none of them.
  HttpResponse other = Send(http::verb::get, "/api/v1/scores", "Bearer " + other_key_);
  ASSERT_EQ(other.result(), http::status::ok) << other.body();
  EXPECT_EQ(Body(other)["data"], Json::array());
}

TEST_F(LangfuseApiTest, BadScoreEventsAreReportedAndGoodOnesKept) {
  Json batch = Json::array({
      {{"id", "good-score"}, {"type", "score-create"}, {"timestamp", "2026-11-22T03:00:00.000Z"},
       {"body", {{"id", "sc-good"}, {"traceId", "t-scored"}, {"name", "tone"}, {"value", "friendly"},
                 {"dataType", "CATEGORICAL"}, {"source", "ANNOTATION"}}}},
      {{"id", "bad-score"}, {"type", "score-create"}, {"timestamp", "2026-11-22T03:00:00.000Z"},
       {"body", {{"id", "sc-bad"}, {"traceId", "t-scored"}, {"name", "q"}, {"value", "high"}, {"dataType", "NUMERIC"}}}},
      {{"id", "no-trace"}, {"type", "score-create"}, {"timestamp", "2026-11-22T03:00:00.000Z"},
       {"body", {{"id", "sc-orphan"}, {"name", "q"}, {"value", 1}}}},
      {{"id", "span"}, {"type", "span-create"}, {"timestamp", "2026-11-22T03:00:00.000Z"},
       {"body", {{"id", "s"}, {"traceId", "t-scored"}, {"name", "kept"}}}},
  });
  HttpResponse response = Ingest({{"batch", batch}});
  ASSERT_EQ(response.result(), http::status::multi_status) << response.body();
  Json reply = Body(response);
  EXPECT_EQ(reply["successes"], Json::parse(R"([{"id":"good-score","status":201},{"id":"span","status":201}])"));
  ASSERT_EQ(reply["errors"].size(), 2u) << reply.dump();
  EXPECT_EQ(reply["errors"][0]["id"], "bad-score");
  EXPECT_EQ(reply["errors"][0]["error"], "event bad-score: body.value: expected a number for a NUMERIC score, got string");
  EXPECT_EQ(reply["errors"][1]["id"], "no-trace");
  EXPECT_THAT(reply["errors"][1]["error"].get<std::string>(), ::testing::HasSubstr("traceId: required"));

  Json detail = Detail("t-scored", key_);
  ASSERT_EQ(detail["scores"].size(), 1u);
  EXPECT_EQ(detail["scores"][0]["id"], "sc-good");
  EXPECT_EQ(detail["scores"][0]["value"], "friendly");
  EXPECT_EQ(detail["scores"][0]["source"], "ANNOTATION");
  EXPECT_EQ(detail["observations"].size(), 1u);
}

TEST_F(LangfuseApiTest, AScoreSentAgainReplacesTheStoredOne) {
  auto score = [](const std::string& event_id, double value) {
    return Json::array({{{"id", event_id}, {"type", "score-create"}, {"timestamp", "2026-11-22T03:00:00.000Z"},
                         {"body", {{"id", "sc-1"}, {"traceId", "t-regraded"}, {"name", "q"}, {"value", value}}}}});
  };
  ASSERT_EQ(Ingest({{"batch", score("e1", 0.25)}}).result(), http::status::multi_status);
  ASSERT_EQ(Ingest({{"batch", score("e1", 0.25)}}).result(), http::status::multi_status);  // a retry
  ASSERT_EQ(Ingest({{"batch", score("e2", 0.75)}}).result(), http::status::multi_status);  // a correction
  HttpResponse listed = Send(http::verb::get, "/api/v1/scores?trace_id=t-regraded", "Bearer " + key_);
  ASSERT_EQ(listed.result(), http::status::ok) << listed.body();
  ASSERT_EQ(Body(listed)["data"].size(), 1u);
  EXPECT_EQ(Body(listed)["data"][0]["value"], 0.75);
  // A trace with scores but no observations is still not a trace.
  EXPECT_EQ(Send(http::verb::get, "/api/v1/traces/t-regraded", "Bearer " + key_).result(), http::status::not_found);
}

TEST_F(LangfuseApiTest, ScoreListPagesAndRefusesBadParameters) {
  Json batch = Json::array();
  for (int i = 0; i < 5; ++i) {
    batch.push_back({{"id", absl::StrCat("e", i)}, {"type", "score-create"},
                     {"timestamp", absl::StrCat("2026-11-22T03:00:0", i, ".000Z")},
                     {"body", {{"id", absl::StrCat("sc", i)}, {"traceId", "t-paged"}, {"name", "q"}, {"value", i}}}});
  }
  ASSERT_EQ(Ingest({{"batch", batch}}).result(), http::status::multi_status);
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    std::string target = "/api/v1/scores?limit=2";
    if (!cursor.empty()) absl::StrAppend(&target, "&cursor=", cursor);
    HttpResponse response = Send(http::verb::get, target, "Bearer " + key_);
    ASSERT_EQ(response.result(), http::status::ok) << response.body();
    Json body = Body(response);
    for (const Json& score : body["data"]) seen.push_back(score["id"]);
    if (body["next_cursor"].is_null()) break;
    cursor = body["next_cursor"];
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"sc4", "sc3", "sc2", "sc1", "sc0"}));  // newest first

  HttpResponse window = Send(http::verb::get,
                             "/api/v1/scores?from=2026-11-22T03:00:01Z&to=2026-11-22T03:00:03Z", "Bearer " + key_);
  ASSERT_EQ(window.result(), http::status::ok) << window.body();
  EXPECT_EQ(Body(window)["data"].size(), 2u);

  for (const auto& [target, message] : std::vector<std::pair<std::string, std::string>>{
           {"/api/v1/scores?limit=0", "parameter 'limit' must be an integer from 1 to 1000, got '0'"},
           {"/api/v1/scores?user_id=u", "unknown parameter 'user_id'"},
           {"/api/v1/scores?cursor=%25%25", "cursor: malformed (pass next_cursor of a previous page unchanged)"},
           {"/api/v1/scores?from=yesterday", "parameter 'from' must be an RFC 3339 time or a Unix timestamp, got 'yesterday'"},
       }) {
    HttpResponse response = Send(http::verb::get, target, "Bearer " + key_);
    EXPECT_EQ(response.result(), http::status::bad_request) << target;
    EXPECT_EQ(Body(response)["error"]["message"], message) << target;
  }
}

}  // namespace
}  // namespace trackly::server
