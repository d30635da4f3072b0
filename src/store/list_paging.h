// Keyset paging shared by every backend's list queries (traces, sessions, scores, the audit log):
// the limit check and the opaque cursor. A cursor is the (key, id) of the last row of a page, so a
// page boundary does not move when newer rows arrive; it reads the same on every backend.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace trackly::store {

// base64url of "<key>:<id>", opaque to clients.
std::string EncodeCursor(int64_t key, std::string_view id);
// InvalidArgument ("cursor: malformed ...") for anything EncodeCursor did not make.
absl::Status DecodeCursor(std::string_view cursor, int64_t* key, std::string* id);

// InvalidArgument naming the limit unless it is within 1..kMaxListLimit (store.h).
absl::Status CheckListLimit(int limit);
// CheckListLimit, and InvalidArgument for an empty project.
absl::Status CheckListArgs(std::string_view project, int limit);

}  // namespace trackly::store
