// A thin RAII layer over the SQLite C API for the sqlite/ backend only: open a database file, run
// statements, turn SQLite result codes into absl::Status. Nothing outside src/store/sqlite/ sees it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace trackly::store::sqlite {

// Turns a SQLite result code into a status: busy/locked, full disk and I/O errors become
// Unavailable (retry later), everything else Internal. `what` says which operation failed.
absl::Status SqliteError(int code, std::string_view what, sqlite3* db);

// Not thread-safe (one thread at a time). A prepared statement: either borrowed from a
// Connection's cache (reset and its bindings cleared when the Statement goes out of scope, so the
// cache can hand it out again) or owned (finalized then). Bind indices start at 1, column indices at 0 (SQLite's convention). Text and blobs
// are bound without copying: they must outlive the next Step().
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, sqlite3* db, bool owned) : stmt_(stmt), db_(db), owned_(owned) {}
  Statement(Statement&& other) noexcept : stmt_(other.stmt_), db_(other.db_), owned_(other.owned_) {
    other.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  void BindInt(int index, int64_t value);
  void BindDouble(int index, double value);
  void BindText(int index, std::string_view value);
  void BindBlob(int index, std::string_view value);
  void BindNull(int index);
  // Binds NULL for an empty string, so optional columns stay NULL rather than ''.
  void BindTextOrNull(int index, std::string_view value);

  // true: a row is ready to read; false: done.
  absl::StatusOr<bool> Step();
  // Steps a statement that returns no rows, then rewinds it so it can be bound and run again.
  absl::Status Run();

  bool IsNull(int column) const;
  int64_t Int(int column) const;
  double Double(int column) const;
  // Valid until the next Step() or the Statement's destruction.
  std::string_view Text(int column) const;
  std::string_view Blob(int column) const;
  // Rowid of the row the last successful INSERT on this connection created.
  int64_t LastInsertRowId() const;
  // Rows the last INSERT, UPDATE or DELETE run on this connection changed.
  int64_t Changes() const;

 private:
  sqlite3_stmt* stmt_;
  sqlite3* db_;
  bool owned_;
};

// Not thread-safe: one thread uses a Connection at a time (the store gives each thread its own).
// Owns one sqlite3 handle and a cache of prepared statements keyed by SQL text.
class Connection {
 public:
  // Opens (creating when `read_only` is false) the database file at `path` with a busy timeout.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, bool read_only,
                                                          int busy_timeout_ms);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one or more statements without results (DDL, PRAGMA, BEGIN/COMMIT).
  absl::Status Exec(std::string_view sql);
  // Runs one statement whose single result is an integer (e.g. "PRAGMA user_version").
  absl::StatusOr<int64_t> QueryInt(std::string_view sql);
  // Returns the cached prepared statement for `sql`, preparing it on first use. For the fixed
  // SQL texts of the store; only one Statement per text may be alive at a time.
  absl::StatusOr<Statement> Prepare(const std::string& sql);
  // Prepares a statement that is not cached: for SQL assembled per request (list filters),
  // whose distinct texts would otherwise grow the cache without bound.
  absl::StatusOr<Statement> PrepareOnce(const std::string& sql);
  // Calls `hook(wal_pages)` after each commit of this connection, on its thread, with the size of
  // the WAL in pages (sqlite3_wal_hook). Setting a hook turns SQLite's automatic checkpoint off
  // for this connection (checkpointer.h). `hook` must not use this connection.
  void SetWalHook(std::function<void(int64_t wal_pages)> hook);

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::function<void(int64_t)> wal_hook_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace trackly::store::sqlite
