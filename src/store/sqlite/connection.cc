#include "store/sqlite/connection.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "store/sqlite/page_cache.h"

namespace trackly::store::sqlite {

absl::Status SqliteError(int code, std::string_view what, sqlite3* db) {
  std::string message = absl::StrCat("sqlite: ", Sv(what), ": ",
                                     db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code));
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (owned_) {
    sqlite3_finalize(stmt_);
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::BindInt(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
void Statement::BindDouble(int index, double value) { sqlite3_bind_double(stmt_, index, value); }
void Statement::BindText(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
}
void Statement::BindBlob(int index, std::string_view value) {
  sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
}
void Statement::BindNull(int index) { sqlite3_bind_null(stmt_, index); }
void Statement::BindTextOrNull(int index, std::string_view value) {
  if (value.empty()) {
    BindNull(index);
  } else {
    BindText(index, value);
  }
}

absl::StatusOr<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(rc, sqlite3_sql(stmt_), db_);
}

absl::Status Statement::Run() {
  absl::StatusOr<bool> row = Step();
  sqlite3_reset(stmt_);
  if (!row.ok()) return row.status();
  return absl::OkStatus();
}

bool Statement::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::Double(int column) const { return sqlite3_column_double(stmt_, column); }
std::string_view Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
}
std::string_view Statement::Blob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  if (blob == nullptr) return {};
  return {static_cast<const char*>(blob), static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
}
int64_t Statement::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

int64_t Statement::Changes() const { return sqlite3_changes64(db_); }

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& path, bool read_only,
                                                             int busy_timeout_ms) {
  InstallPageCache();  // before SQLite's first use
  sqlite3* db = nullptr;
  // NOMUTEX: each connection is used by one thread at a time, so SQLite's own locking is waste.
  int flags = SQLITE_OPEN_NOMUTEX |
              (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(rc, absl::StrCat("open ", path), db);
    sqlite3_close(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

absl::Status Connection::Exec(std::string_view sql) {
  std::string text(sql);
  char* error = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return absl::OkStatus();
  absl::Status status = SqliteError(rc, text, db_);
  sqlite3_free(error);
  return status;
}

absl::StatusOr<int64_t> Connection::QueryInt(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, sql, db_);
  rc = sqlite3_step(stmt);
  int64_t value = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqliteError(rc, sql, db_);
  return value;
}

absl::StatusOr<Statement> Connection::Prepare(const std::string& sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) return Statement(it->second, db_, false);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, sql, db_);
  statements_.emplace(sql, stmt);
  return Statement(stmt, db_, false);
}

absl::StatusOr<Statement> Connection::PrepareOnce(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, sql, db_);
  return Statement(stmt, db_, true);
}

void Connection::SetWalHook(std::function<void(int64_t wal_pages)> hook) {
  wal_hook_ = std::move(hook);
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int pages) {
        static_cast<Connection*>(self)->wal_hook_(pages);
        return SQLITE_OK;
      },
      this);
}

}  // namespace trackly::store::sqlite
