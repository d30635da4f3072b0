#include "server/roles.h"

#include "absl/strings/str_cat.h"
#include "base/status.h"

namespace trackly::server {

std::string_view RoleName(store::Role role) {
  switch (role) {
    case store::Role::kViewer: return "viewer";
    case store::Role::kMember: return "member";
    case store::Role::kAdmin: return "admin";
    case store::Role::kOwner: return "owner";
  }
  return "viewer";
}

absl::StatusOr<store::Role> ParseRole(std::string_view name) {
  for (store::Role role : {store::Role::kViewer, store::Role::kMember, store::Role::kAdmin, store::Role::kOwner}) {
    if (name == RoleName(role)) return role;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("role \"", Sv(name), "\": use viewer, member, admin or owner"));
}

uint32_t RoleScopes(store::Role role) {
  switch (role) {
    case store::Role::kViewer: return store::kScopeRead;
    case store::Role::kMember: return store::kScopeRead | store::kScopeIngest;
    case store::Role::kAdmin:
    case store::Role::kOwner: return store::kScopeRead | store::kScopeIngest | store::kScopeAdmin;
  }
  return 0;
}

}  // namespace trackly::server
