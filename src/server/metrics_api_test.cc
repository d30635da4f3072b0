// The metrics API (/api/v1/metrics, /api/v1/metrics/what-if) through the assembled server: real
// OTLP ingest, the SQLite store's rollups, real HTTP.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/time_format.h"
#include "server/running_app_test_base.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;
using model::Json;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kNow = 1'800'000'000 * kSecond;  // 2027-01-15

Json IntAttribute(const std::string& key, int64_t value) {
  return {{"key", key}, {"value", {{"intValue", std::to_string(value)}}}};
}
Json StringAttribute(const std::string& key, const std::string& value) {
  return {{"key", key}, {"value", {{"stringValue", value}}}};
}

// An OTLP/JSON request: trace `trace_id` with an agent root and one chat span per model (1M
// input and 1M output tokens each); the chat span of `failing_model` has status error.
std::string ChatRequest(const std::string& trace_id, const std::vector<std::string>& models,
                        const std::string& failing_model = "") {
  const std::string start = std::to_string(kNow - 10 * kSecond);
  const std::string end = std::to_string(kNow - 9 * kSecond);
  Json spans = Json::array();
  spans.push_back({{"traceId", trace_id},
                   {"spanId", "a000000000000001"},
                   {"name", "agent"},
                   {"startTimeUnixNano", start},
                   {"endTimeUnixNano", end}});
  for (size_t i = 0; i < models.size(); ++i) {
    Json span = {{"traceId", trace_id},
                 {"spanId", absl::StrCat("b00000000000000", i + 1)},
                 {"parentSpanId", "a000000000000001"},
                 {"name", "chat"},
                 {"startTimeUnixNano", start},
                 {"endTimeUnixNano", end},
                 {"attributes",
                  {StringAttribute("gen_ai.operation.name", "chat"), StringAttribute("gen_ai.request.model", models[i]),
                   IntAttribute("gen_ai.usage.input_tokens", 1'000'000),
                   IntAttribute("gen_ai.usage.output_tokens", 1'000'000)}}};
    if (models[i] == failing_model) span["status"] = {{"code", 2}, {"message", "boom"}};
    spans.push_back(std::move(span));
  }
  Json request = {{"resourceSpans",
                   {{{"resource", {{"attributes", {StringAttribute("service.name", "svc")}}}},
                     {"scopeSpans", {{{"scope", {{"name", "test"}}}, {"spans", spans}}}}}}}};
  return request.dump();
}

class MetricsApiTest : public RunningAppTestBase {
 protected:
  MetricsApiTest() : RunningAppTestBase(kNow) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    key_ = AddKey("p1", store::kScopeIngest | store::kScopeRead);
    ingest_only_key_ = AddKey("p1", store::kScopeIngest);
    ServerOptions options;
    options.io_threads = 2;
    StartApp(options);
    // Two runs: one with two gpt-4o calls, one with a gpt-4o-mini call that fails and a call
    // to a model without a price.
    ASSERT_EQ(Send("/v1/traces", ChatRequest("0af7651916cd43dd8448eb211c80319c", {"gpt-4o", "gpt-4o"}), true)
                  .result(),
              http::status::ok);
    ASSERT_EQ(Send("/v1/traces",
                   ChatRequest("1af7651916cd43dd8448eb211c80319c", {"gpt-4o-mini", "mystery-model"}, "gpt-4o-mini"),
                   true)
                  .result(),
              http::status::ok);
  }

  HttpResponse Send(const std::string& target, std::string body = "", bool post = false,
                    const std::string* key = nullptr) {
    std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", "Bearer " + (key ? *key : key_)}};
    if (post) headers.emplace_back("Content-Type", "application/json");
    return SendRequest(post ? http::verb::post : http::verb::get, target, std::move(headers), std::move(body));
  }

  Json Get(const std::string& target) {
    HttpResponse response = Send(target);
    EXPECT_EQ(response.result(), http::status::ok) << target << ": " << response.body();
    return Json::parse(response.body(), nullptr, false);
  }

  // The error message of a request expected to be a 400.
  std::string BadRequestMessage(const std::string& target) {
    HttpResponse response = Send(target);
    EXPECT_EQ(response.result(), http::status::bad_request) << target << ": " << response.body();
    return Json::parse(response.body(), nullptr, false)["error"]["message"].get<std::string>();
  }

  // The row of `data` whose `field` is `value`.
  static Json Row(const Json& data, const std::string& field, const std::string& value) {
    for (const Json& row : data) {
      if (row[field] == value) return row;
    }
    ADD_FAILURE() << "no row with " << field << " = " << value << " in " << data.dump();
    return Json::object();
  }

  std::string key_, ingest_only_key_;
};

