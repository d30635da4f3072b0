// The LangSmith runs API (/langsmith/...) through the assembled server on port 0 with the real
// SQLite store: captured client requests in, traces read back through /api/v1.

#include <fstream>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/gzip_for_tests.h"
#include "server/running_app_test_base.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;
using model::Json;

constexpr char kAgentTrace[] = "01a20116-06b7-7000-8000-009355883b2f";
constexpr char kManualTrace[] = "01a20116-0834-7000-8000-03a5795e5c9f";
constexpr char kBoundary[] = "----LangSmithFormBoundarytest";

struct CapturedRequest {
  std::string method;
  std::string path;
  std::string body;
};

std::vector<CapturedRequest> Fixture(const std::string& name) {
  std::ifstream in(std::string(TRACKLY_SHARED_DIR) + "/fixtures/captured/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::vector<CapturedRequest> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    Json record = Json::parse(line);
    CapturedRequest request{record["method"], record["path"], ""};
    EXPECT_TRUE(absl::Base64Unescape(record["body_b64"].get<std::string>(), &request.body));
    out.push_back(std::move(request));
  }
  return out;
}

std::string Part(const std::string& name, const std::string& data) {
  return absl::StrCat("--", kBoundary, "\r\nContent-Disposition: form-data; name=\"", name,
                      "\"\r\nContent-Type: application/json; length=", data.size(), "\r\n\r\n", data, "\r\n");
}
std::string EndParts() { return absl::StrCat("--", kBoundary, "--\r\n"); }

class LangsmithApiTest : public RunningAppTestBase {
 protected:
  LangsmithApiTest() : RunningAppTestBase(1'795'314'550'000'000'000) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    key_ = AddKey("p1", store::kScopeIngest | store::kScopeRead);
    other_key_ = AddKey("p2", store::kScopeIngest | store::kScopeRead);
    read_only_key_ = AddKey("p1", store::kScopeRead);
    ServerOptions options;
    options.io_threads = 2;
    options.max_body_bytes = 1 << 20;
    StartApp(options);
  }

  HttpResponse Send(http::verb method, const std::string& target, const std::string& key,
                    std::string body = "", std::string content_type = "application/json",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    if (!key.empty()) headers.emplace_back("x-api-key", key);
    if (!body.empty()) headers.emplace_back("Content-Type", content_type);
    return SendRequest(method, target, std::move(headers), std::move(body));
  }

  HttpResponse Multipart(std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
    return Send(http::verb::post, "/langsmith/runs/multipart", key_, std::move(body),
                absl::StrCat("multipart/form-data; boundary=", kBoundary), std::move(headers));
  }

  static Json Body(const HttpResponse& response) {
    return Json::parse(response.body(), nullptr, /*allow_exceptions=*/false);
  }

  // The trace's observations by name.
  std::map<std::string, Json> Observations(const std::string& trace_id, const std::string& key) {
    HttpResponse detail = Send(http::verb::get, "/api/v1/traces/" + trace_id, key);
    EXPECT_EQ(detail.result(), http::status::ok) << detail.body();
    const Json body = Body(detail);
    std::map<std::string, Json> out;
    for (const Json& o : body["observations"]) out[o["name"]] = o;
    return out;
  }

  Json Trace(const std::string& trace_id) {
    return Body(Send(http::verb::get, "/api/v1/traces/" + trace_id, key_))["trace"];
  }

  void SendFixture() {
    for (const CapturedRequest& r : Fixture("langsmith-batch.jsonl")) {
      if (r.method == "GET") continue;
      HttpResponse response = Send(r.method == "PATCH" ? http::verb::patch : http::verb::post,
                                   "/langsmith" + r.path, key_, r.body);
      ASSERT_EQ(response.result(), http::status::accepted) << r.path << ": " << response.body();
    }
  }

  std::string key_, other_key_, read_only_key_;
};

TEST_F(LangsmithApiTest, InfoDeclaresMultipartWithCompressedBodies) {
  HttpResponse info = Send(http::verb::get, "/langsmith/info", "");  // public, as LangSmith's
  ASSERT_EQ(info.result(), http::status::ok) << info.body();
  Json body = Body(info);
  EXPECT_EQ(body["batch_ingest_config"]["use_multipart_endpoint"], true);
  EXPECT_EQ(body["batch_ingest_config"]["size_limit_bytes"], (1 << 20) / 2);
  EXPECT_EQ(body["instance_flags"]["gzip_body_enabled"], true);
  EXPECT_EQ(body["instance_flags"]["zstd_compression_enabled"], true);
}

