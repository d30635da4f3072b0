#include "normalize/cost/price_catalog.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status.h"
#include "model/time_format.h"
#include "re2/re2.h"
#include "re2/set.h"

namespace trackly::cost {
namespace {

using model::Json;

// User-supplied patterns are bounded: RE2 runs in linear time, but a megabyte pattern would
// still cost memory on every catalog build.
constexpr size_t kMaxPatternBytes = 1024;

absl::Status FieldError(std::string_view field, std::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(Sv(field), ": ", Sv(problem)));
}

RE2::Options PatternOptions() {
  RE2::Options options;
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  return options;
}

absl::Status CheckPattern(std::string_view field, const std::string& pattern) {
  if (pattern.size() > kMaxPatternBytes) {
    return FieldError(field, absl::StrCat("pattern longer than ", kMaxPatternBytes, " bytes"));
  }
  RE2 re(pattern, PatternOptions());
  if (!re.ok()) return FieldError(field, absl::StrCat("invalid RE2 pattern: ", re.error()));
  return absl::OkStatus();
}

// "2024-05-13" (midnight UTC) or any RFC 3339 time.
absl::StatusOr<int64_t> ParseValidityTime(std::string_view field, const Json& value) {
  if (!value.is_string()) return FieldError(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time");
  std::string text = value.get<std::string>();
  absl::Time t;
  std::string err;
  if (text.size() == 10 && absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &err)) {
    return absl::ToUnixNanos(t);
  }
  absl::StatusOr<int64_t> ns = model::ParseTimestamp(text);
  if (!ns.ok() || text.find('-') == std::string::npos) {
    return FieldError(field, absl::StrCat("\"", text, "\" is not a date (YYYY-MM-DD) or an RFC 3339 time"));
  }
  return *ns;
}

std::string FormatValidityTime(int64_t ns) {
  absl::Time t = absl::FromUnixNanos(ns);
  if (ns % (int64_t{86400} * 1'000'000'000) == 0) return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<double> ParsePrice(std::string_view field, const Json& value) {
  if (!value.is_number()) return FieldError(field, "must be a number (USD per 1M tokens)");
  double v = value.get<double>();
  if (!std::isfinite(v) || v < 0) return FieldError(field, "must be a finite number >= 0");
  return v;
}

absl::StatusOr<std::string> ParseString(std::string_view field, const Json& value) {
  if (!value.is_string()) return FieldError(field, "must be a string");
  return value.get<std::string>();
}

// Reads {"input", "output", "cache_read", "cache_write", "reasoning"} over `base`; `require`
// demands input and output (the base price, not a tier).
absl::StatusOr<Prices> ParsePrices(std::string_view field, const Json& j, const Prices& base,
                                   bool require) {
  if (!j.is_object()) return FieldError(field, "must be an object");
  Prices p = base;
  for (const auto& [key, value] : j.items()) {
    std::string name = absl::StrCat(Sv(field), ".", key);
    absl::StatusOr<double> v = ParsePrice(name, value);
    if (!v.ok()) return v.status();
    if (key == "input") {
      p.input = *v;
    } else if (key == "output") {
      p.output = *v;
    } else if (key == "cache_read") {
      p.cache_read = *v;
    } else if (key == "cache_write") {
      p.cache_write = *v;
    } else if (key == "reasoning") {
      p.reasoning = *v;
    } else {
      return FieldError(name, "unknown price (expected input, output, cache_read, cache_write, reasoning)");
    }
  }
  if (require && (!j.contains("input") || !j.contains("output"))) {
    return FieldError(field, "needs \"input\" and \"output\"");
  }
  return p;
}

Json PricesToJson(const Prices& p) {
  Json j{{"input", p.input}, {"output", p.output}};
  if (p.cache_read) j["cache_read"] = *p.cache_read;
  if (p.cache_write) j["cache_write"] = *p.cache_write;
  if (p.reasoning) j["reasoning"] = *p.reasoning;
  return j;
}

// Prices of a tier that differ from the base, so a tier reads back as it was written.
Json TierPricesToJson(const Prices& tier, const Prices& base) {
  Json j = Json::object();
  if (tier.input != base.input) j["input"] = tier.input;
  if (tier.output != base.output) j["output"] = tier.output;
  if (tier.cache_read != base.cache_read && tier.cache_read) j["cache_read"] = *tier.cache_read;
  if (tier.cache_write != base.cache_write && tier.cache_write) j["cache_write"] = *tier.cache_write;
  if (tier.reasoning != base.reasoning && tier.reasoning) j["reasoning"] = *tier.reasoning;
  return j;
}

std::string GroupKey(const PriceEntry& e) {
  return absl::AsciiStrToLower(absl::StrCat(e.provider, "/", e.model));
}

}  // namespace

const Prices& PriceEntry::PricesFor(int64_t input_tokens) const {
  const Prices* chosen = &prices;
  for (const PriceTier& tier : tiers) {
    if (input_tokens > tier.above_input_tokens) chosen = &tier.prices;
  }
  return *chosen;
}

absl::StatusOr<PriceEntry> PriceEntryFromJson(const Json& j, bool custom) {
  if (!j.is_object()) return FieldError("entry", "must be an object");
  PriceEntry e;
  e.custom = custom;
  const Json* prices = nullptr;
  const Json* tiers = nullptr;
  bool has_valid_from = false;
  for (const auto& [key, value] : j.items()) {
    if (key == "provider" || key == "model" || key == "match" || key == "provider_match" ||
        key == "served_by" || key == "kind" || key == "source" || key == "note") {
      TRACKLY_ASSIGN_OR_RETURN(std::string text, ParseString(key, value));
      if (key == "provider") e.provider = std::move(text);
      if (key == "model") e.model = std::move(text);
      if (key == "match") e.match = std::move(text);
      if (key == "provider_match") e.provider_match = std::move(text);
      if (key == "served_by") e.served_by = std::move(text);
      if (key == "kind") e.kind = std::move(text);
      if (key == "source") e.source = std::move(text);
      if (key == "note") e.note = std::move(text);
    } else if (key == "valid_from") {
      TRACKLY_ASSIGN_OR_RETURN(e.valid_from_ns, ParseValidityTime(key, value));
      has_valid_from = true;
    } else if (key == "valid_until") {
      if (!value.is_null()) {
        TRACKLY_ASSIGN_OR_RETURN(e.valid_until_ns, ParseValidityTime(key, value));
      }
    } else if (key == "prices") {
      prices = &value;
    } else if (key == "tiers") {
      tiers = &value;
    } else if (key != "id" && key != "custom") {  // derived fields ToJson writes; ignored here
      return FieldError(key, "unknown field");
    }
  }
  if (e.provider.empty()) return FieldError("provider", "is required");
  if (e.model.empty()) return FieldError("model", "is required");
  if (e.match.empty()) return FieldError("match", "is required");
  TRACKLY_RETURN_IF_ERROR(CheckPattern("match", e.match));
  if (!e.provider_match.empty()) TRACKLY_RETURN_IF_ERROR(CheckPattern("provider_match", e.provider_match));
  if (e.kind != "chat" && e.kind != "embedding") return FieldError("kind", "must be \"chat\" or \"embedding\"");
  if (!has_valid_from) return FieldError("valid_from", "is required");
  if (e.valid_until_ns != 0 && e.valid_until_ns <= e.valid_from_ns) {
    return FieldError("valid_until", "must be after valid_from");
  }
  if (!custom && e.source.rfind("https://", 0) != 0) {
    return FieldError("source", "a built-in price needs the https:// page it came from");
  }
  if (prices == nullptr) return FieldError("prices", "is required");
  TRACKLY_ASSIGN_OR_RETURN(e.prices, ParsePrices("prices", *prices, Prices{}, /*require=*/true));
  if (tiers != nullptr) {
    if (!tiers->is_array()) return FieldError("tiers", "must be an array");
    for (size_t i = 0; i < tiers->size(); ++i) {
      const Json& t = (*tiers)[i];
      std::string field = absl::StrCat("tiers[", i, "]");
      if (!t.is_object()) return FieldError(field, "must be an object");
      const Json* above = t.contains("above_input_tokens") ? &t["above_input_tokens"] : nullptr;
      if (above == nullptr || !above->is_number_integer() || above->get<int64_t>() <= 0) {
        return FieldError(field + ".above_input_tokens", "must be an integer > 0");
      }
      PriceTier tier{.above_input_tokens = above->get<int64_t>()};
      if (!e.tiers.empty() && tier.above_input_tokens <= e.tiers.back().above_input_tokens) {
        return FieldError(field + ".above_input_tokens", "tiers must be in ascending order");
      }
      Json tier_prices = t;
      tier_prices.erase("above_input_tokens");
      TRACKLY_ASSIGN_OR_RETURN(tier.prices, ParsePrices(field, tier_prices, e.prices, /*require=*/false));
      e.tiers.push_back(std::move(tier));
    }
  }
  e.id = absl::StrCat(custom ? "custom:" : "", e.provider, "/", e.model, "@",
                      FormatValidityTime(e.valid_from_ns));
  return e;
}

Json ToJson(const PriceEntry& e) {
  Json j{{"id", e.id},
         {"provider", e.provider},
         {"model", e.model},
         {"match", e.match},
         {"kind", e.kind},
         {"valid_from", FormatValidityTime(e.valid_from_ns)},
         {"prices", PricesToJson(e.prices)},
         {"custom", e.custom}};
  if (!e.provider_match.empty()) j["provider_match"] = e.provider_match;
  if (!e.served_by.empty()) j["served_by"] = e.served_by;
  if (e.valid_until_ns != 0) j["valid_until"] = FormatValidityTime(e.valid_until_ns);
  if (!e.source.empty()) j["source"] = e.source;
  if (!e.note.empty()) j["note"] = e.note;
  if (!e.tiers.empty()) {
    Json tiers = Json::array();
    for (const PriceTier& t : e.tiers) {
      Json tj = TierPricesToJson(t.prices, e.prices);
      tj["above_input_tokens"] = t.above_input_tokens;
      tiers.push_back(std::move(tj));
    }
    j["tiers"] = std::move(tiers);
  }
  return j;
}

absl::StatusOr<std::vector<PriceEntry>> ParseCatalog(std::string_view json_text) {
  Json doc = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("price catalog: not valid JSON");
  if (!doc.is_object() || !doc.contains("models") || !doc["models"].is_array()) {
    return FieldError("models", "the price catalog needs a \"models\" array");
  }
  std::vector<PriceEntry> entries;
  const Json& models = doc["models"];
  for (size_t i = 0; i < models.size(); ++i) {
    absl::StatusOr<PriceEntry> e = PriceEntryFromJson(models[i], /*custom=*/false);
    if (!e.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("models[", i, "].", e.status().message()));
    }
    entries.push_back(*std::move(e));
  }
  return entries;
}

// The entries of one scope (built-in, or one project's) with their compiled patterns.
class PriceCatalog::Scope {
 public:
  static absl::StatusOr<std::shared_ptr<const Scope>> Create(std::vector<PriceEntry> entries) {
    auto scope = std::shared_ptr<Scope>(new Scope());
    scope->entries_ = std::move(entries);
    TRACKLY_RETURN_IF_ERROR(scope->ComputeValidity());
    if (scope->entries_.empty()) return scope;
    scope->set_ = std::make_unique<RE2::Set>(PatternOptions(), RE2::ANCHOR_BOTH);
    for (const PriceEntry& e : scope->entries_) {
      TRACKLY_RETURN_IF_ERROR(CheckPattern("match", e.match));
      std::string error;
      if (scope->set_->Add(e.match, &error) < 0) {
        return FieldError("match", absl::StrCat("invalid RE2 pattern for model \"", e.model, "\": ", error));
      }
      std::unique_ptr<RE2> provider_re;
      if (!e.provider_match.empty()) {
        provider_re = std::make_unique<RE2>(e.provider_match, PatternOptions());
        if (!provider_re->ok()) {
          return FieldError("provider_match", absl::StrCat("invalid RE2 pattern for model \"", e.model,
                                                           "\": ", provider_re->error()));
        }
      }
      scope->provider_res_.push_back(std::move(provider_re));
    }
    if (!scope->set_->Compile()) return absl::ResourceExhaustedError("price patterns too large to compile");
    return scope;
  }

