// The assembled server in-process on port 0, with the real SQLite store and decoders, driven by a
// real HTTP client.
#include "server/app.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/api_key.h"
#include "server/http_test_client.h"
#include "server/gzip_for_tests.h"
#include "server/running_app_test_base.h"
#include "store/sqlite/sqlite_catalog.h"
#include "store/sqlite/sqlite_store.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;
using model::Json;

constexpr char kTraceId[] = "5b8efff798038103d269b633813fc60c";

std::string Base64Decode(std::string_view text) {
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

// Request bodies of a captured fixture file (shared/fixtures/captured).
std::vector<std::string> FixtureBodies(const std::string& name) {
  std::ifstream in(std::string(TRACKLY_SHARED_DIR) + "/fixtures/captured/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::vector<std::string> bodies;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) bodies.push_back(Base64Decode(Json::parse(line)["body_b64"].get<std::string>()));
  }
  return bodies;
}

// An OTLP/JSON request with one span per span id, all in kTraceId.
std::string OtlpJson(const std::vector<std::string>& span_ids) {
  Json spans = Json::array();
  for (const std::string& id : span_ids) {
    spans.push_back({{"traceId", kTraceId},
                     {"spanId", id},
                     {"name", "span-" + id},
                     {"kind", 1},
                     {"startTimeUnixNano", "1700000000000000000"},
                     {"endTimeUnixNano", "1700000001000000000"}});
  }
  Json request = {
      {"resourceSpans",
       {{{"resource",
          {{"attributes",
            {{{"key", "service.name"}, {"value", {{"stringValue", "svc"}}}}}}}},
         {"scopeSpans", {{{"scope", {{"name", "test"}}}, {"spans", spans}}}}}}}};
  return request.dump();
}

class AppTest : public RunningAppTestBase {
 protected:
  AppTest() : RunningAppTestBase(1'700'000'000'000'000'000) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    full_key_ = AddKey("p1", store::kScopeIngest | store::kScopeRead);
    ingest_key_ = AddKey("p1", store::kScopeIngest);
    read_key_ = AddKey("p1", store::kScopeRead);
    other_project_key_ = AddKey("p2", store::kScopeIngest | store::kScopeRead);
    ServerOptions options;
    options.io_threads = 2;
    options.max_body_bytes = 1 << 20;
    StartApp(options);
  }

  HttpResponse Post(const std::string& path, const std::string& key, std::string body,
                    std::string content_type = "application/json",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", content_type);
    if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
    return SendRequest(http::verb::post, path, std::move(headers), std::move(body));
  }

  HttpResponse Get(const std::string& target, const std::string& key) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!key.empty()) headers.emplace_back("x-api-key", key);
    return SendRequest(http::verb::get, target, std::move(headers));
  }

  static Json Body(const HttpResponse& response) {
    return Json::parse(response.body(), nullptr, /*allow_exceptions=*/false);
  }

  std::string full_key_, ingest_key_, read_key_, other_project_key_;
};

TEST_F(AppTest, IngestsCapturedOtlpJsonAndReadsItBack) {
  for (const std::string& body : FixtureBodies("otel-manual-http-json.jsonl")) {
    HttpResponse response = Post("/v1/traces", ingest_key_, body);
    ASSERT_EQ(response.result(), http::status::ok) << response.body();
    EXPECT_EQ(response[http::field::content_type], "application/json");
    EXPECT_EQ(Body(response), Json::object());
  }
  HttpResponse list = Get("/api/v1/traces", read_key_);
  ASSERT_EQ(list.result(), http::status::ok) << list.body();
  Json traces = Body(list)["data"];
  ASSERT_GE(traces.size(), 2u);
  EXPECT_TRUE(Body(list)["next_cursor"].is_null());

  std::string id = traces[0]["id"];
  HttpResponse detail = Get("/api/v1/traces/" + id, read_key_);
  ASSERT_EQ(detail.result(), http::status::ok) << detail.body();
  EXPECT_EQ(Body(detail)["trace"]["id"], id);
  EXPECT_FALSE(Body(detail)["observations"].empty());

  HttpResponse sessions = Get("/api/v1/sessions", read_key_);
  ASSERT_EQ(sessions.result(), http::status::ok) << sessions.body();
  ASSERT_FALSE(Body(sessions)["data"].empty());
  std::string session_id = Body(sessions)["data"][0]["id"];
  HttpResponse session = Get("/api/v1/sessions/" + session_id, read_key_);
  ASSERT_EQ(session.result(), http::status::ok) << session.body();
  EXPECT_FALSE(Body(session)["traces"].empty());
}

