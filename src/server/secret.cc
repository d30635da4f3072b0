#include "server/secret.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>

namespace trackly::server {
namespace {

constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::string Hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * size);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
  return out;
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
