#include "store/sqlite/sqlite_catalog.h"

#include <filesystem>
#include <functional>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "store/catalog_checks.h"
#include "store/list_paging.h"
#include "store/model_prices.h"
#include "store/retention.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/list_query.h"

namespace trackly::store {
namespace {

using sqlite::Connection;
using sqlite::Statement;

constexpr int kCatalogSchemaVersion = 10;

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

// Added in layout version 4: users, their roles per project, and the user a UI credential acts as
// ('' for a credential of one project).
constexpr char kCatalogSchemaV4[] = R"sql(
CREATE TABLE users(
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  created_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE memberships(
  user_name TEXT NOT NULL,
  project TEXT NOT NULL,
  role INTEGER NOT NULL,
  raw_io INTEGER NOT NULL,
  created_ns INTEGER NOT NULL,
  PRIMARY KEY(user_name, project)
) WITHOUT ROWID;
CREATE INDEX memberships_by_project ON memberships(project, user_name);
ALTER TABLE ui_credentials ADD COLUMN user_name TEXT NOT NULL DEFAULT '';
CREATE INDEX ui_credentials_by_user ON ui_credentials(user_name);
)sql";

// Added in layout version 5: the audit log, append-only (store/catalog.h AuditEvent). The id
// orders appends; the index serves a project's newest-first page and its keyset cursor.
constexpr char kCatalogSchemaV5[] = R"sql(
CREATE TABLE audit_events(
  id INTEGER PRIMARY KEY,
  time_ns INTEGER NOT NULL,
  project TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  details_json TEXT NOT NULL
);
CREATE INDEX audit_events_by_project ON audit_events(project, time_ns, id);
CREATE INDEX audit_events_by_time ON audit_events(time_ns, id);
)sql";

// Added in layout version 6: project redaction rules (store/catalog.h RedactionRulesRecord), a row
// only for a project that has rules, and a counter bumped in the same transaction as every change,
// which a server polls to know when to reload them.
constexpr char kCatalogSchemaV6[] = R"sql(
CREATE TABLE redaction_rules(
  project TEXT PRIMARY KEY,
  rules_json TEXT NOT NULL,
  updated_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE redaction_rules_version(
  singleton INTEGER PRIMARY KEY CHECK(singleton = 0),
  version INTEGER NOT NULL
);
INSERT INTO redaction_rules_version(singleton, version) VALUES(0, 0);
)sql";

// Added in layout version 7: project retention (store/catalog.h RetentionRecord), a row only for
// a project that has its own (the others follow the server's defaults). IF NOT EXISTS so an
// upgrade over a file that already has the table (a downgraded user_version) still succeeds.
constexpr char kCatalogSchemaV7[] = R"sql(
CREATE TABLE IF NOT EXISTS retention(
  project TEXT PRIMARY KEY,
  payload_days INTEGER NOT NULL,
  summary_days INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Added in layout version 8: project process rules (store/catalog.h ProcessRulesRecord), a row
// only for a project that has rules. IF NOT EXISTS for the same reason as version 7.
constexpr char kCatalogSchemaV8[] = R"sql(
CREATE TABLE IF NOT EXISTS process_rules(
  project TEXT PRIMARY KEY,
  rules_json TEXT NOT NULL,
  updated_ns INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Added in layout version 9: project alert rules (store/catalog.h AlertRulesRecord), a row only
// for a project that has rules; each project's webhook signing secret, kept when its rules are
// removed so a receiver's configuration stays valid; and the alert events (store/catalog.h
// AlertEvent), the newest kMaxAlertEventsPerProject of each project. IF NOT EXISTS for the same
// reason as version 7.
constexpr char kCatalogSchemaV9[] = R"sql(
CREATE TABLE IF NOT EXISTS alert_rules(
  project TEXT PRIMARY KEY,
  rules_json TEXT NOT NULL,
  updated_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_webhook_secrets(
  project TEXT PRIMARY KEY,
  secret TEXT NOT NULL,
  created_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_events(
  id INTEGER PRIMARY KEY,
  project TEXT NOT NULL,
  alert TEXT NOT NULL,
  time_ns INTEGER NOT NULL,
  state TEXT NOT NULL,
  value REAL NOT NULL,
  threshold REAL NOT NULL,
  rule_fingerprint TEXT NOT NULL,
  delivery TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  http_status INTEGER NOT NULL,
  error TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_events_by_project ON alert_events(project, id);
CREATE INDEX IF NOT EXISTS alert_events_by_alert ON alert_events(project, alert, id);
)sql";

// Added in layout version 10: project tail sampling policies (store/catalog.h
// SamplingPolicyRecord), a row only for a project that put one, and the counts of its decisions
// per UTC day: one row per (project, day, kept, reason) summing traces, kept = 0 (reason '') for
// the dropped ones. IF NOT EXISTS for the same reason as version 7.
constexpr char kCatalogSchemaV10[] = R"sql(
CREATE TABLE IF NOT EXISTS sampling_policies(
  project TEXT PRIMARY KEY,
  policy_json TEXT NOT NULL,
  updated_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sampling_counts(
  project TEXT NOT NULL,
  day INTEGER NOT NULL,
  kept INTEGER NOT NULL,
  reason TEXT NOT NULL,
  traces INTEGER NOT NULL,
  PRIMARY KEY(project, day, kept, reason)
) WITHOUT ROWID;
)sql";

constexpr char kKeyColumns[] = "id, project, scopes, secret_hash, created_ns, revoked_ns, name";

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

// A project's rules document (the tables redaction_rules, process_rules and alert_rules: project, rules_json,
// updated_ns), read into a record with those three fields. The table names are constants of this
// file, never input.
template <typename Record>
absl::StatusOr<Record> GetRulesDocument(Connection& db, std::string_view table, std::string_view project) {
  TRACKLY_ASSIGN_OR_RETURN(bool exists, ProjectExists(db, project));
  if (!exists) return ProjectNotFound(project);
  Record record{.project = std::string(project)};
  TRACKLY_ASSIGN_OR_RETURN(
      Statement stmt, db.Prepare(absl::StrCat("SELECT rules_json, updated_ns FROM ", Sv(table), " WHERE project = ?1")));
  stmt.BindText(1, project);
  TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (found) {
    record.rules_json = std::string(stmt.Text(0));
    record.updated_ns = stmt.Int(1);
  }
  return record;
}

template <typename Record>
absl::StatusOr<std::vector<Record>> ListRulesDocuments(Connection& db, std::string_view table) {
  TRACKLY_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare(absl::StrCat("SELECT project, rules_json, updated_ns FROM ", Sv(table), " ORDER BY project")));
  std::vector<Record> records;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    records.push_back(
        Record{.project = std::string(stmt.Text(0)), .rules_json = std::string(stmt.Text(1)), .updated_ns = stmt.Int(2)});
  }
  return records;
}

// Inside the caller's write transaction: replaces the document of `project` (NotFound for an
// unknown project); `empty` removes it instead.
absl::Status ReplaceRulesDocument(Connection& db, std::string_view table, std::string_view project,
                                  std::string_view rules_json, bool empty, int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(bool exists, ProjectExists(db, project));
  if (!exists) return ProjectNotFound(project);
  TRACKLY_ASSIGN_OR_RETURN(Statement del, db.Prepare(absl::StrCat("DELETE FROM ", Sv(table), " WHERE project = ?1")));
  del.BindText(1, project);
  TRACKLY_RETURN_IF_ERROR(del.Run());
  if (empty) return absl::OkStatus();
  TRACKLY_ASSIGN_OR_RETURN(
      Statement insert,
      db.Prepare(absl::StrCat("INSERT INTO ", Sv(table), "(project, rules_json, updated_ns) VALUES(?1, ?2, ?3)")));
  insert.BindText(1, project);
  insert.BindText(2, rules_json);
  insert.BindInt(3, now_ns);
  return insert.Run();
}

absl::Status CheckUserExists(Connection& db, std::string_view name) {
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("SELECT 1 FROM users WHERE name = ?1"));
  stmt.BindText(1, name);
  TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return UserNotFound(name);
  return absl::OkStatus();
}

absl::Status InsertProject(Connection& db, std::string_view name, int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(bool exists, ProjectExists(db, name));
  if (exists) return absl::AlreadyExistsError(absl::StrCat("project \"", Sv(name), "\" already exists"));
  TRACKLY_ASSIGN_OR_RETURN(Statement insert, db.Prepare("INSERT INTO projects(name, created_ns) VALUES(?1, ?2)"));
  insert.BindText(1, name);
  insert.BindInt(2, now_ns);
  return insert.Run();
}

absl::Status UpsertMembership(Connection& db, const Membership& membership) {
  TRACKLY_ASSIGN_OR_RETURN(
      Statement insert,
      db.Prepare("INSERT INTO memberships(user_name, project, role, raw_io, created_ns) VALUES(?1, ?2, ?3, ?4, ?5) "
                 "ON CONFLICT(user_name, project) DO UPDATE SET role = excluded.role, raw_io = excluded.raw_io"));
  insert.BindText(1, membership.user);
  insert.BindText(2, membership.project);
  insert.BindInt(3, static_cast<int64_t>(membership.role));
  insert.BindInt(4, membership.raw_io ? 1 : 0);
  insert.BindInt(5, membership.created_ns);
  return insert.Run();
}

absl::StatusOr<std::optional<RetentionRecord>> ReadRetention(Connection& db, std::string_view project) {
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt,
                           db.Prepare("SELECT payload_days, summary_days FROM retention WHERE project = ?1"));
  stmt.BindText(1, project);
  TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return std::optional<RetentionRecord>();
  return RetentionRecord{.project = std::string(project),
                         .payload_days = static_cast<int32_t>(stmt.Int(0)),
                         .summary_days = static_cast<int32_t>(stmt.Int(1))};
}

// The project's webhook signing secret, "" when it has none.
absl::StatusOr<std::string> ReadWebhookSecret(Connection& db, std::string_view project) {
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("SELECT secret FROM alert_webhook_secrets WHERE project = ?1"));
  stmt.BindText(1, project);
  TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
  return found ? std::string(stmt.Text(0)) : std::string();
}

