#include "store/sqlite/sqlite_catalog.h"

#include <filesystem>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "store/sqlite/connection.h"

namespace trackly::store {
namespace {

using sqlite::Connection;
using sqlite::Statement;

constexpr int kCatalogSchemaVersion = 1;
constexpr size_t kMaxProjectNameLength = 64;

// catalog.db layout. Keys reference their project by name (names are immutable).
constexpr char kCatalogSchema[] = R"sql(
CREATE TABLE projects(
  name TEXT PRIMARY KEY,
  created_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE api_keys(
  id TEXT PRIMARY KEY,
  project TEXT NOT NULL,
  scopes INTEGER NOT NULL,
  secret_hash TEXT NOT NULL,
  created_ns INTEGER NOT NULL,
  revoked_ns INTEGER NOT NULL,
  name TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX api_keys_by_project ON api_keys(project, created_ns);
)sql";

constexpr char kKeyColumns[] = "id, project, scopes, secret_hash, created_ns, revoked_ns, name";

absl::Status CheckProjectName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxProjectNameLength && absl::ascii_isalnum(name[0]);
  for (char c : name) ok = ok && (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.');
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("project name \"", Sv(name), "\": use 1..", kMaxProjectNameLength,
                   " letters, digits, '-', '_' or '.', starting with a letter or digit"));
}

ApiKeyRecord ReadKey(const Statement& row) {
  return ApiKeyRecord{.id = std::string(row.Text(0)),
                      .project = std::string(row.Text(1)),
                      .scopes = static_cast<uint32_t>(row.Int(2)),
                      .secret_hash = std::string(row.Text(3)),
                      .created_ns = row.Int(4),
                      .revoked_ns = row.Int(5),
                      .name = std::string(row.Text(6))};
}

// Runs `body` in a write transaction (BEGIN IMMEDIATE takes the file's write lock up front, so a
// check-then-insert cannot race another process), committing only when it succeeds.
absl::Status InWriteTransaction(Connection& db, const std::function<absl::Status()>& body) {
  TRACKLY_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  absl::Status status = body();
  if (status.ok()) status = db.Exec("COMMIT");
  if (!status.ok()) db.Exec("ROLLBACK").IgnoreError();  // the first error is the one to report
  return status;
}

absl::StatusOr<bool> ProjectExists(Connection& db, std::string_view name) {
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("SELECT 1 FROM projects WHERE name = ?1"));
  stmt.BindText(1, name);
  return stmt.Step();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteCatalog>> SqliteCatalog::Open(const std::string& dir, int busy_timeout_ms) {
  std::error_code error;
  if (dir.empty() || !std::filesystem::is_directory(dir, error)) {
    return absl::FailedPreconditionError(absl::StrCat("data directory \"", dir, "\" does not exist"));
  }
  std::string path = (std::filesystem::path(dir) / "catalog.db").string();
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<Connection> db,
                           Connection::Open(path, /*read_only=*/false, busy_timeout_ms));
  // WAL lets a reading server and a writing CLI overlap; FULL because every change is an admin
  // action someone will rely on right away (a revoked key must stay revoked).
  TRACKLY_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode = WAL"));
  TRACKLY_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = FULL"));
  TRACKLY_ASSIGN_OR_RETURN(int64_t version, db->QueryInt("PRAGMA user_version"));
  if (version > kCatalogSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("catalog.db has layout version ", version, "; this trackly reads up to ", kCatalogSchemaVersion));
  }
  if (version < kCatalogSchemaVersion) {
    TRACKLY_RETURN_IF_ERROR(InWriteTransaction(*db, [&]() -> absl::Status {
      TRACKLY_ASSIGN_OR_RETURN(int64_t current, db->QueryInt("PRAGMA user_version"));
      if (current != 0) return absl::OkStatus();  // another process created it meanwhile
      TRACKLY_RETURN_IF_ERROR(db->Exec(kCatalogSchema));
      return db->Exec(absl::StrCat("PRAGMA user_version = ", kCatalogSchemaVersion));
    }));
  }
  return std::unique_ptr<SqliteCatalog>(new SqliteCatalog(std::move(db)));
}

SqliteCatalog::SqliteCatalog(std::unique_ptr<Connection> db) : db_(std::move(db)) {}

SqliteCatalog::~SqliteCatalog() = default;

