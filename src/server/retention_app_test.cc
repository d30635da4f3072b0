// Retention with a fake clock, through the assembled server over real HTTP (docs/security.md
// "Retention"): once a project's payloads are older than its retention, they are unreadable
// through every read API (trace, observation, observation pages, list, search, export) and gone
// from every file of the data directory, while the summary stays and younger traces are whole.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/json.h"
#include "server/running_app_test_base.h"
#include "server/retention_expirer.h"

namespace trackly::server {
namespace {

using model::Json;

constexpr int64_t kDayNs = int64_t{86'400} * 1'000'000'000;
// Noon of a day in late 2026: the day "old" traces start.
constexpr int64_t kT0 = (1'795'000'000'000'000'000 / kDayNs) * kDayNs + kDayNs / 2;

// An OTLP/JSON request with one trace: a root carrying `text` in its input and output and an
// attribute, and a model call carrying it in its prompt, both starting at `start_ns`.
std::string TraceRequest(const std::string& trace_id, int64_t start_ns, const std::string& text) {
  auto attr = [](const std::string& key, const Json& value) {
    return Json{{"key", key}, {"value", value.is_number() ? Json{{"intValue", value}} : Json{{"stringValue", value}}}};
  };
  Json root = {{"traceId", trace_id},
               {"spanId", "1000000000000001"},
               {"name", "agent run"},
               {"kind", 1},
               {"startTimeUnixNano", std::to_string(start_ns)},
               {"endTimeUnixNano", std::to_string(start_ns + 900'000'000)},
               {"attributes", Json::array({attr("input.value", "question about " + text),
                                           attr("output.value", "answer about " + text),
                                           attr("app.note", "note about " + text)})}};
  Json chat = {{"traceId", trace_id},
               {"spanId", "1000000000000002"},
               {"parentSpanId", "1000000000000001"},
               {"name", "chat"},
               {"kind", 1},
               {"startTimeUnixNano", std::to_string(start_ns + 10'000'000)},
               {"endTimeUnixNano", std::to_string(start_ns + 500'000'000)},
               {"attributes", Json::array({attr("gen_ai.operation.name", "chat"),
                                           attr("gen_ai.request.model", "gpt-4o-mini"),
                                           attr("gen_ai.usage.input_tokens", 12),
                                           attr("gen_ai.usage.output_tokens", 5),
                                           attr("gen_ai.prompt", "prompt with " + text)})}};
  Json request = {{"resourceSpans", {{{"scopeSpans", {{{"scope", {{"name", "test"}}}, {"spans", {root, chat}}}}}}}}};
  return request.dump();
}

class RetentionAppTest : public RunningAppTestBase {
 protected:
  RetentionAppTest() : RunningAppTestBase(kT0) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    key_ = AddKey("p1", store::kScopeIngest | store::kScopeRead | store::kScopeAdmin);
    ServerOptions options;
    options.io_threads = 2;
    StartApp(options);
    ASSERT_EQ(Send(http::verb::post, "/v1/traces", TraceRequest(kOld, kT0, kOldText)).result(), http::status::ok);
    ASSERT_EQ(Send(http::verb::post, "/v1/traces", TraceRequest(kYoung, kT0 + 20 * kDayNs, kYoungText)).result(),
              http::status::ok);
  }

  HttpResponse Send(http::verb method, const std::string& target, std::string body = "") {
    return SendWithKey(method, target, key_, std::move(body));
  }

  // The expiry the server applies now, as POST /api/v1/retention/run reports it.
  Json RunRetention() {
    HttpResponse run = Send(http::verb::post, "/api/v1/retention/run");
    EXPECT_EQ(run.result(), http::status::ok) << run.body();
    return Json::parse(run.body(), nullptr, false)["expired"];
  }

  // Every file of the data directory that holds `word`.
  std::vector<std::string> FilesHolding(const std::string& word) {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (bytes.find(word) != std::string::npos) found.push_back(entry.path().string());
    }
    return found;
  }