TEST_F(AppTest, InsightProfilesTheRunAndFlagsARepeatedToolCall) {
  // A root and three identical tool calls under it, one after another.
  Json spans = Json::array();
  auto span = [&](const std::string& id, const std::string& parent, int start_ms, int end_ms, Json attributes) {
    Json span = {{"traceId", kTraceId}, {"spanId", id}, {"name", parent.empty() ? "agent" : "search"}, {"kind", 1},
                 {"startTimeUnixNano", absl::StrCat(1700000000000 + start_ms, "000000")},
                 {"endTimeUnixNano", absl::StrCat(1700000000000 + end_ms, "000000")},
                 {"attributes", std::move(attributes)}};
    if (!parent.empty()) span["parentSpanId"] = parent;
    spans.push_back(std::move(span));
  };
  span("a000000000000001", "", 0, 1000, Json::array());
  for (int i = 0; i < 3; ++i) {
    span(absl::StrCat("b00000000000000", i), "a000000000000001", 100 + 300 * i, 300 + 300 * i,
         {{{"key", "gen_ai.operation.name"}, {"value", {{"stringValue", "execute_tool"}}}},
          {{"key", "gen_ai.tool.name"}, {"value", {{"stringValue", "search"}}}},
          {{"key", "gen_ai.tool.call.arguments"}, {"value", {{"stringValue", R"({"q": "weather"})"}}}}});
  }
  Json request = {{"resourceSpans", {{{"scopeSpans", {{{"scope", {{"name", "test"}}}, {"spans", spans}}}}}}}};
  ASSERT_EQ(Post("/v1/traces", ingest_key_, request.dump()).result(), http::status::ok);

  HttpResponse response = Get(absl::StrCat("/api/v1/traces/", kTraceId, "/insight"), read_key_);
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  Json insight = Body(response);
  EXPECT_EQ(insight["trace_id"], kTraceId);
  EXPECT_EQ(insight["profile"]["tool_calls"], 3);
  EXPECT_EQ(insight["profile"]["max_depth"], 2);
  ASSERT_EQ(insight["findings"].size(), 1u) << insight.dump();
  EXPECT_EQ(insight["findings"][0]["kind"], "repeated_tool_call");
  EXPECT_EQ(insight["findings"][0]["observation_ids"].size(), 3u);
  EXPECT_EQ(insight["self_ms"]["a000000000000001"], 400.0);  // 1000 ms minus three 200 ms calls
  EXPECT_FALSE(insight["critical_path"].empty());
  EXPECT_EQ(Get("/api/v1/traces/ffffffffffffffffffffffffffffffff/insight", read_key_).result(),
            http::status::not_found);
}

TEST_F(AppTest, PostedScoresAreStoredAndListedWithTheirTrace) {
  ASSERT_EQ(Post("/v1/traces", ingest_key_, OtlpJson({"a000000000000001"})).result(), http::status::ok);
  HttpResponse created = Post("/api/v1/scores", ingest_key_,
                              Json{{"trace_id", kTraceId}, {"observation_id", "a000000000000001"},
                                   {"name", "helpful"}, {"value", true}, {"comment", "user clicked thumbs up"}}
                                  .dump());
  ASSERT_EQ(created.result(), http::status::created) << created.body();
  Json score = Body(created);
  EXPECT_EQ(score["name"], "helpful");
  EXPECT_EQ(score["source"], "API");
  EXPECT_EQ(score["id"].get<std::string>().size(), 32u);
  // Posting the same id again replaces the score.
  HttpResponse replaced = Post("/api/v1/scores", ingest_key_,
                               Json{{"id", score["id"]}, {"trace_id", kTraceId}, {"name", "helpful"}, {"value", false}}
                                   .dump());
  ASSERT_EQ(replaced.result(), http::status::created) << replaced.body();
  Json listed = Body(Get(absl::StrCat("/api/v1/scores?trace_id=", kTraceId), read_key_))["data"];
  ASSERT_EQ(listed.size(), 1u) << listed.dump();
  EXPECT_EQ(listed[0]["value"], false);
  EXPECT_EQ(Body(Get(absl::StrCat("/api/v1/traces/", kTraceId), read_key_))["scores"].size(), 1u);

  HttpResponse bad = Post("/api/v1/scores", ingest_key_, R"({"trace_id": "t", "name": "q"})");
  EXPECT_EQ(bad.result(), http::status::bad_request);
  EXPECT_THAT(std::string(bad.body()), ::testing::HasSubstr("value: required"));
  HttpResponse unknown_observation =
      Post("/api/v1/scores", ingest_key_, R"({"observation_id": "nope", "name": "q", "value": 1})");
  EXPECT_EQ(unknown_observation.result(), http::status::not_found);
  EXPECT_EQ(Post("/api/v1/scores", read_key_, R"({"trace_id": "t", "name": "q", "value": 1})").result(),
            http::status::forbidden);
}

