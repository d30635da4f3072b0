#include "normalize/tokens/bpe_tokenizer.h"

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace trackly::tokens {
namespace {

struct CountCase {
  std::string text;
  int64_t o200k;   // js-tiktoken 1.0.21: getEncoding("o200k_base").encode(text, [], []).length
  int64_t cl100k;  // the same with cl100k_base
};

TEST(BpeTokenizerTest, CountsWhatJsTiktokenCounts) {
  const CountCase cases[] = {
      {"", 0, 0},
      {"hello world", 2, 2},
      {"Hello, World!", 4, 4},
      {"I'm sure you'll see: we've, they're, she'd, HE'S, DON'T", 15, 21},
      {"1234567 3.14159 12,345 007", 14, 14},
      {"a    b\n\n\n  c\t\t d   ", 9, 9},
      {"Grüße aus München — Привет мир — こんにちは世界 — 你好，世界 — مرحبا بالعالم — नमस्ते दुनिया", 28, 51},
      {"👍🏽 🎉🎉 👨‍👩‍👧‍👦 ❤️", 19, 31},
      {"for (int i = 0; i < n; ++i) {\n    sum += a[i];\n}\n", 23, 23},
      {R"({"role": "user", "content": "hi"})", 12, 12},
      {"https://example.com/a/b?c=d&e=f", 11, 11},
      {"e\u0301te\u0301 cafe\u0301", 6, 6},
      {"getHTTPResponseCode XMLHttpRequest", 6, 5},
      {"<|endoftext|> is text", 9, 9},
      {"     ", 1, 1},
      {"\r\n\r\n", 1, 1},
      {"\r\nline\r\n\r\nx\r\n", 5, 5},
      {"  hello", 2, 2},
      {"hello   ", 2, 2},
      {"// comment\n/* block */\n", 6, 6},
      {"ÀÉÎÕÜ àéîõü", 10, 11},
      {"x = y//z\n//", 7, 7},
      // Long pieces: BPE over thousands of bytes at once.
      {std::string(10000, 'a'), 1250, 1250},
      {[] { std::string s; for (int i = 0; i < 5000; ++i) s += "ab"; return s; }(), 2500, 5000},
      {std::string(10000, ' ') + "x", 80, 80},
      {[] { std::string s; for (int i = 0; i < 2000; ++i) s += "😀"; return s; }(), 2000, 4000},
      {std::string(1000, '1'), 334, 334},
  };
  const BpeTokenizer& o200k = BpeTokenizer::Get(Encoding::kO200kBase);
  const BpeTokenizer& cl100k = BpeTokenizer::Get(Encoding::kCl100kBase);
  for (const CountCase& c : cases) {
    std::string_view shown = std::string_view(c.text).substr(0, 60);
    EXPECT_EQ(o200k.CountTokens(c.text), c.o200k) << "o200k_base: " << shown;
    EXPECT_EQ(cl100k.CountTokens(c.text), c.cl100k) << "cl100k_base: " << shown;
  }
}

TEST(BpeTokenizerTest, InvalidUtf8CountsItsBytes) {
  // Bytes that are not UTF-8 still have single-byte tokens: nothing is dropped.
  const BpeTokenizer& o200k = BpeTokenizer::Get(Encoding::kO200kBase);
  EXPECT_GE(o200k.CountTokens("\xFF\xFE\xFD"), 1);
  EXPECT_LE(o200k.CountTokens("\xFF\xFE\xFD"), 3);
}

// js-tiktoken's counts, made at build time by data/tokenizers/count_tokens.mjs over
// testdata/corpus.txt and docs/*.md: every file whole and line by line, with the text counted.
TEST(BpeTokenizerTest, MatchesJsTiktokenOnCorpus) {
  std::ifstream expected(TRACKLY_TOKEN_COUNTS);
  ASSERT_TRUE(expected) << TRACKLY_TOKEN_COUNTS;
  int checked = 0;
  int mismatches = 0;
  for (std::string row; std::getline(expected, row);) {
    const nlohmann::json j = nlohmann::json::parse(row);
    const std::string& text = j["text"].get_ref<const std::string&>();
    const Encoding encoding = j["encoding"] == "o200k_base" ? Encoding::kO200kBase : Encoding::kCl100kBase;
    const int64_t want = j["tokens"].get<int64_t>();
    const int64_t got = BpeTokenizer::Get(encoding).CountTokens(text);
    if (got != want && ++mismatches <= 10) {
      ADD_FAILURE() << j["encoding"] << " " << j["file"] << ":" << j["line"] << ": " << got
                    << " tokens, js-tiktoken " << want << ": " << text.substr(0, 200);
    }
    ++checked;
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(checked, 1000);  // the corpus and the docs, both encodings
}

}  // namespace
}  // namespace trackly::tokens
