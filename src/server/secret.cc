#include "server/secret.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>

#include "absl/strings/escaping.h"

namespace trackly::server {
namespace {

constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Lowercase hex of `size` bytes.
std::string Hex(const unsigned char* data, size_t size) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(data), size));
}

}  // namespace

// Rejection sampling: bytes >= 248 (= 4 * 62) are discarded so every character is equally likely.
absl::StatusOr<std::string> RandomBase62(size_t length) {
  std::string out;
  out.reserve(length);
  std::array<unsigned char, 64> buffer;
  while (out.size() < length) {
    if (RAND_bytes(buffer.data(), buffer.size()) != 1) {
      return absl::InternalError("the OS random number generator failed");
    }
    for (unsigned char byte : buffer) {
      if (byte >= 248) continue;
      out.push_back(kBase62[byte % 62]);
      if (out.size() == length) break;
    }
  }
  return out;
}

absl::StatusOr<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1) {
    return absl::InternalError("the OS random number generator failed");
  }
  return Hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string Sha256Hex(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest;
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return Hex(digest.data(), digest.size());
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool SecretMatches(std::string_view secret, std::string_view stored_hash) {
  return ConstantTimeEquals(Sha256Hex(secret), stored_hash);
}

}  // namespace trackly::server