TEST_F(LangsmithApiTest, CapturedClientRequestsBecomeTheTraceTree) {
  ASSERT_NO_FATAL_FAILURE(SendFixture());
  std::map<std::string, Json> obs = Observations(kAgentTrace, key_);
  ASSERT_EQ(obs.size(), 7u);
  EXPECT_TRUE(obs["research_agent"]["parent_id"].is_null());
  for (const char* child : {"rewrite_question", "retrieve_docs", "geocode", "ChatOpenAI", "get_weather", "draft_answer"}) {
    EXPECT_EQ(obs[child]["parent_id"], kAgentTrace) << child;
  }
  EXPECT_EQ(obs["research_agent"]["type"], "chain");
  EXPECT_EQ(obs["retrieve_docs"]["type"], "retriever");
  EXPECT_EQ(obs["get_weather"]["type"], "tool");
  const Json& llm = obs["ChatOpenAI"];
  EXPECT_EQ(llm["type"], "generation");
  EXPECT_EQ(llm["model"], "gpt-4o-mini");
  EXPECT_EQ(llm["provider"], "openai");
  EXPECT_EQ(llm["usage"]["input_tokens"], 86);
  EXPECT_EQ(llm["usage"]["output_tokens"], 13);
  EXPECT_EQ(llm["usage"]["cache_read_tokens"], 21);
  EXPECT_EQ(llm["cost"]["source"], "computed");
  EXPECT_GT(llm["cost"]["total"].get<double>(), 0);
  // Chat content in the canonical message list.
  EXPECT_EQ(llm["input"], Json::parse(R"([{"role":"user","content":"Should I bike to work in Paris today?"}])"));
  EXPECT_EQ(llm["output"][0]["role"], "assistant");
  EXPECT_EQ(llm["output"][0]["tool_calls"][0]["name"], "get_weather");
  EXPECT_EQ(obs["geocode"]["status"], "error");
  EXPECT_EQ(obs["geocode"]["status_message"], "Error: geocoder unavailable (503)");

  Json trace = Trace(kAgentTrace);
  EXPECT_EQ(trace["name"], "research_agent");
  EXPECT_EQ(trace["status"], "error");
  EXPECT_EQ(trace["session_id"], "sess-ls-1");
  EXPECT_EQ(trace["user_id"], "user-heidi");
  EXPECT_EQ(trace["tags"], Json::array({"acceptance"}));
  EXPECT_EQ(trace["usage"]["input_tokens"], 86 + 37);
  EXPECT_EQ(trace["counts"]["generations"], 2);
}

TEST_F(LangsmithApiTest, APatchCompletesItsPostedRun) {
  ASSERT_NO_FATAL_FAILURE(SendFixture());
  std::map<std::string, Json> obs = Observations(kManualTrace, key_);
  ASSERT_EQ(obs.size(), 2u);
  const Json& llm = obs["manual_llm"];
  EXPECT_EQ(llm["parent_id"], kManualTrace);
  EXPECT_EQ(llm["status"], "ok");
  EXPECT_EQ(llm["end_time"], "2026-11-22T02:29:10.865000Z");
  EXPECT_EQ(llm["input"], Json::parse(R"([{"role":"user","content":"hello"}])"));
  EXPECT_EQ(llm["usage"]["total_tokens"], 4);
  EXPECT_EQ(obs["manual_pipeline"]["end_time"], "2026-11-22T02:29:10.886000Z");
}

TEST_F(LangsmithApiTest, PatchesBeforeTheirPostsGiveTheSameResult) {
  std::vector<CapturedRequest> requests = Fixture("langsmith-batch.jsonl");
  std::reverse(requests.begin(), requests.end());  // patches first, children before parents
  for (const CapturedRequest& r : requests) {
    if (r.method == "GET") continue;
    HttpResponse response = Send(r.method == "PATCH" ? http::verb::patch : http::verb::post,
                                 "/langsmith" + r.path, key_, r.body);
    ASSERT_EQ(response.result(), http::status::accepted) << response.body();
  }
  std::map<std::string, Json> obs = Observations(kManualTrace, key_);
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_EQ(obs["manual_llm"]["status"], "ok");
  EXPECT_EQ(obs["manual_llm"]["usage"]["total_tokens"], 4);
  EXPECT_EQ(obs["manual_llm"]["input"], Json::parse(R"([{"role":"user","content":"hello"}])"));
}

