#include "normalize/chat_messages.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace trackly::normalize {
namespace {

struct ChatCase {
  std::string name;
  std::string input;
  std::string expected;  // "null" = not chat
  ChatOptions options = {};
};

void PrintTo(const ChatCase& c, std::ostream* os) { *os << c.name; }

class ChatMessagesTest : public testing::TestWithParam<ChatCase> {};

TEST_P(ChatMessagesTest, Normalizes) {
  const ChatCase& c = GetParam();
  std::optional<Json> got = ToChatMessages(Json::parse(c.input), c.options);
  Json want = Json::parse(c.expected);
  if (want.is_null()) {
    EXPECT_EQ(got, std::nullopt) << got->dump();
  } else {
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, want) << got->dump();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ChatMessagesTest,
    testing::ValuesIn(std::vector<ChatCase>{
        {"OtelTextParts", R"([{"role":"user","parts":[{"type":"text","content":"a"},{"type":"text","content":"b"}]}])",
         R"([{"role":"user","content":"a\nb"}])"},
        {"OtelMixedPartsKept",
         R"([{"role":"user","parts":[{"type":"text","content":"a"},{"type":"uri","uri":"u","modality":"image"}]}])",
         R"([{"role":"user","content":[{"type":"text","content":"a"},{"type":"uri","uri":"u","modality":"image"}]}])"},
        {"OpenAiToolCalls",
         R"([{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}])",
         R"([{"role":"assistant","content":null,"tool_calls":[{"id":"c","name":"f","arguments":{"a":1}}]}])"},
        {"MalformedArgumentsKeptAsString",
         R"([{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":"{oops"}}]}])",
         R"([{"role":"assistant","content":null,"tool_calls":[{"id":"c","name":"f","arguments":"{oops"}]}])"},
        {"AnthropicToolUseAndResult",
         R"([{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{"x":1}}]},
             {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"ok"}]}])",
         R"([{"role":"assistant","content":null,"tool_calls":[{"id":"t","name":"f","arguments":{"x":1}}]},
             {"role":"user","content":"ok","tool_call_id":"t"}])"},
        {"RequestWrapperWithSystem", R"({"system":"s","messages":[{"role":"user","content":"q"}],"model":"m"})",
         R"([{"role":"system","content":"s"},{"role":"user","content":"q"}])"},
        {"VercelPromptWrapper", R"({"prompt":"q"})", R"([{"role":"user","content":"q"}])"},
        {"CompletionsResponse", R"({"choices":[{"text":"t","finish_reason":"length"}]})",
         R"([{"role":"assistant","content":"t","finish_reason":"length"}])"},
        {"SingleMessageObject", R"({"role":"assistant","content":"hi","name":"bot"})",
         R"([{"role":"assistant","content":"hi","name":"bot"}])"},
        {"MissingRoleNeedsDefault", R"([{"content":"x"}])", "null"},
        {"MissingRoleWithDefault", R"([{"content":"x"}])", R"([{"role":"assistant","content":"x"}])",
         {.default_role = "assistant"}},
        {"DocumentsAreNotChat", R"([{"id":"d","content":"x"}])", "null"},
        {"NonStringRoleIsNotChat", R"([{"role":1,"content":"x"}])", "null"},
        {"EmptyListIsNotChat", R"([])", "null"},
        {"PlainStringIsNotChat", R"("hello")", "null"},
        {"MixedArrayIsNotChat", R"([{"role":"user","content":"x"}, 3])", "null"},
        {"JsonPartsInContentWhenAsked", R"([{"role":"user","content":"[{\"type\":\"text\",\"text\":\"a\"}]"}])",
         R"([{"role":"user","content":"a"}])", {.parse_json_content = true}},
        {"JsonPartsInContentLeftAlone", R"([{"role":"user","content":"[{\"type\":\"text\",\"text\":\"a\"}]"}])",
         R"([{"role":"user","content":"[{\"type\":\"text\",\"text\":\"a\"}]"}])"},
    }),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace trackly::normalize
