#include "normalize/redaction/redactor.h"

#include <fnmatch.h>

#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status.h"
#include "re2/re2.h"

namespace trackly::normalize {
namespace {

enum class Class { kSecrets, kCards, kEmails, kPhones };

struct BuiltinDetector {
  const char* kind;
  Class cls;
  const char* pattern;  // RE2 syntax
  int secret_group;     // the capturing group (within `pattern`) to replace; 0 = the whole match
  bool luhn;            // a match counts only when its digits pass the Luhn checksum
};

// Order matters where patterns overlap: at one position the first alternative that matches wins
// (RE2's leftmost-first semantics), so the Anthropic key precedes the generic "sk-" key.
constexpr std::array<BuiltinDetector, 15> kBuiltin = {{
    {"private_key", Class::kSecrets,
     R"(-----BEGIN[A-Z ]*PRIVATE KEY-----(?s:.*?)-----END[A-Z ]*PRIVATE KEY-----)", 0, false},
    {"anthropic_key", Class::kSecrets, R"(\bsk-ant-[A-Za-z0-9_-]{20,})", 0, false},
    {"openai_key", Class::kSecrets, R"(\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,})", 0, false},
    {"stripe_key", Class::kSecrets, R"(\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,})", 0, false},
    {"aws_access_key", Class::kSecrets, R"(\b(?:AKIA|ASIA)[0-9A-Z]{16}\b)", 0, false},
    {"github_token", Class::kSecrets, R"(\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}))", 0, false},
    {"slack_token", Class::kSecrets, R"(\bxox[abprs]-[A-Za-z0-9-]{10,})", 0, false},
    {"google_api_key", Class::kSecrets, R"(\bAIza[0-9A-Za-z_-]{35})", 0, false},
    {"huggingface_token", Class::kSecrets, R"(\bhf_[A-Za-z0-9]{30,})", 0, false},
    {"jwt", Class::kSecrets, R"(\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})", 0, false},
    {"bearer_token", Class::kSecrets, R"((?i:bearer)\s+[A-Za-z0-9._~+/=-]{16,})", 0, false},
    {"url_password", Class::kSecrets, R"(\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@)", 1, false},
    {"card_number", Class::kCards, R"(\b\d(?:[ -]?\d){12,18}\b)", 0, true},
    {"email", Class::kEmails, R"(\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b)", 0, false},
    {"phone", Class::kPhones,
     R"((?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)|\d{1,4})(?:[ .-]?\d{2,4}){2,4}|\(\d{3}\) ?\d{3}[ .-]\d{4}|\b\d{3}[.-]\d{3}[.-]\d{4})\b)",
     0, false},
}};

bool Enabled(const RedactionClasses& classes, Class cls) {
  switch (cls) {
    case Class::kSecrets: return classes.secrets;
    case Class::kCards: return classes.cards;
    case Class::kEmails: return classes.emails;
    case Class::kPhones: return classes.phones;
  }
  return false;
}

bool PassesLuhn(std::string_view text) {
  int sum = 0;
  int digits = 0;
  for (auto it = text.rbegin(); it != text.rend(); ++it) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(*it))) continue;
    int d = *it - '0';
    if (digits % 2 == 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    ++digits;
  }
  return digits >= 13 && sum % 10 == 0;
}

// Keys whose values are secrets whatever they look like: the last dotted segment of an attribute
// key ("http.request.header.authorization") or a JSON key, compared without case, is one of these
// names or ends in one after "_" or "-" ("db_password"). Plain comparisons rather than a regular
// expression: this runs for every key of every attribute map.
bool IsSecretKey(std::string_view key) {
  static constexpr std::array<std::string_view, 19> kNames = {
      "password", "passwd", "pwd", "secret", "client_secret", "client-secret", "api_key", "api-key", "apikey",
      "access_token", "refresh_token", "auth_token", "authorization", "cookie", "set-cookie", "private_key",
      "private-key", "x-api-key", "proxy-authorization"};
  if (const size_t dot = key.rfind('.'); dot != std::string_view::npos) key.remove_prefix(dot + 1);
  if (key.size() < 3 || key.size() > 64) return false;
  char lower[64];
  for (size_t i = 0; i < key.size(); ++i) lower[i] = absl::ascii_tolower(static_cast<unsigned char>(key[i]));
  const std::string_view segment(lower, key.size());
  for (std::string_view name : kNames) {
    if (segment.size() < name.size() || segment.substr(segment.size() - name.size()) != name) continue;
    if (segment.size() == name.size()) return true;
    const char before = segment[segment.size() - name.size() - 1];
    if (before == '_' || before == '-') return true;
  }
  return false;
}

// No detector matches fewer characters than this ("a@b.io"), so shorter strings are skipped.
constexpr size_t kShortestMatch = 6;

}  // namespace

struct Redactor::Detector {
  std::string placeholder;  // "[REDACTED:<kind or rule name>]"
  int group;                // index of the detector's own group in the combined pattern
  int secret_group;         // as BuiltinDetector's, relative to `group`
  bool luhn;
};

