#include "normalize/redaction/rules.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "re2/re2.h"

namespace trackly::normalize {
namespace {

constexpr size_t kMaxRuleNameLength = 64;

bool IsNameChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'; }

absl::Status PathError(std::string_view path, size_t pos, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("JSON path \"", Sv(path), "\" at offset ", pos, ": ", Sv(what)));
}

absl::StatusOr<RedactionRule> ParseRule(const model::Json& json, size_t index) {
  std::string label = absl::StrCat("rule ", index);
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(label, ": must be an object"));
  RedactionRule rule;
  for (const auto& [field, value] : json.items()) {
    if (field != "name" && field != "kind" && field != "value") {
      return absl::InvalidArgumentError(
          absl::StrCat(label, ": unknown field \"", field, "\" (known: name, kind, value)"));
    }
    if (!value.is_string()) return absl::InvalidArgumentError(absl::StrCat(label, ": ", field, " must be a string"));
  }
  if (json.contains("name")) rule.name = json["name"].get<std::string>();
  bool name_ok = !rule.name.empty() && rule.name.size() <= kMaxRuleNameLength;
  for (char c : rule.name) name_ok = name_ok && IsNameChar(c);
  if (!name_ok) {
    return absl::InvalidArgumentError(absl::StrCat(label, ": name \"", rule.name, "\": use 1..", kMaxRuleNameLength,
                                                   " letters, digits, '_', '-' or '.'"));
  }
  label = absl::StrCat("rule \"", rule.name, "\"");
  const std::string kind = json.contains("kind") ? json["kind"].get<std::string>() : "";
  if (kind == "pattern") {
    rule.kind = RedactionRule::Kind::kPattern;
  } else if (kind == "key") {
    rule.kind = RedactionRule::Kind::kKey;
  } else if (kind == "path") {
    rule.kind = RedactionRule::Kind::kPath;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": kind \"", kind, "\" is not one of pattern, key, path"));
  }
  if (json.contains("value")) rule.value = json["value"].get<std::string>();
  if (rule.value.empty() || rule.value.size() > kMaxRuleValueLength) {
    return absl::InvalidArgumentError(absl::StrCat(label, ": value must be 1..", kMaxRuleValueLength, " bytes"));
  }
  switch (rule.kind) {
    case RedactionRule::Kind::kPattern: {
      const RE2 re(rule.value, RE2::Quiet);
      if (!re.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(label, ": invalid RE2 pattern: ", re.error()));
      }
      break;
    }
    case RedactionRule::Kind::kKey: break;
    case RedactionRule::Kind::kPath:
      if (absl::Status path = ParseJsonPath(rule.value).status(); !path.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(label, ": ", path.message()));
      }
      break;
  }
  return rule;
}

}  // namespace

std::string_view RedactionRuleKindName(RedactionRule::Kind kind) {
  switch (kind) {
    case RedactionRule::Kind::kPattern: return "pattern";
    case RedactionRule::Kind::kKey: return "key";
    case RedactionRule::Kind::kPath: return "path";
  }
  return "";
}

absl::StatusOr<std::vector<JsonPathStep>> ParseJsonPath(std::string_view path) {
  if (path.empty() || path[0] != '$') return PathError(path, 0, "must start with \"$\"");
  std::vector<JsonPathStep> steps;
  size_t i = 1;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      if (i < path.size() && path[i] == '*') {
        steps.push_back(JsonPathStep{.kind = JsonPathStep::Kind::kAny});
        ++i;
        continue;
      }
      const size_t start = i;
      while (i < path.size() && path[i] != '.' && path[i] != '[') ++i;
      if (i == start) return PathError(path, start, "expected a member name after \".\"");
      steps.push_back(JsonPathStep{.kind = JsonPathStep::Kind::kMember, .member = std::string(path.substr(start, i - start))});
    } else if (path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close == std::string_view::npos) return PathError(path, i, "\"[\" without \"]\"");
      const std::string_view inside = path.substr(i + 1, close - i - 1);
      if (inside == "*") {
        steps.push_back(JsonPathStep{.kind = JsonPathStep::Kind::kAny});
      } else if (inside.size() >= 2 && (inside.front() == '\'' || inside.front() == '"') &&
                 inside.back() == inside.front()) {
        steps.push_back(JsonPathStep{.kind = JsonPathStep::Kind::kMember,
                                     .member = std::string(inside.substr(1, inside.size() - 2))});
      } else if (size_t index = 0; !inside.empty() && absl::SimpleAtoi(Sv(inside), &index) &&
                                   absl::ascii_isdigit(static_cast<unsigned char>(inside[0]))) {
        steps.push_back(JsonPathStep{.kind = JsonPathStep::Kind::kIndex, .index = index});
      } else {
        return PathError(path, i + 1, "expected an index, '*' or a quoted name inside [...]");
      }
      i = close + 1;
    } else {
      return PathError(path, i, "expected \".\" or \"[\"");
    }
  }
  if (steps.empty()) return PathError(path, 1, "selects the whole value; name a member or an element");
  return steps;
}

absl::StatusOr<std::vector<RedactionRule>> ParseRedactionRules(const model::Json& json) {
  if (!json.is_object() || !json.contains("rules") || !json["rules"].is_array()) {
    return absl::InvalidArgumentError("redaction rules: expected an object {\"rules\": [...]}");
  }
  const model::Json& list = json["rules"];
  if (list.size() > kMaxRedactionRules) {
    return absl::InvalidArgumentError(
        absl::StrCat("redaction rules: ", list.size(), " rules, at most ", kMaxRedactionRules, " are allowed"));
  }
  std::vector<RedactionRule> rules;
  absl::flat_hash_set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    TRACKLY_ASSIGN_OR_RETURN(RedactionRule rule, ParseRule(list[i], i));
    if (!names.insert(rule.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("rule \"", rule.name, "\": the name is used twice"));
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

absl::StatusOr<std::vector<RedactionRule>> ParseRedactionRulesText(std::string_view json_text) {
  model::Json json = model::Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InvalidArgumentError("redaction rules: not valid JSON");
  return ParseRedactionRules(json);
}

model::Json RedactionRulesToJson(const std::vector<RedactionRule>& rules) {
  model::Json list = model::Json::array();
  for (const RedactionRule& rule : rules) {
    list.push_back({{"name", rule.name}, {"kind", RedactionRuleKindName(rule.kind)}, {"value", rule.value}});
  }
  return {{"rules", std::move(list)}};
}

}  // namespace trackly::normalize
