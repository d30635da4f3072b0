// The server tells the store each project's retention (Store::NoteRetention): every project at
// start (its own retention or the defaults, "keep forever" included), and a project's new one as
// soon as PUT or DELETE /api/v1/retention changes it.
#include <map>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/running_app_test_base.h"
#include "store/forwarding_store.h"

namespace trackly::server {
namespace {

constexpr int64_t kNow = 1'800'000'000'000'000'000;

using Days = std::pair<int32_t, int32_t>;  // payload, summary

// Thread-safe. The test's SQLite store, remembering the last retention noted per project.
class NoteRecordingStore final : public store::ForwardingStore {
 public:
  explicit NoteRecordingStore(store::Store& backing) : ForwardingStore(backing) {}

  void NoteRetention(std::string_view project, int32_t payload_days, int32_t summary_days) override {
    absl::MutexLock lock(&mu_);
    noted_[std::string(project)] = {payload_days, summary_days};
    ForwardingStore::NoteRetention(project, payload_days, summary_days);
  }

  // What was noted, once it equals `expected` (the expirer's first pass runs on its own thread);
  // what was noted so far after a minute.
  std::map<std::string, Days> AwaitNoted(const std::map<std::string, Days>& expected) {
    absl::MutexLock lock(&mu_);
    auto matches = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return noted_ == expected; };
    mu_.AwaitWithTimeout(absl::Condition(&matches), absl::Minutes(1));
    return noted_;
  }

  std::map<std::string, Days> Noted() {
    absl::MutexLock lock(&mu_);
    return noted_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, Days> noted_ ABSL_GUARDED_BY(mu_);
};

class RetentionNoteTest : public RunningAppTestBase {
 protected:
  RetentionNoteTest() : RunningAppTestBase(kNow) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    AddSettingsKeys();
    ASSERT_TRUE(catalog_->CreateProject("forever", 1).ok());
    ASSERT_TRUE(catalog_->PutRetention({.project = "p2", .payload_days = 1, .summary_days = 2}).ok());
    ASSERT_TRUE(catalog_->PutRetention({.project = "forever", .payload_days = 0, .summary_days = 0}).ok());
    recorder_ = std::make_unique<NoteRecordingStore>(*store_);
    ServerOptions options;
    options.io_threads = 2;
    options.listen = "127.0.0.1:0";
    options.retention = {.payload_days = 7, .summary_days = 30};
    absl::StatusOr<std::unique_ptr<App>> app = App::Start(options, *recorder_, *catalog_, clock_);
    ASSERT_TRUE(app.ok()) << app.status();
    app_ = *std::move(app);
    client_ = std::make_unique<HttpTestClient>(app_->endpoint());
  }

  std::unique_ptr<NoteRecordingStore> recorder_;  // outlives app_ (TearDown resets app_ first)
};

TEST_F(RetentionNoteTest, EveryProjectIsNotedAtStartAndAChangeAtOnce) {
  const std::map<std::string, Days> at_start = {{"p1", {7, 30}}, {"p2", {1, 2}}, {"forever", {0, 0}}};
  EXPECT_EQ(recorder_->AwaitNoted(at_start), at_start);

  HttpResponse put =
      SendWithKey(http::verb::put, "/api/v1/retention", admin_key_, R"({"payload_days": 3, "summary_days": 9})");
  ASSERT_EQ(put.result(), http::status::ok) << put.body();
  EXPECT_EQ(recorder_->Noted().at("p1"), Days(3, 9));

  HttpResponse bad = SendWithKey(http::verb::put, "/api/v1/retention", admin_key_,
                                 R"({"payload_days": 30, "summary_days": 9})");
  ASSERT_EQ(bad.result(), http::status::bad_request) << bad.body();
  EXPECT_EQ(recorder_->Noted().at("p1"), Days(3, 9)) << "a refused change is not noted";

  HttpResponse removed = SendWithKey(http::verb::delete_, "/api/v1/retention", admin_key_);
  ASSERT_EQ(removed.result(), http::status::ok) << removed.body();
  EXPECT_EQ(recorder_->Noted().at("p1"), Days(7, 30));
}

}  // namespace
}  // namespace trackly::server