// The stored text of an alert event's state and delivery state, back (DataLoss for anything else:
// only this file writes them).
absl::StatusOr<AlertState> ParseAlertState(std::string_view text) {
  for (AlertState state : {AlertState::kFiring, AlertState::kResolved}) {
    if (ToString(state) == text) return state;
  }
  return absl::DataLossError(absl::StrCat("alert event state \"", Sv(text), "\" is unknown"));
}

absl::StatusOr<AlertDelivery::State> ParseDeliveryState(std::string_view text) {
  using State = AlertDelivery::State;
  for (State state : {State::kPending, State::kDelivered, State::kFailed}) {
    if (ToString(state) == text) return state;
  }
  return absl::DataLossError(absl::StrCat("alert delivery state \"", Sv(text), "\" is unknown"));
}

absl::Status DeleteCredentialsOfUser(Connection& db, std::string_view name) {
  TRACKLY_ASSIGN_OR_RETURN(Statement del, db.Prepare("DELETE FROM ui_credentials WHERE user_name = ?1"));
  del.BindText(1, name);
  return del.Run();
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
      if (current < 4) TRACKLY_RETURN_IF_ERROR(db->Exec(kCatalogSchemaV4));
      if (current < 5) TRACKLY_RETURN_IF_ERROR(db->Exec(kCatalogSchemaV5));
      if (current < 6) TRACKLY_RETURN_IF_ERROR(db->Exec(kCatalogSchemaV6));
      if (current < 7) TRACKLY_RETURN_IF_ERROR(db->Exec(kCatalogSchemaV7));
      if (current < 8) TRACKLY_RETURN_IF_ERROR(db->Exec(kCatalogSchemaV8));
      if (current < 9) TRACKLY_RETURN_IF_ERROR(db->Exec(kCatalogSchemaV9));
      if (current < 10) TRACKLY_RETURN_IF_ERROR(db->Exec(kCatalogSchemaV10));
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
  TRACKLY_RETURN_IF_ERROR(InWriteTransaction(db, [&] { return InsertProject(db, name, now_ns); }));
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
    if (!project_exists) return ProjectNotFound(key.project);
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
  TRACKLY_ASSIGN_OR_RETURN(ModelPriceRecord record, NormalizedModelPrice(project, entry_json, now_ns));
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  TRACKLY_RETURN_IF_ERROR(InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(bool exists, ProjectExists(db, project));
    if (!exists) return ProjectNotFound(project);
    // Checked inside the write transaction with the project's other prices as they are now, so
    // two concurrent puts cannot each pass and together overlap.
    std::vector<ModelPriceRecord> stored;
    {
      TRACKLY_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("SELECT id, entry_json FROM model_prices WHERE project = ?1"));
      stmt.BindText(1, project);
      while (true) {
        TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) break;
        stored.push_back(ModelPriceRecord{
            .id = std::string(stmt.Text(0)), .project = record.project, .entry_json = std::string(stmt.Text(1))});
      }
    }
    TRACKLY_RETURN_IF_ERROR(CheckPriceAmong(record, stored));
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