  const PriceEntry* Find(std::string_view model, std::string_view provider, int64_t at_ns) const {
    if (set_ == nullptr) return nullptr;
    std::vector<int> hits;
    if (!set_->Match(re2::StringPiece(model.data(), model.size()), &hits)) return nullptr;
    const PriceEntry* best = nullptr;
    for (int i : hits) {
      const PriceEntry& e = entries_[i];
      if (at_ns < e.valid_from_ns || (effective_until_ns_[i] != 0 && at_ns >= effective_until_ns_[i])) continue;
      if (provider_res_[i] != nullptr &&
          !RE2::FullMatch(re2::StringPiece(provider.data(), provider.size()), *provider_res_[i])) {
        continue;
      }
      if (best == nullptr || MoreSpecific(e, *best)) best = &e;
    }
    return best;
  }

  std::span<const PriceEntry> entries() const { return entries_; }

 private:
  Scope() = default;

  // Rule 3 and 4 of PriceCatalog::Find.
  static bool MoreSpecific(const PriceEntry& a, const PriceEntry& b) {
    auto key = [](const PriceEntry& e) {
      return std::make_tuple(e.model.size(), e.match.size(), !e.provider_match.empty(), e.valid_from_ns);
    };
    if (key(a) != key(b)) return key(a) > key(b);
    return a.id < b.id;
  }

