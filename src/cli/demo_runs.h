// Sample agent runs, as an instrumented application would export them: spans with the real
// OTel GenAI and OpenInference attribute conventions (shared/reference/wire-formats.md §2, §3),
// realistic models, token counts and chat messages. Used by `trackly demo` and by the load
// generator in bench/ (which builds many runs with different seeds).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/raw_span.h"

namespace trackly::cli {

// One sample run: the spans of one or more traces (a session run has several).
struct DemoRun {
  std::string name;                    // "research_assistant", "tool_agent", ...
  std::vector<std::string> trace_ids;  // in start order
  std::vector<model::RawSpan> spans;   // parents before children; every span has a scope
};

// Not thread-safe. Builds runs whose last span ends at `now_ns`; ids, token counts and timings
// come from a generator seeded with `seed`, so the output is a pure function of (now_ns, seed,
// call sequence).
class DemoRunBuilder {
 public:
  DemoRunBuilder(int64_t now_ns, uint64_t seed);

  // (a) rewrite_question → retrieve_context (embedding + 2 documents) → draft_answer (gpt-4o)
  //     → summarize (claude-3-5-sonnet), OpenInference CHAIN/RETRIEVER spans: 8 spans.
  DemoRun ResearchAssistant();
  // (b) A tool-calling agent (OTel GenAI): a get_weather call fails (exception event, status
  //     ERROR) and is retried successfully: 5 spans, trace status error.
  DemoRun ToolAgentWithRetry();
  // (c) A planner agent and 3 sub-agents, each with several LLM and tool calls: 60 spans.
  DemoRun MultiAgent();
  // (d) A 3-turn support chat: 3 traces sharing session.id and user.id.
  DemoRun ChatSession();

  // All four, in the order above.
  std::vector<DemoRun> All();

 private:
  int64_t now_ns_;
  std::mt19937_64 rng_;
};

}  // namespace trackly::cli
