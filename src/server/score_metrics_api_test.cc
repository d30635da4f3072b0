// GET /api/v1/metrics/scores through the assembled server: evaluation scores as the trace
// finisher stores them, a user score posted to /api/v1/scores, the SQLite store, real HTTP.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/time_format.h"
#include "server/running_app_test_base.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;
using model::Json;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kHour = 3600 * kSecond;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kNow = 1'800'000'000 * kSecond;  // 2027-01-15T08:00:00Z

model::Score Evaluation(std::string trace_id, std::string name, Json value, int64_t time_ns) {
  return model::Score{.id = absl::StrCat(trace_id, "/", name),
                      .trace_id = std::move(trace_id),
                      .name = std::move(name),
                      .value = std::move(value),
                      .source = "trackly",
                      .time_ns = time_ns};
}

class ScoreMetricsApiTest : public RunningAppTestBase {
 protected:
  ScoreMetricsApiTest() : RunningAppTestBase(kNow) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    key_ = AddKey("p1", store::kScopeIngest | store::kScopeRead);
    ingest_only_key_ = AddKey("p1", store::kScopeIngest);
    p2_key_ = AddKey("p2", store::kScopeRead);
    StartApp(ServerOptions{});
    // Three finished runs as server/trace_finisher.h scores them, two of them yesterday.
    const int64_t yesterday = kNow - kDay;
    ASSERT_TRUE(store::WriteAndWait(
                    *store_, store::WriteBatch{
                                 .project = "p1",
                                 .scores = {
                                     Evaluation("t1", "trackly.stop_reason", "final_answer", yesterday),
                                     Evaluation("t1", "trackly.rule.few tools", true, yesterday),
                                     Evaluation("t1", "trackly.rule.cheap", true, yesterday),
                                     Evaluation("t2", "trackly.stop_reason", "max_iterations", yesterday),
                                     Evaluation("t2", "trackly.rule.few tools", false, yesterday),
                                     Evaluation("t2", "trackly.finding.repeated_tool_call", true, yesterday),
                                     Evaluation("t2", "trackly.finding.tool_error_storm", true, yesterday),
                                     Evaluation("t3", "trackly.stop_reason", "final_answer", kNow - kHour),
                                     Evaluation("t3", "trackly.rule.few tools", true, kNow - kHour),
                                     Evaluation("t3", "trackly.finding.tool_error_storm", true, kNow - kHour),
                                 }})
                    .ok());
    // Another project's run, which no answer of p1 may count.
    ASSERT_TRUE(store::WriteAndWait(*store_, store::WriteBatch{.project = "p2",
                                                               .scores = {Evaluation("t1", "trackly.rule.few tools",
                                                                                     false, kNow - kHour)}})
                    .ok());
    // A user's rating, through the API.
    HttpResponse posted = SendWithKey(http::verb::post, "/api/v1/scores", key_,
                                      R"({"trace_id": "t1", "name": "helpful", "value": 0.5, "source": "API"})");
    ASSERT_EQ(posted.result(), http::status::created) << posted.body();
  }

  Json Get(const std::string& target, const std::string* key = nullptr) {
    HttpResponse response = SendWithKey(http::verb::get, target, key ? *key : key_);
    EXPECT_EQ(response.result(), http::status::ok) << target << ": " << response.body();
    return Json::parse(response.body(), nullptr, false);
  }

  std::string BadRequestMessage(const std::string& target) {
    HttpResponse response = SendWithKey(http::verb::get, target, key_);
    EXPECT_EQ(response.result(), http::status::bad_request) << target << ": " << response.body();
    return Json::parse(response.body(), nullptr, false)["error"]["message"].get<std::string>();
  }

  std::string key_, ingest_only_key_, p2_key_;
};

