#include "server/authenticator.h"

#include <map>

#include "gtest/gtest.h"
#include "server/api_key.h"

namespace trackly::server {
namespace {

// Keys in memory; counts lookups so tests can see the cache.
class FakeCatalog final : public store::Catalog {
 public:
  absl::StatusOr<store::Project> CreateProject(std::string_view name, int64_t now_ns) override {
    return store::Project{std::string(name), now_ns};
  }
  absl::StatusOr<std::vector<store::Project>> ListProjects() override {
    return std::vector<store::Project>();
  }
  absl::StatusOr<store::Project> GetProject(std::string_view) override {
    return absl::NotFoundError("no");
  }
  absl::Status InsertKey(const store::ApiKeyRecord& key) override {
    keys_[key.id] = key;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<store::ApiKeyRecord>> ListKeys(std::string_view) override {
    return std::vector<store::ApiKeyRecord>();
  }
  absl::Status RevokeKey(std::string_view id, int64_t now_ns) override {
    keys_.at(std::string(id)).revoked_ns = now_ns;
    return absl::OkStatus();
  }
  absl::StatusOr<store::ApiKeyRecord> FindKey(std::string_view id) override {
    ++lookups_;
    if (fail_) return absl::InternalError("disk on fire");
    auto it = keys_.find(std::string(id));
    if (it == keys_.end()) return absl::NotFoundError("unknown key");
    return it->second;
  }

  std::map<std::string, store::ApiKeyRecord> keys_;
  int lookups_ = 0;
  bool fail_ = false;
};

class AuthenticatorTest : public testing::Test {
 protected:
  GeneratedKey AddKey(uint32_t scopes) {
    absl::StatusOr<GeneratedKey> key = GenerateApiKey("proj", scopes, 1);
    EXPECT_TRUE(key.ok());
    EXPECT_TRUE(catalog_.InsertKey(key->record).ok());
    return *key;
  }

  FakeCatalog catalog_;
  FakeClock clock_{1'000'000'000'000};
  Authenticator auth_{catalog_, clock_};
};

TEST_F(AuthenticatorTest, ValidKeyGivesItsProject) {
  GeneratedKey key = AddKey(store::kScopeIngest | store::kScopeRead);
  absl::StatusOr<Principal> principal =
      auth_.Authenticate("Bearer " + key.key, "", store::kScopeRead);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->project, "proj");
  EXPECT_EQ(principal->key_id, key.record.id);
}

TEST_F(AuthenticatorTest, MissingScopeIsPermissionDenied) {
  GeneratedKey key = AddKey(store::kScopeIngest);
  EXPECT_EQ(auth_.Authenticate("", key.key, store::kScopeRead).status(),
            absl::PermissionDeniedError("API key lacks the 'read' scope"));
}

TEST_F(AuthenticatorTest, UnknownKeyAndWrongSecretLookTheSame) {
  GeneratedKey key = AddKey(store::kScopeIngest);
  absl::StatusOr<GeneratedKey> other = GenerateApiKey("proj", store::kScopeIngest, 1);
  std::string wrong_secret = "tk-" + key.record.id + "-" + other->key.substr(3 + 16 + 1);
  for (const std::string& presented : {other->key, wrong_secret}) {
    EXPECT_EQ(auth_.Authenticate("", presented, store::kScopeIngest).status(),
              absl::UnauthenticatedError("unknown API key"));
  }
}

TEST_F(AuthenticatorTest, MissingKeyIsUnauthenticated) {
  EXPECT_EQ(auth_.Authenticate("", "", store::kScopeIngest).status(),
            absl::UnauthenticatedError("missing API key"));
}

TEST_F(AuthenticatorTest, RevocationTakesEffectWhenTheCacheExpires) {
  GeneratedKey key = AddKey(store::kScopeIngest);
  ASSERT_TRUE(auth_.Authenticate("", key.key, store::kScopeIngest).ok());
  ASSERT_TRUE(catalog_.RevokeKey(key.record.id, 5).ok());
  clock_.Advance(Authenticator::kKeyCacheTtlNs);
  EXPECT_EQ(auth_.Authenticate("", key.key, store::kScopeIngest).status(),
            absl::UnauthenticatedError("API key revoked"));
}

TEST_F(AuthenticatorTest, LookupsAreCachedWithinTtl) {
  GeneratedKey key = AddKey(store::kScopeIngest);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(auth_.Authenticate("", key.key, store::kScopeIngest).ok());
  EXPECT_EQ(catalog_.lookups_, 1);
  clock_.Advance(Authenticator::kKeyCacheTtlNs);
  ASSERT_TRUE(auth_.Authenticate("", key.key, store::kScopeIngest).ok());
  EXPECT_EQ(catalog_.lookups_, 2);
}

TEST_F(AuthenticatorTest, CatalogFailureIsUnavailableForAKeyNotLookedUpBefore) {
  GeneratedKey key = AddKey(store::kScopeIngest);
  catalog_.fail_ = true;
  EXPECT_EQ(auth_.Authenticate("", key.key, store::kScopeIngest).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(AuthenticatorTest, CatalogFailureKeepsTheLastAnswerOfAKey) {
  GeneratedKey valid = AddKey(store::kScopeIngest);
  GeneratedKey revoked = AddKey(store::kScopeIngest);
  ASSERT_TRUE(catalog_.RevokeKey(revoked.record.id, 5).ok());
  ASSERT_TRUE(auth_.Authenticate("", valid.key, store::kScopeIngest).ok());
  ASSERT_FALSE(auth_.Authenticate("", revoked.key, store::kScopeIngest).ok());
  catalog_.fail_ = true;
  clock_.Advance(60 * Authenticator::kKeyCacheTtlNs);
  EXPECT_TRUE(auth_.Authenticate("", valid.key, store::kScopeIngest).ok());
  EXPECT_EQ(auth_.Authenticate("", revoked.key, store::kScopeIngest).status(),
            absl::UnauthenticatedError("API key revoked"));
  EXPECT_EQ(catalog_.lookups_, 4);  // it kept asking the catalog
}

TEST_F(AuthenticatorTest, AuthOffActsOnDefaultProject) {
  Authenticator open(catalog_, clock_, "default");
  absl::StatusOr<Principal> principal = open.Authenticate("", "", store::kScopeIngest);
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->project, "default");
  EXPECT_EQ(catalog_.lookups_, 0);
}

}  // namespace
}  // namespace trackly::server