TEST_F(LangsmithApiTest, GzippedMultipartPostAndPatch) {
  const std::string id = "0190a000-0000-7000-8000-000000000001";
  const std::string dotted = "20261122T022910455001Z" + id;
  Json post = {{"id", id}, {"trace_id", id}, {"dotted_order", dotted}, {"name", "llm_call"},
               {"run_type", "llm"}, {"start_time", "2026-11-22T02:29:10.455001Z"}};
  Json patch = {{"id", id}, {"trace_id", id}, {"dotted_order", dotted}, {"end_time", 1795314550600}};
  std::string body =
      Part("post." + id, post.dump()) +
      Part("post." + id + ".inputs", R"({"messages":[{"role":"user","content":"hi"}]})") +
      Part("post." + id + ".extra", R"({"metadata":{"ls_model_name":"gpt-4o-mini","ls_provider":"openai"}})") +
      Part("attachment." + id + ".image", "binary") + Part("mystery.part", "{}") + EndParts();
  HttpResponse first = Multipart(Gzip(body), {{"Content-Encoding", "gzip"}});
  ASSERT_EQ(first.result(), http::status::accepted) << first.body();
  EXPECT_EQ(Body(first)["accepted_runs"], 1);
  EXPECT_EQ(Body(first)["ignored_parts"], 2);

  HttpResponse second = Multipart(
      Part("patch." + id, patch.dump()) +
      Part("patch." + id + ".outputs",
           R"({"choices":[{"message":{"role":"assistant","content":"hello"}}],
               "usage_metadata":{"input_tokens":1000,"output_tokens":500,"total_tokens":1500}})") +
      EndParts());
  ASSERT_EQ(second.result(), http::status::accepted) << second.body();

  std::map<std::string, Json> obs = Observations(id, key_);
  ASSERT_EQ(obs.size(), 1u);
  const Json& llm = obs["llm_call"];
  EXPECT_EQ(llm["model"], "gpt-4o-mini");
  EXPECT_EQ(llm["usage"]["input_tokens"], 1000);
  EXPECT_EQ(llm["output"], Json::parse(R"([{"role":"assistant","content":"hello"}])"));
  // Model (post) and usage (patch) met only in the merge, which priced it.
  EXPECT_EQ(llm["cost"]["source"], "computed");
  EXPECT_GT(llm["cost"]["total"].get<double>(), 0);
}

TEST_F(LangsmithApiTest, MalformedRunsAreNamedAndTheGoodOnesKept) {
  Json body = {{"post", Json::array({
                            Json{{"id", "good-1"}, {"name", "fine"}, {"start_time", 1795314550455}},
                            Json{{"id", "bad-1"}, {"name", "broken"}, {"start_time", "not a time"}},
                        })}};
  HttpResponse response = Send(http::verb::post, "/langsmith/runs/batch", key_, body.dump());
  ASSERT_EQ(response.result(), http::status::bad_request) << response.body();
  Json reply = Body(response);
  EXPECT_THAT(reply["error"]["message"].get<std::string>(), HasSubstr("run bad-1: start_time"));
  EXPECT_EQ(reply["rejected"][0]["run_id"], "bad-1");
  EXPECT_EQ(reply["accepted_runs"], 1);
  EXPECT_EQ(Observations("good-1", key_).size(), 1u);
}

TEST_F(LangsmithApiTest, InvalidTokenCountsRejectTheRunNamingIt) {
  Json run = {{"id", "neg-1"}, {"start_time", 1795314550455},
              {"outputs", {{"usage_metadata", {{"input_tokens", -3}}}}}};
  HttpResponse response = Send(http::verb::post, "/langsmith/runs", key_, run.dump());
  ASSERT_EQ(response.result(), http::status::bad_request) << response.body();
  EXPECT_THAT(Body(response)["error"]["message"].get<std::string>(), HasSubstr("neg-1"));
}

