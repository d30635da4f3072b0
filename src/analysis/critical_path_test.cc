#include "analysis/critical_path.h"

#include <algorithm>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "analysis/test_trace.h"

namespace trackly::analysis {
namespace {

using namespace testing;  // NOLINT: the builders of test_trace.h

// A segment in milliseconds, for readable expectations.
struct Seg {
  std::string id;
  int64_t start_ms;
  int64_t end_ms;
  bool operator==(const Seg&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Seg& s) {
  return os << (s.id.empty() ? "(gap)" : s.id) << "[" << s.start_ms << "," << s.end_ms << "]";
}

std::vector<Seg> PathMs(std::span<const Observation> observations) {
  std::vector<Seg> out;
  for (const PathSegment& s : CriticalPath(observations)) {
    out.push_back({s.observation_id, (s.start_ns - kBaseNs) / 1'000'000, (s.end_ns - kBaseNs) / 1'000'000});
  }
  return out;
}

struct PathCase {
  const char* name;
  std::vector<Observation> observations;
  std::vector<Seg> want;
};

TEST(CriticalPathTest, WalksBackFromTheEnd) {
  const PathCase cases[] = {
      {"SequentialChildrenAndParentGaps",
       {Obs("root", "", 0, 100), Obs("a", "root", 10, 40), Obs("b", "root", 50, 90)},
       {{"root", 0, 10}, {"a", 10, 40}, {"root", 40, 50}, {"b", 50, 90}, {"root", 90, 100}}},
      {"ParallelChildrenTakeTheOneThatFinishedLast",
       {Obs("root", "", 0, 100), Obs("a", "root", 10, 60), Obs("b", "root", 20, 90)},
       {{"root", 0, 20}, {"b", 20, 90}, {"root", 90, 100}}},
      {"ParallelChildAfterTheCriticalOneStartsIsReached",
       {Obs("root", "", 0, 100), Obs("a", "root", 10, 30), Obs("b", "root", 40, 100), Obs("c", "root", 5, 35)},
       {{"root", 0, 5}, {"c", 5, 35}, {"root", 35, 40}, {"b", 40, 100}}},
      {"NestedChildrenAreWalkedInto",
       {Obs("root", "", 0, 100), Obs("A", "root", 0, 50), Obs("A1", "A", 10, 40), Obs("B", "root", 50, 100)},
       {{"A", 0, 10}, {"A1", 10, 40}, {"A", 40, 50}, {"B", 50, 100}}},
      {"ChildOverrunningItsParentIsClipped",
       {Obs("root", "", 0, 100), Obs("a", "root", 50, 150)},
       {{"root", 0, 50}, {"a", 50, 100}}},
      {"OpenRootRunsToTheTraceEnd",
       {Obs("root", "", 0, kOpen), Obs("a", "root", 10, 60)},
       {{"root", 0, 10}, {"a", 10, 60}}},
      {"InvertedAndZeroLengthChildrenAreSkipped",
       {Obs("root", "", 0, 10), Obs("z", "root", 5, 5), Obs("inv", "root", 6, 2)},
       {{"root", 0, 10}}},
      {"SeveralRootsWithAGapBetween",
       {Obs("r1", "", 0, 10), Obs("r2", "", 20, 30)},
       {{"r1", 0, 10}, {"", 10, 20}, {"r2", 20, 30}}},
      {"OrphanOverlappingTheRootCutsIt",
       {Obs("root", "", 0, 100), Obs("orphan", "missing", 40, 120)},
       {{"root", 0, 40}, {"orphan", 40, 120}}},
      {"ParentCycleIsCutAtItsEarliestMember",
       {Obs("a", "c", 20, 30), Obs("b", "a", 0, 100), Obs("c", "b", 10, 90)},
       {{"b", 0, 10}, {"c", 10, 20}, {"a", 20, 30}, {"c", 30, 90}, {"b", 90, 100}}},
      {"EmptyTrace", {}, {}},
  };
  for (const PathCase& c : cases) EXPECT_EQ(PathMs(c.observations), c.want) << c.name;
}

TEST(CriticalPathTest, DoesNotDependOnInputOrder) {
  std::vector<Observation> obs = {Obs("root", "", 0, 100), Obs("a", "root", 10, 60), Obs("b", "root", 20, 90),
                                  Obs("b1", "b", 30, 40), Obs("b2", "b", 35, 40), Obs("o", "x", 95, 99)};
  const std::vector<Seg> want = PathMs(obs);
  std::mt19937 rng(5);
  for (int i = 0; i < 20; ++i) {
    std::shuffle(obs.begin(), obs.end(), rng);
    EXPECT_EQ(PathMs(obs), want);
  }
}

TEST(CriticalPathTest, HundredThousandDeepChainCoversTheRoot) {
  const int n = 100'000;
  const std::vector<PathSegment> path = CriticalPath(Chain(n));
  ASSERT_EQ(path.size(), static_cast<size_t>(2 * n - 1));
  EXPECT_EQ(path.front().observation_id, "s0");
  EXPECT_EQ(path.front().start_ns, Ns(0));
  EXPECT_EQ(path[static_cast<size_t>(n - 1)].observation_id, "s99999");
  EXPECT_EQ(path.back().end_ns, Ns(2 * n));
  for (size_t i = 1; i < path.size(); ++i) ASSERT_EQ(path[i].start_ns, path[i - 1].end_ns) << i;
}

TEST(SelfTimeTest, SubtractsTheUnionOfChildren) {
  struct Case {
    const char* name;
    std::vector<Observation> observations;
    std::map<std::string, int64_t> want_self_ms;
  };
  const Case cases[] = {
      {"SequentialChildren",
       {Obs("root", "", 0, 100), Obs("a", "root", 10, 40), Obs("b", "root", 50, 90)},
       {{"root", 30}, {"a", 30}, {"b", 40}}},
      {"ParallelChildrenCountOnce",
       {Obs("root", "", 0, 100), Obs("a", "root", 10, 60), Obs("b", "root", 20, 90), Obs("c", "root", 30, 40)},
       {{"root", 20}, {"a", 50}, {"b", 70}}},
      {"ChildOverrunClippedToTheParent",
       {Obs("root", "", 0, 100), Obs("a", "root", 50, 150)},
       {{"root", 50}, {"a", 100}}},
      {"OpenSpanEndsAtTheTraceEnd",
       {Obs("root", "", 0, kOpen), Obs("a", "root", 10, 60)},
       {{"root", 10}, {"a", 50}}},
      {"InvertedSpanHasNoDuration", {Obs("root", "", 50, 40)}, {{"root", 0}}},
      {"OrphanIsItsOwnRoot",
       {Obs("root", "", 0, 100), Obs("orphan", "missing", 10, 20)},
       {{"root", 100}, {"orphan", 10}}},
  };
  for (const Case& c : cases) {
    const std::vector<SpanTiming> timings = SelfTimes(c.observations);
    ASSERT_EQ(timings.size(), c.observations.size()) << c.name;
    for (const SpanTiming& t : timings) {
      auto it = c.want_self_ms.find(t.observation_id);
      if (it == c.want_self_ms.end()) continue;
      EXPECT_EQ(t.self_ns, it->second * 1'000'000) << c.name << " " << t.observation_id;
    }
  }
}

TEST(SelfTimeTest, ReportsEffectiveIntervalAndOpenness) {
  std::vector<Observation> obs = {Obs("root", "", 0, kOpen), Obs("a", "root", 10, 60)};
  const std::vector<SpanTiming> timings = SelfTimes(obs);
  EXPECT_EQ(timings[0], (SpanTiming{"root", Ns(0), Ns(60), 10'000'000, true}));
  EXPECT_EQ(timings[1], (SpanTiming{"a", Ns(10), Ns(60), 50'000'000, false}));
}

TEST(SelfTimeTest, HundredThousandDeepChain) {
  const std::vector<SpanTiming> timings = SelfTimes(Chain(100'000));
  EXPECT_EQ(timings.front().self_ns, 2'000'000);  // 1 ms at each end
  EXPECT_EQ(timings.back().self_ns, 2'000'000);
}

}  // namespace
}  // namespace trackly::analysis
