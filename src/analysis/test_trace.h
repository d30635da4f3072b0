// Test-only builders of small synthetic traces for the tests of this folder.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/json.h"
#include "model/observation.h"

namespace trackly::analysis::testing {

using model::Json;
using model::Observation;
using model::ObservationType;
using model::Status;

// Times are milliseconds after a fixed instant; an end of kOpen leaves the span open (end 0).
inline constexpr int64_t kBaseNs = 1'700'000'000'000'000'000;
inline constexpr int64_t kOpen = -1;
inline constexpr int64_t Ns(int64_t ms) { return kBaseNs + ms * 1'000'000; }

inline Observation Obs(std::string id, std::string parent, int64_t start_ms, int64_t end_ms,
                       ObservationType type = ObservationType::kSpan) {
  Observation o;
  o.trace_id = "t1";
  o.name = id;
  o.id = std::move(id);
  o.parent_id = std::move(parent);
  o.type = type;
  o.start_time_ns = Ns(start_ms);
  o.end_time_ns = end_ms == kOpen ? 0 : Ns(end_ms);
  return o;
}

// A model call; `answer` (when not empty) becomes a normalized assistant message.
inline Observation Gen(std::string id, std::string parent, int64_t start_ms, int64_t end_ms,
                       int64_t input_tokens = 0, std::string answer = "", std::string finish_reason = "") {
  Observation o = Obs(std::move(id), std::move(parent), start_ms, end_ms, ObservationType::kGeneration);
  o.usage.input_tokens = input_tokens;
  if (!answer.empty() || !finish_reason.empty()) {
    Json message = {{"role", "assistant"}, {"content", answer}};
    if (!finish_reason.empty()) message["finish_reason"] = finish_reason;
    o.output = Json::array({message});
  }
  return o;
}

// A tool call named `tool` with `arguments` as its input.
inline Observation Tool(std::string id, std::string parent, int64_t start_ms, int64_t end_ms, std::string tool,
                        Json arguments = Json::object(), Status status = Status::kOk) {
  Observation o = Obs(std::move(id), std::move(parent), start_ms, end_ms, ObservationType::kTool);
  o.name = tool;
  o.tool = model::ToolRef{tool, ""};
  o.input = std::move(arguments);
  o.status = status;
  return o;
}

// n spans, each the child of the one before: s0 ← s1 ← … (s0 the root), 1 ms each, nested.
inline std::vector<Observation> Chain(int n) {
  std::vector<Observation> chain;
  chain.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    chain.push_back(Obs("s" + std::to_string(i), i == 0 ? "" : "s" + std::to_string(i - 1), i, 2 * n - i));
  }
  return chain;
}

}  // namespace trackly::analysis::testing
