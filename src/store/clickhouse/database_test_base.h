// Test-only: a gtest fixture base for tests that open ClickHouseStores on databases of their own,
// on the test binary's server (test_server.h). It skips the test when clickhouse-server is not
// installed, drops every database it handed out at the end, and reads answers as text or as one
// UInt64. Not thread-safe (a gtest fixture).
#pragma once

#include <unistd.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/http_client.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/test_server.h"

namespace trackly::store::clickhouse {

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
    HttpClient client(server_->client_options());
    absl::StatusOr<std::string> rows = client.Query(absl::StrCat(sql, " FORMAT RowBinary"), {{"database", database}});
    EXPECT_TRUE(rows.ok()) << rows.status();
    RowBinaryReader in(rows.ok() ? std::string_view(*rows) : std::string_view(), sql);
    const uint64_t n = in.UInt64();
    EXPECT_TRUE(in.status().ok()) << in.status() << "\n" << sql;
    return n;
  }

  const TestServer* server_ = nullptr;
  std::string database_;  // the test's first database

 private:
  const Clock& clock_;
  std::vector<std::string> databases_;
};

}  // namespace trackly::store::clickhouse