TEST_F(LangsmithApiTest, BodyOverTheCapIs413) {
  std::string big = Part("post.r1", "{\"id\":\"r1\",\"inputs\":\"" + std::string(2 << 20, 'a') + "\"}") + EndParts();
  HttpResponse response = Multipart(Gzip(big), {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(response.result(), http::status::payload_too_large) << response.body();
}

TEST_F(LangsmithApiTest, MultipartNeedsAMultipartContentType) {
  HttpResponse response = Send(http::verb::post, "/langsmith/runs/multipart", key_, "{}");
  EXPECT_EQ(response.result(), http::status::unsupported_media_type) << response.body();
}

TEST_F(LangsmithApiTest, SessionNameNeverChoosesAnotherProject) {
  Json run = {{"id", "sess-run"}, {"name", "x"}, {"start_time", 1795314550455}, {"session_name", "p2"}};
  ASSERT_EQ(Send(http::verb::post, "/langsmith/runs", key_, run.dump()).result(), http::status::accepted);
  EXPECT_EQ(Observations("sess-run", key_).size(), 1u);
  EXPECT_EQ(Send(http::verb::get, "/api/v1/traces/sess-run", other_key_).result(), http::status::not_found);
}

TEST_F(LangsmithApiTest, NeedsAnIngestKey) {
  const std::string run = Json{{"id", "r1"}, {"start_time", 1795314550455}}.dump();
  EXPECT_EQ(Send(http::verb::post, "/langsmith/runs", "", run).result(), http::status::unauthorized);
  EXPECT_EQ(Send(http::verb::post, "/langsmith/runs", read_only_key_, run).result(), http::status::forbidden);
  EXPECT_EQ(Send(http::verb::patch, "/langsmith/runs/r1", read_only_key_, run).result(), http::status::forbidden);
}

TEST_F(LangsmithApiTest, FeedbackPartsAndTheFeedbackEndpointBecomeScoresOfTheRun) {
  Json runs = {{"post", Json::array({
                            Json{{"id", "trace-fb"}, {"name", "root"}, {"start_time", 1795314550455}},
                            Json{{"id", "child-fb"}, {"trace_id", "trace-fb"}, {"parent_run_id", "trace-fb"},
                                 {"name", "llm"}, {"start_time", 1795314550460}},
                        })}};
  ASSERT_EQ(Send(http::verb::post, "/langsmith/runs/batch", key_, runs.dump()).result(), http::status::accepted);

  // What createFeedback sends with a traceId (auto-batched, multipart) ...
  HttpResponse multipart = Multipart(
      Part("feedback.f1", R"({"id":"f1","run_id":"child-fb","trace_id":"trace-fb","key":"correctness","score":1,)"
                          R"("comment":"right","feedback_source":{"type":"api","metadata":{}}})") +
      EndParts());
  ASSERT_EQ(multipart.result(), http::status::accepted) << multipart.body();
  EXPECT_EQ(Body(multipart), (Json{{"accepted_runs", 0}, {"accepted_feedback", 1}, {"ignored_parts", 0}}));
  // ... and without one (POST /feedback): the trace comes from the stored run.
  HttpResponse posted = Send(http::verb::post, "/langsmith/feedback", key_,
                             R"({"id":"f2","run_id":"child-fb","key":"tone","value":"terse","comment":null})");
  ASSERT_EQ(posted.result(), http::status::ok) << posted.body();
  EXPECT_EQ(Body(posted), (Json{{"id", "f2"},
                                {"trace_id", "trace-fb"},
                                {"observation_id", "child-fb"},
                                {"name", "tone"},
                                {"value", "terse"},
                                {"comment", nullptr},
                                {"source", "api"},
                                {"time", "2026-11-22T02:29:10.000000Z"}}));  // the (fake) clock's now

  HttpResponse detail = Send(http::verb::get, "/api/v1/traces/trace-fb", key_);
  ASSERT_EQ(detail.result(), http::status::ok) << detail.body();
  const Json scores = Body(detail)["scores"];
  ASSERT_EQ(scores.size(), 2u) << scores.dump();
  std::map<std::string, Json> by_id;
  for (const Json& score : scores) by_id[score["id"]] = score;
  EXPECT_EQ(by_id["f1"]["name"], "correctness");
  EXPECT_EQ(by_id["f1"]["value"], 1);
  EXPECT_EQ(by_id["f1"]["comment"], "right");
  EXPECT_EQ(by_id["f1"]["observation_id"], "child-fb");
  EXPECT_EQ(by_id["f2"]["observation_id"], "child-fb");
}

TEST_F(LangsmithApiTest, FeedbackOnAnUnknownRunIsRefusedNamingTheRun) {
  const std::string feedback = R"({"id":"f3","run_id":"never-sent","key":"q","score":0.5})";
  HttpResponse posted = Send(http::verb::post, "/langsmith/feedback", key_, feedback);
  ASSERT_EQ(posted.result(), http::status::not_found) << posted.body();
  EXPECT_EQ(Body(posted)["error"]["message"],
            "feedback f3: run never-sent not found (send the run first, or give the feedback a trace_id)");

  // In a multipart request the runs and other feedback of the request are still stored.
  Json run = {{"id", "kept-run"}, {"name", "x"}, {"start_time", 1795314550455}};
  HttpResponse multipart = Multipart(Part("post.kept-run", run.dump()) + Part("feedback.f3", feedback) +
                                     Part("feedback.f4", R"({"id":"f4","run_id":"kept-run","key":"q"})") + EndParts());
  ASSERT_EQ(multipart.result(), http::status::bad_request) << multipart.body();
  Json reply = Body(multipart);
  EXPECT_EQ(reply["accepted_runs"], 1);
  EXPECT_EQ(reply["accepted_feedback"], 0);
  ASSERT_EQ(reply["rejected"].size(), 2u) << reply.dump();
  EXPECT_EQ(reply["rejected"][0]["message"], "feedback f4: score or value: required");
  EXPECT_EQ(reply["rejected"][1]["run_id"], "never-sent");
  EXPECT_EQ(Observations("kept-run", key_).size(), 1u);

  // With a trace_id the run need not be stored (yet).
  HttpResponse with_trace = Send(http::verb::post, "/langsmith/feedback", key_,
                                 R"({"id":"f5","run_id":"later-run","trace_id":"later-trace","key":"q","score":true})");
  ASSERT_EQ(with_trace.result(), http::status::ok) << with_trace.body();
  HttpResponse listed = Send(http::verb::get, "/api/v1/scores?observation_id=later-run", key_);
  ASSERT_EQ(listed.result(), http::status::ok) << listed.body();
  ASSERT_EQ(Body(listed)["data"].size(), 1u);
  EXPECT_EQ(Body(listed)["data"][0]["trace_id"], "later-trace");
  EXPECT_EQ(Body(listed)["data"][0]["value"], true);
}

TEST_F(LangsmithApiTest, FeedbackStaysInTheKeysProject) {
  Json run = {{"id", "p1-run"}, {"name", "x"}, {"start_time", 1795314550455}};
  ASSERT_EQ(Send(http::verb::post, "/langsmith/runs", key_, run.dump()).result(), http::status::accepted);
  // p2 cannot see p1's run, so it cannot find its trace either.
  EXPECT_EQ(Send(http::verb::post, "/langsmith/feedback", other_key_,
                 R"({"id":"f6","run_id":"p1-run","key":"q","score":1})").result(),
            http::status::not_found);
  ASSERT_EQ(Send(http::verb::post, "/langsmith/feedback", key_,
                 R"({"id":"f6","run_id":"p1-run","key":"q","score":1})").result(),
            http::status::ok);
  EXPECT_EQ(Body(Send(http::verb::get, "/api/v1/scores", other_key_))["data"], Json::array());
  EXPECT_EQ(Body(Send(http::verb::get, "/api/v1/scores", key_))["data"].size(), 1u);
  EXPECT_EQ(Send(http::verb::post, "/langsmith/feedback", read_only_key_,
                 R"({"id":"f7","run_id":"p1-run","key":"q","score":1})").result(),
            http::status::forbidden);
  HttpResponse bad = Send(http::verb::post, "/langsmith/feedback", key_, R"({"id":"f8","run_id":"p1-run","score":1})");
  EXPECT_EQ(bad.result(), http::status::bad_request);
  EXPECT_EQ(Body(bad)["error"]["message"], "feedback f8: key: required");
}

}  // namespace
}  // namespace trackly::server