TEST_F(AppTest, DiffShowsTheStepAddedToALaterRun) {
  // Two runs of "agent": the second calls one more tool.
  auto run = [&](const std::string& trace_id, int tools, int64_t start_ms) {
    Json spans = Json::array();
    spans.push_back({{"traceId", trace_id}, {"spanId", "a000000000000001"}, {"name", "agent"}, {"kind", 1},
                     {"startTimeUnixNano", absl::StrCat(start_ms, "000000")},
                     {"endTimeUnixNano", absl::StrCat(start_ms + 1000, "000000")}});
    for (int i = 0; i < tools; ++i) {
      spans.push_back({{"traceId", trace_id}, {"spanId", absl::StrCat("b00000000000000", i)},
                       {"parentSpanId", "a000000000000001"}, {"name", absl::StrCat("tool-", i)}, {"kind", 1},
                       {"startTimeUnixNano", absl::StrCat(start_ms + 100 * (i + 1), "000000")},
                       {"endTimeUnixNano", absl::StrCat(start_ms + 100 * (i + 1) + 50, "000000")}});
    }
    Json request = {{"resourceSpans", {{{"scopeSpans", {{{"scope", {{"name", "test"}}}, {"spans", spans}}}}}}}};
    ASSERT_EQ(Post("/v1/traces", ingest_key_, request.dump()).result(), http::status::ok);
  };
  const std::string first = "11111111111111111111111111111111";
  const std::string second = "22222222222222222222222222222222";
  run(first, 1, 1700000000000);
  run(second, 2, 1700000060000);

  HttpResponse response = Get(absl::StrCat("/api/v1/traces/", second, "/diff?against=", first), read_key_);
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  Json diff = Body(response);
  EXPECT_EQ(diff["a"]["trace_id"], first);
  EXPECT_EQ(diff["b"]["trace_id"], second);
  EXPECT_EQ(diff["counts"], (Json{{"same", 2}, {"changed", 0}, {"added", 1}, {"removed", 0}})) << diff.dump();
  EXPECT_EQ(diff["steps"][2]["kind"], "added");
  EXPECT_EQ(diff["steps"][2]["b"]["name"], "tool-1");

  HttpResponse typical = Get(absl::StrCat("/api/v1/traces/", second, "/diff?against=typical"), read_key_);
  ASSERT_EQ(typical.result(), http::status::ok) << typical.body();
  EXPECT_EQ(Body(typical)["a"]["typical_of"], 1);
  HttpResponse none = Get(absl::StrCat("/api/v1/traces/", first, "/diff?against=typical"), read_key_);
  EXPECT_EQ(none.result(), http::status::bad_request) << none.body();
  EXPECT_EQ(Get(absl::StrCat("/api/v1/traces/", second, "/diff?against=ffffffffffffffffffffffffffffffff"), read_key_)
                .result(),
            http::status::not_found);
}

