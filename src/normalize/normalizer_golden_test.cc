// Golden files: requests captured from real SDKs (shared/fixtures/captured) → OTLP decoder →
// Normalizer → model::ToJson, compared with testdata/<fixture>.golden.json.
// Regenerate with: TRACKLY_UPDATE_GOLDEN=1 ./normalize_golden_test (then review the diff by eye).
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "ingest/otlp/otlp_json_decoder.h"
#include "ingest/otlp/otlp_proto_decoder.h"
#include "model/codec.h"
#include "normalize/normalizer.h"

namespace trackly::normalize {
namespace {

using model::Json;

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

// Every span of every request in the fixture, normalized, in request order.
Json NormalizeFixture(const std::string& fixture) {
  const std::string path = std::string(TRACKLY_SHARED_DIR) + "/fixtures/captured/" + fixture + ".jsonl";
  std::ifstream file(path);
  EXPECT_TRUE(file.is_open()) << path;
  const ingest::OtlpJsonDecoder json_decoder;
  const ingest::OtlpProtoDecoder proto_decoder;
  const Normalizer normalizer;
  Json observations = Json::array();
  for (std::string line; std::getline(file, line);) {
    if (line.empty()) continue;
    const Json record = Json::parse(line);
    std::string body;
    EXPECT_TRUE(absl::Base64Unescape(record.value("body_b64", ""), &body)) << fixture;
    const std::string content_type = record.value("content_type", "");
    const ingest::Decoder& decoder = content_type.find("json") != std::string::npos
                                         ? static_cast<const ingest::Decoder&>(json_decoder)
                                         : proto_decoder;
    absl::StatusOr<model::SpanBatch> batch = decoder.Decode(body, ingest::DecodeLimits{});
    EXPECT_TRUE(batch.ok()) << fixture << ": " << batch.status();
    if (!batch.ok()) continue;
    for (const model::RawSpan& span : batch->spans) observations.push_back(model::ToJson(normalizer.Normalize(span)));
  }
  return observations;
}

std::string Pretty(const Json& json) { return json.dump(2, ' ', false, Json::error_handler_t::replace) + "\n"; }

class GoldenTest : public testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesGoldenFile) {
  const std::string fixture = GetParam();
  const std::string golden_path = std::string(TRACKLY_SOURCE_DIR) + "/src/normalize/testdata/" + fixture + ".golden.json";
  const Json got = NormalizeFixture(fixture);
  ASSERT_FALSE(got.empty()) << fixture;
  const char* update = std::getenv("TRACKLY_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(golden_path, std::ios::binary | std::ios::trunc) << Pretty(got);
    GTEST_SKIP() << "rewrote " << golden_path;
  }
  const std::string text = ReadFile(golden_path);
  ASSERT_FALSE(text.empty()) << golden_path << " missing; run with TRACKLY_UPDATE_GOLDEN=1";
  const Json want = Json::parse(text);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], want[i]) << "observation " << i << " (" << want[i].value("name", "") << ")\n got: " << Pretty(got[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(Captured, GoldenTest,
                         testing::Values("otel-manual-http-json", "otel-manual-http-proto", "openinference-openai",
                                         "vercel-ai-legacy"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

// Removes what differs between two captures of the same workflow (ids, times, the scenario tag).
Json WithoutRunSpecifics(Json observation) {
  for (const char* key : {"id", "trace_id", "parent_id", "start_time", "end_time", "latency_ms", "completion_start_time"}) {
    observation.erase(key);
  }
  for (Json& event : observation["events"]) event.erase("time");
  if (observation["metadata"].contains("resource")) observation["metadata"]["resource"].erase("trackly.scenario");
  return observation;
}

TEST(GoldenTest, JsonAndProtoEncodingsNormalizeAlike) {
  const Json from_json = NormalizeFixture("otel-manual-http-json");
  const Json from_proto = NormalizeFixture("otel-manual-http-proto");
  std::map<std::string, Json> by_name;
  for (const Json& o : from_json) by_name[o["name"].get<std::string>()] = WithoutRunSpecifics(o);
  ASSERT_EQ(from_json.size(), from_proto.size());
  for (const Json& o : from_proto) {
    const std::string name = o["name"].get<std::string>();
    ASSERT_TRUE(by_name.contains(name)) << name;
    EXPECT_EQ(WithoutRunSpecifics(o), by_name[name]) << name;
  }
}

}  // namespace
}  // namespace trackly::normalize
