#include "server/api_key.h"

#include <openssl/evp.h>

#include <string>

#include "gtest/gtest.h"

namespace trackly::server {
namespace {

std::string Base64(std::string_view text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  out.resize(n);
  return out;
}

TEST(ApiKeyTest, GeneratedKeyHasDocumentedShape) {
  absl::StatusOr<GeneratedKey> key = GenerateApiKey("proj", store::kScopeIngest, 42);
  ASSERT_TRUE(key.ok()) << key.status();
  const std::string& id = key->record.id;
  ASSERT_EQ(id.size(), 16u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(key->key.substr(0, 3 + 16 + 1), "tk-" + id + "-");
  std::string secret = key->key.substr(3 + 16 + 1);
  ASSERT_EQ(secret.size(), 32u);
  EXPECT_EQ(key->public_key, "pk-tk-" + id);
  EXPECT_EQ(key->secret_key, "sk-tk-" + id + "-" + secret);
  EXPECT_EQ(key->record.project, "proj");
  EXPECT_EQ(key->record.scopes, store::kScopeIngest);
  EXPECT_EQ(key->record.created_ns, 42);
  EXPECT_EQ(key->record.revoked_ns, 0);
  EXPECT_EQ(key->record.secret_hash.size(), 64u);
  EXPECT_EQ(key->record.secret_hash.find(secret), std::string::npos);
}

TEST(ApiKeyTest, GeneratedKeysDiffer) {
  absl::StatusOr<GeneratedKey> a = GenerateApiKey("p", store::kScopeRead, 0);
  absl::StatusOr<GeneratedKey> b = GenerateApiKey("p", store::kScopeRead, 0);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->key, b->key);
  EXPECT_NE(a->record.id, b->record.id);
  EXPECT_NE(a->record.secret_hash, b->record.secret_hash);
}

TEST(ApiKeyTest, EveryPresentedFormVerifies) {
  absl::StatusOr<GeneratedKey> key = GenerateApiKey("p", store::kScopeIngest, 0);
  ASSERT_TRUE(key.ok());
  const std::string basic = "Basic " + Base64(key->public_key + ":" + key->secret_key);
  struct Case {
    std::string authorization;
    std::string x_api_key;
  };
  for (const Case& c : {Case{"Bearer " + key->key, ""}, Case{"bearer  " + key->key, ""},
                        Case{"", key->key}, Case{basic, ""},
                        Case{"Token nonsense", key->key}}) {
    absl::StatusOr<Credential> credential = ParseCredential(c.authorization, c.x_api_key);
    ASSERT_TRUE(credential.ok()) << c.authorization << " / " << c.x_api_key << ": "
                                 << credential.status();
    EXPECT_EQ(credential->key_id, key->record.id);
    EXPECT_TRUE(VerifySecret(key->record, credential->secret));
  }
}

TEST(ApiKeyTest, MissingCredentialIsUnauthenticated) {
  absl::StatusOr<Credential> credential = ParseCredential("", "");
  EXPECT_EQ(credential.status(), absl::UnauthenticatedError("missing API key"));
}

TEST(ApiKeyTest, MalformedCredentialsAreUnauthenticated) {
  const std::string id = "0123456789abcdef";
  const std::string secret = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
  struct Case {
    std::string authorization;
    std::string x_api_key;
  };
  for (const Case& c : {
           Case{"Bearer", ""},
           Case{"Bearer tk-" + id + secret, ""},                    // no dash
           Case{"Bearer tk-" + id + "-" + secret + "x", ""},       // secret too long
           Case{"Bearer tk-0123456789ABCDEF-" + secret, ""},       // uppercase id
           Case{"Bearer tk-" + id + "-ABCDEFGHIJKLMNOPQRSTUVWXYZabcde!", ""},
           Case{"Bearer " + id + "-" + secret, ""},                // no prefix
           Case{"Basic !!!!", ""},
           Case{"Basic " + Base64("pk-tk-" + id), ""},             // no colon
           Case{"Basic " + Base64("pk-tk-fedcba9876543210:sk-tk-" + id + "-" + secret), ""},
           Case{"Digest abc", ""},
           Case{"", "sk-tk-" + id + "-" + secret},
       }) {
    absl::StatusOr<Credential> credential = ParseCredential(c.authorization, c.x_api_key);
    EXPECT_EQ(credential.status(), absl::UnauthenticatedError("malformed API key"))
        << c.authorization << " / " << c.x_api_key;
  }
}

TEST(ApiKeyTest, WrongSecretDoesNotVerify) {
  absl::StatusOr<GeneratedKey> key = GenerateApiKey("p", store::kScopeIngest, 0);
  ASSERT_TRUE(key.ok());
  EXPECT_FALSE(VerifySecret(key->record, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"));
  EXPECT_FALSE(VerifySecret(key->record, ""));
  store::ApiKeyRecord empty;
  EXPECT_FALSE(VerifySecret(empty, ""));
}

TEST(ApiKeyTest, ParsesScopesInAnyOrder) {
  struct Case {
    std::string text;
    uint32_t scopes;
  };
  for (const Case& c : {Case{"ingest", store::kScopeIngest}, Case{"read", store::kScopeRead},
                        Case{"admin,read", store::kScopeAdmin | store::kScopeRead},
                        Case{" read , ingest ", store::kScopeRead | store::kScopeIngest},
                        Case{"ingest,read,admin",
                             store::kScopeIngest | store::kScopeRead | store::kScopeAdmin}}) {
    absl::StatusOr<uint32_t> scopes = ParseScopes(c.text);
    ASSERT_TRUE(scopes.ok()) << c.text;
    EXPECT_EQ(*scopes, c.scopes) << c.text;
  }
}

TEST(ApiKeyTest, RejectsUnknownOrEmptyScope) {
  EXPECT_EQ(ParseScopes("read,write").status(),
            absl::InvalidArgumentError("unknown scope 'write' (expected ingest, read, admin)"));
  EXPECT_EQ(ParseScopes("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseScopes("read,").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ApiKeyTest, FormatsScopesInCanonicalOrder) {
  EXPECT_EQ(FormatScopes(store::kScopeAdmin | store::kScopeIngest), "ingest,admin");
  EXPECT_EQ(FormatScopes(store::kScopeIngest | store::kScopeRead | store::kScopeAdmin),
            "ingest,read,admin");
  EXPECT_EQ(FormatScopes(0), "");
}

}  // namespace
}  // namespace trackly::server