TEST_F(AppTest, WorkflowGraphAndItsDiffShowTheBranchANewReleaseAdded) {
  // Three runs of "wf-agent" in release v1 (search), three in v2 (search, then fetch_page).
  Json spans = Json::array();
  auto add_run = [&](int run, const std::string& release, bool fetch) {
    const std::string trace_id = absl::StrCat("0000000000000000000000000000000", run + 1);  // never the all-zero id
    const int64_t start_ms = 1700000000000 + run * 10000;
    auto span = [&](const std::string& id, const std::string& parent, const std::string& name, int offset_ms, Json attributes) {
      Json span = {{"traceId", trace_id}, {"spanId", id}, {"name", name}, {"kind", 1},
                   {"startTimeUnixNano", absl::StrCat(start_ms + offset_ms, "000000")},
                   {"endTimeUnixNano", absl::StrCat(start_ms + offset_ms + 100, "000000")},
                   {"attributes", std::move(attributes)}};
      if (!parent.empty()) span["parentSpanId"] = parent;
      spans.push_back(std::move(span));
    };
    auto tool = [](const std::string& name) {
      return Json{{{"key", "gen_ai.operation.name"}, {"value", {{"stringValue", "execute_tool"}}}},
                  {{"key", "gen_ai.tool.name"}, {"value", {{"stringValue", name}}}}};
    };
    span("a000000000000001", "", "wf-agent", 0,
         {{{"key", "langfuse.release"}, {"value", {{"stringValue", release}}}}});
    span("b000000000000001", "a000000000000001", "search", 10, tool("search"));
    if (fetch) span("b000000000000002", "a000000000000001", "fetch_page", 200, tool("fetch_page"));
  };
  for (int run = 0; run < 6; ++run) add_run(run, run < 3 ? "v1" : "v2", run >= 3);
  Json request = {{"resourceSpans", {{{"scopeSpans", {{{"scope", {{"name", "test"}}}, {"spans", spans}}}}}}}};
  ASSERT_EQ(Post("/v1/traces", ingest_key_, request.dump()).result(), http::status::ok);

  // The runs (2023-11-14) are older than the default 7 days before the test's clock, so every
  // read of the rollups names its range.
  const std::string range = "from=2023-11-14T00:00:00Z&to=2023-11-15T00:00:00Z";
  // Not evaluated yet (the fake clock stands still): the rollups have no run; `limit` reads the
  // runs themselves.
  HttpResponse early = Get("/api/v1/workflow?name=wf-agent&" + range, read_key_);
  ASSERT_EQ(early.result(), http::status::ok) << early.body();
  EXPECT_EQ(Body(early)["source"], "rollups");
  EXPECT_EQ(Body(early)["totals"]["runs"], 0);
  HttpResponse exact = Get("/api/v1/workflow?name=wf-agent&release=v2&limit=10", read_key_);
  ASSERT_EQ(exact.result(), http::status::ok) << exact.body();
  EXPECT_EQ(Body(exact)["source"], "runs");
  EXPECT_EQ(Body(exact)["totals"]["runs"], 3);

  // Past the quiet delay, the finisher's thread (about once a second) evaluates the six runs and
  // records them in the rollups.
  clock_.Advance(int64_t{31} * 1'000'000'000);
  for (const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);;) {
    HttpResponse all = Get("/api/v1/workflow?name=wf-agent&" + range, read_key_);
    ASSERT_EQ(all.result(), http::status::ok) << all.body();
    if (Body(all)["totals"]["runs"] == 6) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "runs not evaluated: " << all.body();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // between polls, not instead of one
  }

  for (const std::string_view source : {"rollups", "runs"}) {
    SCOPED_TRACE(source);
    const std::string how = source == "rollups" ? range : "limit=200";
    HttpResponse graph = Get("/api/v1/workflow?name=wf-agent&release=v2&" + how, read_key_);
    ASSERT_EQ(graph.result(), http::status::ok) << graph.body();
    Json g = Body(graph);
    EXPECT_EQ(g["source"], source);
    EXPECT_EQ(g["totals"]["runs"], 3);
    EXPECT_EQ(g["totals"]["tool_calls_per_run"], 2.0);
    EXPECT_EQ(g["nodes"].size(), 3u) << g.dump();
    EXPECT_NEAR(g["totals"]["latency_p50_ms"].get<double>(), 300, 3) << g.dump();

    const std::string sides = source == "rollups" ? "&before_from=2023-11-14T00:00:00Z&after_from=2023-11-14T00:00:00Z"
                                                  : "&limit=200";
    HttpResponse diff =
        Get("/api/v1/workflow/diff?name=wf-agent&before_release=v1&after_release=v2" + sides, read_key_);
    ASSERT_EQ(diff.result(), http::status::ok) << diff.body();
    Json d = Body(diff);
    EXPECT_EQ(d["source"], source);
    EXPECT_EQ(d["before"]["tool_calls_per_run"], 1.0);
    EXPECT_EQ(d["after"]["tool_calls_per_run"], 2.0);
    ASSERT_EQ(d["new_nodes"].size(), 1u) << d.dump();
    EXPECT_THAT(d["new_nodes"][0].get<std::string>(), ::testing::HasSubstr("tool:fetch_page"));
    EXPECT_TRUE(d["vanished_nodes"].empty());
  }

  EXPECT_EQ(Get("/api/v1/workflow", read_key_).result(), http::status::bad_request);
  EXPECT_EQ(Get("/api/v1/workflow/diff?name=wf-agent&before_release=v1", read_key_).result(),
            http::status::bad_request);
  EXPECT_EQ(Get("/api/v1/workflow?name=wf-agent&limit=0", read_key_).result(), http::status::bad_request);
}

