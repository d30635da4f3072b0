#include "store/sqlite/page_cache.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/sqlite/connection.h"

namespace trackly::store::sqlite {
namespace {

class PageCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("trackly-page-cache-", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    absl::StatusOr<std::unique_ptr<Connection>> db = Connection::Open((dir_ / "t.db").string(), false, 1000);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(db_->Exec("PRAGMA page_size = 8192; PRAGMA journal_mode = WAL;"
                          "CREATE TABLE t(k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID")
                    .ok());
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Inserts `rows` rows at random keys (so b-tree pages split and rebalance) in one transaction,
  // committed or rolled back.
  void Insert(int rows, bool commit) {
    ASSERT_TRUE(db_->Exec("BEGIN").ok());
    absl::StatusOr<Statement> insert = db_->Prepare("INSERT INTO t(k, v) VALUES(?1, ?2)");
    ASSERT_TRUE(insert.ok()) << insert.status();
    const std::string value(600, 'v');
    for (int i = 0; i < rows; ++i) {
      const std::string key = absl::StrCat(random_(), "-", i);
      insert->BindText(1, key);
      insert->BindBlob(2, value);
      ASSERT_TRUE(insert->Run().ok());
    }
    ASSERT_TRUE(db_->Exec(commit ? "COMMIT" : "ROLLBACK").ok());
  }

  std::string IntegrityCheck() {
    absl::StatusOr<Statement> check = db_->Prepare("PRAGMA integrity_check");
    if (!check.ok() || !check->Step().value_or(false)) return "no result";
    return std::string(check->Text(0));
  }

  std::filesystem::path dir_;
  std::unique_ptr<Connection> db_;
  std::mt19937_64 random_{7};
};

TEST_F(PageCacheTest, CommitsSkipTheTruncationThatCannotRemoveAPage) {
  const PageCacheCounts before = GetPageCacheCounts();
  for (int i = 0; i < 50; ++i) Insert(200, /*commit=*/true);
  const PageCacheCounts after = GetPageCacheCounts();
  // Every commit ends with a truncation to the database size; with pcache1 alone each of these
  // rebalancing commits walked the whole cache.
  EXPECT_GE(after.truncations_skipped - before.truncations_skipped, 50);
  EXPECT_EQ(IntegrityCheck(), "ok");
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM t").value_or(-1), 50 * 200);
}

TEST_F(PageCacheTest, ARollbackThatShrinksTheDatabaseDropsItsPages) {
  Insert(2000, /*commit=*/true);
  const int64_t pages = db_->QueryInt("PRAGMA page_count").value_or(-1);
  const PageCacheCounts before = GetPageCacheCounts();
  Insert(5000, /*commit=*/false);  // grows the file's image by hundreds of pages, then undoes it
  EXPECT_GT(GetPageCacheCounts().truncations_passed, before.truncations_passed);
  EXPECT_EQ(db_->QueryInt("PRAGMA page_count").value_or(-1), pages);
  // The page numbers the rollback freed are allocated again, and must not show what the rolled
  // back transaction had written there.
  Insert(5000, /*commit=*/true);
  EXPECT_EQ(IntegrityCheck(), "ok");
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM t").value_or(-1), 7000);
  // A second connection reads the pages from the file and the WAL, not from this cache.
  absl::StatusOr<std::unique_ptr<Connection>> reader = Connection::Open((dir_ / "t.db").string(), true, 1000);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->QueryInt("SELECT count(*) FROM t").value_or(-1), 7000);
}

}  // namespace
}  // namespace trackly::store::sqlite