absl::StatusOr<RedactionRulesRecord> SqliteCatalog::GetRedactionRules(std::string_view project) {
  absl::MutexLock lock(&mu_);
  return GetRulesDocument<RedactionRulesRecord>(*db_, "redaction_rules", project);
}

absl::StatusOr<std::vector<RedactionRulesRecord>> SqliteCatalog::ListRedactionRules() {
  absl::MutexLock lock(&mu_);
  return ListRulesDocuments<RedactionRulesRecord>(*db_, "redaction_rules");
}

absl::StatusOr<RedactionRulesRecord> SqliteCatalog::PutRedactionRules(std::string_view project,
                                                                      std::string_view rules_json, int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(NormalizedRules rules, NormalizedRedactionRules(rules_json));
  RedactionRulesRecord record{.project = std::string(project), .rules_json = rules.rules_json, .updated_ns = now_ns};
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  TRACKLY_RETURN_IF_ERROR(InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_RETURN_IF_ERROR(ReplaceRulesDocument(db, "redaction_rules", project, record.rules_json, rules.empty, now_ns));
    return db.Exec("UPDATE redaction_rules_version SET version = version + 1");
  }));
  return record;
}

absl::StatusOr<int64_t> SqliteCatalog::RedactionRulesVersion() {
  absl::MutexLock lock(&mu_);
  return db_->QueryInt("SELECT version FROM redaction_rules_version");
}

