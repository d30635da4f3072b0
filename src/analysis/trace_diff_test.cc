#include "analysis/trace_diff.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "analysis/test_trace.h"

namespace trackly::analysis {
namespace {

using namespace testing;  // NOLINT: the builders of test_trace.h

Observation Agent(int64_t end_ms = 1000) { return Obs("root", "", 0, end_ms, ObservationType::kAgent); }

// A model call whose name carries its model, as OpenTelemetry gen_ai spans are named.
Observation Chat(std::string id, int64_t start_ms, int64_t end_ms, std::string model = "gpt-4o") {
  Observation o = Gen(std::move(id), "root", start_ms, end_ms, 100);
  o.name = "chat " + model;
  o.model = std::move(model);
  return o;
}

Observation Retrieval(std::string id, int64_t start_ms, int64_t end_ms) {
  Observation o = Obs(std::move(id), "root", start_ms, end_ms, ObservationType::kRetriever);
  o.name = "vector_search";
  return o;
}

// An agent loop: `turns` × (model call, search), then a final model call; ids prefixed by `tag`.
std::vector<Observation> Loop(int turns, const std::string& tag = "") {
  std::vector<Observation> obs = {Agent()};
  for (int i = 0; i < turns; ++i) {
    obs.push_back(Chat(tag + "g" + std::to_string(i), 20 * i, 20 * i + 5));
    obs.push_back(Tool(tag + "t" + std::to_string(i), "root", 20 * i + 5, 20 * i + 15, "search", {{"q", i}}));
  }
  obs.push_back(Chat(tag + "final", 900, 950));
  return obs;
}

// One line per step, indented by depth: "<kind> <key> <a_id>|<b_id>".
std::vector<std::string> Lines(const TraceDiff& diff) {
  std::vector<std::string> lines;
  for (const StepDiff& s : diff.steps) {
    lines.push_back(std::string(2 * static_cast<size_t>(s.depth - 1), ' ') + std::string(ToString(s.kind)) + " " +
                    s.key + " " + s.a_id + "|" + s.b_id);
  }
  return lines;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

std::vector<Observation> With(std::vector<Observation> obs, Observation extra) {
  obs.push_back(std::move(extra));
  return obs;
}

std::vector<Observation> Without(std::vector<Observation> obs, std::string_view id) {
  obs.erase(std::remove_if(obs.begin(), obs.end(), [&](const Observation& o) { return o.id == id; }), obs.end());
  return obs;
}

template <typename Edit>
std::vector<Observation> Edited(std::vector<Observation> obs, std::string_view id, Edit edit) {
  for (Observation& o : obs) {
    if (o.id == id) edit(o);
  }
  return obs;
}

TEST(TraceDiffTest, AlignsStepsByStructureAndName) {
  struct Case {
    const char* name;
    std::vector<Observation> a;
    std::vector<Observation> b;
    std::vector<std::string> want;
  };
  const std::vector<Observation> base = {Agent(), Chat("g1", 0, 10), Retrieval("r1", 10, 20),
                                         Tool("t1", "root", 20, 30, "search", {{"q", "x"}}), Chat("g2", 30, 40)};
  const Case cases[] = {
      {"IdenticalTracesAreAllSame",
       base,
       base,
       {"same agent:root root|root", "  same generation:chat g1|g1", "  same retriever:vector_search r1|r1",
        "  same tool:search t1|t1", "  same generation:chat g2|g2"}},
      {"InsertedToolCallIsAdded",
       base,
       With(base, Tool("calc", "root", 25, 28, "calculator")),
       {"same agent:root root|root", "  same generation:chat g1|g1", "  same retriever:vector_search r1|r1",
        "  same tool:search t1|t1", "  added tool:calculator |calc", "  same generation:chat g2|g2"}},
      {"RemovedRetrievalIsRemoved",
       base,
       Without(base, "r1"),
       {"same agent:root root|root", "  same generation:chat g1|g1", "  removed retriever:vector_search r1|",
        "  same tool:search t1|t1", "  same generation:chat g2|g2"}},
      {"RenamedStepIsRemovedPlusAdded",
       base,
       Edited(base, "r1", [](Observation& o) { o.name = "keyword_search"; }),
       {"same agent:root root|root", "  same generation:chat g1|g1", "  removed retriever:vector_search r1|",
        "  added retriever:keyword_search |r1", "  same tool:search t1|t1", "  same generation:chat g2|g2"}},
      {"ChangedModelIsChangedNotRenamed",
       base,
       Edited(base, "g2", [](Observation& o) { o = Chat("g2", 30, 40, "gpt-4o-mini"); }),
       {"same agent:root root|root", "  same generation:chat g1|g1", "  same retriever:vector_search r1|r1",
        "  same tool:search t1|t1", "  changed generation:chat g2|g2"}},
      {"ChangedToolArgumentsAreChanged",
       base,
       Edited(base, "t1", [](Observation& o) { o.input = {{"q", "y"}}; }),
       {"same agent:root root|root", "  same generation:chat g1|g1", "  same retriever:vector_search r1|r1",
        "  changed tool:search t1|t1", "  same generation:chat g2|g2"}},
      {"ArgumentsDifferingInKeyOrderWhitespaceAndIntegralFloatsAreSame",
       {Agent(), Tool("t1", "root", 0, 1, "search", Json::parse(R"({"q": "paris  weather", "n": 3})"))},
       {Agent(), Tool("t1", "root", 0, 1, "search", Json::parse(R"({"n": 3.0, "q": " paris weather"})"))},
       {"same agent:root root|root", "  same tool:search t1|t1"}},
      {"FailedToolIsChanged",
       base,
       Edited(base, "t1", [](Observation& o) { o.status = Status::kError; }),
       {"same agent:root root|root", "  same generation:chat g1|g1", "  same retriever:vector_search r1|r1",
        "  changed tool:search t1|t1", "  same generation:chat g2|g2"}},
      {"MoreTokensAreChanged",
       base,
       Edited(base, "g1", [](Observation& o) { o.usage.input_tokens = 101; }),
       {"same agent:root root|root", "  changed generation:chat g1|g1", "  same retriever:vector_search r1|r1",
        "  same tool:search t1|t1", "  same generation:chat g2|g2"}},
      {"RetryLoopThreeToFiveRepetitionsAddsTheSurplusInOrder",
       Loop(3, "a"),
       Loop(5, "b"),
       {"same agent:root root|root", "  same generation:chat ag0|bg0", "  same tool:search at0|bt0",
        "  same generation:chat ag1|bg1", "  same tool:search at1|bt1", "  same generation:chat ag2|bg2",
        "  same tool:search at2|bt2", "  added generation:chat |bg3", "  added tool:search |bt3",
        "  added generation:chat |bg4", "  added tool:search |bt4", "  same generation:chat afinal|bfinal"}},
      {"RemovedStepTakesItsSubtree",
       {Agent(), Obs("plan", "root", 0, 50), Chat("g1", 0, 10), Obs("sub", "plan", 10, 40),
        Tool("t1", "sub", 10, 20, "search")},
       {Agent(), Chat("g1", 0, 10)},
       {"same agent:root root|root", "  same generation:chat g1|g1", "  removed span:plan plan|",
        "    removed span:sub sub|", "      removed tool:search t1|"}},
      {"StepMovedToAnotherParentIsRemovedAndAdded",
       {Agent(), Obs("a", "root", 0, 50), Obs("b", "root", 50, 90), Tool("t1", "a", 10, 20, "search")},
       {Agent(), Obs("a", "root", 0, 50), Obs("b", "root", 50, 90), Tool("t1", "b", 60, 70, "search")},
       {"same agent:root root|root", "  same span:a a|a", "    removed tool:search t1|", "  same span:b b|b",
        "    added tool:search |t1"}},
      {"OrphansAreRootsAlignedLikeSiblings",
       {Agent(), Obs("late", "missing", 2000, 2100), Obs("lost", "gone", 2200, 2300)},
       {Agent(), Obs("lost", "gone", 2200, 2300)},
       {"same agent:root root|root", "removed span:late late|", "same span:lost lost|lost"}},
      {"DifferentRootsAreRemovedAndAdded",
       {Obs("x", "", 0, 10)},
       {Obs("y", "", 0, 10)},
       {"removed span:x x|", "added span:y |y"}},
      {"EmptyAgainstATrace", {}, {Obs("y", "", 0, 10)}, {"added span:y |y"}},
  };
  for (const Case& c : cases) {
    const TraceDiff diff = DiffTraces(c.a, c.b);
    EXPECT_EQ(Lines(diff), c.want) << c.name << "\n" << Joined(Lines(diff));
  }
}

TEST(TraceDiffTest, LatencyChangesOnlyBeyondBothThresholds) {
  struct Case {
    const char* name;
    int64_t a_ms;
    int64_t b_ms;
    DiffKind want;
  };
  const Case cases[] = {
      {"RegressionOf100PercentAnd100Ms", 100, 200, DiffKind::kChanged},
      {"ImprovementCountsToo", 400, 200, DiffKind::kChanged},
      {"FiftyMsAndTwentyPercentExactly", 250, 300, DiffKind::kChanged},
      {"NearMissLargeShareButUnder50Ms", 100, 140, DiffKind::kSame},
      {"NearMissOver50MsButUnder20Percent", 1000, 1150, DiffKind::kSame},
      {"FromZeroByFiftyMs", 0, 50, DiffKind::kChanged},
  };
  for (const Case& c : cases) {
    const std::vector<Observation> a = {Obs("root", "", 0, 5000), Tool("t", "root", 10, 10 + c.a_ms, "search")};
    const std::vector<Observation> b = {Obs("root", "", 0, 5000), Tool("t", "root", 10, 10 + c.b_ms, "search")};
    const TraceDiff diff = DiffTraces(a, b);
    ASSERT_EQ(diff.steps.size(), 2u) << c.name;
    EXPECT_EQ(diff.steps[1].kind, c.want) << c.name;
    EXPECT_EQ(diff.steps[1].latency_changed, c.want == DiffKind::kChanged) << c.name;
    EXPECT_DOUBLE_EQ(diff.steps[1].latency_delta_ms, static_cast<double>(c.b_ms - c.a_ms)) << c.name;
  }
}

TEST(TraceDiffTest, ThresholdsComeFromTheOptions) {
  std::vector<Observation> a = {Obs("root", "", 0, 5000), Gen("g", "root", 0, 100, 1000)};
  std::vector<Observation> b = {Obs("root", "", 0, 5000), Gen("g", "root", 0, 130, 1010)};
  a[1].cost.total = 0.010;
  b[1].cost.total = 0.0101;
  EXPECT_EQ(DiffTraces(a, b).steps[1].kind, DiffKind::kChanged);
  DiffOptions lax;
  lax.tokens_tolerance = 10;
  lax.cost_tolerance_usd = 0.001;
  EXPECT_EQ(DiffTraces(a, b, lax).steps[1].kind, DiffKind::kSame);
  lax.latency_min_ms = 30;
  const StepDiff s = DiffTraces(a, b, lax).steps[1];
  EXPECT_EQ(s.kind, DiffKind::kChanged);
  EXPECT_TRUE(s.latency_changed);
  EXPECT_FALSE(s.tokens_changed);
  EXPECT_FALSE(s.cost_changed);
}

TEST(TraceDiffTest, StepsCarryDeltasStatusesModelsAndTreeLinks) {
  std::vector<Observation> a = {Agent(), Chat("g1", 0, 100), Tool("t1", "root", 100, 200, "search"),
                                Tool("t2", "root", 200, 260, "fetch")};
  std::vector<Observation> b = {Agent(), Chat("g1", 0, 150, "gpt-4o-mini"),
                                Tool("t1", "root", 150, 250, "search", Json::object(), Status::kError),
                                Tool("t3", "root", 250, 280, "calc")};
  a[1].usage = {.input_tokens = 100, .output_tokens = 20, .total_tokens = 120};
  a[1].cost.total = 0.5;
  b[1].usage = {.input_tokens = 90, .output_tokens = 40, .total_tokens = 130};
  b[1].cost.total = 0.25;
  b[3].usage.total_tokens = 7;
  a[1].output = Json::array({{{"role", "assistant"}, {"content", "a"}}});
  b[1].output = Json::array({{{"role", "assistant"}, {"content", "b"}}});
  const TraceDiff diff = DiffTraces(a, b);
  ASSERT_EQ(Lines(diff), (std::vector<std::string>{"same agent:root root|root", "  changed generation:chat g1|g1",
                                                   "  changed tool:search t1|t1", "  removed tool:fetch t2|",
                                                   "  added tool:calc |t3"}));
  const StepDiff& g = diff.steps[1];
  EXPECT_EQ(g.model_a, "gpt-4o");
  EXPECT_EQ(g.model_b, "gpt-4o-mini");
  EXPECT_DOUBLE_EQ(g.latency_delta_ms, 50);
  EXPECT_EQ(g.input_tokens_delta, -10);
  EXPECT_EQ(g.output_tokens_delta, 20);
  EXPECT_EQ(g.total_tokens_delta, 10);
  EXPECT_DOUBLE_EQ(g.cost_delta_usd, -0.25);
  EXPECT_FALSE(g.input_changed);
  EXPECT_TRUE(g.output_changed);
  EXPECT_TRUE(g.tokens_changed && g.cost_changed && g.latency_changed);
  EXPECT_EQ(diff.steps[2].status_a, "ok");
  EXPECT_EQ(diff.steps[2].status_b, "error");
  EXPECT_DOUBLE_EQ(diff.steps[3].latency_delta_ms, -60);  // removed: minus a's figures
  EXPECT_EQ(diff.steps[3].status_b, "");
  EXPECT_EQ(diff.steps[4].total_tokens_delta, 7);  // added: b's figures
  EXPECT_EQ(diff.steps[4].a_id, "");
  for (size_t i = 1; i < diff.steps.size(); ++i) {
    EXPECT_EQ(diff.steps[i].parent_step, 0);
    EXPECT_EQ(diff.steps[i].depth, 2);
  }
  EXPECT_EQ(diff.steps[0].parent_step, -1);
  EXPECT_EQ(diff.same, 1);
  EXPECT_EQ(diff.changed, 2);
  EXPECT_EQ(diff.removed, 1);
  EXPECT_EQ(diff.added, 1);
  EXPECT_EQ(diff.a_totals.steps, 4);
  EXPECT_DOUBLE_EQ(diff.a_totals.latency_ms, 1000);
  EXPECT_EQ(diff.a_totals.total_tokens, 120);
  EXPECT_EQ(diff.b_totals.total_tokens, 137);
  EXPECT_DOUBLE_EQ(diff.b_totals.cost_usd, 0.25);
  EXPECT_EQ(diff.b_totals.errors, 1);
}

TEST(TraceDiffTest, ResultDoesNotDependOnOrder) {
  std::vector<Observation> a = Loop(4, "a");
  std::vector<Observation> b = Without(Loop(6, "b"), "bt2");
  const std::vector<std::string> want = Lines(DiffTraces(a, b));
  std::mt19937 rng(9);
  for (int i = 0; i < 10; ++i) {
    std::shuffle(a.begin(), a.end(), rng);
    std::shuffle(b.begin(), b.end(), rng);
    EXPECT_EQ(Lines(DiffTraces(a, b)), want);
  }
}

TEST(TraceDiffTest, HundredThousandDeepChainsDiffWithoutRecursion) {
  const std::vector<Observation> a = Chain(100'000);
  std::vector<Observation> b = Chain(100'000);
  b.push_back(Obs("leaf", "s99999", 99'999, 100'001));
  TraceDiff diff = DiffTraces(a, b);
  EXPECT_EQ(diff.same, 100'000);
  EXPECT_EQ(diff.added, 1);
  EXPECT_EQ(diff.steps.back().b_id, "leaf");
  EXPECT_EQ(diff.steps.back().depth, 100'001);
  EXPECT_EQ(diff.steps.back().parent_step, 99'999);

  // Renamed halfway down: the rest of each chain is removed, then added, depth first.
  b = Chain(100'000);
  b[50'000].name = "renamed";
  diff = DiffTraces(a, b);
  EXPECT_EQ(diff.same, 50'000);
  EXPECT_EQ(diff.removed, 50'000);
  EXPECT_EQ(diff.added, 50'000);
  EXPECT_EQ(diff.steps[50'000].a_id, "s50000");
  EXPECT_EQ(diff.steps[100'000].b_id, "s50000");
  EXPECT_EQ(diff.steps[100'000].kind, DiffKind::kAdded);
}

// Root with `n` children cycling through `kinds` tool names; `skip` drops every skip-th one.
std::vector<Observation> Wide(int n, int kinds, int skip) {
  std::vector<Observation> obs = {Obs("root", "", 0, 100'000)};
  for (int i = 0; i < n; ++i) {
    if (skip > 0 && i % skip == skip - 1) continue;
    obs.push_back(Tool("c" + std::to_string(i), "root", i, i + 1, "tool" + std::to_string(i % kinds)));
  }
  return obs;
}

TEST(TraceDiffTest, HugeSiblingListsStayAlignedPastTheTableCap) {
  struct Case {
    const char* name;
    size_t max_cells;
  };
  // No key is unique, so past the table's cap the lists are aligned window by window.
  const Case cases[] = {{"ExactTable", 1 << 24}, {"Windows", 1 << 18}, {"TinyWindows", 1}};
  const std::vector<Observation> a = Wide(3000, 3, 0);
  const std::vector<Observation> b = Wide(3000, 3, 7);  // every 7th child gone
  for (const Case& c : cases) {
    DiffOptions options;
    options.max_alignment_cells = c.max_cells;
    const TraceDiff diff = DiffTraces(a, b, options);
    EXPECT_EQ(diff.same, 1 + 3000 - 3000 / 7) << c.name;
    EXPECT_EQ(diff.removed, 3000 / 7) << c.name;
    EXPECT_EQ(diff.added, 0) << c.name;
    for (const StepDiff& s : diff.steps) {
      if (s.kind == DiffKind::kSame) {
        EXPECT_EQ(s.a_id, s.b_id) << c.name;
      }
    }
  }
}

TEST(TraceDiffTest, InsertionsLongerThanAWindowStayAligned) {
  struct Case {
    const char* name;
    int kinds;  // 0: every step named apart (anchored on unique keys); else that many repeated names
  };
  const Case cases[] = {{"UniqueKeysAnchor", 0}, {"RepeatedKeysJumpToTheNextPair", 3}};
  for (const Case& c : cases) {
    std::vector<Observation> a = {Obs("root", "", 0, 100'000)};
    std::vector<Observation> b = a;
    for (int i = 0; i < 600; ++i) {
      Observation step = Obs("c" + std::to_string(i), "root", 2 * i, 2 * i + 1);
      if (c.kinds > 0) step.name = "step" + std::to_string(i % c.kinds);
      if (i == 10) {
        for (int k = 0; k < 300; ++k) b.push_back(Obs("new" + std::to_string(k), "root", 2 * i, 2 * i));
      }
      a.push_back(step);
      if (i == 590) step.name = "renamed";  // so that no common suffix shortens the stretch much
      b.push_back(step);
    }
    DiffOptions options;
    options.max_alignment_cells = 1 << 10;  // windows of 32 steps
    const TraceDiff diff = DiffTraces(a, b, options);
    EXPECT_EQ(diff.same, 600) << c.name;
    EXPECT_EQ(diff.added, 301) << c.name;
    EXPECT_EQ(diff.removed, 1) << c.name;
    EXPECT_EQ(diff.steps[11].b_id, "new0") << c.name;
  }
}

TEST(TraceDiffTest, EveryStepOfBothSidesAppearsOnceWhateverTheCap) {
  std::mt19937 rng(3);
  for (size_t max_cells : {size_t{1}, size_t{64}, size_t{1} << 18}) {
    for (int round = 0; round < 5; ++round) {
      std::vector<Observation> a = Wide(400, 4, 0);
      std::vector<Observation> b = Wide(400, 4, 0);
      std::shuffle(b.begin() + 1, b.end(), rng);
      for (size_t i = 1; i < b.size(); ++i) b[i].start_time_ns = Ns(static_cast<int64_t>(i));
      b.resize(300);
      DiffOptions options;
      options.max_alignment_cells = max_cells;
      const TraceDiff diff = DiffTraces(a, b, options);
      std::vector<std::string> a_ids;
      std::vector<std::string> b_ids;
      for (const StepDiff& s : diff.steps) {
        if (!s.a_id.empty()) a_ids.push_back(s.a_id);
        if (!s.b_id.empty()) b_ids.push_back(s.b_id);
        if (!s.a_id.empty() && !s.b_id.empty() && s.a_id != "root") {
          EXPECT_EQ(s.key.substr(0, 5), "tool:") << s.key;
        }
      }
      EXPECT_EQ(a_ids.size(), a.size());
      EXPECT_EQ(b_ids.size(), b.size());
      std::sort(a_ids.begin(), a_ids.end());
      EXPECT_EQ(std::unique(a_ids.begin(), a_ids.end()), a_ids.end());
    }
  }
}

TEST(TraceDiffTest, StepKeys) {
  struct Case {
    const char* name;
    Observation observation;
    std::string want;
  };
  Observation request_model = Chat("g", 0, 1, "gpt-4o-2024-08-06");
  request_model.name = "chat gpt-4o";
  request_model.attributes = {{"gen_ai.request.model", "gpt-4o"}};
  Observation model_only = Chat("g", 0, 1);
  model_only.name = "gpt-4o";
  Observation tool_ref = Tool("t", "root", 0, 1, "search");
  tool_ref.name = "call_tool";
  Observation unnamed = Obs("s", "root", 0, 1);
  unnamed.name = "";
  const Case cases[] = {
      {"ToolByToolName", tool_ref, "tool:search"},
      {"GenerationWithoutItsModel", Chat("g", 0, 1, "claude-3-5-haiku"), "generation:chat"},
      {"GenerationWithoutItsRequestModel", request_model, "generation:chat"},
      {"GenerationNamedOnlyByItsModel", model_only, "generation"},
      {"GenerationNameWithoutModel", Gen("llm_call", "root", 0, 1), "generation:llm_call"},
      {"SpanByName", Obs("plan", "root", 0, 1), "span:plan"},
      {"UnnamedSpan", unnamed, "span"},
  };
  for (const Case& c : cases) EXPECT_EQ(StepKey(c.observation), c.want) << c.name;
}

TEST(TraceDiffTest, KindNamesRoundTrip) {
  for (DiffKind k : {DiffKind::kSame, DiffKind::kChanged, DiffKind::kAdded, DiffKind::kRemoved}) {
    DiffKind back = DiffKind::kAdded;
    ASSERT_TRUE(ParseDiffKind(ToString(k), &back)) << ToString(k);
    EXPECT_EQ(back, k);
  }
  DiffKind unchanged = DiffKind::kChanged;
  EXPECT_FALSE(ParseDiffKind("Same", &unchanged));
  EXPECT_EQ(unchanged, DiffKind::kChanged);
  EXPECT_EQ(ToString(LineOp::kOmitted), "omitted");
}

std::vector<std::string> Rendered(const std::vector<DiffLine>& lines) {
  std::vector<std::string> out;
  for (const DiffLine& l : lines) {
    const char mark = l.op == LineOp::kSame ? ' ' : l.op == LineOp::kAdded ? '+' : l.op == LineOp::kRemoved ? '-' : '~';
    out.push_back(std::string(1, mark) + l.text);
  }
  return out;
}

TEST(DiffTextTest, LineDiffs) {
  struct Case {
    const char* name;
    std::string a;
    std::string b;
    TextDiffOptions options;
    std::vector<std::string> want;
  };
  TextDiffOptions two_lines;
  two_lines.max_lines = 2;
  TextDiffOptions ten_bytes;
  ten_bytes.max_bytes = 10;
  const Case cases[] = {
      {"Identical", "a\nb\n", "a\nb\n", {}, {" a", " b"}},
      {"BothEmpty", "", "", {}, {}},
      {"LineChangedIsRemovedThenAdded", "a\nb\nc", "a\nB\nc", {}, {" a", "-b", "+B", " c"}},
      {"InsertedAndDeleted", "a\nb\nc\nd", "a\nc\nx\nd", {}, {" a", "-b", " c", "+x", " d"}},
      {"RepeatedLinesPairInOrderAndTheLastWithTheLast", "x\nx\ny", "x\nx\nx\nx\ny", {}, {" x", "+x", "+x", " x", " y"}},
      {"CrLfEqualsLf", "a\r\nb\r\n", "a\nb", {}, {" a", " b"}},
      {"TrailingNewlineMakesNoEmptyLine", "a\n", "a\n\n", {}, {" a", "+"}},
      {"FromNothing", "", "a\nb", {}, {"+a", "+b"}},
      {"LineCapOmitsTheRest", "1\n2\n3\n4\n", "1\n2\n", two_lines,
       {" 1", " 2", "~2 more lines of a and 0 of b not compared"}},
      {"ByteCapKeepsWholeLines", "abcd\nefgh\nijkl", "abcd\nefgh\nijkl\nmnop", ten_bytes,
       {" abcd", " efgh", "~1 more line of a and 2 of b not compared"}},
      {"OverlongFirstLineIsCut", std::string(25, 'a'), std::string(25, 'a') + "b", ten_bytes,
       {" aaaaaaaaaa", "~1 more line of a and 1 of b not compared"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Rendered(DiffText(c.a, c.b, c.options)), c.want) << c.name << "\n"
                                                               << Joined(Rendered(DiffText(c.a, c.b, c.options)));
  }
}

TEST(DiffTextTest, LargeTextsAreBoundedByTheCaps) {
  std::string a;
  std::string b;
  for (int i = 0; i < 50'000; ++i) a += "line " + std::to_string(i) + "\n";
  for (int i = 50'000; i-- > 0;) b += "line " + std::to_string(i) + "\n";  // reversed: nothing aligns in order
  const std::vector<DiffLine> lines = DiffText(a, b);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().op, LineOp::kOmitted);
  EXPECT_EQ(lines.back().text, "40000 more lines of a and 40000 of b not compared");
  int64_t same = 0;
  for (const DiffLine& l : lines) same += l.op == LineOp::kSame ? 1 : 0;
  EXPECT_LE(same, 1);  // the first 10,000 lines of a and of b share no line
}

TEST(DiffTextTest, DiffableJsonPutsOneMemberPerLineAndSplitsMultilineStrings) {
  const Json value = Json::parse(R"({"role": "system", "content": "Be brief.\nCite sources.", "n": 2.0,
                                     "tags": ["a", {}], "empty": []})");
  EXPECT_EQ(DiffableJson(value),
            "{\n"
            "  \"content\": \"Be brief.\\n\"\n"
            "    \"Cite sources.\",\n"
            "  \"empty\": [],\n"
            "  \"n\": 2,\n"
            "  \"role\": \"system\",\n"
            "  \"tags\": [\n"
            "    \"a\",\n"
            "    {}\n"
            "  ]\n"
            "}");
  EXPECT_EQ(DiffableJson(Json()), "null");
  EXPECT_EQ(DiffableJson(Json("x\n")), "\"x\\n\"");
  const Json other = Json::parse(R"({"role": "system", "content": "Be brief.\nCite two sources.", "n": 2})");
  EXPECT_EQ(Rendered(DiffText(DiffableJson(value), DiffableJson(other))),
            (std::vector<std::string>{" {", "   \"content\": \"Be brief.\\n\"", "-    \"Cite sources.\",",
                                      "-  \"empty\": [],", "+    \"Cite two sources.\",", "   \"n\": 2,",
                                      "-  \"role\": \"system\",", "-  \"tags\": [", "-    \"a\",", "-    {}",
                                      "-  ]", "+  \"role\": \"system\"", " }"}));
}

TEST(DiffTextTest, DiffableJsonOfDeepValueIsIterativeAndCapped) {
  Json deep = Json::array();
  Json* cur = &deep;
  for (int i = 0; i < 100'000; ++i) {
    cur->push_back(Json::array({1}));
    cur = &cur->back();
  }
  EXPECT_EQ(DiffableJson(deep).size(), 256u * 1024);  // the default cap
  const std::string text = DiffableJson(deep, size_t{1} << 28);
  // Lines: "[", "1" and "]" per level, and the outer "[" and "]".
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3 * 100'000 + 2 - 1);
  EXPECT_LT(text.size(), 200u * 400'000);  // indentation stops growing
}

// A trace of the loop shape with these durations (ms) for its model calls and search calls.
std::vector<Observation> Timed(const std::string& tag, std::vector<int64_t> gen_ms, int64_t tool_ms, int64_t tokens) {
  std::vector<Observation> obs = {Obs(tag + "root", "", 0, 10'000, ObservationType::kAgent)};
  obs[0].name = "agent";
  int64_t at = 0;
  for (size_t i = 0; i < gen_ms.size(); ++i) {
    Observation g = Gen(tag + "g" + std::to_string(i), tag + "root", at, at + gen_ms[i], tokens);
    g.name = "chat";
    g.cost.total = static_cast<double>(tokens) / 1000;
    obs.push_back(g);
    at += gen_ms[i];
    if (i + 1 < gen_ms.size()) {
      obs.push_back(Tool(tag + "t" + std::to_string(i), tag + "root", at, at + tool_ms, "search"));
      at += tool_ms;
    }
  }
  return obs;
}

TEST(TypicalTraceTest, MedoidByStructureWithMedianFigures) {
  const std::vector<std::vector<Observation>> traces = {
      Timed("x", {100, 300}, 10, 100),     // 2 model calls, 1 search
      Timed("y", {200, 100}, 30, 300),     // same shape: the first such is the medoid
      Timed("z", {900, 500, 200}, 50, 200),  // one more turn
  };
  const std::vector<Observation> typical = TypicalTrace(traces);
  ASSERT_EQ(typical.size(), traces[0].size());
  auto duration_ms = [](const Observation& o) { return (o.end_time_ns - o.start_time_ns) / 1'000'000; };
  // g0 aligned in all three: median of 100, 200, 900. x's final call pairs with y's and with z's
  // final call (same neighbours), not z's second: median of 300, 100, 200. The search: median of
  // 10, 30, 50 (x's only search pairs with z's first).
  EXPECT_EQ(typical[0].id, "xroot");
  EXPECT_EQ(typical[1].id, "xg0");
  EXPECT_EQ(duration_ms(typical[1]), 200);
  EXPECT_EQ(typical[1].start_time_ns, traces[0][1].start_time_ns);
  EXPECT_EQ(typical[1].usage.input_tokens, 200);
  EXPECT_DOUBLE_EQ(typical[1].cost.total, 0.2);
  EXPECT_EQ(duration_ms(typical[2]), 30);
  EXPECT_EQ(duration_ms(typical[3]), 200);
}

TEST(TypicalTraceTest, EvenCountTakesTheMeanOfTheMiddleTwo) {
  const std::vector<std::vector<Observation>> traces = {Timed("x", {100}, 0, 100), Timed("y", {301}, 0, 201)};
  const std::vector<Observation> typical = TypicalTrace(traces);
  ASSERT_EQ(typical.size(), 2u);
  EXPECT_EQ(typical[1].end_time_ns - typical[1].start_time_ns, 200'500'000);
  EXPECT_EQ(typical[1].usage.input_tokens, 150);
  EXPECT_DOUBLE_EQ(typical[1].cost.total, 0.1505);
}

TEST(TypicalTraceTest, OpenStepsStayOpenAndNoTracesGiveNothing) {
  std::vector<Observation> open = Timed("x", {100}, 0, 100);
  open[1].end_time_ns = 0;
  const std::vector<std::vector<Observation>> traces = {open, Timed("y", {300}, 0, 100)};
  EXPECT_EQ(TypicalTrace(traces)[1].end_time_ns, 0);
  EXPECT_TRUE(TypicalTrace({}).empty());
}

}  // namespace
}  // namespace trackly::analysis
