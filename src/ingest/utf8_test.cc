#include "ingest/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace trackly::ingest {
namespace {

struct CutCase {
  std::string text;
  size_t max_bytes;
  std::string want;
  bool want_cut;
};

TEST(CutUtf8Test, CutsOnCharacterBoundaries) {
  const CutCase cases[] = {
      {"hello", 10, "hello", false},
      {"hello", 5, "hello", false},
      {"hello", 3, "hel", true},
      {"h\xC3\xA9llo", 2, "h", true},               // é is 2 bytes; never split it
      {"h\xC3\xA9llo", 3, "h\xC3\xA9", true},
      {"\xE2\x82\xAC\xE2\x82\xAC", 5, "\xE2\x82\xAC", true},  // € is 3 bytes
      {"\xF0\x9F\x98\x80x", 3, "", true},           // 😀 is 4 bytes
      {"abc", 0, "", true},
  };
  for (const CutCase& c : cases) {
    std::string text = c.text;
    EXPECT_EQ(CutUtf8(text, c.max_bytes), c.want_cut) << c.text;
    EXPECT_EQ(text, c.want) << c.text << " max " << c.max_bytes;
  }
}

TEST(RepairUtf8Test, ReplacesInvalidBytesAndKeepsValidText) {
  const std::pair<std::string, std::string> cases[] = {
      {"plain", "plain"},
      {"caf\xC3\xA9", "caf\xC3\xA9"},
      {"a\xFF" "b", "a\xEF\xBF\xBD" "b"},
      {"\xC3", "\xEF\xBF\xBD"},                            // truncated sequence
      {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},            // overlong '/'
      {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},  // surrogate
      {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
  };
  for (const auto& [input, want] : cases) {
    std::string text = input;
    RepairUtf8(text);
    EXPECT_EQ(text, want);
  }
}

}  // namespace
}  // namespace trackly::ingest
