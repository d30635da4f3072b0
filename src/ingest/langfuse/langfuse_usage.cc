#include "ingest/langfuse/langfuse_usage.h"

#include <cmath>
#include <limits>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"

namespace trackly::ingest::langfuse {
namespace {

using model::Json;

// A token count: an integer, an integral float or a numeric string. Out-of-range values saturate,
// so the cost engine's range check names them rather than this code wrapping them around.
absl::StatusOr<int64_t> Count(const Json& value, std::string_view where) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (value.is_number_unsigned()) {
    uint64_t n = value.get<uint64_t>();
    return n > static_cast<uint64_t>(kMax) ? kMax : static_cast<int64_t>(n);
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (std::isfinite(d)) {
      if (d >= 9.2e18) return kMax;
      if (d <= -9.2e18) return -kMax;
      return static_cast<int64_t>(std::llround(d));
    }
  }
  if (value.is_string()) {
    int64_t n = 0;
    if (absl::SimpleAtoi(value.get_ref<const std::string&>(), &n)) return n;
  }
  return absl::InvalidArgumentError(absl::StrCat(Sv(where), ": expected a number, got ", value.dump()));
}

// The count at `key` of `object`, 0 when absent or null.
absl::StatusOr<int64_t> CountAt(const Json& object, const char* key, std::string_view where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return 0;
  return Count(*it, absl::StrCat(Sv(where), ".", key));
}

bool HasAny(const Json& object, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (auto it = object.find(key); it != object.end() && !it->is_null()) return true;
  }
  return false;
}

void FinishTotal(model::Usage& usage, int64_t stated_total) {
  usage.total_tokens = stated_total != 0 ? stated_total : usage.input_tokens + usage.output_tokens;
}

// OpenAI Chat Completions usage: prompt_tokens already include cached tokens, completion_tokens
// include reasoning tokens — the meaning model::Usage has.
absl::StatusOr<model::Usage> FromOpenAiChat(const Json& u, std::string_view where) {
  model::Usage usage;
  TRACKLY_ASSIGN_OR_RETURN(usage.input_tokens, CountAt(u, "prompt_tokens", where));
  TRACKLY_ASSIGN_OR_RETURN(usage.output_tokens, CountAt(u, "completion_tokens", where));
  if (auto it = u.find("prompt_tokens_details"); it != u.end() && it->is_object()) {
    TRACKLY_ASSIGN_OR_RETURN(usage.cache_read_tokens,
                             CountAt(*it, "cached_tokens", absl::StrCat(Sv(where), ".prompt_tokens_details")));
  }
  if (auto it = u.find("completion_tokens_details"); it != u.end() && it->is_object()) {
    TRACKLY_ASSIGN_OR_RETURN(usage.reasoning_tokens,
                             CountAt(*it, "reasoning_tokens", absl::StrCat(Sv(where), ".completion_tokens_details")));
  }
  TRACKLY_ASSIGN_OR_RETURN(int64_t total, CountAt(u, "total_tokens", where));
  FinishTotal(usage, total);
  return usage;
}

// OpenAI Responses usage (input_tokens include cached ones), and Anthropic's, whose input_tokens
// exclude the top-level cache_read/cache_creation counts, which are therefore added.
absl::StatusOr<model::Usage> FromInputOutputTokens(const Json& u, std::string_view where) {
  model::Usage usage;
  TRACKLY_ASSIGN_OR_RETURN(usage.input_tokens, CountAt(u, "input_tokens", where));
  TRACKLY_ASSIGN_OR_RETURN(usage.output_tokens, CountAt(u, "output_tokens", where));
  if (auto it = u.find("input_tokens_details"); it != u.end() && it->is_object()) {
    TRACKLY_ASSIGN_OR_RETURN(usage.cache_read_tokens,
                             CountAt(*it, "cached_tokens", absl::StrCat(Sv(where), ".input_tokens_details")));
  }
  if (auto it = u.find("output_tokens_details"); it != u.end() && it->is_object()) {
    TRACKLY_ASSIGN_OR_RETURN(usage.reasoning_tokens,
                             CountAt(*it, "reasoning_tokens", absl::StrCat(Sv(where), ".output_tokens_details")));
  }
  TRACKLY_ASSIGN_OR_RETURN(int64_t cache_read, CountAt(u, "cache_read_input_tokens", where));
  TRACKLY_ASSIGN_OR_RETURN(int64_t cache_write, CountAt(u, "cache_creation_input_tokens", where));
  usage.input_tokens += cache_read + cache_write;
  usage.cache_read_tokens += cache_read;
  usage.cache_write_tokens += cache_write;
  TRACKLY_ASSIGN_OR_RETURN(int64_t total, CountAt(u, "total_tokens", where));
  FinishTotal(usage, total);
  return usage;
}

