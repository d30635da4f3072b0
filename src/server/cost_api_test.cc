// The cost API through the assembled server (real SQLite store and catalog, real HTTP): project
// prices priced at ingest, 400s naming the field, and recompute after a price change.
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/codec.h"
#include "model/summary.h"
#include "server/api_key.h"
#include "server/app.h"
#include "server/http_test_client.h"
#include "server/running_app_test_base.h"
#include "store/sqlite/sqlite_catalog.h"
#include "store/sqlite/sqlite_store.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using model::Json;

constexpr char kTraceId[] = "0af7651916cd43dd8448eb211c80319c";
constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kNow = 1'800'000'000 * kSecond;  // 2027-01-15

// A custom price for "acme-ft-1" and its dated snapshots: $input and $output per 1M tokens.
Json AcmePrice(double input, double output) {
  return Json{{"provider", "acme"},
              {"model", "acme-ft-1"},
              {"match", "acme-ft-1(?:-\\d{8})?"},
              {"valid_from", "2026-01-01"},
              {"prices", {{"input", input}, {"output", output}}}};
}

Json IntAttribute(const std::string& key, int64_t value) {
  return {{"key", key}, {"value", {{"intValue", std::to_string(value)}}}};
}
Json StringAttribute(const std::string& key, const std::string& value) {
  return {{"key", key}, {"value", {{"stringValue", value}}}};
}

// An OTLP/JSON request: an agent root span and one chat span per model, 1M input and 1M output
// tokens each.
std::string ChatRequest(const std::vector<std::string>& models) {
  const std::string start = std::to_string(kNow - 10 * kSecond);
  const std::string end = std::to_string(kNow - 9 * kSecond);
  Json spans = Json::array();
  spans.push_back({{"traceId", kTraceId},
                   {"spanId", "a000000000000001"},
                   {"name", "agent"},
                   {"startTimeUnixNano", start},
                   {"endTimeUnixNano", end},
                   {"attributes", {StringAttribute("session.id", "s1")}}});
  for (size_t i = 0; i < models.size(); ++i) {
    spans.push_back({{"traceId", kTraceId},
                     {"spanId", absl::StrCat("b00000000000000", i + 1)},
                     {"parentSpanId", "a000000000000001"},
                     {"name", "chat"},
                     {"startTimeUnixNano", start},
                     {"endTimeUnixNano", end},
                     {"attributes",
                      {StringAttribute("gen_ai.operation.name", "chat"),
                       StringAttribute("gen_ai.request.model", models[i]),
                       IntAttribute("gen_ai.usage.input_tokens", 1'000'000),
                       IntAttribute("gen_ai.usage.output_tokens", 1'000'000)}}});
  }
  Json request = {{"resourceSpans",
                   {{{"resource", {{"attributes", {StringAttribute("service.name", "svc")}}}},
                     {"scopeSpans", {{{"scope", {{"name", "test"}}}, {"spans", spans}}}}}}}};
  return request.dump();
}

class CostApiTest : public RunningAppTestBase {
 protected:
  CostApiTest() : RunningAppTestBase(kNow) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    AddSettingsKeys();
    ServerOptions options;
    options.io_threads = 2;
    StartApp(options);
  }

  // The stored trace and its observations, via the query API.
  Json GetTrace(const std::string& key) {
    HttpResponse response = SendWithKey(http::verb::get, absl::StrCat("/api/v1/traces/", kTraceId), key);
    EXPECT_EQ(response.result(), http::status::ok) << response.body();
    return Body(response);
  }

  static Json ObservationById(const Json& detail, const std::string& id) {
    for (const Json& o : detail["observations"]) {
      if (o["id"] == id) return o;
    }
    ADD_FAILURE() << "no observation " << id;
    return Json();
  }

};

