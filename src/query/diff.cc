#include "query/diff.h"

#include "absl/container/flat_hash_map.h"
#include "analysis/trace_diff.h"

namespace trackly::query {
namespace {

using ById = absl::flat_hash_map<std::string_view, const model::Observation*>;

ById IndexById(const std::vector<model::Observation>& observations) {
  ById index;
  for (const model::Observation& o : observations) index.emplace(o.id, &o);
  return index;
}

model::Json TotalsJson(const analysis::DiffTotals& t) {
  return model::Json{{"steps", t.steps},
                     {"latency_ms", t.latency_ms},
                     {"input_tokens", t.input_tokens},
                     {"output_tokens", t.output_tokens},
                     {"total_tokens", t.total_tokens},
                     {"cost", t.cost_usd},
                     {"errors", t.errors}};
}

model::Json SideJson(const DiffSide& side, const analysis::DiffTotals& totals) {
  model::Json json{{"trace_id", side.trace_id}, {"name", side.name}, {"totals", TotalsJson(totals)}};
  if (side.typical_of > 0) json["typical_of"] = side.typical_of;
  return json;
}

model::Json StepRef(const ById& index, const std::string& id) {
  if (id.empty()) return nullptr;
  auto it = index.find(id);
  return model::Json{{"id", id}, {"name", it == index.end() ? std::string() : it->second->name}};
}

model::Json LinesJson(const model::Json& a, const model::Json& b) {
  model::Json lines = model::Json::array();
  for (const analysis::DiffLine& line :
       analysis::DiffText(analysis::DiffableJson(a), analysis::DiffableJson(b))) {
    lines.push_back({{"op", analysis::ToString(line.op)}, {"text", line.text}});
  }
  return lines;
}

}  // namespace

model::Json TraceDiffJson(const DiffSide& a, const DiffSide& b, bool with_text) {
  const analysis::TraceDiff diff = analysis::DiffTraces(a.observations, b.observations);
  const ById a_index = IndexById(a.observations);
  const ById b_index = IndexById(b.observations);
  model::Json steps = model::Json::array();
  int text_steps = 0;
  for (const analysis::StepDiff& step : diff.steps) {
    model::Json changes = model::Json::array();
    for (const auto& [changed, why] : {std::pair{step.input_changed, "input"}, {step.output_changed, "output"},
                                       {step.latency_changed, "latency"}, {step.tokens_changed, "tokens"},
                                       {step.cost_changed, "cost"}}) {
      if (changed) changes.push_back(why);
    }
    if (step.kind == analysis::DiffKind::kChanged && step.status_a != step.status_b) changes.push_back("status");
    if (step.kind == analysis::DiffKind::kChanged && step.model_a != step.model_b) changes.push_back("model");
    model::Json json{{"kind", analysis::ToString(step.kind)},
                     {"key", step.key},
                     {"depth", step.depth},
                     {"parent", step.parent_step < 0 ? model::Json(nullptr) : model::Json(step.parent_step)},
                     {"a", StepRef(a_index, step.a_id)},
                     {"b", StepRef(b_index, step.b_id)},
                     {"changes", std::move(changes)},
                     {"latency_delta_ms", step.latency_delta_ms},
                     {"tokens_delta",
                      {{"input", step.input_tokens_delta},
                       {"output", step.output_tokens_delta},
                       {"total", step.total_tokens_delta}}},
                     {"cost_delta", step.cost_delta_usd},
                     {"status", {step.status_a, step.status_b}},
                     {"model", {step.model_a, step.model_b}}};
    if (with_text && (step.input_changed || step.output_changed) && text_steps < kMaxTextDiffSteps) {
      ++text_steps;
      const model::Observation& in_a = *a_index.at(step.a_id);
      const model::Observation& in_b = *b_index.at(step.b_id);
      if (step.input_changed) json["input_diff"] = LinesJson(in_a.input, in_b.input);
      if (step.output_changed) json["output_diff"] = LinesJson(in_a.output, in_b.output);
    }
    steps.push_back(std::move(json));
  }
  return model::Json{{"a", SideJson(a, diff.a_totals)},
                     {"b", SideJson(b, diff.b_totals)},
                     {"counts",
                      {{"same", diff.same}, {"changed", diff.changed}, {"added", diff.added}, {"removed", diff.removed}}},
                     {"steps", std::move(steps)}};
}

}  // namespace trackly::query