absl::StatusOr<ProcessRulesRecord> SqliteCatalog::GetProcessRules(std::string_view project) {
  absl::MutexLock lock(&mu_);
  return GetRulesDocument<ProcessRulesRecord>(*db_, "process_rules", project);
}

absl::StatusOr<std::vector<ProcessRulesRecord>> SqliteCatalog::ListProcessRules() {
  absl::MutexLock lock(&mu_);
  return ListRulesDocuments<ProcessRulesRecord>(*db_, "process_rules");
}

absl::StatusOr<ProcessRulesRecord> SqliteCatalog::PutProcessRules(std::string_view project,
                                                                  std::string_view rules_json, int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(NormalizedRules rules, NormalizedProcessRules(rules_json));
  ProcessRulesRecord record{.project = std::string(project), .rules_json = rules.rules_json, .updated_ns = now_ns};
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  TRACKLY_RETURN_IF_ERROR(InWriteTransaction(db, [&]() -> absl::Status {
    return ReplaceRulesDocument(db, "process_rules", project, record.rules_json, rules.empty, now_ns);
  }));
  return record;
}

absl::StatusOr<SamplingPolicyRecord> SqliteCatalog::GetSamplingPolicy(std::string_view project) {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(bool exists, ProjectExists(*db_, project));
  if (!exists) return ProjectNotFound(project);
  SamplingPolicyRecord record{.project = std::string(project)};
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare("SELECT policy_json, updated_ns FROM sampling_policies WHERE project = ?1"));
  stmt.BindText(1, project);
  TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (found) {
    record.policy_json = std::string(stmt.Text(0));
    record.updated_ns = stmt.Int(1);
  }
  return record;
}

absl::StatusOr<std::vector<SamplingPolicyRecord>> SqliteCatalog::ListSamplingPolicies() {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(
      Statement stmt, db_->Prepare("SELECT project, policy_json, updated_ns FROM sampling_policies ORDER BY project"));
  std::vector<SamplingPolicyRecord> records;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    records.push_back(SamplingPolicyRecord{
        .project = std::string(stmt.Text(0)), .policy_json = std::string(stmt.Text(1)), .updated_ns = stmt.Int(2)});
  }
  return records;
}

absl::StatusOr<SamplingPolicyRecord> SqliteCatalog::PutSamplingPolicy(std::string_view project,
                                                                      std::string_view policy_json, int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(std::string normalized, NormalizedSamplingPolicy(policy_json));
  SamplingPolicyRecord record{.project = std::string(project), .policy_json = std::move(normalized), .updated_ns = now_ns};
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  TRACKLY_RETURN_IF_ERROR(InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(bool exists, ProjectExists(db, project));
    if (!exists) return ProjectNotFound(project);
    TRACKLY_ASSIGN_OR_RETURN(Statement upsert,
                             db.Prepare("INSERT INTO sampling_policies(project, policy_json, updated_ns) "
                                        "VALUES(?1, ?2, ?3) ON CONFLICT(project) DO UPDATE SET "
                                        "policy_json = excluded.policy_json, updated_ns = excluded.updated_ns"));
    upsert.BindText(1, project);
    upsert.BindText(2, record.policy_json);
    upsert.BindInt(3, now_ns);
    return upsert.Run();
  }));
  return record;
}

absl::Status SqliteCatalog::AddSamplingCounts(std::string_view project, int64_t day, const SamplingTally& tally) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<SamplingCountRow> rows, SamplingCountRowsOf(tally));
  if (rows.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  return InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(bool exists, ProjectExists(db, project));
    if (!exists) return ProjectNotFound(project);
    TRACKLY_ASSIGN_OR_RETURN(Statement upsert,
                             db.Prepare("INSERT INTO sampling_counts(project, day, kept, reason, traces) "
                                        "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(project, day, kept, reason) "
                                        "DO UPDATE SET traces = traces + excluded.traces"));
    for (const SamplingCountRow& row : rows) {
      upsert.BindText(1, project);
      upsert.BindInt(2, day);
      upsert.BindInt(3, row.kept ? 1 : 0);
      upsert.BindText(4, row.reason);
      upsert.BindInt(5, row.traces);
      TRACKLY_RETURN_IF_ERROR(upsert.Run());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<SamplingDayCounts>> SqliteCatalog::ListSamplingCounts(std::string_view project,
                                                                                 int64_t from_day, int64_t to_day) {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(bool exists, ProjectExists(*db_, project));
  if (!exists) return ProjectNotFound(project);
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare("SELECT day, kept, reason, traces FROM sampling_counts WHERE project = ?1 "
                                        "AND day >= ?2 AND day <= ?3 ORDER BY day"));
  stmt.BindText(1, project);
  stmt.BindInt(2, from_day);
  stmt.BindInt(3, to_day);
  std::vector<SamplingDayCounts> days;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    AddSamplingCountRow(
        stmt.Int(0), SamplingCountRow{.kept = stmt.Int(1) != 0, .reason = std::string(stmt.Text(2)), .traces = stmt.Int(3)},
        days);
  }
  return days;
}

