#include "spool/spool.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "base/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spool/segment_file.h"
#include "zlib.h"

namespace trackly::spool {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// Generous: only there so that a bug hangs no test; nothing asserts how long anything took.
constexpr absl::Duration kPatience = absl::Seconds(20);

SpoolOptions TestOptions(const std::string& dir) {
  SpoolOptions options;
  options.directory = dir;
  options.node_id = "node-a";
  options.retry_min = absl::Milliseconds(1);
  options.retry_max = absl::Milliseconds(5);
  options.segment_max_age = absl::Hours(1);  // tests seal by size or Flush unless they test age
  return options;
}

std::unique_ptr<Spool> OpenOrDie(const SpoolOptions& options) {
  absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open(options);
  EXPECT_TRUE(spool.ok()) << spool.status();
  return spool.ok() ? std::move(*spool) : nullptr;
}

// Appends and waits for the acknowledgement.
absl::Status AppendDurably(Spool& spool, std::string record) {
  auto acked = std::make_shared<absl::Notification>();
  auto result = std::make_shared<absl::Status>();
  TRACKLY_RETURN_IF_ERROR(spool.Append(std::move(record), [acked, result](absl::Status status) {
    *result = status;
    acked->Notify();
  }));
  if (!acked->WaitForNotificationWithTimeout(kPatience)) return absl::DeadlineExceededError("no acknowledgement");
  return *result;
}

// Thread-safe. Records every attempt; fails the first `failures` of them (< 0: all). The sink it
// hands out shares its state, so a spool may outlive the RecordingSink.
class RecordingSink {
 public:
  explicit RecordingSink(int failures = 0) : state_(std::make_shared<State>(failures)) {}

  Sink AsSink() {
    return [state = state_](const Segment& segment) {
      absl::MutexLock lock(&state->mu);
      state->attempt_tokens.push_back(segment.dedup_token);
      if (state->failures_left != 0) {
        if (state->failures_left > 0) --state->failures_left;
        return absl::UnavailableError("clickhouse is down");
      }
      state->delivered.push_back(segment);
      return absl::OkStatus();
    };
  }
  std::vector<Segment> delivered() const {
    absl::MutexLock lock(&state_->mu);
    return state_->delivered;
  }
  std::vector<std::string> attempt_tokens() const {
    absl::MutexLock lock(&state_->mu);
    return state_->attempt_tokens;
  }
  std::vector<std::string> delivered_records() const {
    std::vector<std::string> records;
    for (const Segment& segment : delivered()) {
      records.insert(records.end(), segment.records.begin(), segment.records.end());
    }
    return records;
  }
  // Waits until at least `n` attempts were made.
  bool AwaitAttempts(size_t n) const {
    State& state = *state_;
    absl::MutexLock lock(&state.mu);
    auto enough = [&state, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state.mu) { return state.attempt_tokens.size() >= n; };
    return state.mu.AwaitWithTimeout(absl::Condition(&enough), kPatience);
  }

 private:
  struct State {
    explicit State(int failures) : failures_left(failures) {}
    absl::Mutex mu;
    int failures_left ABSL_GUARDED_BY(mu);
    std::vector<std::string> attempt_tokens ABSL_GUARDED_BY(mu);
    std::vector<Segment> delivered ABSL_GUARDED_BY(mu);
  };
  std::shared_ptr<State> state_;
};

// The segment files in `dir` with `suffix`, oldest first.
std::vector<std::string> SegmentFiles(const std::string& dir, std::string_view suffix) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().ends_with(suffix)) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void AppendBytesToFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Each test gets fresh, empty directories, removed when it ends.
class SpoolTest : public testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::string NewDir() {
    const std::filesystem::path dir = root_ / absl::StrCat(dirs_++);
    std::filesystem::remove_all(dir);
    return dir.string();
  }

 private:
  const std::filesystem::path root_ =
      std::filesystem::path(testing::TempDir()) /
      absl::StrCat("spool_test_", testing::UnitTest::GetInstance()->current_test_info()->name(), "_", ::getpid());
  int dirs_ = 0;
};

