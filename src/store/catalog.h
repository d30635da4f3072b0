// Projects and API keys. Kept apart from Store so admin commands (the CLI) can manage them on a data
// directory while a server runs on it, and so a scale-out backend can keep them elsewhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace trackly::store {

struct Project {
  std::string name;  // unique, immutable; the project key in every store row
  int64_t created_ns = 0;
};

// Scope bits of an API key.
enum Scope : uint32_t { kScopeIngest = 1u << 0, kScopeRead = 1u << 1, kScopeAdmin = 1u << 2 };

struct ApiKeyRecord {
  std::string id;           // public id, unique (the "pk" part)
  std::string project;
  uint32_t scopes = 0;      // Scope bits
  std::string secret_hash;  // hex SHA-256 of the secret; the secret itself is never stored
  int64_t created_ns = 0;
  int64_t revoked_ns = 0;   // 0 = active
  std::string name;         // optional label
};

// Thread-safe. Every change is durable when the call returns OK. Changes made by another process
// on the same data directory are visible to later calls.
class Catalog {
 public:
  virtual ~Catalog() = default;
  // AlreadyExists if a project has this name; InvalidArgument for a bad name.
  virtual absl::StatusOr<Project> CreateProject(std::string_view name, int64_t now_ns) = 0;
  virtual absl::StatusOr<std::vector<Project>> ListProjects() = 0;
  // NotFound if there is no such project.
  virtual absl::StatusOr<Project> GetProject(std::string_view name) = 0;
  // NotFound if the project does not exist; AlreadyExists if the id is taken.
  virtual absl::Status InsertKey(const ApiKeyRecord& key) = 0;
  // All keys (revoked ones too) of a project, or of every project when `project` is empty.
  virtual absl::StatusOr<std::vector<ApiKeyRecord>> ListKeys(std::string_view project) = 0;
  // NotFound for an unknown id. Revoking twice keeps the first revocation time.
  virtual absl::Status RevokeKey(std::string_view id, int64_t now_ns) = 0;
  // NotFound for an unknown id (revoked keys are returned; the caller checks revoked_ns).
  virtual absl::StatusOr<ApiKeyRecord> FindKey(std::string_view id) = 0;
};

}  // namespace trackly::store