absl::StatusOr<AlertRulesRecord> SqliteCatalog::GetAlertRules(std::string_view project) {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(AlertRulesRecord record, GetRulesDocument<AlertRulesRecord>(*db_, "alert_rules", project));
  TRACKLY_ASSIGN_OR_RETURN(record.webhook_secret, ReadWebhookSecret(*db_, project));
  return record;
}

absl::StatusOr<std::vector<AlertRulesRecord>> SqliteCatalog::ListAlertRules() {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(std::vector<AlertRulesRecord> records, ListRulesDocuments<AlertRulesRecord>(*db_, "alert_rules"));
  for (AlertRulesRecord& record : records) {
    TRACKLY_ASSIGN_OR_RETURN(record.webhook_secret, ReadWebhookSecret(*db_, record.project));
  }
  return records;
}

absl::StatusOr<AlertRulesRecord> SqliteCatalog::PutAlertRules(std::string_view project, std::string_view rules_json,
                                                              std::string_view new_secret, int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(NormalizedRules rules, NormalizedAlertRules(rules_json));
  AlertRulesRecord record{.project = std::string(project), .rules_json = rules.rules_json, .updated_ns = now_ns};
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  TRACKLY_RETURN_IF_ERROR(InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_RETURN_IF_ERROR(ReplaceRulesDocument(db, "alert_rules", project, record.rules_json, rules.empty, now_ns));
    TRACKLY_ASSIGN_OR_RETURN(record.webhook_secret, ReadWebhookSecret(db, project));
    if (!record.webhook_secret.empty() || new_secret.empty()) return absl::OkStatus();
    TRACKLY_ASSIGN_OR_RETURN(
        Statement insert,
        db.Prepare("INSERT INTO alert_webhook_secrets(project, secret, created_ns) VALUES(?1, ?2, ?3)"));
    insert.BindText(1, project);
    insert.BindText(2, new_secret);
    insert.BindInt(3, now_ns);
    record.webhook_secret = std::string(new_secret);
    return insert.Run();
  }));
  return record;
}

absl::StatusOr<int64_t> SqliteCatalog::AppendAlertEvent(const AlertEvent& event) {
  TRACKLY_RETURN_IF_ERROR(CheckAlertEvent(event));
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  int64_t id = 0;
  TRACKLY_RETURN_IF_ERROR(InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(bool exists, ProjectExists(db, event.project));
    if (!exists) return ProjectNotFound(event.project);
    TRACKLY_ASSIGN_OR_RETURN(
        Statement insert,
        db.Prepare("INSERT INTO alert_events(project, alert, time_ns, state, value, threshold, rule_fingerprint, "
                   "delivery, attempts, http_status, error) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
    insert.BindText(1, event.project);
    insert.BindText(2, event.alert);
    insert.BindInt(3, event.time_ns);
    insert.BindText(4, ToString(event.state));
    insert.BindDouble(5, event.value);
    insert.BindDouble(6, event.threshold);
    insert.BindText(7, event.rule_fingerprint);
    insert.BindText(8, ToString(event.delivery.state));
    insert.BindInt(9, event.delivery.attempts);
    insert.BindInt(10, event.delivery.http_status);
    insert.BindText(11, event.delivery.error);
    TRACKLY_RETURN_IF_ERROR(insert.Run());
    TRACKLY_ASSIGN_OR_RETURN(id, db.QueryInt("SELECT last_insert_rowid()"));
    // Keeps the newest events of the project: the ones at or below the id kMax places down go.
    TRACKLY_ASSIGN_OR_RETURN(
        Statement prune,
        db.Prepare(absl::StrCat("DELETE FROM alert_events WHERE project = ?1 AND id <= (SELECT id FROM alert_events "
                                "WHERE project = ?1 ORDER BY id DESC LIMIT 1 OFFSET ",
                                kMaxAlertEventsPerProject, ")")));
    prune.BindText(1, event.project);
    return prune.Run();
  }));
  return id;
}