// Langfuse's own free map. Its "input" excludes the cache keys and "output" the reasoning keys
// (that is how Langfuse stores OpenAI usage), so those are added back; keys of other units
// (images, characters…) are not tokens and stay out.
absl::StatusOr<model::Usage> FromFreeMap(const Json& u, std::string_view where) {
  model::Usage usage;
  TRACKLY_ASSIGN_OR_RETURN(usage.input_tokens, CountAt(u, "input", where));
  TRACKLY_ASSIGN_OR_RETURN(usage.output_tokens, CountAt(u, "output", where));
  for (const auto& [key, value] : u.items()) {
    if (value.is_null() || key == "input" || key == "output" || key == "total") continue;
    const bool input_side = absl::StartsWith(key, "input_") || absl::StartsWith(key, "cache_");
    const bool output_side = absl::StartsWith(key, "output_");
    if (!input_side && !output_side) continue;
    TRACKLY_ASSIGN_OR_RETURN(int64_t n, Count(value, absl::StrCat(Sv(where), ".", key)));
    if (input_side) {
      usage.input_tokens += n;
      if (absl::StrContains(key, "cache_read") || absl::StrContains(key, "cached")) {
        usage.cache_read_tokens += n;
      } else if (absl::StrContains(key, "cache_creation") || absl::StrContains(key, "cache_write")) {
        usage.cache_write_tokens += n;
      }
    } else {
      usage.output_tokens += n;
      if (absl::StrContains(key, "reasoning")) usage.reasoning_tokens += n;
    }
  }
  TRACKLY_ASSIGN_OR_RETURN(int64_t total, CountAt(u, "total", where));
  FinishTotal(usage, total);
  return usage;
}

absl::StatusOr<std::optional<model::Usage>> FromUsageDetails(const Json& u) {
  if (!u.is_object() || u.empty()) return std::nullopt;
  constexpr std::string_view kWhere = "usageDetails";
  if (HasAny(u, {"prompt_tokens", "completion_tokens"})) return FromOpenAiChat(u, kWhere);
  if (HasAny(u, {"input_tokens", "output_tokens"})) return FromInputOutputTokens(u, kWhere);
  return FromFreeMap(u, kWhere);
}

absl::StatusOr<std::optional<model::Usage>> FromLegacyUsage(const Json& u) {
  if (!u.is_object() || u.empty()) return std::nullopt;
  constexpr std::string_view kWhere = "usage";
  model::Usage usage;
  if (HasAny(u, {"promptTokens", "completionTokens", "totalTokens"})) {
    TRACKLY_ASSIGN_OR_RETURN(usage.input_tokens, CountAt(u, "promptTokens", kWhere));
    TRACKLY_ASSIGN_OR_RETURN(usage.output_tokens, CountAt(u, "completionTokens", kWhere));
    TRACKLY_ASSIGN_OR_RETURN(int64_t total, CountAt(u, "totalTokens", kWhere));
    FinishTotal(usage, total);
    return usage;
  }
  if (!HasAny(u, {"input", "output", "total"})) return std::nullopt;  // e.g. only costs
  if (auto unit = u.find("unit"); unit != u.end() && unit->is_string() && *unit != "TOKENS") {
    return std::nullopt;  // characters, seconds, images…: not tokens
  }
  TRACKLY_ASSIGN_OR_RETURN(usage.input_tokens, CountAt(u, "input", kWhere));
  TRACKLY_ASSIGN_OR_RETURN(usage.output_tokens, CountAt(u, "output", kWhere));
  TRACKLY_ASSIGN_OR_RETURN(int64_t total, CountAt(u, "total", kWhere));
  FinishTotal(usage, total);
  return usage;
}

absl::StatusOr<double> Amount(const Json& value, std::string_view where) {
  if (!value.is_number()) {
    return absl::InvalidArgumentError(absl::StrCat(Sv(where), ": expected a number, got ", value.dump()));
  }
  double amount = value.get<double>();
  if (!std::isfinite(amount) || amount < 0) {
    return absl::InvalidArgumentError(absl::StrCat(Sv(where), ": ", value.dump(), " is not a cost >= 0"));
  }
  return amount;
}

}  // namespace

absl::StatusOr<std::optional<model::Usage>> ParseUsage(const Json& body) {
  if (auto it = body.find("usageDetails"); it != body.end()) {
    TRACKLY_ASSIGN_OR_RETURN(std::optional<model::Usage> usage, FromUsageDetails(*it));
    if (usage.has_value()) return usage;
  }
  if (auto it = body.find("usage"); it != body.end()) return FromLegacyUsage(*it);
  return std::nullopt;
}

absl::StatusOr<std::optional<model::Cost>> ParseCost(const Json& body) {
  model::Cost cost;
  cost.source = model::CostSource::kProvided;
  if (auto it = body.find("costDetails"); it != body.end() && it->is_object() && !it->empty()) {
    double sum = 0;
    bool has_total = false;
    for (const auto& [key, value] : it->items()) {
      if (value.is_null()) continue;
      TRACKLY_ASSIGN_OR_RETURN(double amount, Amount(value, absl::StrCat("costDetails.", key)));
      if (key == "total") {
        cost.total = amount;
        has_total = true;
        continue;
      }
      sum += amount;
      if (absl::StartsWith(key, "input")) cost.input += amount;
      if (absl::StartsWith(key, "output")) cost.output += amount;
    }
    if (!has_total) cost.total = sum;
    return cost;
  }
  if (auto it = body.find("usage"); it != body.end() && it->is_object() &&
                                    HasAny(*it, {"inputCost", "outputCost", "totalCost"})) {
    for (auto [key, field] : {std::pair{"inputCost", &cost.input}, std::pair{"outputCost", &cost.output},
                              std::pair{"totalCost", &cost.total}}) {
      if (auto v = it->find(key); v != it->end() && !v->is_null()) {
        TRACKLY_ASSIGN_OR_RETURN(*field, Amount(*v, absl::StrCat("usage.", key)));
      }
    }
    if (cost.total == 0) cost.total = cost.input + cost.output;
    return cost;
  }
  return std::nullopt;
}

}  // namespace trackly::ingest::langfuse
