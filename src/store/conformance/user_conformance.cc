// Conformance of Catalog's users and roles (store/catalog.h "Users and roles").
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::conformance {
namespace {

using ::testing::IsEmpty;

constexpr int64_t kNow = 1'795'314'529'000'000'000;

UserRecord User(std::string name) {
  return UserRecord{.name = std::move(name), .password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", .created_ns = kNow};
}

Membership Role(std::string user, std::string project, store::Role role, bool raw_io = true) {
  return Membership{.user = std::move(user), .project = std::move(project), .role = role, .raw_io = raw_io,
                    .created_ns = kNow};
}

TEST_P(CatalogConformanceTest, CreatesGetsAndListsUsers) {
  ASSERT_TRUE(catalog_->CreateUser(User("bob")).ok());
  ASSERT_TRUE(catalog_->CreateUser(User("alice@example.com")).ok());
  EXPECT_EQ(catalog_->CreateUser(User("bob")).code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<UserRecord> bob = catalog_->GetUser("bob");
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_EQ(bob->password_hash, User("bob").password_hash);
  EXPECT_EQ(bob->created_ns, kNow);
  EXPECT_EQ(catalog_->GetUser("carol").status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<std::vector<UserRecord>> users = catalog_->ListUsers();
  ASSERT_TRUE(users.ok()) << users.status();
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].name, "alice@example.com");
  EXPECT_EQ((*users)[1].name, "bob");
}

TEST_P(CatalogConformanceTest, BadUserIsInvalidArgument) {
  for (std::string name : {std::string(), std::string("has space"), std::string("@first"), std::string(129, 'x')}) {
    EXPECT_EQ(catalog_->CreateUser(User(name)).code(), absl::StatusCode::kInvalidArgument) << name;
  }
  UserRecord no_hash = User("bob");
  no_hash.password_hash.clear();
  EXPECT_EQ(catalog_->CreateUser(no_hash).code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(CatalogConformanceTest, PutsListsAndRemovesMemberships) {
  ASSERT_TRUE(catalog_->CreateProject("alpha", kNow).ok());
  ASSERT_TRUE(catalog_->CreateProject("beta", kNow).ok());
  ASSERT_TRUE(catalog_->CreateUser(User("bob")).ok());
  ASSERT_TRUE(catalog_->CreateUser(User("carol")).ok());
  ASSERT_TRUE(catalog_->PutMembership(Role("bob", "beta", store::Role::kViewer, /*raw_io=*/false)).ok());
  ASSERT_TRUE(catalog_->PutMembership(Role("bob", "alpha", store::Role::kMember)).ok());
  ASSERT_TRUE(catalog_->PutMembership(Role("carol", "alpha", store::Role::kAdmin)).ok());
  EXPECT_EQ(catalog_->PutMembership(Role("dave", "alpha", store::Role::kAdmin)).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->PutMembership(Role("bob", "gamma", store::Role::kAdmin)).code(), absl::StatusCode::kNotFound);

  absl::StatusOr<std::vector<Membership>> of_bob = catalog_->ListMemberships("bob", "");
  ASSERT_TRUE(of_bob.ok()) << of_bob.status();
  ASSERT_EQ(of_bob->size(), 2u);
  EXPECT_EQ((*of_bob)[0].project, "alpha");
  EXPECT_EQ((*of_bob)[0].role, store::Role::kMember);
  EXPECT_EQ((*of_bob)[1].project, "beta");
  EXPECT_FALSE((*of_bob)[1].raw_io);
  EXPECT_EQ(catalog_->ListMemberships("", "alpha")->size(), 2u);
  ASSERT_EQ(catalog_->ListMemberships("carol", "alpha")->size(), 1u);
  EXPECT_THAT(*catalog_->ListMemberships("carol", "beta"), IsEmpty());

  // Putting again changes the role in place.
  ASSERT_TRUE(catalog_->PutMembership(Role("bob", "alpha", store::Role::kOwner)).ok());
  EXPECT_EQ(catalog_->ListMemberships("bob", "alpha")->front().role, store::Role::kOwner);

  ASSERT_TRUE(catalog_->RemoveMembership("bob", "alpha").ok());
  EXPECT_EQ(catalog_->RemoveMembership("bob", "alpha").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->ListMemberships("bob", "")->size(), 1u);
}

TEST_P(CatalogConformanceTest, CreatesAProjectWithItsOwner) {
  ASSERT_TRUE(catalog_->CreateUser(User("bob")).ok());
  absl::StatusOr<Project> project = catalog_->CreateProjectOwnedBy("alpha", "bob", kNow);
  ASSERT_TRUE(project.ok()) << project.status();
  ASSERT_EQ(catalog_->ListMemberships("bob", "alpha")->size(), 1u);
  EXPECT_EQ(catalog_->ListMemberships("bob", "alpha")->front().role, store::Role::kOwner);
  EXPECT_EQ(catalog_->CreateProjectOwnedBy("alpha", "bob", kNow).status().code(), absl::StatusCode::kAlreadyExists);
  // An unknown owner creates nothing.
  EXPECT_EQ(catalog_->CreateProjectOwnedBy("beta", "nobody", kNow).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->GetProject("beta").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(CatalogConformanceTest, DeletingAUserOrChangingThePasswordEndsTheirSessions) {
  ASSERT_TRUE(catalog_->CreateProject("alpha", kNow).ok());
  ASSERT_TRUE(catalog_->CreateUser(User("bob")).ok());
  ASSERT_TRUE(catalog_->PutMembership(Role("bob", "alpha", store::Role::kAdmin)).ok());
  auto session = [&](const std::string& hash) {
    return UiCredential{.secret_hash = hash, .kind = UiCredentialKind::kSession, .user = "bob", .project = "alpha",
                        .expires_ns = kNow + 1000, .csrf_token = "c"};
  };
  ASSERT_TRUE(catalog_->InsertUiCredential(session("s1"), kNow).ok());
  absl::StatusOr<UiCredential> found = catalog_->FindUiCredential("s1", UiCredentialKind::kSession, kNow, false);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->user, "bob");
  EXPECT_EQ(found->project, "alpha");

  ASSERT_TRUE(catalog_->SetUserPassword("bob", "$argon2id$new").ok());
  EXPECT_EQ(catalog_->GetUser("bob")->password_hash, "$argon2id$new");
  EXPECT_EQ(catalog_->FindUiCredential("s1", UiCredentialKind::kSession, kNow, false).status().code(),
            absl::StatusCode::kNotFound);

  ASSERT_TRUE(catalog_->InsertUiCredential(session("s2"), kNow).ok());
  ASSERT_TRUE(catalog_->DeleteUser("bob").ok());
  EXPECT_EQ(catalog_->FindUiCredential("s2", UiCredentialKind::kSession, kNow, false).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(*catalog_->ListMemberships("", "alpha"), IsEmpty());
  EXPECT_EQ(catalog_->DeleteUser("bob").code(), absl::StatusCode::kNotFound);
  // A credential of an unknown user, or of nobody, is refused.
  EXPECT_EQ(catalog_->InsertUiCredential(session("s3"), kNow).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->InsertUiCredential(UiCredential{.secret_hash = "s4", .expires_ns = kNow + 1}, kNow).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trackly::store::conformance