TEST_F(CostApiTest, CustomPriceAddedThroughTheApiPricesTheNextIngest) {
  HttpResponse added = SendWithKey(http::verb::post, "/api/v1/models", admin_key_, AcmePrice(2, 8).dump());
  ASSERT_EQ(added.result(), http::status::created) << added.body();
  EXPECT_EQ(Body(added)["id"], "custom:acme/acme-ft-1@2026-01-01");
  EXPECT_EQ(Body(added)["scope"], "project");

  HttpResponse ingest = SendWithKey(http::verb::post, "/v1/traces", admin_key_, ChatRequest({"acme-ft-1-20260301"}));
  ASSERT_EQ(ingest.result(), http::status::ok) << ingest.body();
  Json detail = GetTrace(admin_key_);
  Json cost = ObservationById(detail, "b000000000000001")["cost"];
  EXPECT_EQ(cost["source"], "computed");
  EXPECT_EQ(cost["price_id"], "custom:acme/acme-ft-1@2026-01-01");
  EXPECT_DOUBLE_EQ(cost["total"].get<double>(), 10.0);  // 1M input at $2 + 1M output at $8
  EXPECT_DOUBLE_EQ(detail["trace"]["cost"]["total"].get<double>(), 10.0);

  // Another project does not get p1's price.
  ASSERT_EQ(SendWithKey(http::verb::post, "/v1/traces", other_key_, ChatRequest({"acme-ft-1"})).result(),
            http::status::ok);
  Json other = ObservationById(GetTrace(other_key_), "b000000000000001");
  EXPECT_THAT(other["cost"]["note"].get<std::string>(), HasSubstr("no price for model"));
}

TEST_F(CostApiTest, ListShowsProjectPricesFirstThenBuiltIns) {
  ASSERT_EQ(SendWithKey(http::verb::post, "/api/v1/models", admin_key_, AcmePrice(2, 8).dump()).result(),
            http::status::created);
  HttpResponse list = SendWithKey(http::verb::get, "/api/v1/models", read_key_);
  ASSERT_EQ(list.result(), http::status::ok) << list.body();
  Json data = Body(list)["data"];
  ASSERT_GT(data.size(), 10u);
  EXPECT_EQ(data[0]["id"], "custom:acme/acme-ft-1@2026-01-01");
  EXPECT_EQ(data[0]["scope"], "project");
  EXPECT_EQ(data[1]["scope"], "builtin");
  // p2 sees only the built-ins.
  EXPECT_EQ(Body(SendWithKey(http::verb::get, "/api/v1/models", other_key_))["data"][0]["scope"], "builtin");
}

TEST_F(CostApiTest, InvalidPatternIs400NamingTheField) {
  Json entry = AcmePrice(2, 8);
  entry["match"] = "acme-(ft";
  HttpResponse response = SendWithKey(http::verb::post, "/api/v1/models", admin_key_, entry.dump());
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_EQ(Body(response)["error"]["code"], "invalid_argument");
  EXPECT_THAT(Body(response)["error"]["message"].get<std::string>(), StartsWith("match: invalid RE2 pattern"));
}

TEST_F(CostApiTest, OverlappingValidityIs400NamingTheField) {
  Json first = AcmePrice(2, 8);
  first["valid_until"] = "2026-06-01";
  ASSERT_EQ(SendWithKey(http::verb::post, "/api/v1/models", admin_key_, first.dump()).result(), http::status::created);
  Json second = AcmePrice(3, 9);
  second["valid_from"] = "2026-03-01";
  HttpResponse response = SendWithKey(http::verb::post, "/api/v1/models", admin_key_, second.dump());
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_THAT(Body(response)["error"]["message"].get<std::string>(), StartsWith("valid_until:"));
}

TEST_F(CostApiTest, ChangingPricesNeedsTheAdminScope) {
  EXPECT_EQ(SendWithKey(http::verb::post, "/api/v1/models", read_key_, AcmePrice(2, 8).dump()).result(),
            http::status::forbidden);
  EXPECT_EQ(SendWithKey(http::verb::delete_, "/api/v1/models/x", read_key_).result(), http::status::forbidden);
  EXPECT_EQ(SendWithKey(http::verb::post, "/api/v1/cost/recompute", read_key_, "{}").result(), http::status::forbidden);
}

TEST_F(CostApiTest, RemovedPriceStopsPricingAndUnknownIdIs404) {
  ASSERT_EQ(SendWithKey(http::verb::post, "/api/v1/models", admin_key_, AcmePrice(2, 8).dump()).result(),
            http::status::created);
  HttpResponse removed =
      SendWithKey(http::verb::delete_, "/api/v1/models/custom:acme%2Facme-ft-1@2026-01-01", admin_key_);
  ASSERT_EQ(removed.result(), http::status::ok) << removed.body();
  EXPECT_EQ(SendWithKey(http::verb::delete_, "/api/v1/models/custom:acme%2Facme-ft-1@2026-01-01", admin_key_).result(),
            http::status::not_found);
  ASSERT_EQ(SendWithKey(http::verb::post, "/v1/traces", admin_key_, ChatRequest({"acme-ft-1"})).result(), http::status::ok);
  EXPECT_EQ(ObservationById(GetTrace(admin_key_), "b000000000000001")["cost"]["source"], nullptr);
}

