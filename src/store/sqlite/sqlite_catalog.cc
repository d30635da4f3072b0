#include "store/sqlite/sqlite_catalog.h"

#include <filesystem>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "store/model_prices.h"
#include "store/sqlite/connection.h"

namespace trackly::store {
namespace {

using sqlite::Connection;
using sqlite::Statement;

constexpr int kCatalogSchemaVersion = 3;
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

// Added in layout version 2: project model prices (docs/cost.md "Project prices"), each the JSON
// text of one catalog entry, and a counter bumped in the same transaction as every price change,
// which a server polls to know when to reload its prices.
constexpr char kCatalogSchemaV2[] = R"sql(
CREATE TABLE model_prices(
  project TEXT NOT NULL,
  id TEXT NOT NULL,
  entry_json TEXT NOT NULL,
  created_ns INTEGER NOT NULL,
  PRIMARY KEY(project, id)
) WITHOUT ROWID;
CREATE TABLE model_prices_version(
  singleton INTEGER PRIMARY KEY CHECK(singleton = 0),
  version INTEGER NOT NULL
);
INSERT INTO model_prices_version(singleton, version) VALUES(0, 0);
)sql";

// Added in layout version 3: UI login tokens and sessions (store/catalog.h UiCredential).
constexpr char kCatalogSchemaV3[] = R"sql(
CREATE TABLE ui_credentials(
  secret_hash TEXT PRIMARY KEY,
  kind INTEGER NOT NULL,
  project TEXT NOT NULL,
  expires_ns INTEGER NOT NULL,
  csrf_token TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX ui_credentials_by_expiry ON ui_credentials(expires_ns);
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
      if (current >= kCatalogSchemaVersion) return absl::OkStatus();  // another process did it meanwhile
      if (current < 1) TRACKLY_RETURN_IF_ERROR(db->Exec(kCatalogSchema));
      if (current < 2) TRACKLY_RETURN_IF_ERROR(db->Exec(kCatalogSchemaV2));
      if (current < 3) TRACKLY_RETURN_IF_ERROR(db->Exec(kCatalogSchemaV3));
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

absl::StatusOr<std::vector<ModelPriceRecord>> SqliteCatalog::ListModelPrices(std::string_view project) {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare("SELECT project, id, entry_json, created_ns FROM model_prices "
                                        "WHERE ?1 = '' OR project = ?1 ORDER BY project, id"));
  stmt.BindText(1, project);
  std::vector<ModelPriceRecord> prices;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    prices.push_back(ModelPriceRecord{.id = std::string(stmt.Text(1)),
                                      .project = std::string(stmt.Text(0)),
                                      .entry_json = std::string(stmt.Text(2)),
                                      .created_ns = stmt.Int(3)});
  }
  return prices;
}

absl::StatusOr<ModelPriceRecord> SqliteCatalog::PutModelPrice(std::string_view project,
                                                              std::string_view entry_json, int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(cost::PriceEntry entry, ParseModelPrice(entry_json));
  ModelPriceRecord record{.id = entry.id,
                          .project = std::string(project),
                          .entry_json = model::DumpJson(cost::ToJson(entry)),
                          .created_ns = now_ns};
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  TRACKLY_RETURN_IF_ERROR(InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(bool exists, ProjectExists(db, project));
    if (!exists) return absl::NotFoundError(absl::StrCat("project \"", Sv(project), "\" not found"));
    // Checked inside the write transaction with the project's other prices as they are now, so
    // two concurrent puts cannot each pass and together overlap.
    std::vector<cost::PriceEntry> entries;
    {
      TRACKLY_ASSIGN_OR_RETURN(Statement stmt,
                               db.Prepare("SELECT id, entry_json FROM model_prices WHERE project = ?1 AND id != ?2"));
      stmt.BindText(1, project);
      stmt.BindText(2, record.id);
      while (true) {
        TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) break;
        absl::StatusOr<cost::PriceEntry> other = ParseModelPrice(stmt.Text(1));
        if (!other.ok()) {
          return absl::DataLossError(absl::StrCat("stored price ", Sv(stmt.Text(0)), " does not parse: ",
                                                  other.status().message()));
        }
        entries.push_back(*std::move(other));
      }
    }
    entries.push_back(entry);
    TRACKLY_RETURN_IF_ERROR(CheckProjectPrices(std::move(entries)));
    TRACKLY_ASSIGN_OR_RETURN(Statement insert,
                             db.Prepare("INSERT OR REPLACE INTO model_prices(project, id, entry_json, created_ns) "
                                        "VALUES(?1, ?2, ?3, ?4)"));
    insert.BindText(1, project);
    insert.BindText(2, record.id);
    insert.BindText(3, record.entry_json);
    insert.BindInt(4, now_ns);
    TRACKLY_RETURN_IF_ERROR(insert.Run());
    return db.Exec("UPDATE model_prices_version SET version = version + 1");
  }));
  return record;
}

