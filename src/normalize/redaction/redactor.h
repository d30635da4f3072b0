// Server-side redaction: replaces secrets and personal data in the text of observations and
// scores before anything is stored (docs/security.md "Redaction"). Built-in detectors, grouped
// in classes a server enables (RedactionClasses):
//   secrets  API keys and tokens of common providers (OpenAI, Anthropic, AWS, GitHub, Slack,
//            Google, Stripe, Hugging Face), JWTs, bearer tokens, PEM private keys, the password
//            in a URL (scheme://user:password@host), and the values of JSON keys and attributes
//            named like secrets (password, api_key, authorization, cookie, client_secret, …)
//   cards    payment card numbers (13–19 digits, spaces or dashes allowed) that pass the Luhn
//            checksum
//   emails   e-mail addresses
//   phones   phone numbers written with a + country code or as (123) 456-7890 / 123-456-7890
// A match becomes "[REDACTED:<kind>]" (for a URL only the password is replaced). A project's own
// rules (normalize/redaction/rules.h) apply next to these, to the same fields, each match becoming
// "[REDACTED:<rule name>]"; they count into the same totals.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "model/json.h"
#include "model/observation.h"
#include "normalize/redaction/rules.h"

namespace re2 {
class RE2;
}

namespace trackly::normalize {

struct RedactionClasses {
  bool secrets = false;
  bool cards = false;
  bool emails = false;
  bool phones = false;
  bool operator==(const RedactionClasses&) const = default;
};

// Parses a comma-separated list of class names ("secrets,cards"), "all" or "none". An unknown
// name is InvalidArgument naming it and the accepted ones.
absl::StatusOr<RedactionClasses> ParseRedactionClasses(std::string_view text);
// The names of the enabled classes, in the order above.
std::vector<std::string_view> RedactionClassNames(RedactionClasses classes);

// Immutable after construction, so thread-safe.
class Redactor {
 public:
  explicit Redactor(RedactionClasses classes);
  // The built-in `classes` plus `rules` (as ParseRedactionRules returns them). InvalidArgument,
  // naming the rule, when a pattern does not compile, or when the patterns together exceed RE2's
  // memory budget.
  static absl::StatusOr<std::shared_ptr<const Redactor>> Create(RedactionClasses classes,
                                                                const std::vector<RedactionRule>& rules);
  ~Redactor();
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  // Redacts the free text of `o`: name, status message, input, output, metadata, model
  // parameters, attributes and event names and attributes (keys and values, at any depth), and
  // the trace hints' name, tags, metadata, input and output. Path rules apply to the input,
  // output and metadata of the observation and of the trace hints, before the other rules.
  // Identifiers (ids, session and user id) and enumerations (type, model, provider, tool name) are
  // left alone. Adds the number of replacements to o.redactions and returns it.
  int Redact(model::Observation& o) const;
  // Redacts a score's comment and a string value; returns the number of replacements.
  int Redact(model::Score& score) const;

  // The building blocks, exposed for tests: replacements in `text` / in every string and key of
  // `json` (a string or number under a secret-named key, any value under a key rule's key, is
  // replaced whole). RedactPaths applies the path rules to `json`.
  int RedactText(std::string& text) const;
  int RedactJson(model::Json& json) const;
  int RedactPaths(model::Json& json) const;

  bool enabled() const {
    return pattern_ != nullptr || redact_secret_keys_ || !key_rules_.empty() || !path_rules_.empty();
  }

 private:
  struct Detector;
  struct KeyRule {
    std::string glob;
    std::string placeholder;
  };
  struct PathRule {
    std::vector<JsonPathStep> steps;
    std::string placeholder;
  };

  Redactor() = default;
  absl::Status Build(RedactionClasses classes, const std::vector<RedactionRule>& rules);
  // Whether some enabled detector may match in `text` (a card number may still fail its checksum).
  bool MayMatch(std::string_view text) const;
  int RedactKeyed(model::Json& object) const;

  std::vector<Detector> detectors_;    // those of the enabled classes, in pattern order
  std::unique_ptr<re2::RE2> pattern_;  // (d1)|(d2)|…; null when no detector is enabled
  int groups_ = 0;                     // capturing groups of pattern_
  bool redact_secret_keys_ = false;
  size_t shortest_match_ = 0;  // strings shorter than this cannot match
  std::vector<KeyRule> key_rules_;
  std::vector<PathRule> path_rules_;
};

// Which Redactor applies to a project's data: the built-in classes plus that project's rules.
// Implementations are thread-safe.
class RedactorSource {
 public:
  virtual ~RedactorSource() = default;
  // Never null. Callers take one snapshot per batch.
  virtual std::shared_ptr<const Redactor> For(std::string_view project) const = 0;
};

// The same Redactor for every project.
class FixedRedactorSource final : public RedactorSource {
 public:
  explicit FixedRedactorSource(std::shared_ptr<const Redactor> redactor) : redactor_(std::move(redactor)) {}
  std::shared_ptr<const Redactor> For(std::string_view /*project*/) const override { return redactor_; }

 private:
  const std::shared_ptr<const Redactor> redactor_;
};

}  // namespace trackly::normalize