absl::Status SqliteCatalog::UpdateAlertDelivery(std::string_view project, int64_t id, const AlertDelivery& delivery) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  return InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(Statement update,
                             db.Prepare("UPDATE alert_events SET delivery = ?3, attempts = ?4, http_status = ?5, "
                                        "error = ?6 WHERE project = ?1 AND id = ?2"));
    update.BindText(1, project);
    update.BindInt(2, id);
    update.BindText(3, ToString(delivery.state));
    update.BindInt(4, delivery.attempts);
    update.BindInt(5, delivery.http_status);
    update.BindText(6, delivery.error);
    TRACKLY_RETURN_IF_ERROR(update.Run());
    TRACKLY_ASSIGN_OR_RETURN(int64_t changed, db.QueryInt("SELECT changes()"));
    if (changed == 0) {
      return absl::NotFoundError(absl::StrCat("project \"", Sv(project), "\" has no alert event ", id));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<AlertEvent>> SqliteCatalog::ListAlertEvents(const AlertEventQuery& query) {
  if (query.project.empty()) return absl::InvalidArgumentError("alert event query without project");
  TRACKLY_RETURN_IF_ERROR(CheckListLimit(query.limit));
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("SELECT id, project, alert, time_ns, state, value, threshold, rule_fingerprint, delivery, attempts, "
                   "http_status, error FROM alert_events WHERE project = ?1 AND (?2 = '' OR alert = ?2) "
                   "ORDER BY id DESC LIMIT ?3"));
  stmt.BindText(1, query.project);
  stmt.BindText(2, query.alert);
  stmt.BindInt(3, query.limit);
  std::vector<AlertEvent> events;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    TRACKLY_ASSIGN_OR_RETURN(AlertState state, ParseAlertState(stmt.Text(4)));
    TRACKLY_ASSIGN_OR_RETURN(AlertDelivery::State delivery, ParseDeliveryState(stmt.Text(8)));
    events.push_back(AlertEvent{.id = stmt.Int(0),
                                .project = std::string(stmt.Text(1)),
                                .alert = std::string(stmt.Text(2)),
                                .time_ns = stmt.Int(3),
                                .state = state,
                                .value = stmt.Double(5),
                                .threshold = stmt.Double(6),
                                .rule_fingerprint = std::string(stmt.Text(7)),
                                .delivery = AlertDelivery{.state = delivery,
                                                          .attempts = static_cast<int>(stmt.Int(9)),
                                                          .http_status = static_cast<int>(stmt.Int(10)),
                                                          .error = std::string(stmt.Text(11))}});
  }
  return events;
}

absl::StatusOr<std::optional<RetentionRecord>> SqliteCatalog::GetRetention(std::string_view project) {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(bool exists, ProjectExists(*db_, project));
  if (!exists) return ProjectNotFound(project);
  return ReadRetention(*db_, project);
}

absl::StatusOr<std::vector<RetentionRecord>> SqliteCatalog::ListRetention() {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(
      Statement stmt, db_->Prepare("SELECT project, payload_days, summary_days FROM retention ORDER BY project"));
  std::vector<RetentionRecord> records;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    records.push_back(RetentionRecord{.project = std::string(stmt.Text(0)),
                                      .payload_days = static_cast<int32_t>(stmt.Int(1)),
                                      .summary_days = static_cast<int32_t>(stmt.Int(2))});
  }
  return records;
}

absl::StatusOr<RetentionRecord> SqliteCatalog::PutRetention(const RetentionRecord& record) {
  TRACKLY_RETURN_IF_ERROR(ValidateRetention(record));
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  TRACKLY_RETURN_IF_ERROR(InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(bool exists, ProjectExists(db, record.project));
    if (!exists) return ProjectNotFound(record.project);
    TRACKLY_ASSIGN_OR_RETURN(
        Statement insert,
        db.Prepare("INSERT OR REPLACE INTO retention(project, payload_days, summary_days) VALUES(?1, ?2, ?3)"));
    insert.BindText(1, record.project);
    insert.BindInt(2, record.payload_days);
    insert.BindInt(3, record.summary_days);
    return insert.Run();
  }));
  return record;
}

absl::StatusOr<std::optional<RetentionRecord>> SqliteCatalog::RemoveRetention(std::string_view project) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  std::optional<RetentionRecord> removed;
  TRACKLY_RETURN_IF_ERROR(InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(bool exists, ProjectExists(db, project));
    if (!exists) return ProjectNotFound(project);
    // Read in the same transaction, so what is returned is what this call removed.
    TRACKLY_ASSIGN_OR_RETURN(removed, ReadRetention(db, project));
    TRACKLY_ASSIGN_OR_RETURN(Statement del, db.Prepare("DELETE FROM retention WHERE project = ?1"));
    del.BindText(1, project);
    return del.Run();
  }));
  return removed;
}

