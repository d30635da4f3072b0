// User passwords (docs/security.md "Users and roles"): stored only as argon2id hashes, a
// memory-hard function, so a stolen catalog.db does not give passwords away cheaply.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace trackly::server {

inline constexpr size_t kMinPasswordLength = 10;
inline constexpr size_t kMaxPasswordLength = 1024;

// InvalidArgument naming the rule when `password` is shorter than kMinPasswordLength or longer
// than kMaxPasswordLength characters.
absl::Status CheckPasswordPolicy(std::string_view password);

// The encoded argon2id hash ("$argon2id$v=19$m=...") of `password` with a fresh random salt.
// As CheckPasswordPolicy for a password it refuses; Internal when hashing fails. Takes tens of
// milliseconds and kArgon2MemoryKiB of memory by design.
absl::StatusOr<std::string> HashPassword(std::string_view password);

// True when `password` matches `encoded_hash` (HashPassword's output); false for a wrong password
// or a malformed hash. As slow as HashPassword.
bool VerifyPassword(std::string_view encoded_hash, std::string_view password);

// A password of 20 random letters and digits (about 119 bits), for `trackly users create` when
// none is given. Internal when the system's random generator fails.
absl::StatusOr<std::string> GeneratePassword();

}  // namespace trackly::server
