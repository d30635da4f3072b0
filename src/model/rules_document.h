// A project's rules document, {"rules": [rule, ...]}: the format of its process rules
// (analysis/process_rules.h) and alert rules (store/alert_rules.h). Each rule is a JSON object
// with a "name" unique in the document; what else it holds is the caller's to read.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "model/json.h"

namespace trackly::model {

// Reads `text` with `parse_rule` (const Json& → absl::StatusOr<Rule>, Rule having a std::string
// `name`) applied to each element, in order. InvalidArgument when the text is not an object with
// just a "rules" array, holds more than `max_rules`, or a rule fails to parse or repeats an
// earlier rule's name; a rule's error is prefixed with its index and name: `rule 1 ("cheap"): …`.
template <typename Rule, typename ParseRule>
absl::StatusOr<std::vector<Rule>> ParseRulesDocument(std::string_view text, size_t max_rules, ParseRule parse_rule) {
  const Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError(R"(rules: must be a JSON object {"rules": [...]})");
  }
  for (const auto& [key, value] : json.items()) {
    if (key != "rules") return absl::InvalidArgumentError(absl::StrCat(key, ": unknown field"));
  }
  auto list = json.find("rules");
  if (list == json.end() || !list->is_array()) return absl::InvalidArgumentError("rules: must be an array");
  if (list->size() > max_rules) {
    return absl::InvalidArgumentError(absl::StrCat("rules: more than ", max_rules, " rules"));
  }
  std::vector<Rule> rules;
  absl::flat_hash_set<std::string> names;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& item = (*list)[i];
    std::string which = absl::StrCat("rule ", i);
    if (item.is_object() && item.contains("name") && item["name"].is_string()) {
      absl::StrAppend(&which, " (\"", item["name"].template get<std::string>(), "\")");
    }
    absl::StatusOr<Rule> rule = parse_rule(item);
    if (!rule.ok()) return absl::InvalidArgumentError(absl::StrCat(which, ": ", rule.status().message()));
    if (!names.insert(rule->name).second) {
      return absl::InvalidArgumentError(absl::StrCat(which, ": name: used by an earlier rule"));
    }
    rules.push_back(*std::move(rule));
  }
  return rules;
}

}  // namespace trackly::model