// Replaces every value that `steps` (from `step` on) selects in `json`; returns how many.
static int ReplaceAtPath(model::Json& json, const std::vector<JsonPathStep>& steps, size_t step,
                  const std::string& placeholder) {
  if (step == steps.size()) {
    if (json.is_null() || json == placeholder) return 0;
    json = placeholder;
    return 1;
  }
  const JsonPathStep& s = steps[step];
  int count = 0;
  switch (s.kind) {
    case JsonPathStep::Kind::kMember:
      if (json.is_object()) {
        if (auto it = json.find(s.member); it != json.end()) count += ReplaceAtPath(*it, steps, step + 1, placeholder);
      }
      break;
    case JsonPathStep::Kind::kIndex:
      if (json.is_array() && s.index < json.size()) count += ReplaceAtPath(json[s.index], steps, step + 1, placeholder);
      break;
    case JsonPathStep::Kind::kAny:
      if (json.is_object() || json.is_array()) {
        for (model::Json& child : json) count += ReplaceAtPath(child, steps, step + 1, placeholder);
      }
      break;
  }
  return count;
}

absl::StatusOr<RedactionClasses> ParseRedactionClasses(std::string_view text) {
  RedactionClasses classes;
  for (absl::string_view name : absl::StrSplit(Sv(text), ',', absl::SkipWhitespace())) {
    name = absl::StripAsciiWhitespace(name);
    if (name == "none") continue;
    if (name == "all") {
      classes = RedactionClasses{.secrets = true, .cards = true, .emails = true, .phones = true};
    } else if (name == "secrets") {
      classes.secrets = true;
    } else if (name == "cards") {
      classes.cards = true;
    } else if (name == "emails") {
      classes.emails = true;
    } else if (name == "phones") {
      classes.phones = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown redaction class \"", std::string(name), "\" (known: secrets, cards, emails, phones, all, none)"));
    }
  }
  return classes;
}

std::vector<std::string_view> RedactionClassNames(RedactionClasses classes) {
  std::vector<std::string_view> names;
  if (classes.secrets) names.push_back("secrets");
  if (classes.cards) names.push_back("cards");
  if (classes.emails) names.push_back("emails");
  if (classes.phones) names.push_back("phones");
  return names;
}

Redactor::Redactor(RedactionClasses classes) {
  const absl::Status built = Build(classes, {});
  (void)built;  // the built-in patterns always compile
}

absl::StatusOr<std::shared_ptr<const Redactor>> Redactor::Create(RedactionClasses classes,
                                                                 const std::vector<RedactionRule>& rules) {
  std::shared_ptr<Redactor> redactor(new Redactor());
  TRACKLY_RETURN_IF_ERROR(redactor->Build(classes, rules));
  return redactor;
}

absl::Status Redactor::Build(RedactionClasses classes, const std::vector<RedactionRule>& rules) {
  redact_secret_keys_ = classes.secrets;
  shortest_match_ = kShortestMatch;
  std::vector<std::string> alternatives;
  int group = 1;
  auto add = [&](std::string placeholder, const std::string& pattern, bool luhn) -> absl::Status {
    const RE2 alone(pattern, RE2::Quiet);
    if (!alone.ok()) return absl::InvalidArgumentError(absl::StrCat("invalid RE2 pattern: ", alone.error()));
    detectors_.push_back(
        Detector{.placeholder = std::move(placeholder), .group = group, .secret_group = 0, .luhn = luhn});
    alternatives.push_back(absl::StrCat("(", pattern, ")"));
    group += 1 + alone.NumberOfCapturingGroups();
    return absl::OkStatus();
  };
  for (const BuiltinDetector& builtin : kBuiltin) {
    if (!Enabled(classes, builtin.cls)) continue;
    TRACKLY_RETURN_IF_ERROR(add(absl::StrCat("[REDACTED:", builtin.kind, "]"), builtin.pattern, builtin.luhn));
    detectors_.back().secret_group = builtin.secret_group;
  }
  for (const RedactionRule& rule : rules) {
    std::string placeholder = absl::StrCat("[REDACTED:", rule.name, "]");
    switch (rule.kind) {
      case RedactionRule::Kind::kPattern:
        if (absl::Status status = add(std::move(placeholder), rule.value, false); !status.ok()) {
          return absl::InvalidArgumentError(absl::StrCat("rule \"", rule.name, "\": ", status.message()));
        }
        // A custom pattern may match a single character.
        shortest_match_ = 1;
        break;
      case RedactionRule::Kind::kKey:
        key_rules_.push_back(KeyRule{.glob = rule.value, .placeholder = std::move(placeholder)});
        break;
      case RedactionRule::Kind::kPath: {
        absl::StatusOr<std::vector<JsonPathStep>> steps = ParseJsonPath(rule.value);
        if (!steps.ok()) {
          return absl::InvalidArgumentError(absl::StrCat("rule \"", rule.name, "\": ", steps.status().message()));
        }
        path_rules_.push_back(PathRule{.steps = *std::move(steps), .placeholder = std::move(placeholder)});
        break;
      }
    }
  }
  if (alternatives.empty()) return absl::OkStatus();
  pattern_ = std::make_unique<RE2>(absl::StrJoin(alternatives, "|"), RE2::Quiet);
  if (!pattern_->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("redaction rules: the patterns together are too large for RE2: ", pattern_->error()));
  }
  groups_ = pattern_->NumberOfCapturingGroups();
  return absl::OkStatus();
}