absl::Status SqliteCatalog::RemoveModelPrice(std::string_view project, std::string_view id) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  return InWriteTransaction(db, [&]() -> absl::Status {
    {
      TRACKLY_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("SELECT 1 FROM model_prices WHERE project = ?1 AND id = ?2"));
      stmt.BindText(1, project);
      stmt.BindText(2, id);
      TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
      if (!found) {
        return absl::NotFoundError(absl::StrCat("project \"", Sv(project), "\" has no price \"", Sv(id), "\""));
      }
    }
    TRACKLY_ASSIGN_OR_RETURN(Statement del, db.Prepare("DELETE FROM model_prices WHERE project = ?1 AND id = ?2"));
    del.BindText(1, project);
    del.BindText(2, id);
    TRACKLY_RETURN_IF_ERROR(del.Run());
    return db.Exec("UPDATE model_prices_version SET version = version + 1");
  });
}

absl::StatusOr<int64_t> SqliteCatalog::ModelPricesVersion() {
  absl::MutexLock lock(&mu_);
  return db_->QueryInt("SELECT version FROM model_prices_version");
}

absl::Status SqliteCatalog::InsertUiCredential(const UiCredential& credential, int64_t now_ns) {
  if (credential.secret_hash.empty()) return absl::InvalidArgumentError("secret_hash: required");
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  return InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(bool project_exists, ProjectExists(db, credential.project));
    if (!project_exists) return absl::NotFoundError(absl::StrCat("project \"", credential.project, "\" not found"));
    {
      // Expired rows are useless; dropping them here keeps the table as small as the live ones.
      TRACKLY_ASSIGN_OR_RETURN(Statement expire, db.Prepare("DELETE FROM ui_credentials WHERE expires_ns <= ?1"));
      expire.BindInt(1, now_ns);
      TRACKLY_RETURN_IF_ERROR(expire.Run());
    }
    TRACKLY_ASSIGN_OR_RETURN(Statement insert,
                             db.Prepare("INSERT INTO ui_credentials(secret_hash, kind, project, expires_ns, csrf_token) "
                                        "VALUES(?1, ?2, ?3, ?4, ?5)"));
    insert.BindText(1, credential.secret_hash);
    insert.BindInt(2, static_cast<int64_t>(credential.kind));
    insert.BindText(3, credential.project);
    insert.BindInt(4, credential.expires_ns);
    insert.BindText(5, credential.csrf_token);
    return insert.Run();
  });
}

absl::StatusOr<UiCredential> SqliteCatalog::FindUiCredential(std::string_view secret_hash, UiCredentialKind kind,
                                                             int64_t now_ns, bool consume) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  UiCredential credential;
  auto find = [&]() -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(Statement stmt,
                             db.Prepare("SELECT project, expires_ns, csrf_token FROM ui_credentials "
                                        "WHERE secret_hash = ?1 AND kind = ?2 AND expires_ns > ?3"));
    stmt.BindText(1, secret_hash);
    stmt.BindInt(2, static_cast<int64_t>(kind));
    stmt.BindInt(3, now_ns);
    TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
    if (!found) return absl::NotFoundError("unknown or expired UI credential");
    credential = UiCredential{.secret_hash = std::string(secret_hash),
                              .kind = kind,
                              .project = std::string(stmt.Text(0)),
                              .expires_ns = stmt.Int(1),
                              .csrf_token = std::string(stmt.Text(2))};
    if (!consume) return absl::OkStatus();
    TRACKLY_ASSIGN_OR_RETURN(Statement del, db.Prepare("DELETE FROM ui_credentials WHERE secret_hash = ?1"));
    del.BindText(1, secret_hash);
    return del.Run();
  };
  TRACKLY_RETURN_IF_ERROR(consume ? InWriteTransaction(db, find) : find());
  return credential;
}

absl::Status SqliteCatalog::DeleteUiCredential(std::string_view secret_hash) {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(Statement del, db_->Prepare("DELETE FROM ui_credentials WHERE secret_hash = ?1"));
  del.BindText(1, secret_hash);
  return del.Run();
}

}  // namespace trackly::store