TEST_F(CostApiTest, RecomputeAfterAPriceChangeUpdatesTraceTotalsToARecomputation) {
  ASSERT_EQ(SendWithKey(http::verb::post, "/api/v1/models", admin_key_, AcmePrice(2, 8).dump()).result(),
            http::status::created);
  ASSERT_EQ(SendWithKey(http::verb::post, "/v1/traces", admin_key_, ChatRequest({"acme-ft-1", "acme-ft-1", "gpt-4o"})).result(),
            http::status::ok);
  const double builtin_cost = ObservationById(GetTrace(admin_key_), "b000000000000003")["cost"]["total"].get<double>();
  ASSERT_DOUBLE_EQ(GetTrace(admin_key_)["trace"]["cost"]["total"].get<double>(), 20.0 + builtin_cost);

  // The same id again corrects the price; stored costs follow only after a recompute.
  ASSERT_EQ(SendWithKey(http::verb::post, "/api/v1/models", admin_key_, AcmePrice(1, 1).dump()).result(),
            http::status::created);
  Json range{{"from", "2027-01-01T00:00:00Z"}, {"to", "2027-02-01T00:00:00Z"}};
  HttpResponse recomputed = SendWithKey(http::verb::post, "/api/v1/cost/recompute", admin_key_, range.dump());
  ASSERT_EQ(recomputed.result(), http::status::ok) << recomputed.body();
  Json report = Body(recomputed);
  EXPECT_EQ(report["observations_visited"], 4);
  EXPECT_EQ(report["observations_repriced"], 2);
  EXPECT_EQ(report["traces_changed"], 1);
  EXPECT_DOUBLE_EQ(report["cost_before"].get<double>(), 20.0 + builtin_cost);
  EXPECT_DOUBLE_EQ(report["cost_after"].get<double>(), 4.0 + builtin_cost);

  Json detail = GetTrace(admin_key_);
  EXPECT_DOUBLE_EQ(detail["trace"]["cost"]["total"].get<double>(), 4.0 + builtin_cost);
  // The stored summary equals a recomputation from the stored observations, and so does the session.
  absl::StatusOr<store::TraceDetail> stored = store_->GetTrace("p1", kTraceId);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->trace, model::SummarizeTrace(stored->observations));
  absl::StatusOr<store::SessionDetail> session = store_->GetSession("p1", "s1");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_DOUBLE_EQ(session->session.cost.total, 4.0 + builtin_cost);

  // Outside the range nothing is visited.
  range = Json{{"from", "2027-02-01T00:00:00Z"}};
  EXPECT_EQ(Body(SendWithKey(http::verb::post, "/api/v1/cost/recompute", admin_key_, range.dump()))["observations_visited"], 0);
}

TEST_F(CostApiTest, RecomputeWithBadRangeIs400NamingTheField) {
  HttpResponse response = SendWithKey(http::verb::post, "/api/v1/cost/recompute", admin_key_, R"({"from":"last tuesday"})");
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_THAT(Body(response)["error"]["message"].get<std::string>(), StartsWith("from:"));
}

TEST_F(CostApiTest, PriceAddedByAnotherProcessIsPickedUpWithinTheCheckInterval) {
  absl::StatusOr<std::unique_ptr<store::SqliteCatalog>> cli = store::SqliteCatalog::Open(dir_);
  ASSERT_TRUE(cli.ok()) << cli.status();
  ASSERT_TRUE((*cli)->PutModelPrice("p1", AcmePrice(2, 8).dump(), kNow).ok());
  clock_.Advance(CatalogPriceSource::kCheckIntervalNs);
  ASSERT_EQ(SendWithKey(http::verb::post, "/v1/traces", admin_key_, ChatRequest({"acme-ft-1"})).result(), http::status::ok);
  EXPECT_EQ(ObservationById(GetTrace(admin_key_), "b000000000000001")["cost"]["price_id"],
            "custom:acme/acme-ft-1@2026-01-01");
}

}  // namespace
}  // namespace trackly::server
