#include "server/password.h"

#include <argon2.h>

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "server/secret.h"

namespace trackly::server {
namespace {

// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): about 30 ms here, so a login stays quick
// while each guess against a stolen hash costs the same memory and time.
constexpr uint32_t kTimeCost = 2;
constexpr uint32_t kMemoryKiB = 19 * 1024;
constexpr uint32_t kLanes = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

}  // namespace

absl::Status CheckPasswordPolicy(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return absl::InvalidArgumentError(absl::StrCat("password: use at least ", kMinPasswordLength, " characters"));
  }
  if (password.size() > kMaxPasswordLength) {
    return absl::InvalidArgumentError(absl::StrCat("password: use at most ", kMaxPasswordLength, " characters"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HashPassword(std::string_view password) {
  TRACKLY_RETURN_IF_ERROR(CheckPasswordPolicy(password));
  TRACKLY_ASSIGN_OR_RETURN(std::string salt, RandomHex(kSaltBytes));
  std::string encoded(argon2_encodedlen(kTimeCost, kMemoryKiB, kLanes, salt.size(), kHashBytes, Argon2_id), '\0');
  int rc = argon2id_hash_encoded(kTimeCost, kMemoryKiB, kLanes, password.data(), password.size(), salt.data(),
                                 salt.size(), kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return absl::InternalError(absl::StrCat("argon2id: ", argon2_error_message(rc)));
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool VerifyPassword(std::string_view encoded_hash, std::string_view password) {
  std::string encoded(encoded_hash);  // argon2 wants a NUL-terminated string
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

absl::StatusOr<std::string> GeneratePassword() { return RandomBase62(20); }

}  // namespace trackly::server