TEST_F(MetricsApiTest, CostAndCountsByModel) {
  Json body = Get("/api/v1/metrics?measures=count,cost,input_tokens,error_rate,unpriced_count&group_by=model&type=generation");
  EXPECT_EQ(body["level"], "observation");
  ASSERT_EQ(body["data"].size(), 3u) << body.dump();
  Json gpt4o = Row(body["data"], "model", "gpt-4o");
  EXPECT_EQ(gpt4o["count"], 2);
  EXPECT_EQ(gpt4o["input_tokens"], 2'000'000);
  EXPECT_EQ(gpt4o["error_rate"], 0);
  EXPECT_GT(gpt4o["cost"].get<double>(), 0);
  EXPECT_EQ(Row(body["data"], "model", "gpt-4o-mini")["error_rate"], 1);
  Json mystery = Row(body["data"], "model", "mystery-model");
  EXPECT_EQ(mystery["unpriced_count"], 1);
  EXPECT_EQ(mystery["cost"], 0);

  // The whole-project cost equals the sum of the trace costs.
  double trace_cost = 0;
  const Json traces = Get("/api/v1/traces");
  ASSERT_EQ(traces["data"].size(), 2u);
  for (const Json& trace : traces["data"]) trace_cost += trace["cost"]["total"].get<double>();
  Json total = Get("/api/v1/metrics?measures=cost&level=trace")["data"];
  ASSERT_EQ(total.size(), 1u);
  EXPECT_NEAR(total[0]["cost"].get<double>(), trace_cost, 1e-6);
}

TEST_F(MetricsApiTest, PerRunMeasuresSelectTheTraceLevel) {
  Json body = Get("/api/v1/metrics?measures=count,success_rate,model_calls_per_run,cost_per_successful_run");
  EXPECT_EQ(body["level"], "trace");
  ASSERT_EQ(body["data"].size(), 1u) << body.dump();
  Json row = body["data"][0];
  EXPECT_EQ(row["count"], 2);
  EXPECT_EQ(row["success_rate"], 0.5);
  EXPECT_EQ(row["model_calls_per_run"], 2);
  EXPECT_GT(row["cost_per_successful_run"].get<double>(), 0);
}

TEST_F(MetricsApiTest, CountsCallsPerUser) {
  // A third run, by user u1: an agent with two tool calls, one of them a retry.
  const std::string start = std::to_string(kNow - 10 * kSecond);
  const std::string end = std::to_string(kNow - 9 * kSecond);
  Json spans = {{{"traceId", "2af7651916cd43dd8448eb211c80319c"}, {"spanId", "a000000000000001"}, {"name", "agent"},
                 {"startTimeUnixNano", start}, {"endTimeUnixNano", end},
                 {"attributes", {StringAttribute("user.id", "u1")}}}};
  for (int i = 1; i <= 2; ++i) {
    Json attributes = {StringAttribute("gen_ai.operation.name", "execute_tool"),
                       StringAttribute("gen_ai.tool.name", "search")};
    if (i == 2) attributes.push_back(IntAttribute("trackly.retry_count", 1));
    spans.push_back({{"traceId", "2af7651916cd43dd8448eb211c80319c"}, {"spanId", absl::StrCat("c00000000000000", i)},
                     {"parentSpanId", "a000000000000001"}, {"name", "search"}, {"startTimeUnixNano", start},
                     {"endTimeUnixNano", end}, {"attributes", attributes}});
  }
  Json request = {{"resourceSpans", {{{"scopeSpans", {{{"spans", spans}}}}}}}};
  ASSERT_EQ(Send("/v1/traces", request.dump(), true).result(), http::status::ok);

  Json body = Get("/api/v1/metrics?measures=count,model_calls,tool_calls,retries,tool_calls_per_run&group_by=user_id");
  EXPECT_EQ(body["level"], "trace");
  Json u1 = Row(body["data"], "user_id", "u1");
  EXPECT_EQ(u1["count"], 1);
  EXPECT_EQ(u1["model_calls"], 0);
  EXPECT_EQ(u1["tool_calls"], 2);
  EXPECT_EQ(u1["retries"], 1);
  EXPECT_EQ(u1["tool_calls_per_run"], 2);
  Json anonymous = Row(body["data"], "user_id", "");
  EXPECT_EQ(anonymous["count"], 2);
  EXPECT_EQ(anonymous["model_calls"], 4);
  EXPECT_EQ(anonymous["tool_calls"], 0);
}

