// The redaction API through the assembled server (real SQLite store and catalog, real HTTP): a
// project's rules put through PUT /api/v1/redaction apply to the next OTLP batch (a key rule on an
// attribute, a pattern in the input text, a path into the metadata), are counted on the span, are
// audited, and a change made through the Catalog directly (as the CLI does) applies within the
// poll interval.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/catalog_snapshot.h"
#include "server/http_test_client.h"
#include "server/running_app_test_base.h"
#include "store/sqlite/sqlite_catalog.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;
using model::Json;

constexpr char kTraceId[] = "0af7651916cd43dd8448eb211c80319c";
constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kNow = 1'800'000'000 * kSecond;
constexpr char kAttrCanary[] = "Zq9AttrCanary";
constexpr char kInputCanary[] = "TCK-424242";
constexpr char kMetaCanary[] = "Zq9MetaCanary";

constexpr char kRules[] = R"({"rules":[
  {"name":"user_attr","kind":"key","value":"app.user_*"},
  {"name":"ticket","kind":"pattern","value":"TCK-[0-9]+"},
  {"name":"email","kind":"path","value":"$.user.email"}]})";

Json StringAttribute(const std::string& key, const std::string& value) {
  return {{"key", key}, {"value", {{"stringValue", value}}}};
}

std::string Request(const std::string& span_id) {
  Json messages = Json::array({{{"role", "user"}, {"parts", {{{"type", "text"}, {"content", absl::StrCat("see ", kInputCanary)}}}}}});
  Json span = {{"traceId", kTraceId},
               {"spanId", span_id},
               {"name", "chat"},
               {"startTimeUnixNano", std::to_string(kNow - 10 * kSecond)},
               {"endTimeUnixNano", std::to_string(kNow - 9 * kSecond)},
               {"attributes",
                {StringAttribute("gen_ai.operation.name", "chat"), StringAttribute("gen_ai.request.model", "gpt-4o"),
                 StringAttribute("gen_ai.input.messages", messages.dump()),
                 StringAttribute("app.user_token", kAttrCanary),
                 StringAttribute("metadata", Json{{"user", {{"email", kMetaCanary}, {"id", "u1"}}}}.dump())}}};
  Json request = {{"resourceSpans", {{{"scopeSpans", {{{"scope", {{"name", "test"}}}, {"spans", {span}}}}}}}}};
  return request.dump();
}

class RedactionApiTest : public RunningAppTestBase {
 protected:
  RedactionApiTest() : RunningAppTestBase(kNow) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    AddSettingsKeys();
    ServerOptions options;
    options.io_threads = 2;
    options.redact = "secrets";
    StartApp(options);
  }

  // Ingests one span into the key's project and returns it as stored.
  Json IngestAndRead(const std::string& key, const std::string& span_id) {
    HttpResponse ingest = SendWithKey(http::verb::post, "/v1/traces", key, Request(span_id));
    EXPECT_EQ(ingest.result(), http::status::ok) << ingest.body();
    HttpResponse trace = SendWithKey(http::verb::get, absl::StrCat("/api/v1/traces/", kTraceId), key);
    EXPECT_EQ(trace.result(), http::status::ok) << trace.body();
    const Json detail = Body(trace);
    for (const Json& o : detail["observations"]) {
      if (o["id"] == span_id) return o;
    }
    ADD_FAILURE() << "no observation " << span_id << " in " << trace.body();
    return Json();
  }

};

TEST_F(RedactionApiTest, PutRulesApplyToTheNextBatchAndAreCounted) {
  HttpResponse put = SendWithKey(http::verb::put, "/api/v1/redaction", admin_key_, kRules);
  ASSERT_EQ(put.result(), http::status::ok) << put.body();
  EXPECT_EQ(Body(put)["rules"].size(), 3u);
  EXPECT_EQ(Body(put)["builtin"], Json::array({"secrets"}));

  Json stored = IngestAndRead(admin_key_, "b000000000000001");
  const std::string text = stored.dump();
  for (const char* canary : {kAttrCanary, kInputCanary, kMetaCanary}) {
    EXPECT_THAT(text, ::testing::Not(HasSubstr(canary))) << text;
  }
  EXPECT_EQ(stored["attributes"]["app.user_token"], "[REDACTED:user_attr]");
  EXPECT_EQ(stored["metadata"]["user"]["email"], "[REDACTED:email]");
  EXPECT_EQ(stored["metadata"]["user"]["id"], "u1");
  EXPECT_THAT(stored["input"].dump(), HasSubstr("see [REDACTED:ticket]"));
  EXPECT_EQ(stored["redactions"], 3);

  // The change is audited, without the patterns.
  HttpResponse audit = SendWithKey(http::verb::get, "/api/v1/audit?action=redaction.update", admin_key_);
  ASSERT_EQ(audit.result(), http::status::ok) << audit.body();
  ASSERT_EQ(Body(audit)["data"].size(), 1u) << audit.body();
  EXPECT_EQ(Body(audit)["data"][0]["details"]["rules"], 3);
  EXPECT_THAT(audit.body(), ::testing::Not(HasSubstr("TCK")));

  // Another project keeps its data as sent.
  Json other = IngestAndRead(other_key_, "b000000000000002");
  EXPECT_EQ(other["attributes"]["app.user_token"], kAttrCanary);
}

TEST_F(RedactionApiTest, GetShowsTheRulesAndPutRejectsABadRuleByName) {
  HttpResponse empty = SendWithKey(http::verb::get, "/api/v1/redaction", admin_key_);
  ASSERT_EQ(empty.result(), http::status::ok) << empty.body();
  EXPECT_EQ(Body(empty)["rules"], Json::array());
  EXPECT_TRUE(Body(empty)["updated"].is_null());

  HttpResponse bad = SendWithKey(http::verb::put, "/api/v1/redaction", admin_key_,
                                 R"({"rules":[{"name":"broken","kind":"pattern","value":"(x"}]})");
  EXPECT_EQ(bad.result(), http::status::bad_request);
  EXPECT_THAT(bad.body(), HasSubstr("rule \\\"broken\\\": invalid RE2 pattern"));
  // Admin scope only.
  EXPECT_EQ(SendWithKey(http::verb::put, "/api/v1/redaction", read_key_, kRules).result(), http::status::forbidden);
  EXPECT_EQ(SendWithKey(http::verb::get, "/api/v1/redaction", read_key_).result(), http::status::forbidden);

  ASSERT_EQ(SendWithKey(http::verb::put, "/api/v1/redaction", admin_key_, kRules).result(), http::status::ok);
  HttpResponse got = SendWithKey(http::verb::get, "/api/v1/redaction", admin_key_);
  EXPECT_EQ(Body(got)["rules"][1]["name"], "ticket");
  EXPECT_FALSE(Body(got)["updated"].is_null());
}

TEST_F(RedactionApiTest, RulesChangedThroughTheCatalogApplyAfterThePollInterval) {
  // A batch before the change: the server has just checked the version.
  EXPECT_EQ(IngestAndRead(admin_key_, "b000000000000004")["attributes"]["app.user_token"], kAttrCanary);
  // As `trackly redaction set` does: straight into the catalog, not through this server.
  ASSERT_TRUE(catalog_->PutRedactionRules("p1", kRules, kNow).ok());
  clock_.Advance(CatalogSnapshot<int>::kCheckIntervalNs);
  Json stored = IngestAndRead(admin_key_, "b000000000000003");
  EXPECT_EQ(stored["attributes"]["app.user_token"], "[REDACTED:user_attr]");
  EXPECT_EQ(stored["redactions"], 3);
}

}  // namespace
}  // namespace trackly::server
