// Test-only helpers for the ClickHouse store's tests: WriteAndWait for a store's Writer, and
// DatabaseTestBase, a gtest fixture base for tests that open ClickHouseStores on databases of
// their own on the test binary's server (test_server.h). It skips the test when clickhouse-server
// is not installed, drops every database it handed out at the end, lays out databases of older
// layouts, copies rows between them, writes as another node would, and reads answers as text or
// as one UInt64. Not thread-safe (a gtest fixture).
#pragma once

#include <unistd.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/http_client.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/retention_classes.h"
#include "store/clickhouse/schema.h"
#include "store/clickhouse/test_server.h"
#include "store/clickhouse/writer.h"

namespace trackly::store::clickhouse {

// store::WriteAndWait for a store's writer: writes `batch` and waits for its callback.
inline absl::Status WriteAndWait(Writer& writer, WriteBatch batch) {
  absl::Notification done;
  absl::Status result;
  writer.Write(std::move(batch), [&](absl::Status status) {
    result = std::move(status);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

class DatabaseTestBase : public ::testing::Test {
 protected:
  // `clock` is the stores' clock (Open); it must outlive the fixture.
  explicit DatabaseTestBase(const Clock& clock) : clock_(clock) {}

  // Call first from a SetUp override; sets `database_` to a new database.
  void SetUp() override {
    if (::access(kClickHouseServerBinary, X_OK) != 0) GTEST_SKIP() << "no clickhouse-server";
    absl::StatusOr<const TestServer*> server = TestServerEnvironment::Server();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *server;
    database_ = NewDatabase();
  }
  void TearDown() override {
    if (server_ == nullptr) return;
    HttpClient client(server_->client_options());
    for (const std::string& database : databases_) {
      EXPECT_TRUE(client.Query(absl::StrCat("DROP DATABASE IF EXISTS ", database)).ok());
    }
  }

  // A database name of this test's own (created by the first store opened on it).
  std::string NewDatabase() {
    databases_.push_back(NewDatabaseName());
    return databases_.back();
  }

  // A store on `database` with the fixture's clock; null (and a failure) if it does not open.
  std::unique_ptr<ClickHouseStore> Open(const std::string& database) {
    absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = ClickHouseStore::Open(
        ClickHouseStoreOptions{.server = server_->client_options(), .database = database, .clock = &clock_});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Runs a statement (or a SELECT without FORMAT) in `database`; returns its text answer.
  std::string Run(const std::string& sql, const std::string& database) {
    HttpClient client(server_->client_options());
    absl::StatusOr<std::string> answer = client.Query(sql, {{"database", database}});
    EXPECT_TRUE(answer.ok()) << answer.status() << "\n" << sql;
    return answer.ok() ? *answer : "";
  }

  // The first UInt64 of `sql`'s answer in `database`.
  uint64_t Count(const std::string& sql, const std::string& database) {
    return CountIn(server_->client_options(), database, sql);
  }

  // Runs the statements of migrations `first` to `last` (schema.h MigrationStatements) in
  // `database`, as on 18.16 (no column codecs).
  void ApplyMigrations(int first, int last, const std::string& database) {
    for (const std::string& statement : MigrationStatements(first, last, ServerInfo{})) Run(statement, database);
  }

  // Creates `database` with the statements of migrations 1 to `layout` (not their code steps)
  // applied and those versions recorded in schema_version.
  void CreateAtLayout(const std::string& database, int layout) {
    Run(absl::StrCat("CREATE DATABASE ", database), "default");
    Run("CREATE TABLE schema_version (version UInt32, applied_ns Int64) ENGINE = MergeTree ORDER BY version", database);
    ApplyMigrations(1, layout, database);
    for (int version = 1; version <= layout; ++version) {
      Run(absl::StrCat("INSERT INTO schema_version VALUES (", version, ", 0)"), database);
    }
  }

  // The columns of `table` in `database`, back-quoted and comma-separated: a list for INSERT … SELECT.
  std::string ColumnList(const std::string& table, const std::string& database) {
    return std::string(absl::StripTrailingAsciiWhitespace(
        Run(absl::StrCat("SELECT arrayStringConcat(groupArray(concat('`', name, '`')), ', ') FROM system.columns "
                         "WHERE database = '", database, "' AND table = '", table, "'"),
            database)));
  }

  // Copies every row of `source`.`table` into `database`.`table`, column by name.
  void CopyRows(const std::string& source, const std::string& table, const std::string& database) {
    const std::string columns = ColumnList(table, database);
    Run(absl::StrCat("INSERT INTO ", database, ".", table, " (", columns, ") SELECT ", columns, " FROM ", source, ".",
                     table),
        database);
  }

  // Writes `batch` into `database` with a writer of its own, as another node would (no schema
  // check, no spool), and waits for it.
  absl::Status WriteAsAnotherNode(const std::string& database, WriteBatch batch) {
    HttpClient client(server_->client_options());
    absl::StatusOr<ServerInfo> info = DescribeServer(client);
    if (!info.ok()) return info.status();
    Database other(client, database, *info);
    RetentionClasses classes;
    Writer writer(other, clock_, classes, /*max_queue_observations=*/1000, /*compress_min_bytes=*/4096);
    return WriteAndWait(writer, std::move(batch));
  }

  const TestServer* server_ = nullptr;
  std::string database_;  // the test's first database

 private:
  const Clock& clock_;
  std::vector<std::string> databases_;
};

}  // namespace trackly::store::clickhouse