TEST_F(ScoreMetricsApiTest, AnswersRulePassRatesFindingCountsAndStopReasons) {
  struct Case {
    std::string target;
    Json expected;
  };
  const std::vector<Case> cases = {
      {"/api/v1/metrics/scores?name_prefix=trackly.rule.&group_by=name&measures=true_rate,count",
       Json::parse(R"({"granularity": null, "data": [
           {"name": "trackly.rule.cheap", "true_rate": 1.0, "count": 1},
           {"name": "trackly.rule.few tools", "true_rate": 0.6666666666666666, "count": 3}]})")},
      {"/api/v1/metrics/scores?name_prefix=trackly.finding.&group_by=name&measures=count,traces",
       Json::parse(R"({"granularity": null, "data": [
           {"name": "trackly.finding.repeated_tool_call", "count": 1, "traces": 1},
           {"name": "trackly.finding.tool_error_storm", "count": 2, "traces": 2}]})")},
      {"/api/v1/metrics/scores?name=trackly.stop_reason&group_by=value",
       Json::parse(R"({"granularity": null, "data": [
           {"value": "final_answer", "count": 2}, {"value": "max_iterations", "count": 1}]})")},
      {"/api/v1/metrics/scores?name=helpful&measures=avg,min,max,true_rate&group_by=source",
       Json::parse(R"({"granularity": null, "data": [
           {"source": "API", "avg": 0.5, "min": 0.5, "max": 0.5, "true_rate": null}]})")},
  };
  for (const Case& c : cases) {
    Json body = Get(c.target);
    EXPECT_EQ(body, c.expected) << c.target << "\n" << body.dump();
    for (const Json& row : body["data"]) {
      for (const char* count : {"count", "traces"}) {
        if (row.contains(count)) {
          EXPECT_TRUE(row[count].is_number_integer()) << c.target << ": " << row.dump();
        }
      }
    }
  }
}

TEST_F(ScoreMetricsApiTest, GroupsByDayWithinTheRange) {
  const std::string range = absl::StrCat("&from=", model::FormatRfc3339Micros(kNow - 2 * kDay),
                                         "&to=", model::FormatRfc3339Micros(kNow));
  Json body = Get(absl::StrCat("/api/v1/metrics/scores?name=trackly.rule.few%20tools&group_by=day"
                               "&measures=true_count,false_count", range));
  EXPECT_EQ(body["granularity"], "day");
  auto day_of = [](int64_t t) { return model::FormatRfc3339Micros(t / kDay * kDay); };
  EXPECT_EQ(body["data"], Json::parse(absl::StrCat(R"([{"time": ")", day_of(kNow - kDay),
                                                   R"(", "true_count": 1, "false_count": 1}, {"time": ")",
                                                   day_of(kNow), R"(", "true_count": 1, "false_count": 0}])")))
      << body.dump();
  // The range leaves yesterday out.
  Json today = Get(absl::StrCat("/api/v1/metrics/scores?name_prefix=trackly.&from=",
                                model::FormatRfc3339Micros(kNow - 2 * kHour)));
  EXPECT_EQ(today["data"], Json::parse(R"([{"count": 3}])")) << today.dump();
}

TEST_F(ScoreMetricsApiTest, CountsOnlyTheCallersProject) {
  Json p2 = Get("/api/v1/metrics/scores?group_by=name&measures=count,true_rate", &p2_key_);
  EXPECT_EQ(p2["data"], Json::parse(R"([{"name": "trackly.rule.few tools", "count": 1, "true_rate": 0.0}])"))
      << p2.dump();
  Json p1 = Get("/api/v1/metrics/scores?measures=count,traces");
  EXPECT_EQ(p1["data"], Json::parse(R"([{"count": 11, "traces": 3}])")) << p1.dump();
}

TEST_F(ScoreMetricsApiTest, BadParametersAre400NamingTheParameter) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"name=a&name_prefix=b", "'name_prefix'"},
      {"measures=count,p95_latency", "'measures'"},
      {"measures=count,count", "'measures'"},
      {"group_by=model", "'group_by'"},
      {"group_by=name,name", "'group_by'"},
      {"group_by=hour,day", "'group_by'"},
      {"from=yesterday", "'from'"},
      {"to=soon", "'to'"},
      {"from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z", "'from'"},
      {"colour=red", "'colour'"},
      {"level=trace", "'level'"},
  };
  for (const auto& [query, names] : cases) {
    EXPECT_THAT(BadRequestMessage(absl::StrCat("/api/v1/metrics/scores?", query)), HasSubstr(names)) << query;
  }
}

TEST_F(ScoreMetricsApiTest, NeedsTheReadScope) {
  EXPECT_EQ(SendWithKey(http::verb::get, "/api/v1/metrics/scores", ingest_only_key_).result(), http::status::forbidden);
  EXPECT_EQ(SendRequest(http::verb::get, "/api/v1/metrics/scores").result(), http::status::unauthorized);
}

}  // namespace
}  // namespace trackly::server
