#include "analysis/json_text.h"

#include <gtest/gtest.h>

namespace trackly::analysis {
namespace {

using model::Json;

TEST(JsonTextTest, CanonicalJsonIgnoresKeyOrderWhitespaceAndIntegralFloats) {
  const Json a = Json::parse(R"({"city": "  Lisbon   Portugal ", "days": 2, "opts": {"b": [1, 2], "a": true}})");
  const Json b = Json::parse(R"({"opts": {"a": true, "b": [1.0, 2]}, "days": 2.0, "city": "Lisbon Portugal"})");
  EXPECT_EQ(CanonicalJson(a), CanonicalJson(b));
  EXPECT_EQ(CanonicalJson(a), R"({"city":"Lisbon Portugal","days":2,"opts":{"a":true,"b":[1,2]}})");
  EXPECT_NE(CanonicalJson(Json::parse(R"({"city": "Paris"})")), CanonicalJson(a));
  EXPECT_EQ(CanonicalJson(Json()), "null");
}

TEST(JsonTextTest, CanonicalJsonOfDeepValueIsIterative) {
  Json deep = Json::array();
  Json* cur = &deep;
  for (int i = 0; i < 10'000; ++i) {
    cur->push_back(Json::array());
    cur = &cur->back();
  }
  EXPECT_EQ(CanonicalJson(deep).size(), 20'002u);  // nlohmann's destructor is iterative too
}

TEST(JsonTextTest, TokenSetAndJaccard) {
  EXPECT_EQ(TokenSet("Hello, hello WORLD 42!"), (std::vector<std::string>{"42", "hello", "world"}));
  EXPECT_DOUBLE_EQ(Jaccard(TokenSet("a b c d"), TokenSet("a b c e")), 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(Jaccard({}, {}), 1.0);
}

TEST(JsonTextTest, OutputTextKeepsProseAndSkipsToolCallsAndRoles) {
  const Json output = Json::parse(R"([{"role": "assistant", "content": "Done.", "finish_reason": "stop",
      "tool_calls": [{"id": "c1", "name": "x", "arguments": {"q": "secret"}}]}])");
  EXPECT_EQ(OutputText(output), "Done.");
  EXPECT_EQ(OutputText(Json("plain")), "plain");
  EXPECT_TRUE(HasToolCalls(output));
  EXPECT_FALSE(HasToolCalls(Json::parse(R"([{"role": "assistant", "content": "hi"}])")));
}

TEST(JsonTextTest, FinishReasonOfEachSource) {
  struct Case {
    const char* name;
    Json attributes;
    Json output;
    std::string want;
  };
  const Case cases[] = {
      {"GenAiFinishReasonsLastElement", Json::parse(R"({"gen_ai.response.finish_reasons": ["stop", "length"]})"),
       Json(), "length"},
      {"OpenInference", Json::parse(R"({"llm.finish_reason": "tool_calls"})"), Json(), "tool_calls"},
      {"VercelDashesBecomeUnderscores", Json::parse(R"({"ai.response.finishReason": "tool-calls"})"), Json(),
       "tool_calls"},
      {"NormalizedChatMessage", Json::object(),
       Json::parse(R"([{"role": "assistant", "content": "x", "finish_reason": "end_turn"}])"), "end_turn"},
      {"LangChainGenerationInfo", Json::object(),
       Json::parse(R"({"generations": [[{"text": "x", "generation_info": {"finish_reason": "STOP"}}]]})"), "stop"},
      {"AnthropicStopReason", Json::object(), Json::parse(R"({"stop_reason": "max_tokens"})"), "max_tokens"},
      {"None", Json::object(), Json("text"), ""},
  };
  for (const Case& c : cases) {
    model::Observation o;
    o.attributes = c.attributes;
    o.output = c.output;
    EXPECT_EQ(FinishReasonOf(o), c.want) << c.name;
  }
}

TEST(JsonTextTest, ContainsPhraseMatchesWholeWordsOnly) {
  EXPECT_TRUE(ContainsPhrase("it is done.", "done"));
  EXPECT_FALSE(ContainsPhrase("it is undone", "done"));
  EXPECT_FALSE(ContainsPhrase("doneness", "done"));
  EXPECT_TRUE(ContainsPhrase("x undone, then done", "done"));
  EXPECT_TRUE(ContainsPhrase("i have sent it", "i have"));
}

}  // namespace
}  // namespace trackly::analysis
