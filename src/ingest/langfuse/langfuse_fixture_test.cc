// Golden file: the request captured from the real legacy `langfuse` npm client
// (shared/fixtures/captured/langfuse-legacy.jsonl) → LangfuseBatchDecoder → the merge of each
// observation's fragments and the scores, as model JSON, compared with
// testdata/langfuse-legacy.golden.json.
// Regenerate with: TRACKLY_UPDATE_GOLDEN=1 ./ingest_test --gtest_filter='LangfuseFixture*'
// (run from src/ingest/, then review the diff by eye).
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "ingest/langfuse/langfuse_batch_decoder.h"
#include "model/codec.h"
#include "model/observation_fragment.h"

namespace trackly::ingest::langfuse {
namespace {

using model::Json;

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

std::string CapturedBody() {
  std::ifstream file(std::string(TRACKLY_SHARED_DIR) + "/fixtures/captured/langfuse-legacy.jsonl");
  std::string line;
  EXPECT_TRUE(std::getline(file, line));
  std::string body;
  EXPECT_TRUE(absl::Base64Unescape(Json::parse(line).value("body_b64", ""), &body));
  return body;
}

TEST(LangfuseFixtureTest, CapturedLegacyClientBatchMatchesGoldenFile) {
  absl::StatusOr<LangfuseBatch> batch = LangfuseBatchDecoder().Decode(CapturedBody(), DecodeLimits{});
  ASSERT_TRUE(batch.ok()) << batch.status();

  std::map<std::string, std::vector<model::ObservationFragment>> by_id;  // sorted: a stable file
  Json scores = Json::array();
  for (const LangfuseEvent& event : batch->events) {
    EXPECT_TRUE(event.status.ok()) << event.id << ": " << event.status;
    if (event.fragment.has_value()) by_id[event.fragment->observation.id].push_back(*event.fragment);
    if (event.score.has_value()) scores.push_back(model::ToJson(*event.score));
  }
  Json observations = Json::array();
  for (const auto& [id, fragments] : by_id) observations.push_back(model::ToJson(model::MergeFragments(fragments)));
  const Json actual = {{"observations", observations}, {"scores", scores}};
  const std::string text = actual.dump(2) + "\n";

  const std::string golden = "langfuse/testdata/langfuse-legacy.golden.json";
  if (std::getenv("TRACKLY_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << text;
    GTEST_SKIP() << "updated " << golden;
  }
  EXPECT_EQ(text, ReadFile(golden)) << "regenerate with TRACKLY_UPDATE_GOLDEN=1 and review the diff";
}

TEST(LangfuseFixtureTest, CapturedBatchHasEveryEventTheClientSent) {
  absl::StatusOr<LangfuseBatch> batch = LangfuseBatchDecoder().Decode(CapturedBody(), DecodeLimits{});
  ASSERT_TRUE(batch.ok()) << batch.status();
  int fragments = 0;
  int scores = 0;
  for (const LangfuseEvent& event : batch->events) {
    fragments += event.fragment.has_value();
    scores += event.score.has_value();
  }
  EXPECT_EQ(batch->events.size(), 11u);
  EXPECT_EQ(fragments, 9);
  EXPECT_EQ(scores, 2);
}

}  // namespace
}  // namespace trackly::ingest::langfuse
