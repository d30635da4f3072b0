// A synthetic research agent's runs for the workflow benchmarks (workflow_graph_bench.cc,
// workflow_rollup_bench.cc): ~50 spans per run, the shape docs/insight.md "Workflow graph" measures.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/observation.h"

namespace trackly::bench {

using model::Observation;
using model::ObservationType;

inline constexpr int64_t kBaseNs = 1'700'000'000'000'000'000;

inline Observation Span(std::string id, std::string parent, std::string name, ObservationType type, int64_t start_us,
                 int64_t duration_us) {
  Observation o;
  o.trace_id = "t";
  o.id = std::move(id);
  o.parent_id = std::move(parent);
  o.name = std::move(name);
  o.type = type;
  o.status = model::Status::kOk;
  o.start_time_ns = kBaseNs + start_us * 1000;
  o.end_time_ns = o.start_time_ns + duration_us * 1000;
  return o;
}

// One run of a research agent, ~50 spans: a root agent with a planner and a writer sub-agent,
// each a loop of model calls followed by one to three tool calls (some with an HTTP span under
// them) and now and then a retrieval. `extra_searches` more searches per turn model a prompt
// change that made the agent search more.
inline std::vector<Observation> AgentRun(uint32_t seed, int extra_searches) {
  std::mt19937 rng(seed);
  std::vector<Observation> run = {Span("root", "", "research_agent", ObservationType::kAgent, 0, 60'000'000)};
  const char* tools[] = {"search", "fetch_page", "calculator", "read_file", "write_file"};
  const char* agents[] = {"planner", "writer"};
  int64_t at = 0;
  int id = 0;
  auto next_id = [&] { return "s" + std::to_string(id++); };
  for (const char* name : agents) {
    const std::string agent = next_id();
    run.push_back(Span(agent, "root", name, ObservationType::kAgent, at, 20'000'000));
    const int turns = 5 + static_cast<int>(rng() % 4);
    for (int turn = 0; turn < turns; ++turn) {
      Observation g = Span(next_id(), agent, "chat gpt-4o", ObservationType::kGeneration, at, 400'000 + rng() % 800'000);
      g.model = "gpt-4o";
      g.usage = {.input_tokens = 800 + turn * 150, .output_tokens = 60, .total_tokens = 860 + turn * 150};
      g.cost.total = 0.0025 + turn * 0.0004;
      run.push_back(std::move(g));
      at += 1'000'000;
      const int calls = 1 + static_cast<int>(rng() % 2) + extra_searches;
      for (int c = 0; c < calls; ++c) {
        const char* tool = c >= calls - extra_searches ? "search" : tools[rng() % 5];
        Observation t = Span(next_id(), agent, tool, ObservationType::kTool, at, 50'000 + rng() % 300'000);
        t.tool = model::ToolRef{tool, ""};
        const std::string tool_id = t.id;
        run.push_back(std::move(t));
        if (rng() % 3 == 0) run.push_back(Span(next_id(), tool_id, "GET", ObservationType::kSpan, at + 1000, 40'000));
        at += 400'000;
      }
      if (rng() % 4 == 0) {
        run.push_back(Span(next_id(), agent, "vector_search", ObservationType::kRetriever, at, 80'000));
        at += 100'000;
      }
    }
  }
  return run;
}

}  // namespace trackly::bench
