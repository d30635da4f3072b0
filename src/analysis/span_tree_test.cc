#include "analysis/span_tree.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "analysis/test_trace.h"

namespace trackly::analysis {
namespace {

using namespace testing;  // NOLINT: the builders of test_trace.h

std::vector<std::string> Ids(const SpanTree& tree, const std::vector<SpanTree::Index>& indexes) {
  std::vector<std::string> ids;
  for (SpanTree::Index i : indexes) ids.push_back(tree.at(i).id);
  return ids;
}

std::string ParentId(const SpanTree& tree, std::string_view id) {
  const SpanTree::Index p = tree.parent(tree.Find(id));
  return p == SpanTree::kNone ? "-" : tree.at(p).id;
}

TEST(SpanTreeTest, LinksChildrenInTimeOrderAndComputesDepth) {
  std::vector<Observation> obs = {Obs("b", "root", 50, 60), Obs("root", "", 0, 100), Obs("a", "root", 10, 40),
                                  Obs("a1", "a", 20, 30)};
  SpanTree tree(obs);
  EXPECT_EQ(Ids(tree, tree.roots()), (std::vector<std::string>{"root"}));
  EXPECT_EQ(Ids(tree, tree.preorder()), (std::vector<std::string>{"root", "a", "a1", "b"}));
  EXPECT_EQ(tree.depth(tree.Find("root")), 1);
  EXPECT_EQ(tree.depth(tree.Find("a1")), 3);
  EXPECT_EQ(tree.children(tree.Find("root")).size(), 2u);
}

TEST(SpanTreeTest, OrphansAndSelfParentsAreRoots) {
  std::vector<Observation> obs = {Obs("root", "", 0, 100), Obs("orphan", "missing", 10, 20), Obs("self", "self", 30, 40)};
  SpanTree tree(obs);
  EXPECT_EQ(Ids(tree, tree.roots()), (std::vector<std::string>{"root", "orphan", "self"}));
  EXPECT_EQ(ParentId(tree, "self"), "-");
}

TEST(SpanTreeTest, ParentCycleIsCutAtItsEarliestMember) {
  // a → b → c → a, all hostile; d hangs below the cycle.
  std::vector<Observation> obs = {Obs("a", "c", 20, 30), Obs("b", "a", 10, 50), Obs("c", "b", 15, 40),
                                  Obs("d", "c", 16, 17)};
  SpanTree tree(obs);
  EXPECT_EQ(Ids(tree, tree.roots()), (std::vector<std::string>{"b"}));
  EXPECT_EQ(ParentId(tree, "b"), "-");
  EXPECT_EQ(ParentId(tree, "c"), "b");
  EXPECT_EQ(ParentId(tree, "a"), "c");
  EXPECT_EQ(tree.preorder().size(), 4u);
}

TEST(SpanTreeTest, EffectiveIntervalsOfOpenInvertedAndStartlessSpans) {
  Observation inverted = Obs("inverted", "root", 50, 40);
  Observation startless = Obs("startless", "root", 0, 70);
  startless.start_time_ns = 0;
  std::vector<Observation> obs = {Obs("root", "", 0, kOpen), Obs("late", "root", 10, 90), inverted, startless};
  SpanTree tree(obs);
  EXPECT_EQ(tree.trace_start_ns(), Ns(0));
  EXPECT_EQ(tree.trace_end_ns(), Ns(90));
  const SpanTree::Index root = tree.Find("root");
  EXPECT_TRUE(tree.open(root));
  EXPECT_EQ(tree.end_ns(root), Ns(90));
  EXPECT_EQ(tree.start_ns(tree.Find("inverted")), Ns(50));
  EXPECT_EQ(tree.end_ns(tree.Find("inverted")), Ns(50));
  EXPECT_EQ(tree.start_ns(tree.Find("startless")), Ns(70));
}

TEST(SpanTreeTest, LoopIsTheNearestAgentElseTheRoot) {
  std::vector<Observation> obs = {Obs("root", "", 0, 100, ObservationType::kChain),
                                  Obs("node", "root", 0, 50, ObservationType::kChain),
                                  Gen("gen", "node", 1, 10),
                                  Obs("agent", "root", 50, 100, ObservationType::kAgent),
                                  Gen("inner", "agent", 51, 60)};
  SpanTree tree(obs);
  EXPECT_EQ(tree.at(tree.loop(tree.Find("gen"))).id, "root");
  EXPECT_EQ(tree.at(tree.loop(tree.Find("agent"))).id, "root");
  EXPECT_EQ(tree.at(tree.loop(tree.Find("inner"))).id, "agent");
}

TEST(SpanTreeTest, HundredThousandDeepChainDoesNotOverflow) {
  std::vector<Observation> chain = Chain(100'000);
  std::reverse(chain.begin(), chain.end());
  SpanTree tree(chain);
  EXPECT_EQ(tree.roots().size(), 1u);
  EXPECT_EQ(tree.depth(tree.Find("s99999")), 100'000);
}

TEST(SpanTreeTest, ShapeDoesNotDependOnInputOrder) {
  std::vector<Observation> obs = {Obs("root", "", 0, 100), Obs("a", "root", 10, 40), Obs("b", "root", 10, 40),
                                  Obs("c", "a", 20, 30), Obs("x", "y", 5, 6), Obs("y", "x", 5, 6)};
  SpanTree first(obs);
  const std::vector<std::string> want = Ids(first, first.preorder());
  std::mt19937 rng(3);
  for (int i = 0; i < 20; ++i) {
    std::shuffle(obs.begin(), obs.end(), rng);
    SpanTree tree(obs);
    EXPECT_EQ(Ids(tree, tree.preorder()), want);
  }
}

}  // namespace
}  // namespace trackly::analysis
