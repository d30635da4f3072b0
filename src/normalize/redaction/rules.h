// A project's own redaction rules (docs/security.md "Redaction", "Custom rules"), applied by
// Redactor next to the built-in detectors, to the same fields. Three kinds, each with a name that
// goes into its placeholder "[REDACTED:<name>]":
//   pattern  an RE2 regular expression; every match in a string (or a JSON key) is replaced
//   key      an attribute or JSON object key, exact or a shell glob (fnmatch(3): '*', '?', [...]),
//            case-insensitive, against the whole key ("*password*", "user.email"); the whole value
//            (a string, number, object or array) is replaced
//   path     a JSON path into input, output and metadata (also the trace's); the value found is
//            replaced. A subset of JSONPath, hand-written because Debian packages no C++ JSONPath
//            library and nlohmann's json_pointer has no wildcards: "$" then any of ".name",
//            "['name']", "[<index>]", "[*]" and ".*" (every member or element).
// The JSON form, read and written by the API, CLI and config file, is
// {"rules": [{"name": "...", "kind": "pattern"|"key"|"path", "value": "..."}, ...]}.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/json.h"

namespace trackly::normalize {

struct RedactionRule {
  enum class Kind { kPattern, kKey, kPath };
  std::string name;  // 1..64 letters, digits, '_', '-', '.'; unique within a project
  Kind kind = Kind::kPattern;
  std::string value;  // the regular expression, key glob or JSON path; 1..kMaxRuleValueLength bytes
  bool operator==(const RedactionRule&) const = default;
};

inline constexpr size_t kMaxRedactionRules = 100;
inline constexpr size_t kMaxRuleValueLength = 1000;

// Parses and validates {"rules": [...]}. InvalidArgument naming the rule (its name, or its index
// when it has none) and what is wrong: a missing or bad field, an unknown kind, a duplicate name, a
// pattern RE2 rejects (with RE2's error), a malformed path, more than kMaxRedactionRules rules.
absl::StatusOr<std::vector<RedactionRule>> ParseRedactionRules(const model::Json& json);
// As above, from JSON text (InvalidArgument when it is not JSON).
absl::StatusOr<std::vector<RedactionRule>> ParseRedactionRulesText(std::string_view json_text);
// "pattern", "key" or "path".
std::string_view RedactionRuleKindName(RedactionRule::Kind kind);
// The JSON form of `rules`, which ParseRedactionRules reads back equal.
model::Json RedactionRulesToJson(const std::vector<RedactionRule>& rules);

// A parsed JSON path (see above): each step a member name, an index, or a wildcard.
struct JsonPathStep {
  enum class Kind { kMember, kIndex, kAny };
  Kind kind = Kind::kAny;
  std::string member;
  size_t index = 0;
};
// InvalidArgument naming the position of the first thing it cannot read.
absl::StatusOr<std::vector<JsonPathStep>> ParseJsonPath(std::string_view path);

}  // namespace trackly::normalize
