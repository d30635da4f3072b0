// Langfuse token usage and cost in all their wire shapes (shared/reference/wire-formats.md §6a,
// §8.2) → model::Usage and model::Cost. docs/integrations.md "Langfuse" states the mapping.
#pragma once

#include <optional>

#include "absl/status/statusor.h"
#include "model/json.h"
#include "model/observation.h"

namespace trackly::ingest::langfuse {

// Usage from a generation body's `usageDetails` (preferred) or legacy `usage`; nullopt when
// neither carries token counts (absent, null, or a `usage` whose unit is not TOKENS). Shapes:
//   usageDetails  free map {input, output, total, <input_*|cache_*>, <output_*>} — Langfuse's
//                 "input" EXCLUDES cached tokens and "output" excludes reasoning, so the cache and
//                 reasoning keys are added back (model::Usage counts them inside input/output);
//                 OpenAI Chat {prompt_tokens, completion_tokens, total_tokens, *_details};
//                 OpenAI Responses {input_tokens, output_tokens, total_tokens, *_details};
//   usage         {input, output, total, unit} or {promptTokens, completionTokens, totalTokens}.
// Counts may be integers or numeric strings; anything else is InvalidArgument naming the key
// ("usageDetails.input: expected a number"). Range checks (negative, absurd) are the cost
// engine's (cost::CostEngine::ValidateUsage), applied by the normalizer.
absl::StatusOr<std::optional<model::Usage>> ParseUsage(const model::Json& body);

// A client-provided cost (source kProvided) from `costDetails` (preferred: input = keys starting
// "input", output = keys starting "output", total = "total" else the sum of every key) or legacy
// `usage.{inputCost, outputCost, totalCost}`; nullopt when neither is present. A negative or
// non-numeric amount is InvalidArgument naming the key.
absl::StatusOr<std::optional<model::Cost>> ParseCost(const model::Json& body);

}  // namespace trackly::ingest::langfuse