  // Each price ends where the next price of the same model starts (or at its valid_until);
  // two prices of one model may not be in force at the same time.
  absl::Status ComputeValidity() {
    effective_until_ns_.assign(entries_.size(), 0);
    absl::flat_hash_map<std::string, std::vector<size_t>> groups;
    for (size_t i = 0; i < entries_.size(); ++i) groups[GroupKey(entries_[i])].push_back(i);
    for (auto& [key, members] : groups) {
      std::sort(members.begin(), members.end(), [this](size_t a, size_t b) {
        return entries_[a].valid_from_ns < entries_[b].valid_from_ns;
      });
      for (size_t k = 0; k < members.size(); ++k) {
        const PriceEntry& e = entries_[members[k]];
        int64_t until = e.valid_until_ns;
        if (k + 1 < members.size()) {
          const PriceEntry& next = entries_[members[k + 1]];
          if (next.valid_from_ns == e.valid_from_ns || (until != 0 && until > next.valid_from_ns)) {
            return FieldError(next.valid_from_ns == e.valid_from_ns ? "valid_from" : "valid_until",
                              absl::StrCat("prices of model \"", e.provider, "/", e.model,
                                           "\" overlap: ", e.id, " and ", next.id));
          }
          if (until == 0) until = next.valid_from_ns;
        }
        effective_until_ns_[members[k]] = until;
      }
    }
    return absl::OkStatus();
  }

