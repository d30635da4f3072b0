#include "server/api_key.h"

#include <openssl/evp.h>

#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status.h"
#include "server/secret.h"

namespace trackly::server {
namespace {

constexpr size_t kIdBytes = 8;  // 16 hex characters
constexpr size_t kIdChars = 2 * kIdBytes;
constexpr size_t kSecretChars = 32;
constexpr std::string_view kKeyPrefix = "tk-";
constexpr std::string_view kPublicPrefix = "pk-tk-";
constexpr std::string_view kSecretPrefix = "sk-tk-";

// Debian's Abseil has its own string_view type (base/status.h).
std::string_view Std(absl::string_view text) { return {text.data(), text.size()}; }

bool IsLowerHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsBase62(std::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "<id>-<secret>" → Credential, or nullopt when the shape is wrong.
std::optional<Credential> ParseIdAndSecret(std::string_view text) {
  if (text.size() != kIdChars + 1 + kSecretChars || text[kIdChars] != '-') return std::nullopt;
  std::string_view id = text.substr(0, kIdChars);
  std::string_view secret = text.substr(kIdChars + 1);
  if (!IsLowerHex(id) || !IsBase62(secret)) return std::nullopt;
  return Credential{std::string(id), std::string(secret)};
}

std::optional<Credential> ParseKey(std::string_view key) {
  if (!absl::StartsWith(Sv(key), Sv(kKeyPrefix))) return std::nullopt;
  return ParseIdAndSecret(key.substr(kKeyPrefix.size()));
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock decodes padding as zero bytes; drop them.
  size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

// "pk-tk-<id>:sk-tk-<id>-<secret>" with matching ids.
std::optional<Credential> ParseBasic(std::string_view encoded) {
  std::optional<std::string> decoded = DecodeBase64(encoded);
  if (!decoded) return std::nullopt;
  std::string_view pair = *decoded;
  size_t colon = pair.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view user = pair.substr(0, colon);
  std::string_view password = pair.substr(colon + 1);
  if (!absl::StartsWith(Sv(user), Sv(kPublicPrefix)) ||
      !absl::StartsWith(Sv(password), Sv(kSecretPrefix))) {
    return std::nullopt;
  }
  std::optional<Credential> credential = ParseIdAndSecret(password.substr(kSecretPrefix.size()));
  if (!credential || user.substr(kPublicPrefix.size()) != credential->key_id) return std::nullopt;
  return credential;
}

// Splits "Scheme value" (scheme case-insensitive per RFC 9110).
std::optional<Credential> ParseAuthorization(std::string_view header) {
  std::string_view trimmed = Std(absl::StripAsciiWhitespace(Sv(header)));
  size_t space = trimmed.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view scheme = trimmed.substr(0, space);
  std::string_view value = Std(absl::StripLeadingAsciiWhitespace(Sv(trimmed.substr(space + 1))));
  if (absl::EqualsIgnoreCase(Sv(scheme), "bearer")) return ParseKey(value);
  if (absl::EqualsIgnoreCase(Sv(scheme), "basic")) return ParseBasic(value);
  return std::nullopt;
}

}  // namespace

absl::StatusOr<GeneratedKey> GenerateApiKey(std::string_view project, uint32_t scopes,
                                            int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(std::string id, RandomHex(kIdBytes));
  TRACKLY_ASSIGN_OR_RETURN(std::string secret, RandomBase62(kSecretChars));

  GeneratedKey out;
  out.key = absl::StrCat(Sv(kKeyPrefix), id, "-", secret);
  out.public_key = absl::StrCat(Sv(kPublicPrefix), id);
  out.secret_key = absl::StrCat(Sv(kSecretPrefix), id, "-", secret);
  out.record.id = id;
  out.record.project = std::string(project);
  out.record.scopes = scopes;
  out.record.secret_hash = Sha256Hex(secret);
  out.record.created_ns = now_ns;
  return out;
}

absl::StatusOr<uint32_t> ParseScopes(std::string_view text) {
  uint32_t scopes = 0;
  for (absl::string_view part : absl::StrSplit(Sv(text), ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (part == "ingest") {
      scopes |= store::kScopeIngest;
    } else if (part == "read") {
      scopes |= store::kScopeRead;
    } else if (part == "admin") {
      scopes |= store::kScopeAdmin;
    } else if (part.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("empty scope in '", Sv(text), "' (expected ingest, read, admin)"));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown scope '", part, "' (expected ingest, read, admin)"));
    }
  }
  return scopes;
}

std::string FormatScopes(uint32_t scopes) {
  std::vector<std::string_view> names;
  if (scopes & store::kScopeIngest) names.push_back("ingest");
  if (scopes & store::kScopeRead) names.push_back("read");
  if (scopes & store::kScopeAdmin) names.push_back("admin");
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

absl::StatusOr<Credential> ParseCredential(std::string_view authorization,
                                           std::string_view x_api_key) {
  if (authorization.empty() && x_api_key.empty()) {
    return absl::UnauthenticatedError("missing API key");
  }
  if (!authorization.empty()) {
    if (std::optional<Credential> credential = ParseAuthorization(authorization)) {
      return *std::move(credential);
    }
  }
  if (!x_api_key.empty()) {
    if (std::optional<Credential> credential =
            ParseKey(Std(absl::StripAsciiWhitespace(Sv(x_api_key))))) {
      return *std::move(credential);
    }
  }
  return absl::UnauthenticatedError("malformed API key");
}

bool VerifySecret(const store::ApiKeyRecord& record, std::string_view secret) {
  return SecretMatches(secret, record.secret_hash);
}

}  // namespace trackly::server