TEST_F(AppTest, IngestsProtobufAndRepliesInProtobuf) {
  for (const std::string& body : FixtureBodies("otel-manual-http-proto.jsonl")) {
    HttpResponse response = Post("/api/public/otel/v1/traces", ingest_key_, body,
                                 "application/x-protobuf");
    ASSERT_EQ(response.result(), http::status::ok) << response.body();
    EXPECT_EQ(response[http::field::content_type], "application/x-protobuf");
    EXPECT_EQ(response.body(), "");  // empty ExportTraceServiceResponse
  }
  EXPECT_FALSE(Body(Get("/api/v1/traces", read_key_))["data"].empty());
}

TEST_F(AppTest, GzipBodyIsAccepted) {
  HttpResponse response = Post("/otel/v1/traces", ingest_key_, Gzip(OtlpJson({"eee19b7ec3c1b174"})),
                               "application/json", {{"Content-Encoding", "gzip"}});
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  EXPECT_EQ(Body(Get(absl::StrCat("/api/v1/traces/", kTraceId), read_key_))["trace"]["id"],
            kTraceId);
}

TEST_F(AppTest, PartialSuccessCountsSpanWithZeroId) {
  HttpResponse response =
      Post("/v1/traces", ingest_key_, OtlpJson({"eee19b7ec3c1b174", "0000000000000000"}));
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  Json partial = Body(response)["partialSuccess"];
  EXPECT_EQ(partial["rejectedSpans"], 1) << response.body();
  EXPECT_FALSE(partial["errorMessage"].get<std::string>().empty());
  Json detail = Body(Get(absl::StrCat("/api/v1/traces/", kTraceId), read_key_));
  ASSERT_EQ(detail["observations"].size(), 1u) << detail;
  EXPECT_EQ(detail["observations"][0]["id"], "eee19b7ec3c1b174");
}

TEST_F(AppTest, ProjectComesFromTheKey) {
  ASSERT_EQ(Post("/v1/traces", full_key_, OtlpJson({"eee19b7ec3c1b174"})).result(),
            http::status::ok);
  EXPECT_TRUE(Body(Get("/api/v1/traces", other_project_key_))["data"].empty());
  HttpResponse other = Get(absl::StrCat("/api/v1/traces/", kTraceId), other_project_key_);
  EXPECT_EQ(other.result(), http::status::not_found);
  EXPECT_EQ(Body(other)["error"]["code"], "not_found");
  EXPECT_EQ(Get(absl::StrCat("/api/v1/traces/", kTraceId), full_key_).result(), http::status::ok);
}