Redactor::~Redactor() = default;

bool Redactor::MayMatch(std::string_view text) const {
  return pattern_ != nullptr && text.size() >= shortest_match_ &&
         RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *pattern_);
}

int Redactor::RedactText(std::string& text) const {
  // The common case (nothing to redact) is one pass of RE2's DFA, without submatches.
  if (!MayMatch(text)) return 0;
  std::vector<re2::StringPiece> groups(groups_ + 1);
  const re2::StringPiece input(text);
  std::string out;
  size_t copied = 0;  // text[0, copied) is in `out`
  size_t scan = 0;    // where to look for the next match
  int count = 0;
  while (scan < text.size() &&
         pattern_->Match(input, scan, text.size(), RE2::UNANCHORED, groups.data(), static_cast<int>(groups.size()))) {
    const size_t start = static_cast<size_t>(groups[0].data() - text.data());
    const size_t end = start + groups[0].size();
    const Detector* detector = nullptr;
    for (const Detector& d : detectors_) {
      if (groups[d.group].data() != nullptr) {
        detector = &d;
        break;
      }
    }
    if (detector == nullptr || groups[0].empty() || (detector->luhn && !PassesLuhn(groups[0]))) {
      scan = start + 1;  // not a match after all; a later or overlapping one may be
      continue;
    }
    const re2::StringPiece secret = groups[detector->group + detector->secret_group];
    const size_t secret_start = static_cast<size_t>(secret.data() - text.data());
    out.append(text, copied, secret_start - copied);
    out.append(detector->placeholder);
    copied = secret_start + secret.size();
    scan = end;
    ++count;
  }
  if (count > 0) {
    out.append(text, copied, std::string::npos);
    text = std::move(out);
  }
  return count;
}

int Redactor::RedactKeyed(model::Json& object) const {
  int count = 0;
  std::vector<std::pair<std::string, std::string>> renamed;  // (old key, new key)
  for (auto& [key, value] : object.items()) {
    const KeyRule* key_rule = nullptr;
    for (const KeyRule& rule : key_rules_) {
      if (fnmatch(rule.glob.c_str(), key.c_str(), FNM_CASEFOLD) == 0) {
        key_rule = &rule;
        break;
      }
    }
    if (key_rule != nullptr) {
      if (!value.is_null() && value != key_rule->placeholder) {
        value = key_rule->placeholder;
        ++count;
      }
    } else if (redact_secret_keys_ && IsSecretKey(key) && (value.is_string() || value.is_number()) &&
        value != "[REDACTED:secret_key]") {
      value = "[REDACTED:secret_key]";
      ++count;
    } else {
      count += RedactJson(value);
    }
    if (MayMatch(key)) {  // keys rarely hold secrets: copy one only when it may
      std::string new_key = key;
      count += RedactText(new_key);
      if (new_key != key) renamed.emplace_back(key, std::move(new_key));
    }
  }
  for (auto& [old_key, new_key] : renamed) {
    model::Json value = std::move(object[old_key]);
    object.erase(old_key);
    object[new_key] = std::move(value);  // two redacted keys that collide keep the later value
  }
  return count;
}

int Redactor::RedactJson(model::Json& json) const {
  if (json.is_string()) return RedactText(json.get_ref<std::string&>());
  if (json.is_object()) return RedactKeyed(json);
  int count = 0;
  if (json.is_array()) {
    for (model::Json& element : json) count += RedactJson(element);
  }
  return count;
}

int Redactor::RedactPaths(model::Json& json) const {
  int count = 0;
  for (const PathRule& rule : path_rules_) count += ReplaceAtPath(json, rule.steps, 0, rule.placeholder);
  return count;
}

int Redactor::Redact(model::Observation& o) const {
  if (!enabled()) return 0;
  int count = 0;
  if (!path_rules_.empty()) {
    model::TraceHints& hints = o.trace_hints;
    for (model::Json* json : {&o.input, &o.output, &o.metadata, &hints.trace_input, &hints.trace_output,
                              &hints.trace_metadata}) {
      count += RedactPaths(*json);
    }
  }
  count += RedactText(o.name) + RedactText(o.status_message) + RedactJson(o.input) + RedactJson(o.output) +
              RedactJson(o.metadata) + RedactJson(o.model_parameters) + RedactJson(o.attributes);
  for (model::Event& event : o.events) count += RedactText(event.name) + RedactJson(event.attributes);
  model::TraceHints& hints = o.trace_hints;
  count += RedactText(hints.trace_name) + RedactJson(hints.trace_metadata) + RedactJson(hints.trace_input) +
           RedactJson(hints.trace_output);
  for (std::string& tag : hints.tags) count += RedactText(tag);
  o.redactions += count;
  return count;
}

int Redactor::Redact(model::Score& score) const {
  if (!enabled()) return 0;
  return RedactText(score.comment) + RedactJson(score.value);
}

}  // namespace trackly::normalize