absl::Status SqliteCatalog::InsertUiCredential(const UiCredential& credential, int64_t now_ns) {
  if (credential.secret_hash.empty()) return absl::InvalidArgumentError("secret_hash: required");
  if (credential.project.empty() && credential.user.empty()) {
    return absl::InvalidArgumentError("a UI credential needs a project or a user");
  }
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  return InWriteTransaction(db, [&]() -> absl::Status {
    if (!credential.project.empty()) {
      TRACKLY_ASSIGN_OR_RETURN(bool project_exists, ProjectExists(db, credential.project));
      if (!project_exists) return ProjectNotFound(credential.project);
    }
    if (!credential.user.empty()) TRACKLY_RETURN_IF_ERROR(CheckUserExists(db, credential.user));
    {
      // Expired rows are useless; dropping them here keeps the table as small as the live ones.
      TRACKLY_ASSIGN_OR_RETURN(Statement expire, db.Prepare("DELETE FROM ui_credentials WHERE expires_ns <= ?1"));
      expire.BindInt(1, now_ns);
      TRACKLY_RETURN_IF_ERROR(expire.Run());
    }
    TRACKLY_ASSIGN_OR_RETURN(Statement insert,
                             db.Prepare("INSERT INTO ui_credentials(secret_hash, kind, project, expires_ns, "
                                        "csrf_token, user_name) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
    insert.BindText(1, credential.secret_hash);
    insert.BindInt(2, static_cast<int64_t>(credential.kind));
    insert.BindText(3, credential.project);
    insert.BindInt(4, credential.expires_ns);
    insert.BindText(5, credential.csrf_token);
    insert.BindText(6, credential.user);
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
                             db.Prepare("SELECT project, expires_ns, csrf_token, user_name FROM ui_credentials "
                                        "WHERE secret_hash = ?1 AND kind = ?2 AND expires_ns > ?3"));
    stmt.BindText(1, secret_hash);
    stmt.BindInt(2, static_cast<int64_t>(kind));
    stmt.BindInt(3, now_ns);
    TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
    if (!found) return absl::NotFoundError("unknown or expired UI credential");
    credential = UiCredential{.secret_hash = std::string(secret_hash),
                              .kind = kind,
                              .user = std::string(stmt.Text(3)),
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

absl::Status SqliteCatalog::CreateUser(const UserRecord& user) {
  TRACKLY_RETURN_IF_ERROR(CheckUserName(user.name));
  if (user.password_hash.empty()) return absl::InvalidArgumentError("password_hash: required");
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  return InWriteTransaction(db, [&]() -> absl::Status {
    if (CheckUserExists(db, user.name).ok()) {
      return absl::AlreadyExistsError(absl::StrCat("user \"", user.name, "\" already exists"));
    }
    TRACKLY_ASSIGN_OR_RETURN(Statement insert,
                             db.Prepare("INSERT INTO users(name, password_hash, created_ns) VALUES(?1, ?2, ?3)"));
    insert.BindText(1, user.name);
    insert.BindText(2, user.password_hash);
    insert.BindInt(3, user.created_ns);
    return insert.Run();
  });
}

absl::StatusOr<UserRecord> SqliteCatalog::GetUser(std::string_view name) {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare("SELECT name, password_hash, created_ns FROM users WHERE name = ?1"));
  stmt.BindText(1, name);
  TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return UserNotFound(name);
  return UserRecord{.name = std::string(stmt.Text(0)),
                    .password_hash = std::string(stmt.Text(1)),
                    .created_ns = stmt.Int(2)};
}

absl::StatusOr<std::vector<UserRecord>> SqliteCatalog::ListUsers() {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare("SELECT name, password_hash, created_ns FROM users ORDER BY name"));
  std::vector<UserRecord> users;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    users.push_back(UserRecord{.name = std::string(stmt.Text(0)),
                               .password_hash = std::string(stmt.Text(1)),
                               .created_ns = stmt.Int(2)});
  }
  return users;
}

absl::Status SqliteCatalog::SetUserPassword(std::string_view name, std::string_view password_hash) {
  if (password_hash.empty()) return absl::InvalidArgumentError("password_hash: required");
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  return InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_RETURN_IF_ERROR(CheckUserExists(db, name));
    TRACKLY_ASSIGN_OR_RETURN(Statement update, db.Prepare("UPDATE users SET password_hash = ?2 WHERE name = ?1"));
    update.BindText(1, name);
    update.BindText(2, password_hash);
    TRACKLY_RETURN_IF_ERROR(update.Run());
    return DeleteCredentialsOfUser(db, name);
  });
}

absl::Status SqliteCatalog::DeleteUser(std::string_view name) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  return InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_RETURN_IF_ERROR(CheckUserExists(db, name));
    for (const char* sql : {"DELETE FROM memberships WHERE user_name = ?1", "DELETE FROM users WHERE name = ?1"}) {
      TRACKLY_ASSIGN_OR_RETURN(Statement del, db.Prepare(sql));
      del.BindText(1, name);
      TRACKLY_RETURN_IF_ERROR(del.Run());
    }
    return DeleteCredentialsOfUser(db, name);
  });
}

absl::StatusOr<Project> SqliteCatalog::CreateProjectOwnedBy(std::string_view name, std::string_view owner,
                                                           int64_t now_ns) {
  TRACKLY_RETURN_IF_ERROR(CheckProjectName(name));
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  TRACKLY_RETURN_IF_ERROR(InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_RETURN_IF_ERROR(CheckUserExists(db, owner));
    TRACKLY_RETURN_IF_ERROR(InsertProject(db, name, now_ns));
    return UpsertMembership(db, Membership{.user = std::string(owner),
                                           .project = std::string(name),
                                           .role = Role::kOwner,
                                           .created_ns = now_ns});
  }));
  return Project{.name = std::string(name), .created_ns = now_ns};
}

