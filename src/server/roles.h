// What each project role may do (docs/security.md "Users and roles"): the API scopes it holds.
// Owners and admins manage keys, prices and members; only an owner may make or unmake an owner.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/catalog.h"

namespace trackly::server {

// "viewer", "member", "admin" or "owner".
std::string_view RoleName(store::Role role);
// The role named `name`; InvalidArgument listing the names otherwise.
absl::StatusOr<store::Role> ParseRole(std::string_view name);
// The store::Scope bits of `role`: viewer read; member read, ingest; admin and owner all three.
uint32_t RoleScopes(store::Role role);

}  // namespace trackly::server