  std::vector<PriceEntry> entries_;
  std::vector<int64_t> effective_until_ns_;            // per entry; 0 = open
  std::vector<std::unique_ptr<RE2>> provider_res_;     // per entry; null = any provider
  std::unique_ptr<RE2::Set> set_;                      // all `match` patterns; null when empty
};

PriceCatalog::PriceCatalog() = default;
PriceCatalog::~PriceCatalog() = default;

absl::StatusOr<std::shared_ptr<const PriceCatalog>> PriceCatalog::Create(
    std::vector<PriceEntry> builtin,
    absl::flat_hash_map<std::string, std::vector<PriceEntry>> custom_by_project) {
  auto catalog = std::shared_ptr<PriceCatalog>(new PriceCatalog());
  TRACKLY_ASSIGN_OR_RETURN(catalog->builtin_, Scope::Create(std::move(builtin)));
  for (auto& [project, entries] : custom_by_project) {
    if (entries.empty()) continue;
    TRACKLY_ASSIGN_OR_RETURN(catalog->projects_[project], Scope::Create(std::move(entries)));
  }
  return catalog;
}

absl::StatusOr<std::shared_ptr<const PriceCatalog>> PriceCatalog::Builtin() {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<PriceEntry> entries, ParseCatalog(BuiltinCatalogJson()));
  return Create(std::move(entries));
}

absl::StatusOr<std::shared_ptr<const PriceCatalog>> PriceCatalog::WithProjectEntries(
    std::string_view project, std::vector<PriceEntry> entries) const {
  auto catalog = std::shared_ptr<PriceCatalog>(new PriceCatalog());
  catalog->builtin_ = builtin_;
  catalog->projects_ = projects_;
  catalog->projects_.erase(Sv(project));
  if (!entries.empty()) {
    TRACKLY_ASSIGN_OR_RETURN(catalog->projects_[Sv(project)], Scope::Create(std::move(entries)));
  }
  return catalog;
}

const PriceEntry* PriceCatalog::Find(std::string_view project, std::string_view model,
                                     std::string_view provider, int64_t at_time_ns) const {
  if (model.empty()) return nullptr;
  if (auto it = projects_.find(Sv(project)); it != projects_.end()) {
    if (const PriceEntry* e = it->second->Find(model, provider, at_time_ns)) return e;
  }
  return builtin_->Find(model, provider, at_time_ns);
}

std::span<const PriceEntry> PriceCatalog::builtin_entries() const { return builtin_->entries(); }

std::span<const PriceEntry> PriceCatalog::project_entries(std::string_view project) const {
  auto it = projects_.find(Sv(project));
  return it == projects_.end() ? std::span<const PriceEntry>() : it->second->entries();
}

}  // namespace trackly::cost
