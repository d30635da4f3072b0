#include "normalize/attribute_reader.h"

#include <string>

#include "gtest/gtest.h"

namespace trackly::normalize {
namespace {

TEST(AttributeReaderTest, TakeFirstConsumesWinnerAndEqualDuplicatesOnly) {
  Json attrs = Json::parse(R"({"a": "x", "b": "x", "c": "y", "d": 5})");
  AttributeReader reader(attrs);
  EXPECT_EQ(reader.TakeFirst({"missing", "a", "b", "c"}, AsString), "x");
  EXPECT_EQ(reader.Leftovers(), Json::parse(R"({"c": "y", "d": 5})"));
}

TEST(AttributeReaderTest, TakeFirstSkipsValuesTheConversionRejects) {
  Json attrs = Json::parse(R"({"a": [1], "b": "7"})");
  AttributeReader reader(attrs);
  EXPECT_EQ(reader.TakeFirst({"a", "b"}, AsCount), 7);
  EXPECT_EQ(reader.Leftovers(), Json::parse(R"({"a": [1]})"));
}

// Lookups first ask a filter over the present keys; every present key must still be found, the
// empty key included, and keys that differ from a present one only where the filter does not
// look (same length, last and middle byte) must still miss.
TEST(AttributeReaderTest, FindsEveryPresentKeyAndNoOther) {
  Json attrs = Json::object();
  for (int i = 0; i < 300; ++i) attrs["gen_ai.usage.key_" + std::to_string(i)] = i;
  attrs[""] = "empty";
  attrs["abcde"] = 1;
  AttributeReader reader(attrs);
  for (const auto& [key, value] : attrs.items()) {
    const Json* found = reader.Find(key);
    ASSERT_NE(found, nullptr) << key;
    EXPECT_EQ(*found, value) << key;
  }
  for (const char* absent : {"xbcde", "abcdf", "gen_ai.usage.key_300", "gen_ai.usage.key_-1", "a", "zzzzzzzzzz"}) {
    EXPECT_EQ(reader.Find(absent), nullptr) << absent;
    EXPECT_FALSE(reader.IsConsumed(absent)) << absent;
  }
}

TEST(AttributeReaderTest, NonObjectReadsAsEmpty) {
  Json attrs = Json::array({1});
  AttributeReader reader(attrs);
  EXPECT_EQ(reader.Find("0"), nullptr);
  EXPECT_EQ(reader.Leftovers(), Json::object());
}

TEST(AttributeReaderTest, PrefixRangeCoversExactlyThePrefix) {
  Json attrs = Json::parse(R"({"a.b": 1, "a.c": 2, "a": 0, "ab": 3, "b": 4})");
  AttributeReader reader(attrs);
  auto [begin, end] = reader.PrefixRange("a.");
  int n = 0;
  for (auto it = begin; it != end; ++it) ++n;
  EXPECT_EQ(n, 2);
}

TEST(ValueConversionTest, AsCountAcceptsSensibleSpellings) {
  EXPECT_EQ(AsCount(Json(12)), 12);
  EXPECT_EQ(AsCount(Json(12.0)), 12);
  EXPECT_EQ(AsCount(Json("12")), 12);
  EXPECT_EQ(AsCount(Json(-1)), -1);  // kept, so usage validation can reject the span
  EXPECT_EQ(AsCount(Json(1.5)), std::nullopt);
  EXPECT_EQ(AsCount(Json(1e300)), std::nullopt);
  EXPECT_EQ(AsCount(Json("abc")), std::nullopt);
  EXPECT_EQ(AsCount(Json(true)), std::nullopt);
}

TEST(ValueConversionTest, ParseIfStructuredOnlyParsesObjectsAndArrays) {
  EXPECT_EQ(ParseIfStructured(Json("  {\"a\":1}")), Json::parse(R"({"a":1})"));
  EXPECT_EQ(ParseIfStructured(Json("42")), Json("42"));
  EXPECT_EQ(ParseIfStructured(Json("[broken")), Json("[broken"));
  EXPECT_EQ(ParseIfJson(Json("\"quoted\"")), Json("quoted"));
  EXPECT_EQ(ParseIfJson(Json("plain")), Json("plain"));
}

TEST(ValueConversionTest, RefusesToParseDeepNesting) {
  std::string deep = std::string(65, '[') + std::string(65, ']');
  EXPECT_EQ(ParseJson(deep), std::nullopt);
  std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_NE(ParseJson(ok), std::nullopt);
  // Brackets inside strings do not count.
  EXPECT_NE(ParseJson("[\"" + std::string(100, '[') + "\"]"), std::nullopt);
}

}  // namespace
}  // namespace trackly::normalize
