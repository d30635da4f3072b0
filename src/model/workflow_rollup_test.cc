#include "model/workflow_rollup.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace trackly::model {
namespace {

// A run's rollup from a list of (path, duration µs) spans: the last step of each path counted once
// per span, its ancestors as taken in the run, and a "then" edge between consecutive entries of one parent.
WorkflowRollup OneRun(const std::vector<std::pair<std::vector<std::string>, int64_t>>& spans, int64_t cost_nusd = 0) {
  WorkflowRollup rollup;
  WorkflowTotalsValues& totals = rollup.mutable_totals();
  totals.runs = 1;
  totals.spans = static_cast<int64_t>(spans.size());
  totals.cost_nusd = cost_nusd;
  totals.latency.Add(1000);
  int32_t previous = -1;
  for (const auto& [path, duration] : spans) {
    int32_t node = -1;
    for (const std::string& key : path) {
      node = rollup.FindOrAddNode(node, key);
      rollup.mutable_node(node).runs = 1;  // a run's path is made of its spans' steps
    }
    WorkflowNodeValues& values = rollup.mutable_node(node);
    ++values.calls;
    values.cost_nusd += cost_nusd;
    values.latency.Add(duration);
    if (previous >= 0 && rollup.nodes()[static_cast<size_t>(previous)].parent == rollup.nodes()[static_cast<size_t>(node)].parent) {
      WorkflowEdgeValues& edge = rollup.mutable_edge({.kind = 1, .from = previous, .to = node});
      edge.runs = 1;
      ++edge.count;
    }
    previous = node;
  }
  return rollup;
}

TEST(WorkflowRollupTest, AddMatchesNodesByPathWhateverTheirIndexes) {
  WorkflowRollup a = OneRun({{{"agent:a", "tool:search"}, 100}, {{"agent:a", "tool:fetch"}, 200}});
  WorkflowRollup b = OneRun({{{"agent:a", "tool:fetch"}, 300}, {{"agent:b"}, 50}, {{"agent:a", "tool:search"}, 10}});
  WorkflowRollup sum;
  sum.Add(a);
  sum.Add(b);
  EXPECT_EQ(sum.totals().runs, 2);
  EXPECT_EQ(sum.totals().spans, 5);
  ASSERT_EQ(sum.nodes().size(), 4u);  // agent:a, tool:search, tool:fetch, agent:b
  const int32_t agent = sum.FindOrAddNode(-1, "agent:a");
  const int32_t search = sum.FindOrAddNode(agent, "tool:search");
  const int32_t fetch = sum.FindOrAddNode(agent, "tool:fetch");
  EXPECT_EQ(sum.nodes().size(), 4u);  // found, not added
  EXPECT_EQ(sum.nodes()[static_cast<size_t>(search)].values.calls, 2);
  EXPECT_EQ(sum.nodes()[static_cast<size_t>(search)].values.latency.count(), 2);
  EXPECT_EQ(sum.nodes()[static_cast<size_t>(fetch)].values.runs, 2);
  EXPECT_EQ(sum.edges().at({.kind = 1, .from = search, .to = fetch}).count, 1);
  EXPECT_FALSE(sum.edges().contains({.kind = 1, .from = fetch, .to = search}));  // agent:b came between
}

TEST(WorkflowRollupTest, TakingARunBackLeavesTheRestExactly) {
  const WorkflowRollup a = OneRun({{{"agent:a", "tool:search"}, 100}, {{"agent:a", "tool:search"}, 150}}, 7);
  const WorkflowRollup b = OneRun({{{"agent:a", "model:gpt"}, 900}, {{"agent:z"}, 1}}, 11);
  WorkflowRollup sum;
  sum.Add(a);
  sum.Add(b);
  sum.Add(b, -1);
  EXPECT_FALSE(sum.IsZero());
  sum.Compact();
  WorkflowRollup expected;
  expected.Add(a);
  EXPECT_EQ(sum, expected);
  sum.Add(a, -1);
  EXPECT_TRUE(sum.IsZero());
  sum.Compact();
  EXPECT_TRUE(sum.nodes().empty());
  EXPECT_TRUE(sum.edges().empty());
}

TEST(WorkflowRollupTest, CompactRenumbersEdgesAndKeepsFindOrAddConsistent) {
  WorkflowRollup sum;
  const WorkflowRollup gone = OneRun({{{"step:first"}, 5}, {{"step:second"}, 5}});
  sum.Add(gone);
  sum.Add(OneRun({{{"step:third"}, 5}, {{"step:fourth"}, 5}}));
  sum.Add(gone, -1);
  sum.Compact();
  ASSERT_EQ(sum.nodes().size(), 2u);
  EXPECT_EQ(sum.nodes()[0].key, "step:third");
  EXPECT_EQ(sum.FindOrAddNode(-1, "step:fourth"), 1);
  ASSERT_EQ(sum.edges().size(), 1u);
  EXPECT_EQ(sum.edges().begin()->first, (WorkflowEdgeKey{.kind = 1, .from = 0, .to = 1}));
}

TEST(WorkflowRollupTest, EncodeDecodeRoundTrips) {
  WorkflowRollup sum;
  sum.Add(OneRun({{{"agent:a", "tool:search"}, 100}, {{"agent:a", "tool:fetch"}, 0}}, 3));
  sum.Add(OneRun({{{"agent:ü", "tool:\x1f|>"}, 7'000'000}}), -1);  // negative values and odd keys too
  const std::string bytes = sum.Encode();
  absl::StatusOr<WorkflowRollup> decoded = WorkflowRollup::Decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, sum);
  EXPECT_EQ(decoded->Encode(), bytes);
  EXPECT_TRUE(WorkflowRollup::Decode(WorkflowRollup().Encode()).ok());
}

TEST(WorkflowRollupTest, DecodeRejectsMalformedBytes) {
  WorkflowRollup sum;
  sum.Add(OneRun({{{"agent:a", "tool:search"}, 100}, {{"agent:a", "tool:fetch"}, 5}}));
  const std::string bytes = sum.Encode();
  EXPECT_FALSE(WorkflowRollup::Decode("").ok());
  EXPECT_FALSE(WorkflowRollup::Decode(std::string(1, '\x09') + bytes.substr(1)).ok());  // unknown version
  EXPECT_FALSE(WorkflowRollup::Decode(bytes + "x").ok());                             // trailing bytes
  for (size_t cut = 1; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(WorkflowRollup::Decode(bytes.substr(0, cut)).ok()) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace trackly::model