// The dedup token's checksum is the crc32 of the file's checked bytes, whatever follows them; the
// scan builds it from the record checks rather than reading the file twice.
TEST_F(SpoolTest, ScanGivesTheCrc32OfTheCheckedBytesOfTheFile) {
  const std::string dir = NewDir();
  std::filesystem::create_directories(dir);
  std::string good(kSegmentMagic);
  const std::vector<std::string> payloads = {"", "a", std::string(70'000, 'x'), "last"};
  for (size_t i = 0; i < payloads.size(); ++i) AppendFrame(payloads[i], static_cast<int64_t>(i + 1), good);
  struct Case {
    std::string name;
    std::string tail;  // after the good records
  };
  std::string torn;
  AppendFrame("torn", 9, torn);
  torn.resize(torn.size() - 2);
  std::string corrupt;
  AppendFrame("corrupt", 9, corrupt);
  corrupt.back() ^= 1;
  const std::vector<Case> cases = {{"whole", ""}, {"a torn tail", torn}, {"a corrupt record", corrupt}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = absl::StrCat(dir, "/", c.name.size(), ".seg");
    AppendBytesToFile(path, good + c.tail);
    absl::StatusOr<SegmentScan> scan = ScanSegmentFile(path, /*keep_payloads=*/true);
    ASSERT_TRUE(scan.ok()) << scan.status();
    EXPECT_THAT(scan->payloads, ElementsAreArray(payloads));
    EXPECT_EQ(scan->valid_bytes, good.size());
    EXPECT_EQ(scan->damage.empty(), c.tail.empty());
    EXPECT_EQ(scan->crc32, crc32_z(0, reinterpret_cast<const Bytef*>(good.data()), good.size()));
  }
}

TEST_F(SpoolTest, AcknowledgedRecordsSurviveReopenAndShipInOrder) {
  const SpoolOptions options = TestOptions(NewDir());
  {
    auto spool = OpenOrDie(options);
    for (const char* record : {"first", "second", "third"}) ASSERT_TRUE(AppendDurably(*spool, record).ok());
    const SpoolStats stats = spool->Stats();
    EXPECT_EQ(stats.records_waiting, 3u);
    EXPECT_EQ(stats.bytes_on_disk, kSegmentMagic.size() + FramedBytes(5) + FramedBytes(6) + FramedBytes(5));
  }
  auto spool = OpenOrDie(options);
  EXPECT_EQ(spool->Stats().sealed_segments, 1u);  // the segment left open was sealed on recovery
  RecordingSink sink;
  ASSERT_TRUE(spool->StartShipping(sink.AsSink()).ok());
  ASSERT_TRUE(spool->Flush(kPatience).ok());
  EXPECT_THAT(sink.delivered_records(), ElementsAre("first", "second", "third"));
  const SpoolStats stats = spool->Stats();
  EXPECT_EQ(stats.shipped_segments, 1u);
  EXPECT_EQ(stats.shipped_records, 3u);
  EXPECT_EQ(stats.records_waiting, 0u);
  EXPECT_EQ(stats.bytes_on_disk, kSegmentMagic.size());  // only the new, empty open segment
  EXPECT_EQ(SegmentFiles(options.directory, ".seg").size(), 0u);
}

TEST_F(SpoolTest, CutsATornTailAndKeepsEveryAcknowledgedRecord) {
  std::string valid_frame;
  AppendFrame("never acknowledged", 1, valid_frame);
  std::string bad_checksum = valid_frame;
  bad_checksum[0] ^= 0x01;
  const struct {
    const char* name;
    std::string tail;
  } cases[] = {
      {"half a header", valid_frame.substr(0, 7)},
      {"a payload cut short", valid_frame.substr(0, valid_frame.size() - 3)},
      {"garbage", std::string(100, '\xab')},
      {"a bad checksum", bad_checksum},
      {"a length past the end", std::string("\0\0\0\0\xff\xff\xff\x7f", 8) + std::string(8, '\0')},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const SpoolOptions options = TestOptions(NewDir());
    {
      auto spool = OpenOrDie(options);
      ASSERT_TRUE(AppendDurably(*spool, "kept 1").ok());
      ASSERT_TRUE(AppendDurably(*spool, "kept 2").ok());
    }
    const std::vector<std::string> open_files = SegmentFiles(options.directory, ".open");
    ASSERT_EQ(open_files.size(), 1u);
    AppendBytesToFile(open_files[0], c.tail);

    auto spool = OpenOrDie(options);
    EXPECT_EQ(spool->Stats().records_waiting, 2u);
    RecordingSink sink;
    ASSERT_TRUE(spool->StartShipping(sink.AsSink()).ok());
    ASSERT_TRUE(spool->Flush(kPatience).ok());
    EXPECT_THAT(sink.delivered_records(), ElementsAre("kept 1", "kept 2"));
  }
}

TEST_F(SpoolTest, RefusesAppendsWhenFullAndLosesNothingAccepted) {
  SpoolOptions options = TestOptions(NewDir());
  const std::string record(100, 'r');
  options.segment_bytes = 3 * FramedBytes(record.size());
  // Room for exactly 10 records: they fill segments of 3, 3, 3 and 1 record, and the spool keeps
  // room for the magic of the segment after the open one.
  options.max_bytes = 5 * kSegmentMagic.size() + 10 * FramedBytes(record.size());
  auto spool = OpenOrDie(options);

  int accepted = 0;
  absl::Status refused;
  while (refused.ok()) {
    refused = AppendDurably(*spool, absl::StrCat(accepted, record).substr(0, record.size()));
    if (refused.ok()) ++accepted;
  }
  EXPECT_EQ(accepted, 10);
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(refused.message(), HasSubstr("the spool is full"));
  EXPECT_LE(spool->Stats().bytes_on_disk, options.max_bytes);

  const absl::Status too_big = spool->Append(std::string(options.max_bytes, 'x'), [](absl::Status) {});
  EXPECT_EQ(too_big.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(too_big.message(), HasSubstr("can never fit"));

  RecordingSink sink;
  ASSERT_TRUE(spool->StartShipping(sink.AsSink()).ok());
  ASSERT_TRUE(spool->Flush(kPatience).ok());
  const std::vector<std::string> delivered = sink.delivered_records();
  ASSERT_EQ(delivered.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(delivered[i], absl::StrCat(i, record).substr(0, record.size()));
  EXPECT_TRUE(AppendDurably(*spool, record).ok()) << "shipping made room again";
}

TEST_F(SpoolTest, RetriesAFailingSinkWithTheSameTokenAndDeliversOnceInOrder) {
  SpoolOptions options = TestOptions(NewDir());
  auto spool = OpenOrDie(options);
  RecordingSink sink(/*failures=*/3);
  ASSERT_TRUE(spool->StartShipping(sink.AsSink()).ok());
  ASSERT_TRUE(AppendDurably(*spool, "a").ok());
  ASSERT_TRUE(AppendDurably(*spool, "b").ok());
  ASSERT_TRUE(spool->Flush(kPatience).ok());
  ASSERT_TRUE(AppendDurably(*spool, "c").ok());
  ASSERT_TRUE(spool->Flush(kPatience).ok());

  const std::vector<std::string> tokens = sink.attempt_tokens();
  ASSERT_EQ(tokens.size(), 5u);  // 3 failures and the success of the first segment, then the second
  EXPECT_THAT(std::vector<std::string>(tokens.begin(), tokens.begin() + 4),
              ElementsAre(tokens[0], tokens[0], tokens[0], tokens[0]));
  EXPECT_NE(tokens[4], tokens[0]);
  const std::vector<Segment> delivered = sink.delivered();
  ASSERT_EQ(delivered.size(), 2u);
  EXPECT_THAT(delivered[0].records, ElementsAre("a", "b"));
  EXPECT_THAT(delivered[1].records, ElementsAre("c"));
  EXPECT_LT(delivered[0].sequence, delivered[1].sequence);
  EXPECT_THAT(delivered[0].dedup_token, ::testing::StartsWith(absl::StrCat("node-a-", delivered[0].sequence, "-")));

  const SpoolStats stats = spool->Stats();
  EXPECT_EQ(stats.consecutive_failures, 0u);
  EXPECT_THAT(stats.last_error, HasSubstr("clickhouse is down"));
  EXPECT_EQ(stats.shipped_records, 3u);
}

TEST_F(SpoolTest, ShipsSegmentsLeftByAnEarlierRunWithTheSameTokens) {
  SpoolOptions options = TestOptions(NewDir());
  options.segment_bytes = 1;  // one record per segment
  std::string first_token;
  {
    auto spool = OpenOrDie(options);
    RecordingSink down(/*failures=*/-1);
    ASSERT_TRUE(spool->StartShipping(down.AsSink()).ok());
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(AppendDurably(*spool, absl::StrCat("r", i)).ok());
    ASSERT_TRUE(down.AwaitAttempts(2));
    const SpoolStats stats = spool->Stats();
    EXPECT_GE(stats.consecutive_failures, 2u);
    EXPECT_EQ(stats.shipped_segments, 0u);
    EXPECT_EQ(stats.records_waiting, 4u);
    first_token = down.attempt_tokens()[0];
    EXPECT_THAT(down.attempt_tokens(), ::testing::Each(first_token)) << "never skips the failing segment";
  }
  auto spool = OpenOrDie(options);
  EXPECT_EQ(spool->Stats().sealed_segments, 4u);
  RecordingSink up;
  ASSERT_TRUE(spool->StartShipping(up.AsSink()).ok());
  ASSERT_TRUE(AppendDurably(*spool, "after restart").ok());
  ASSERT_TRUE(spool->Flush(kPatience).ok());
  const std::vector<Segment> delivered = up.delivered();
  ASSERT_EQ(delivered.size(), 5u);
  EXPECT_EQ(delivered[0].dedup_token, first_token);
  EXPECT_THAT(up.delivered_records(), ElementsAre("r0", "r1", "r2", "r3", "after restart"));
  for (size_t i = 1; i < delivered.size(); ++i) EXPECT_LT(delivered[i - 1].sequence, delivered[i].sequence);
}

TEST_F(SpoolTest, NeverReusesASequenceNumberAcrossRestarts) {
  const SpoolOptions options = TestOptions(NewDir());
  uint64_t last_sequence = 0;
  for (int run = 0; run < 4; ++run) {
    SCOPED_TRACE(run);
    auto spool = OpenOrDie(options);
    RecordingSink sink;
    ASSERT_TRUE(spool->StartShipping(sink.AsSink()).ok());
    if (run == 1) continue;  // a run that appends nothing leaves an empty newest segment
    ASSERT_TRUE(AppendDurably(*spool, "x").ok());
    ASSERT_TRUE(spool->Flush(kPatience).ok());
    ASSERT_EQ(sink.delivered().size(), 1u);
    EXPECT_GT(sink.delivered()[0].sequence, last_sequence);
    last_sequence = sink.delivered()[0].sequence;
    if (run == 2) {  // and one whose newest segment holds only a torn record
      spool.reset();
      const std::vector<std::string> open_files = SegmentFiles(options.directory, ".open");
      ASSERT_EQ(open_files.size(), 1u);
      AppendBytesToFile(open_files[0], "torn");
    }
  }
}

TEST_F(SpoolTest, ConcurrentAppendersAreAllAcknowledgedAndDeliveredOnce) {
  SpoolOptions options = TestOptions(NewDir());
  options.segment_bytes = 4096;
  auto spool = OpenOrDie(options);
  RecordingSink sink;
  ASSERT_TRUE(spool->StartShipping(sink.AsSink()).ok());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  std::atomic<int> acked_ok{0};
  std::atomic<int> acked_total{0};
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          ASSERT_TRUE(spool
                          ->Append(absl::StrCat(t, ":", i),
                                   [&](absl::Status status) {
                                     if (status.ok()) acked_ok.fetch_add(1);
                                     acked_total.fetch_add(1);
                                   })
                          .ok());
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  ASSERT_TRUE(spool->Flush(kPatience).ok());
  EXPECT_EQ(acked_ok.load(), kThreads * kPerThread);
  EXPECT_EQ(acked_total.load(), kThreads * kPerThread);

  std::vector<int> next(kThreads, 0);  // each thread's records arrive once, in its order
  for (const std::string& record : sink.delivered_records()) {
    const std::pair<std::string, std::string> parts = absl::StrSplit(record, ':');
    int t = 0;
    int i = 0;
    ASSERT_TRUE(absl::SimpleAtoi(parts.first, &t) && absl::SimpleAtoi(parts.second, &i)) << record;
    EXPECT_EQ(i, next[t]) << record;
    next[t] = i + 1;
  }
  EXPECT_THAT(next, ::testing::Each(kPerThread));
  EXPECT_GT(spool->Stats().shipped_segments, 1u);
}

TEST_F(SpoolTest, SyncsWhatArrivedDuringASyncAsOneGroup) {
  // The first acknowledgement holds the writer thread, so the next appends pile up behind it.
  absl::Notification first_acked;
  absl::Notification release;
  std::atomic<int> acked{0};
  auto spool = OpenOrDie(TestOptions(NewDir()));
  ASSERT_TRUE(spool
                  ->Append("first",
                           [&](absl::Status status) {
                             EXPECT_TRUE(status.ok()) << status;
                             first_acked.Notify();
                             release.WaitForNotificationWithTimeout(kPatience);
                           })
                  .ok());
  ASSERT_TRUE(first_acked.WaitForNotificationWithTimeout(kPatience));
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(spool->Append(absl::StrCat("r", i), [&](absl::Status status) { acked += status.ok() ? 1 : 0; }).ok());
  }
  release.Notify();
  RecordingSink sink;
  ASSERT_TRUE(spool->StartShipping(sink.AsSink()).ok());
  ASSERT_TRUE(spool->Flush(kPatience).ok());
  EXPECT_EQ(acked.load(), 100);
  EXPECT_EQ(spool->Stats().group_commits, 2u);
  EXPECT_EQ(sink.delivered_records().size(), 101u);
}

TEST_F(SpoolTest, SealsASegmentOnceItIsOldEnough) {
  SpoolOptions options = TestOptions(NewDir());
  options.segment_max_age = absl::Milliseconds(20);
  auto spool = OpenOrDie(options);
  RecordingSink sink;
  ASSERT_TRUE(spool->StartShipping(sink.AsSink()).ok());
  ASSERT_TRUE(AppendDurably(*spool, "lonely").ok());
  ASSERT_TRUE(sink.AwaitAttempts(1)) << "no Flush: only the age can have sealed it";
  EXPECT_THAT(sink.delivered_records(), ElementsAre("lonely"));
}

TEST_F(SpoolTest, ReportsTheAgeOfTheOldestUnshippedRecord) {
  FakeClock clock(absl::ToUnixNanos(absl::FromUnixSeconds(1'800'000'000)));
  SpoolOptions options = TestOptions(NewDir());
  options.clock = &clock;
  auto spool = OpenOrDie(options);
  EXPECT_EQ(spool->Stats().oldest_record_age, absl::ZeroDuration());
  ASSERT_TRUE(AppendDurably(*spool, "old").ok());
  clock.Advance(absl::ToInt64Nanoseconds(absl::Seconds(3)));
  ASSERT_TRUE(AppendDurably(*spool, "new").ok());
  clock.Advance(absl::ToInt64Nanoseconds(absl::Seconds(2)));
  EXPECT_EQ(spool->Stats().oldest_record_age, absl::Seconds(5));

  RecordingSink sink;
  ASSERT_TRUE(spool->StartShipping(sink.AsSink()).ok());
  ASSERT_TRUE(spool->Flush(kPatience).ok());
  EXPECT_EQ(spool->Stats().oldest_record_age, absl::ZeroDuration());
}

TEST_F(SpoolTest, StopsAtADamagedSealedSegmentAndSaysWhy) {
  SpoolOptions options = TestOptions(NewDir());
  {
    auto spool = OpenOrDie(options);
    ASSERT_TRUE(AppendDurably(*spool, "will be damaged").ok());
  }
  { auto reopened = OpenOrDie(options); }  // seals it
  const std::vector<std::string> sealed = SegmentFiles(options.directory, ".seg");
  ASSERT_EQ(sealed.size(), 1u);
  {
    std::fstream file(sealed[0], std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(static_cast<std::streamoff>(kSegmentMagic.size() + kRecordHeaderBytes));
    file.put('W');
  }
  auto spool = OpenOrDie(options);
  RecordingSink sink;
  ASSERT_TRUE(spool->StartShipping(sink.AsSink()).ok());
  const absl::Status flushed = spool->Flush(absl::Milliseconds(200));
  EXPECT_EQ(flushed.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(flushed.message(), HasSubstr("damaged"));
  EXPECT_TRUE(sink.attempt_tokens().empty());
  EXPECT_EQ(SegmentFiles(options.directory, ".seg").size(), 1u) << "kept, never discarded";
}

TEST_F(SpoolTest, RefusesMisuseWithAStatusThatSaysWhy) {
  const SpoolOptions options = TestOptions(NewDir());
  auto spool = OpenOrDie(options);
  EXPECT_EQ(Spool::Open(options).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(spool->Flush(absl::Seconds(1)).code(), absl::StatusCode::kFailedPrecondition);
  RecordingSink sink;
  ASSERT_TRUE(spool->StartShipping(sink.AsSink()).ok());
  EXPECT_EQ(spool->StartShipping(sink.AsSink()).code(), absl::StatusCode::kFailedPrecondition);
  spool->Close();
  EXPECT_EQ(spool->Append("late", [](absl::Status) {}).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(spool->Flush(absl::Seconds(1)).code(), absl::StatusCode::kUnavailable);

  SpoolOptions bad = TestOptions(NewDir());
  bad.node_id = "node a/1";
  const absl::Status status = Spool::Open(bad).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("node a/1"));
}

// Reads newline-terminated ids from `fd` into `ids` until `want` of them arrived or the writer is
// gone; false when nothing arrives for a long time.
bool ReadIds(int fd, std::string& buffer, std::vector<std::string>& ids, size_t want) {
  while (ids.size() < want) {
    pollfd readable{.fd = fd, .events = POLLIN};
    if (::poll(&readable, 1, static_cast<int>(absl::ToInt64Milliseconds(kPatience))) <= 0) return false;
    char chunk[4096];
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n <= 0) return true;
    buffer.append(chunk, static_cast<size_t>(n));
    size_t newline;
    while ((newline = buffer.find('\n')) != std::string::npos) {
      ids.push_back(buffer.substr(0, newline));
      buffer.erase(0, newline + 1);
    }
  }
  return true;
}

TEST_F(SpoolTest, KillNineLosesNoAcknowledgedRecord) {
  SpoolOptions options = TestOptions(NewDir());
  options.segment_bytes = 2048;  // seals happen while the child is killed, too
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child appends without end and reports each acknowledged id; it only stops when killed.
    ::close(pipe_fds[0]);
    absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open(options);
    if (!spool.ok()) ::_exit(1);
    const int out = pipe_fds[1];
    std::atomic<int> in_flight{0};  // bounds the queue: the child runs until killed
    for (uint64_t id = 0;; ++id) {
      while (in_flight.load() >= 64) std::this_thread::yield();
      in_flight.fetch_add(1);
      const std::string record = absl::StrCat("id-", id);
      const absl::Status accepted = (*spool)->Append(record, [out, record, &in_flight](absl::Status status) {
        if (status.ok()) {
          const std::string line = record + "\n";
          if (::write(out, line.data(), line.size()) < 0) ::_exit(2);
        }
        in_flight.fetch_sub(1);
      });
      if (!accepted.ok()) ::_exit(3);
    }
  }
  ::close(pipe_fds[1]);
  std::string buffer;
  std::vector<std::string> acked;
  ASSERT_TRUE(ReadIds(pipe_fds[0], buffer, acked, 300));
  ASSERT_GE(acked.size(), 300u) << "the child died early";
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL);
  ASSERT_TRUE(ReadIds(pipe_fds[0], buffer, acked, SIZE_MAX));  // acks the child wrote before dying
  ::close(pipe_fds[0]);

  auto spool = OpenOrDie(options);
  RecordingSink sink;
  ASSERT_TRUE(spool->StartShipping(sink.AsSink()).ok());
  ASSERT_TRUE(spool->Flush(kPatience).ok());
  const std::vector<std::string> delivered = sink.delivered_records();
  const std::set<std::string> delivered_set(delivered.begin(), delivered.end());
  EXPECT_EQ(delivered_set.size(), delivered.size()) << "no record twice";
  for (const std::string& id : acked) EXPECT_TRUE(delivered_set.contains(id)) << id << " was acknowledged";
  // What arrives is a prefix of the append order: acknowledged ones, then possibly a few that
  // were synced but not yet acknowledged when the child died.
  ASSERT_GE(delivered.size(), acked.size());
  for (size_t i = 0; i < delivered.size(); ++i) EXPECT_EQ(delivered[i], absl::StrCat("id-", i));
}

}  // namespace
}  // namespace trackly::spool
