// Test-only: a base fixture that runs the assembled server in-process on port 0 over a real
// SQLite store and catalog in a fresh temporary directory (projects "p1" and "p2" exist), with a
// real HTTP client. Subclasses create keys with AddKey, then call StartApp.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "model/json.h"
#include "server/api_key.h"
#include "server/app.h"
#include "server/http_test_client.h"
#include "store/sqlite/sqlite_catalog.h"
#include "store/sqlite/sqlite_store.h"

namespace trackly::server {

class RunningAppTestBase : public testing::Test {
 protected:
  explicit RunningAppTestBase(int64_t now_ns) : clock_(now_ns) {}

  // Opens the store and catalog and creates the projects; subclasses call it first in SetUp.
  void OpenStoreAndCatalog() {
    static std::atomic<int> counter{0};
    dir_ = (std::filesystem::temp_directory_path() /
            absl::StrCat("trackly-app-test-", getpid(), "-", counter++))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    // synchronous=NORMAL: these tests check behaviour, not power-loss durability.
    absl::StatusOr<std::unique_ptr<store::SqliteStore>> store =
        store::SqliteStore::Open({.dir = dir_, .sync_full = false});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    absl::StatusOr<std::unique_ptr<store::SqliteCatalog>> catalog = store::SqliteCatalog::Open(dir_);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = *std::move(catalog);
    for (const char* project : {"p1", "p2"}) {
      ASSERT_TRUE(catalog_->CreateProject(project, 1).ok());
    }
  }

  // Starts the server on 127.0.0.1:0 with `options` (listen is overridden) and connects a client.
  void StartApp(ServerOptions options) {
    options.listen = "127.0.0.1:0";
    absl::StatusOr<std::unique_ptr<App>> app = App::Start(options, *store_, *catalog_, clock_);
    ASSERT_TRUE(app.ok()) << app.status();
    app_ = *std::move(app);
    client_ = std::make_unique<HttpTestClient>(app_->endpoint());
  }

  void TearDown() override {
    client_.reset();
    if (app_ != nullptr) {
      app_->BeginShutdown();
      app_->Wait();
    }
    if (store_ != nullptr) store_->Drain();
    app_.reset();
    store_.reset();
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Sends a request on the test's connection; a default (status 0) response when it failed.
  HttpResponse SendRequest(http::verb method, const std::string& target,
                           std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = "") {
    std::optional<HttpResponse> response =
        client_->Send(MakeRequest(method, target, std::move(headers), std::move(body)));
    return response ? *response : HttpResponse{};
  }

  // SendRequest with `key` as a Bearer token, and Content-Type application/json when there is a body.
  HttpResponse SendWithKey(http::verb method, const std::string& target, const std::string& key,
                           std::string body = "") {
    std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", "Bearer " + key}};
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    return SendRequest(method, target, std::move(headers), std::move(body));
  }

  // The keys of a test of a project's settings API: admin_key_ (p1: ingest, read, admin),
  // read_key_ (p1: ingest, read), ingest_key_ (p1: ingest only) and other_key_ (p2: ingest,
  // read, admin). Call between OpenStoreAndCatalog and StartApp.
  void AddSettingsKeys() {
    admin_key_ = AddKey("p1", store::kScopeIngest | store::kScopeRead | store::kScopeAdmin);
    read_key_ = AddKey("p1", store::kScopeIngest | store::kScopeRead);
    ingest_key_ = AddKey("p1", store::kScopeIngest);
    other_key_ = AddKey("p2", store::kScopeIngest | store::kScopeRead | store::kScopeAdmin);
  }

  // A response body as JSON; a discarded value when it is not JSON.
  static model::Json Body(const HttpResponse& response) {
    return model::Json::parse(response.body(), nullptr, /*allow_exceptions=*/false);
  }

  std::string AddKey(const std::string& project, uint32_t scopes) {
    absl::StatusOr<GeneratedKey> key = GenerateApiKey(project, scopes, 1);
    EXPECT_TRUE(key.ok());
    EXPECT_TRUE(catalog_->InsertKey(key->record).ok());
    return key->key;
  }

  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<store::SqliteCatalog> catalog_;
  std::unique_ptr<App> app_;
  std::unique_ptr<HttpTestClient> client_;
  std::string admin_key_, read_key_, ingest_key_, other_key_;  // set by AddSettingsKeys
};

}  // namespace trackly::server
