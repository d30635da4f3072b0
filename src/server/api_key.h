// API keys: format, generation, scopes and verification. Storage is store::Catalog.
//
// A key has a public id and a secret. Forms a client may present (all equivalent):
//   key         "tk-<id>-<secret>"      Authorization: Bearer <key>, or x-api-key: <key>
//   public_key  "pk-tk-<id>"            HTTP Basic user (Langfuse clients), with
//   secret_key  "sk-tk-<id>-<secret>"   HTTP Basic password
// <id> is 16 lowercase hex characters, <secret> 32 base62 characters (190 bits from the OS CSPRNG).
// Only the hex SHA-256 of <secret> is stored; the secret is high-entropy, so a fast hash is safe
// (a memory-hard hash is for human passwords). Comparison is constant time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/catalog.h"

namespace trackly::server {

struct GeneratedKey {
  std::string key;
  std::string public_key;
  std::string secret_key;
  store::ApiKeyRecord record;  // what to store (id, project, scopes, secret_hash, created_ns)
};

// A fresh key for `project` with `scopes` (store::Scope bits). Internal on CSPRNG failure.
absl::StatusOr<GeneratedKey> GenerateApiKey(std::string_view project, uint32_t scopes,
                                            int64_t now_ns);

// "ingest,read,admin" (any order, any subset, non-empty) → Scope bits; InvalidArgument names
// an unknown scope.
absl::StatusOr<uint32_t> ParseScopes(std::string_view text);
// Scope bits → "ingest,read,admin" order.
std::string FormatScopes(uint32_t scopes);

// What a request presented: the key id and the secret to check.
struct Credential {
  std::string key_id;
  std::string secret;
};

// Extracts a credential from the request headers (empty string_view = header absent), checked in
// this order: Authorization (Bearer <key> | Basic base64(public_key:secret_key)), then x-api-key.
// Unauthenticated ("missing API key" / "malformed API key") when none is usable.
absl::StatusOr<Credential> ParseCredential(std::string_view authorization,
                                           std::string_view x_api_key);

// True when `secret` hashes to record.secret_hash (constant-time comparison).
bool VerifySecret(const store::ApiKeyRecord& record, std::string_view secret);

}  // namespace trackly::server
