#include "normalize/flattened_list.h"

#include <string>

#include "gtest/gtest.h"

namespace trackly::normalize {
namespace {

TEST(RebuildFlattenedTest, BuildsNestedArraysOrderedByIndex) {
  Json attrs = Json::parse(R"({
    "p.10.a": "ten", "p.2.a": "two", "p.2.list.1.x": "b", "p.2.list.0.x": "a", "other": 1
  })");
  AttributeReader reader(attrs);
  EXPECT_EQ(RebuildFlattened(reader, "p."),
            Json::parse(R"([{"a": "two", "list": [{"x": "a"}, {"x": "b"}]}, {"a": "ten"}])"));
  EXPECT_EQ(reader.Leftovers(), Json::parse(R"({"other": 1})"));
}

TEST(RebuildFlattenedTest, LeavesNonCanonicalAndHugeIndexesInAttributes) {
  Json attrs = Json::parse(R"({
    "p.0.a": 1, "p.999999999.a": 2, "p.10001.a": 3, "p.007.a": 4, "p.x.a": 5, "p.-1.a": 6, "p.1..a": 7
  })");
  AttributeReader reader(attrs);
  EXPECT_EQ(RebuildFlattened(reader, "p."), Json::parse(R"([{"a": 1}])"));
  EXPECT_EQ(reader.Leftovers(), Json::parse(R"({
    "p.999999999.a": 2, "p.10001.a": 3, "p.007.a": 4, "p.x.a": 5, "p.-1.a": 6, "p.1..a": 7})"));
}

TEST(RebuildFlattenedTest, LeavesKeysThatCollideWithAScalar) {
  Json attrs = Json::parse(R"({"p.0": "scalar", "p.0.role": "user"})");
  AttributeReader reader(attrs);
  EXPECT_EQ(RebuildFlattened(reader, "p."), Json::parse(R"(["scalar"])"));
  EXPECT_EQ(reader.Leftovers(), Json::parse(R"({"p.0.role": "user"})"));
}

TEST(RebuildFlattenedTest, LeavesTooDeepKeys) {
  std::string deep = "p.0";
  for (int i = 0; i <= kMaxFlattenedDepth; ++i) deep += ".k";
  Json attrs = Json{{deep, 1}};
  AttributeReader reader(attrs);
  EXPECT_EQ(RebuildFlattened(reader, "p."), Json::array());
  EXPECT_EQ(reader.Leftovers(), attrs);
}

TEST(RebuildFlattenedTest, ManyEntriesNeedNoAllocationUpToTheIndex) {
  Json attrs = Json{{"p.10000.a", 1}, {"p.0.a", 0}};
  AttributeReader reader(attrs);
  EXPECT_EQ(RebuildFlattened(reader, "p."), Json::parse(R"([{"a": 0}, {"a": 1}])"));
}

TEST(ConsumeFlattenedTest, ConsumesOnlyIndexedKeys) {
  Json attrs = Json::parse(R"({"p.0.a": 1, "p.name": "n", "p.99999.a": 2})");
  AttributeReader reader(attrs);
  ConsumeFlattened(reader, "p.");
  EXPECT_EQ(reader.Leftovers(), Json::parse(R"({"p.name": "n", "p.99999.a": 2})"));
}

}  // namespace
}  // namespace trackly::normalize
