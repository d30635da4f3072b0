// Random secrets and their stored form, shared by API keys (server/api_key.h) and UI sign-in
// (server/ui_login.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace trackly::server {

// `length` uniformly random characters of [0-9A-Za-z] from the OS CSPRNG (5.95 bits each).
// Internal when the generator fails.
absl::StatusOr<std::string> RandomBase62(size_t length);

// `bytes` random bytes from the OS CSPRNG as 2 * `bytes` lowercase hex characters. Internal when
// the generator fails.
absl::StatusOr<std::string> RandomHex(size_t bytes);

// Lowercase hex SHA-256 of `text`: how a high-entropy secret is stored.
std::string Sha256Hex(std::string_view text);

// True when `secret` hashes to `stored_hash` (Sha256Hex); the comparison is constant time.
bool SecretMatches(std::string_view secret, std::string_view stored_hash);

// a == b in time independent of where they differ (their lengths may leak).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace trackly::server
