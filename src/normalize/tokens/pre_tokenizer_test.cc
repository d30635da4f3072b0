#include "normalize/tokens/pre_tokenizer.h"

#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace trackly::tokens {
namespace {

using ::testing::ElementsAreArray;

std::vector<std::string> Pieces(Encoding encoding, std::string_view text) {
  std::vector<std::string> pieces;
  PreTokenizer(encoding).Split(text, [&](std::string_view piece) { pieces.emplace_back(piece); });
  return pieces;
}

struct SplitCase {
  std::string_view text;
  std::vector<std::string> o200k;   // [...text.matchAll(new RegExp(o200k_base.pat_str, "ug"))]
  std::vector<std::string> cl100k;  // the same with cl100k_base's pattern (Node.js 20)
};

TEST(PreTokenizerTest, SplitsAsJavaScriptsRegexDoes) {
  const SplitCase cases[] = {
      {"I'm HE'S here", {"I'm", " HE'S", " here"}, {"I", "'m", " HE", "'S", " here"}},
      {"  hello  world\n\n  x",
       {" ", " hello", " ", " world", "\n\n", " ", " x"},
       {" ", " hello", " ", " world", "\n\n", " ", " x"}},
      {"getHTTPResponseCode", {"get", "HTTPResponse", "Code"}, {"getHTTPResponseCode"}},
      {"a1234b", {"a", "123", "4", "b"}, {"a", "123", "4", "b"}},
      {" !!\n/x", {" !!\n/", "x"}, {" !!\n", "/x"}},
      // Combining marks are \p{M}: word characters in o200k, symbols in cl100k.
      {"e\u0301te\u0301", {"e\u0301te\u0301"}, {"e", "\u0301te", "\u0301"}},
      {"\u0301\u0301abc", {"\u0301\u0301abc"}, {"\u0301\u0301", "abc"}},
      {"x\u00a0\u00a0y", {"x", "\u00a0", "\u00a0y"}, {"x", "\u00a0", "\u00a0y"}},
      {"ABCdef\u02b0g", {"ABCdef\u02b0g"}, {"ABCdef\u02b0g"}},
      {"hello   ", {"hello", "   "}, {"hello", "   "}},
      {"", {}, {}},
  };
  for (const SplitCase& c : cases) {
    EXPECT_THAT(Pieces(Encoding::kO200kBase, c.text), ElementsAreArray(c.o200k)) << c.text;
    EXPECT_THAT(Pieces(Encoding::kCl100kBase, c.text), ElementsAreArray(c.cl100k)) << c.text;
  }
}

TEST(PreTokenizerTest, InvalidUtf8BytesArePiecesOfSymbols) {
  // 0xFF never starts UTF-8; 0xC3 lacks its continuation byte; 0xED 0xA0 0x80 is a surrogate.
  std::string text = "a\xFF\xC3 b\xED\xA0\x80";
  std::string joined;
  for (const std::string& piece : Pieces(Encoding::kO200kBase, text)) joined += piece;
  EXPECT_EQ(joined, text);
  EXPECT_THAT(Pieces(Encoding::kO200kBase, "\xFF\xFE!"), ElementsAreArray({"\xFF\xFE!"}));
}

}  // namespace
}  // namespace trackly::tokens