TEST_F(MetricsApiTest, GroupsByTimeAndAnswersPercentiles) {
  Json body = Get(absl::StrCat("/api/v1/metrics?measures=p50_latency,p99_latency&group_by=name,hour&from=",
                               model::FormatRfc3339Micros(kNow - 3600 * kSecond), "&to=",
                               model::FormatRfc3339Micros(kNow)));
  EXPECT_EQ(body["granularity"], "hour");
  Json chat = Row(body["data"], "name", "chat");
  EXPECT_NEAR(chat["p50_latency"].get<double>(), 1000, 10);  // 1 s spans, within 1 %
  EXPECT_EQ(chat["time"], model::FormatRfc3339Micros((kNow - 10 * kSecond) / (3600 * kSecond) * (3600 * kSecond)));
  // Nothing before the range.
  EXPECT_TRUE(Get("/api/v1/metrics?to=2020-01-01T00:00:00Z")["data"].empty());
}

TEST_F(MetricsApiTest, BadParametersAre400NamingTheParameter) {
  EXPECT_THAT(BadRequestMessage("/api/v1/metrics?measures=count,bogus"), HasSubstr("'measures'"));
  EXPECT_THAT(BadRequestMessage("/api/v1/metrics?group_by=colour"), HasSubstr("'group_by'"));
  EXPECT_THAT(BadRequestMessage("/api/v1/metrics?group_by=hour,day"), HasSubstr("'group_by'"));
  EXPECT_THAT(BadRequestMessage("/api/v1/metrics?level=span"), HasSubstr("'level'"));
  EXPECT_THAT(BadRequestMessage("/api/v1/metrics?from=yesterday"), HasSubstr("'from'"));
  EXPECT_THAT(BadRequestMessage("/api/v1/metrics?colour=red"), HasSubstr("'colour'"));
  EXPECT_THAT(BadRequestMessage("/api/v1/metrics?group_by=user_id,model"), HasSubstr("'model'"));
  EXPECT_THAT(BadRequestMessage("/api/v1/metrics?measures=cost_per_run&level=observation"),
              HasSubstr("cost_per_run"));
}

TEST_F(MetricsApiTest, NeedsTheReadScope) {
  EXPECT_EQ(Send("/api/v1/metrics", "", false, &ingest_only_key_).result(), http::status::forbidden);
  EXPECT_EQ(Send("/api/v1/metrics/what-if?model=a&as=b&from=1&to=2", "", false, &ingest_only_key_).result(),
            http::status::forbidden);
}

TEST_F(MetricsApiTest, WhatIfPricesStoredUsageAtAnotherModelsPrices) {
  const std::string range = absl::StrCat("&from=", model::FormatRfc3339Micros(kNow - 24 * 3600 * kSecond),
                                         "&to=", model::FormatRfc3339Micros(kNow));
  Json actual = Get(absl::StrCat("/api/v1/metrics?measures=cost&model=gpt-4o-mini", range))["data"][0];
  Json body = Get(absl::StrCat("/api/v1/metrics/what-if?model=gpt-4o&as=gpt-4o-mini", range));
  EXPECT_EQ(body["calls"], 2);
  EXPECT_EQ(body["usage"]["input_tokens"], 2'000'000);
  // Both gpt-4o calls had the same usage as the one gpt-4o-mini call.
  EXPECT_NEAR(body["what_if_cost"].get<double>(), 2 * actual["cost"].get<double>(), 1e-9);
  EXPECT_LT(body["difference"].get<double>(), 0);
  EXPECT_NEAR(body["monthly_projection"]["difference"].get<double>(), 30 * body["difference"].get<double>(), 1e-6);
  EXPECT_FALSE(body["price_id"].get<std::string>().empty());

  EXPECT_THAT(BadRequestMessage(absl::StrCat("/api/v1/metrics/what-if?model=gpt-4o", range)), HasSubstr("'as'"));
  EXPECT_THAT(BadRequestMessage(absl::StrCat("/api/v1/metrics/what-if?model=gpt-4o&as=no-such-model", range)),
              HasSubstr("'as'"));
}

}  // namespace
}  // namespace trackly::server
