// Model prices: the built-in catalog (data/models/prices.json, embedded at build time) plus
// per-project custom prices, and the lookup that picks the price of one model call.
// The catalog format, the matching rule and how to add a price are described in docs/cost.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "model/json.h"

namespace trackly::cost {

// Prices in USD per 1M tokens. An absent optional price falls back as documented per field.
struct Prices {
  double input = 0;                   // uncached input tokens
  double output = 0;                  // output tokens that are not reasoning
  std::optional<double> cache_read;   // cached input read; absent = input (no discount known)
  std::optional<double> cache_write;  // input written to the cache; absent = input
  std::optional<double> reasoning;    // reasoning (thinking) tokens; absent = output

  double cache_read_or_input() const { return cache_read.value_or(input); }
  double cache_write_or_input() const { return cache_write.value_or(input); }
  double reasoning_or_output() const { return reasoning.value_or(output); }
  bool operator==(const Prices&) const = default;
};

// Long-context pricing: applies when the call's prompt (usage.input_tokens, cached included) has
// MORE than `above_input_tokens` tokens. A price the tier leaves out is the base price.
struct PriceTier {
  int64_t above_input_tokens = 0;
  Prices prices;
  bool operator==(const PriceTier&) const = default;
};

// One price of one model, valid from `valid_from_ns` until the next price of the same model
// (same provider and canonical name, same scope) or `valid_until_ns`.
struct PriceEntry {
  std::string id;              // unique and stable: "[custom:]provider/model@valid_from" (derived)
  std::string provider;        // the model's vendor ("openai", "meta", ...)
  std::string model;           // canonical model name ("gpt-4o")
  std::string match;           // RE2 pattern, full match against the observation's model, case-insensitive
  std::string provider_match;  // optional RE2 pattern the observation's provider must fully match
  std::string served_by;       // whose price this is when many platforms serve the model ("groq")
  std::string kind = "chat";   // "chat" or "embedding" (informational)
  int64_t valid_from_ns = 0;
  int64_t valid_until_ns = 0;  // exclusive; 0 = until the next price of the model
  Prices prices;
  std::vector<PriceTier> tiers;  // ascending by above_input_tokens
  std::string source;            // the public page the price came from (required for built-ins)
  std::string note;              // free text for maintainers and the API
  bool custom = false;           // a project's own price

  // The prices for a call whose prompt has `input_tokens` tokens (the highest tier it exceeds).
  const Prices& PricesFor(int64_t input_tokens) const;
  bool operator==(const PriceEntry&) const = default;
};

// Parses one entry in the catalog format (docs/cost.md). `custom` marks a project price (its id
// gets the "custom:" prefix; a source URL is optional). InvalidArgument naming the field.
absl::StatusOr<PriceEntry> PriceEntryFromJson(const model::Json& j, bool custom);
model::Json ToJson(const PriceEntry& entry);

// Parses a whole catalog document {"models": [entry, ...]}; errors name "models[i].field".
absl::StatusOr<std::vector<PriceEntry>> ParseCatalog(std::string_view json_text);

// The embedded data/models/prices.json.
std::string_view BuiltinCatalogJson();

// Thread-safe (immutable). Shared as std::shared_ptr<const PriceCatalog>; a change of prices
// builds a new catalog (WithProjectEntries) that callers swap in.
//
// Find rule, in order:
//  1. Scope: the project's custom entries are searched first; built-in entries only when no
//     custom entry matches.
//  2. Candidates: `match` fully matches the model name (case-insensitive), `provider_match` (if
//     set) fully matches the provider, and valid_from <= at_time_ns < valid_until.
//  3. Most specific wins: the longest canonical model name (so "gpt-4o-2024-05-13" beats
//     "gpt-4o", "gpt-4o-mini" beats a pattern that also caught it), then the longest pattern,
//     then an entry with provider_match over one without.
//  4. Then the newest valid_from (the price in force at that time), then the smallest id.
class PriceCatalog {
 public:
  // Validates and indexes. InvalidArgument (naming the field and the model) for an invalid
  // pattern, a duplicate id, or overlapping validity of two prices of one model in one scope.
  static absl::StatusOr<std::shared_ptr<const PriceCatalog>> Create(
      std::vector<PriceEntry> builtin,
      absl::flat_hash_map<std::string, std::vector<PriceEntry>> custom_by_project = {});
  // The embedded catalog with no custom prices.
  static absl::StatusOr<std::shared_ptr<const PriceCatalog>> Builtin();

  // A copy of this catalog whose custom prices for `project` are `entries` (empty = none).
  absl::StatusOr<std::shared_ptr<const PriceCatalog>> WithProjectEntries(
      std::string_view project, std::vector<PriceEntry> entries) const;

  // The price for a call of `model` (as the client named it) served by `provider` (may be empty)
  // that started at `at_time_ns`; nullptr when none applies. The pointer lives as long as this.
  const PriceEntry* Find(std::string_view project, std::string_view model,
                         std::string_view provider, int64_t at_time_ns) const;

  std::span<const PriceEntry> builtin_entries() const;
  std::span<const PriceEntry> project_entries(std::string_view project) const;

  ~PriceCatalog();
  PriceCatalog(const PriceCatalog&) = delete;
  PriceCatalog& operator=(const PriceCatalog&) = delete;

 private:
  class Scope;
  PriceCatalog();

  // Scopes are immutable, so catalogs derived by WithProjectEntries share the unchanged ones.
  std::shared_ptr<const Scope> builtin_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Scope>> projects_;
};

}  // namespace trackly::cost