TEST_F(AppTest, MissingOrUnknownKeyIsUnauthorized) {
  for (const std::string& key : {std::string(), std::string("tk-0123456789abcdef-"
                                                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef")}) {
    HttpResponse ingest = Post("/v1/traces", key, OtlpJson({"eee19b7ec3c1b174"}));
    EXPECT_EQ(ingest.result(), http::status::unauthorized);
    EXPECT_THAT(std::string(ingest[http::field::www_authenticate]), HasSubstr("Bearer"));
    HttpResponse read = Get("/api/v1/traces", key);
    EXPECT_EQ(read.result(), http::status::unauthorized);
    EXPECT_EQ(Body(read)["error"]["code"], "unauthenticated");
  }
}

TEST_F(AppTest, KeyWithoutTheScopeIsForbidden) {
  EXPECT_EQ(Post("/v1/traces", read_key_, OtlpJson({"eee19b7ec3c1b174"})).result(),
            http::status::forbidden);
  HttpResponse read = Get("/api/v1/traces", ingest_key_);
  EXPECT_EQ(read.result(), http::status::forbidden);
  EXPECT_EQ(Body(read)["error"]["code"], "permission_denied");
}

TEST_F(AppTest, RevokedKeyStopsWorkingWithinTheCacheTime) {
  ASSERT_EQ(Get("/api/v1/traces", read_key_).result(), http::status::ok);
  absl::StatusOr<Credential> credential = ParseCredential("", read_key_);
  ASSERT_TRUE(catalog_->RevokeKey(credential->key_id, 2).ok());
  clock_.Advance(Authenticator::kKeyCacheTtlNs);
  EXPECT_EQ(Get("/api/v1/traces", read_key_).result(), http::status::unauthorized);
}

TEST_F(AppTest, UnsupportedContentTypeIs415) {
  HttpResponse response = Post("/v1/traces", ingest_key_, "hello", "text/plain");
  EXPECT_EQ(response.result(), http::status::unsupported_media_type);
  EXPECT_THAT(Body(response)["message"].get<std::string>(), HasSubstr("text/plain"));
}

TEST_F(AppTest, BodyOverTheCapIs413) {
  HttpResponse response = Post("/v1/traces", ingest_key_, std::string((1 << 20) + 1, ' '));
  EXPECT_EQ(response.result(), http::status::payload_too_large);
}

TEST_F(AppTest, GzipBombIs413) {
  std::string bomb = Gzip(std::string(4 << 20, ' '));
  ASSERT_LT(bomb.size(), 1u << 20);
  HttpResponse response = Post("/v1/traces", ingest_key_, bomb, "application/json",
                               {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(response.result(), http::status::payload_too_large);
  EXPECT_EQ(Body(response)["code"], 8);  // google.rpc.Status RESOURCE_EXHAUSTED
}

TEST_F(AppTest, UndecodableBodyIs400WithDecoderMessage) {
  HttpResponse response = Post("/v1/traces", ingest_key_, R"({"resourceSpans":5})");
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_EQ(Body(response)["code"], 3);
  EXPECT_THAT(Body(response)["message"].get<std::string>(), HasSubstr("resourceSpans"));
}

TEST_F(AppTest, BadQueryParameterIs400NamingIt) {
  HttpResponse response = Get("/api/v1/traces?limit=0", read_key_);
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_EQ(Body(response)["error"]["code"], "invalid_argument");
  EXPECT_THAT(Body(response)["error"]["message"].get<std::string>(), HasSubstr("'limit'"));
}

TEST_F(AppTest, HealthNeedsNoKey) {
  HttpResponse response = Get("/api/v1/health", "");
  ASSERT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(Body(response)["status"], "ok");
  EXPECT_TRUE(Body(response)["store"].contains("queued_observations"));
}

TEST_F(AppTest, ServesTheBuiltInUiWithItsCspAndNoKey) {
  for (std::string target : {"/", "/traces/abc"}) {
    HttpResponse page = Get(target, "");
    ASSERT_EQ(page.result(), http::status::ok) << target;
    EXPECT_THAT(std::string(page[http::field::content_type]), HasSubstr("text/html"));
    EXPECT_THAT(std::string(page["Content-Security-Policy"]), HasSubstr("script-src 'self'"));
  }
  HttpResponse api = Get("/api/v1/health", "");
  EXPECT_EQ(api["Content-Security-Policy"], "default-src 'none'; frame-ancestors 'none'");
}

TEST_F(AppTest, UnknownPathIs404AndWrongMethodIs405) {
  HttpResponse missing = Get("/api/v1/nope", read_key_);
  EXPECT_EQ(missing.result(), http::status::not_found);
  EXPECT_EQ(Body(missing)["error"]["code"], "not_found");
  HttpResponse wrong = Get("/v1/traces", ingest_key_);
  EXPECT_EQ(wrong.result(), http::status::method_not_allowed);
  EXPECT_EQ(wrong[http::field::allow], "POST");
}

TEST_F(AppTest, AuthOffActsOnTheDefaultProject) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.auth = false;
  absl::StatusOr<std::unique_ptr<App>> open = App::Start(options, *store_, *catalog_, clock_);
  ASSERT_TRUE(open.ok()) << open.status();
  HttpTestClient client((*open)->endpoint());
  std::optional<HttpResponse> ingest =
      client.Send(MakeRequest(http::verb::post, "/v1/traces", {{"Content-Type", "application/json"}},
                              OtlpJson({"eee19b7ec3c1b174"})));
  ASSERT_TRUE(ingest.has_value());
  ASSERT_EQ(ingest->result(), http::status::ok) << ingest->body();
  EXPECT_TRUE(catalog_->GetProject("default").ok());
  std::optional<HttpResponse> read =
      client.Send(MakeRequest(http::verb::get, absl::StrCat("/api/v1/traces/", kTraceId)));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->result(), http::status::ok) << read->body();
  // The keyed server's projects do not see it.
  EXPECT_TRUE(Body(Get("/api/v1/traces", read_key_))["data"].empty());
}

TEST_F(AppTest, RefusesAuthOffOnNonLoopbackAddress) {
  ServerOptions options;
  options.listen = "0.0.0.0:0";
  options.auth = false;
  EXPECT_EQ(App::Start(options, *store_, *catalog_, clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trackly::server