absl::StatusOr<Project> SqliteCatalog::CreateProject(std::string_view name, int64_t now_ns) {
  TRACKLY_RETURN_IF_ERROR(CheckProjectName(name));
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  TRACKLY_RETURN_IF_ERROR(InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(bool exists, ProjectExists(db, name));
    if (exists) return absl::AlreadyExistsError(absl::StrCat("project \"", Sv(name), "\" already exists"));
    TRACKLY_ASSIGN_OR_RETURN(Statement insert, db.Prepare("INSERT INTO projects(name, created_ns) VALUES(?1, ?2)"));
    insert.BindText(1, name);
    insert.BindInt(2, now_ns);
    return insert.Run();
  }));
  return Project{.name = std::string(name), .created_ns = now_ns};
}

absl::StatusOr<std::vector<Project>> SqliteCatalog::ListProjects() {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("SELECT name, created_ns FROM projects ORDER BY name"));
  std::vector<Project> projects;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    projects.push_back(Project{.name = std::string(stmt.Text(0)), .created_ns = stmt.Int(1)});
  }
  return projects;
}

absl::StatusOr<Project> SqliteCatalog::GetProject(std::string_view name) {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("SELECT name, created_ns FROM projects WHERE name = ?1"));
  stmt.BindText(1, name);
  TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return absl::NotFoundError(absl::StrCat("project \"", Sv(name), "\" not found"));
  return Project{.name = std::string(stmt.Text(0)), .created_ns = stmt.Int(1)};
}

absl::Status SqliteCatalog::InsertKey(const ApiKeyRecord& key) {
  if (key.id.empty()) return absl::InvalidArgumentError("key id: required");
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  return InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(bool project_exists, ProjectExists(db, key.project));
    if (!project_exists) return absl::NotFoundError(absl::StrCat("project \"", key.project, "\" not found"));
    {
      TRACKLY_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("SELECT 1 FROM api_keys WHERE id = ?1"));
      stmt.BindText(1, key.id);
      TRACKLY_ASSIGN_OR_RETURN(bool taken, stmt.Step());
      if (taken) return absl::AlreadyExistsError(absl::StrCat("key id \"", key.id, "\" already exists"));
    }
    TRACKLY_ASSIGN_OR_RETURN(
        Statement insert, db.Prepare(absl::StrCat("INSERT INTO api_keys(", kKeyColumns, ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)")));
    insert.BindText(1, key.id);
    insert.BindText(2, key.project);
    insert.BindInt(3, key.scopes);
    insert.BindText(4, key.secret_hash);
    insert.BindInt(5, key.created_ns);
    insert.BindInt(6, key.revoked_ns);
    insert.BindText(7, key.name);
    return insert.Run();
  });
}

absl::StatusOr<std::vector<ApiKeyRecord>> SqliteCatalog::ListKeys(std::string_view project) {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare(absl::StrCat("SELECT ", kKeyColumns,
                                " FROM api_keys WHERE ?1 = '' OR project = ?1 ORDER BY project, created_ns, id")));
  stmt.BindText(1, project);
  std::vector<ApiKeyRecord> keys;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    keys.push_back(ReadKey(stmt));
  }
  return keys;
}

absl::Status SqliteCatalog::RevokeKey(std::string_view id, int64_t now_ns) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  return InWriteTransaction(db, [&]() -> absl::Status {
    {
      TRACKLY_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("SELECT 1 FROM api_keys WHERE id = ?1"));
      stmt.BindText(1, id);
      TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
      if (!found) return absl::NotFoundError(absl::StrCat("key \"", Sv(id), "\" not found"));
    }
    TRACKLY_ASSIGN_OR_RETURN(Statement update,
                             db.Prepare("UPDATE api_keys SET revoked_ns = ?2 WHERE id = ?1 AND revoked_ns = 0"));
    update.BindText(1, id);
    update.BindInt(2, now_ns);
    return update.Run();
  });
}

absl::StatusOr<ApiKeyRecord> SqliteCatalog::FindKey(std::string_view id) {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare(absl::StrCat("SELECT ", kKeyColumns, " FROM api_keys WHERE id = ?1")));
  stmt.BindText(1, id);
  TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return absl::NotFoundError(absl::StrCat("key \"", Sv(id), "\" not found"));
  return ReadKey(stmt);
}

}  // namespace trackly::store