  static constexpr char kOld[] = "0af7651916cd43dd8448eb211c80319c";
  static constexpr char kYoung[] = "1af7651916cd43dd8448eb211c80319c";
  static constexpr char kOldText[] = "OldCanaryQuokka";
  static constexpr char kYoungText[] = "YoungCanaryWombat";
  std::string key_;
};

TEST_F(RetentionAppTest, PayloadsOlderThanTheRetentionAreUnreadableAndGoneFromDisk) {
  ASSERT_EQ(Send(http::verb::put, "/api/v1/retention", R"({"payload_days":30,"summary_days":0})").result(),
            http::status::ok);
  ASSERT_FALSE(FilesHolding(kOldText).empty()) << "the canary is not on disk, so the check below proves nothing";

  // 25 days on, the old trace is within its 30 days.
  clock_.Set(kT0 + 25 * kDayNs);
  EXPECT_EQ(RunRetention()["partitions_dropped"], 0);
  EXPECT_NE(Send(http::verb::get, absl::StrCat("/api/v1/traces/", kOld)).body().find(kOldText), std::string::npos);

  // 31 days and a half on, all of its day is older than 30 days.
  clock_.Set(kT0 + 31 * kDayNs);
  Json expired = RunRetention();
  EXPECT_GE(expired["partitions_dropped"], 1);
  EXPECT_EQ(expired["traces_cleared"], 1);

  const std::vector<std::string> reads = {
      absl::StrCat("/api/v1/traces/", kOld),
      absl::StrCat("/api/v1/traces/", kOld, "/observations"),
      absl::StrCat("/api/v1/traces/", kOld, "/observations?fields=summary"),
      absl::StrCat("/api/v1/traces/", kOld, "/observations/1000000000000002"),
      "/api/v1/traces",
      "/api/v1/export?format=jsonl",
      "/api/v1/export?format=otlp",
  };
  for (const std::string& target : reads) {
    HttpResponse response = Send(http::verb::get, target);
    EXPECT_EQ(response.result(), http::status::ok) << target << ": " << response.body();
    EXPECT_EQ(response.body().find(kOldText), std::string::npos) << target << " still shows the expired payload";
  }
  Json trace = Json::parse(Send(http::verb::get, absl::StrCat("/api/v1/traces/", kOld)).body());
  EXPECT_EQ(trace["trace"]["name"], "agent run");
  EXPECT_EQ(trace["trace"]["usage"]["input_tokens"], 12);
  EXPECT_TRUE(trace["trace"]["input"].is_null());
  ASSERT_EQ(trace["observations"].size(), 2u);
  for (const Json& observation : trace["observations"]) EXPECT_EQ(observation["payload_expired"], true);
  Json found = Json::parse(Send(http::verb::get, absl::StrCat("/api/v1/traces?q=", kOldText)).body());
  EXPECT_TRUE(found["data"].empty());

  // The younger trace is whole, and the expired text is in no file (the WAL included).
  EXPECT_NE(Send(http::verb::get, absl::StrCat("/api/v1/traces/", kYoung)).body().find(kYoungText), std::string::npos);
  EXPECT_EQ(FilesHolding(kOldText), std::vector<std::string>{});
  EXPECT_FALSE(FilesHolding(kYoungText).empty());
}

TEST_F(RetentionAppTest, SummariesOlderThanTheRetentionGoEntirely) {
  ASSERT_EQ(Send(http::verb::put, "/api/v1/retention", R"({"payload_days":5,"summary_days":10})").result(),
            http::status::ok);
  clock_.Set(kT0 + 12 * kDayNs);
  Json expired = RunRetention();
  EXPECT_EQ(expired["traces_removed"], 1);
  EXPECT_EQ(Send(http::verb::get, absl::StrCat("/api/v1/traces/", kOld)).result(), http::status::not_found);
  // Nothing more to do until the clock moves on.
  EXPECT_EQ(RunRetention(), Json({{"partitions_dropped", 0}, {"traces_cleared", 0}, {"traces_removed", 0}}));
  EXPECT_EQ(Send(http::verb::get, absl::StrCat("/api/v1/traces/", kYoung)).result(), http::status::ok);
}

TEST(ExpireRequestForTest, ExpiresADayOnceAllOfItIsOlderThanTheRetention) {
  const store::RetentionRecord retention{.project = "p", .payload_days = 30, .summary_days = 90};
  const int64_t day0 = store::DayOf(kT0);
  struct Case {
    int64_t now_ns;
    int64_t payload_before_day;
    int64_t summary_before_day;
  } cases[] = {
      {kT0, day0 - 30, day0 - 90},
      {kT0 + 30 * kDayNs, day0, day0 - 60},
      {kT0 + 31 * kDayNs, day0 + 1, day0 - 59},  // day0 ended more than 30 days ago
  };
  for (const Case& c : cases) {
    store::ExpireRequest request = ExpireRequestFor(retention, c.now_ns);
    EXPECT_EQ(request.project, "p");
    EXPECT_EQ(request.payload_before_day, c.payload_before_day) << c.now_ns;
    EXPECT_EQ(request.summary_before_day, c.summary_before_day) << c.now_ns;
  }
  EXPECT_EQ(ExpireRequestFor({.project = "p"}, kT0).payload_before_day, 0);  // 0 days: keep forever
  EXPECT_EQ(ExpireRequestFor({.project = "p"}, kT0).summary_before_day, 0);
}

}  // namespace
}  // namespace trackly::server