absl::Status SqliteCatalog::PutMembership(const Membership& membership) {
  if (membership.role < Role::kViewer || membership.role > Role::kOwner) {
    return absl::InvalidArgumentError("role: unknown");
  }
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  return InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_RETURN_IF_ERROR(CheckUserExists(db, membership.user));
    TRACKLY_ASSIGN_OR_RETURN(bool project_exists, ProjectExists(db, membership.project));
    if (!project_exists) return ProjectNotFound(membership.project);
    return UpsertMembership(db, membership);
  });
}

absl::Status SqliteCatalog::RemoveMembership(std::string_view user, std::string_view project) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  return InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(Statement del,
                             db.Prepare("DELETE FROM memberships WHERE user_name = ?1 AND project = ?2"));
    del.BindText(1, user);
    del.BindText(2, project);
    TRACKLY_RETURN_IF_ERROR(del.Run());
    TRACKLY_ASSIGN_OR_RETURN(int64_t deleted, db.QueryInt("SELECT changes()"));
    if (deleted == 0) {
      return absl::NotFoundError(absl::StrCat("user \"", Sv(user), "\" has no role in project \"", Sv(project), "\""));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<Membership>> SqliteCatalog::ListMemberships(std::string_view user,
                                                                      std::string_view project) {
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare("SELECT user_name, project, role, raw_io, created_ns FROM memberships "
                                        "WHERE (?1 = '' OR user_name = ?1) AND (?2 = '' OR project = ?2) "
                                        "ORDER BY project, user_name"));
  stmt.BindText(1, user);
  stmt.BindText(2, project);
  std::vector<Membership> memberships;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    memberships.push_back(Membership{.user = std::string(stmt.Text(0)),
                                     .project = std::string(stmt.Text(1)),
                                     .role = static_cast<Role>(stmt.Int(2)),
                                     .raw_io = stmt.Int(3) != 0,
                                     .created_ns = stmt.Int(4)});
  }
  return memberships;
}

absl::Status SqliteCatalog::AppendAudit(const std::vector<AuditEvent>& events) {
  for (const AuditEvent& event : events) TRACKLY_RETURN_IF_ERROR(CheckAuditEvent(event));
  if (events.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  return InWriteTransaction(db, [&]() -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(Statement insert,
                             db.Prepare("INSERT INTO audit_events(time_ns, project, actor, action, target, "
                                        "details_json) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
    for (const AuditEvent& event : events) {
      insert.BindInt(1, event.time_ns);
      insert.BindText(2, event.project);
      insert.BindText(3, event.actor);
      insert.BindText(4, event.action);
      insert.BindText(5, event.target);
      insert.BindText(6, event.details_json);
      TRACKLY_RETURN_IF_ERROR(insert.Run());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<AuditPage> SqliteCatalog::ListAudit(const AuditQuery& query) {
  TRACKLY_RETURN_IF_ERROR(CheckListLimit(query.limit));
  sqlite::Filter filter;
  if (query.project) filter.Add("project = ?", *query.project);
  if (!query.action.empty()) filter.Add("action = ?", query.action);
  if (!query.actor.empty()) filter.Add("actor = ?", query.actor);
  if (!query.target.empty()) filter.Add("target = ?", query.target);
  if (query.from_ns != 0) filter.Add("time_ns >= ?", query.from_ns);
  if (query.to_ns != 0) filter.Add("time_ns < ?", query.to_ns);
  if (!query.cursor.empty()) {
    int64_t after_ns = 0;
    int64_t after_row = 0;
    TRACKLY_RETURN_IF_ERROR(DecodeAuditCursor(query.cursor, &after_ns, &after_row));
    filter.Add("(time_ns, id) < (?, ?)", after_ns, after_row);
  }
  std::string sql = absl::StrCat(
      "SELECT id, time_ns, project, actor, action, target, details_json FROM audit_events WHERE ", filter.Where(),
      " ORDER BY time_ns DESC, id DESC LIMIT ", query.limit + 1);
  absl::MutexLock lock(&mu_);
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt, db_->PrepareOnce(sql));
  filter.Bind(stmt);
  AuditPage page;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    if (static_cast<int>(page.events.size()) == query.limit) {
      page.next_cursor = AuditCursorAfter(page.events.back());
      break;
    }
    page.events.push_back(AuditEvent{.id = stmt.Int(0),
                                     .time_ns = stmt.Int(1),
                                     .project = std::string(stmt.Text(2)),
                                     .actor = std::string(stmt.Text(3)),
                                     .action = std::string(stmt.Text(4)),
                                     .target = std::string(stmt.Text(5)),
                                     .details_json = std::string(stmt.Text(6))});
  }
  return page;
}

}  // namespace trackly::store
