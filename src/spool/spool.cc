#include "spool/spool.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status.h"

namespace trackly::spool {
namespace {

constexpr std::string_view kOpenSuffix = ".open";
constexpr std::string_view kSealedSuffix = ".seg";
constexpr size_t kSequenceDigits = 20;

absl::Status ValidateOptions(const SpoolOptions& options) {
  if (options.directory.empty()) return absl::InvalidArgumentError("spool: the directory is empty");
  if (options.node_id.empty() || options.node_id.size() > 64 ||
      !std::all_of(options.node_id.begin(), options.node_id.end(),
                   [](char c) { return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-'; })) {
    return absl::InvalidArgumentError(absl::StrCat("spool: node id \"", options.node_id,
                                                   "\" must be 1-64 characters of [A-Za-z0-9._-]"));
  }
  if (options.segment_bytes == 0) return absl::InvalidArgumentError("spool: segment_bytes must be positive");
  if (options.max_bytes < 2 * kSegmentMagic.size() + kRecordHeaderBytes) {
    return absl::InvalidArgumentError(absl::StrCat("spool: max_bytes ", options.max_bytes, " is too small"));
  }
  if (options.segment_max_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("spool: segment_max_age must be positive");
  }
  if (options.retry_min <= absl::ZeroDuration() || options.retry_max < options.retry_min) {
    return absl::InvalidArgumentError("spool: retry_min must be positive and at most retry_max");
  }
  if (options.clock == nullptr) return absl::InvalidArgumentError("spool: the clock is null");
  return absl::OkStatus();
}

// The sequence number of a segment file name ("00000000000000000042.seg") and whether it is
// sealed, or nullopt when the name is not one of ours.
std::optional<std::pair<uint64_t, bool>> ParseSegmentName(std::string_view name) {
  bool sealed = false;
  if (name.size() == kSequenceDigits + kSealedSuffix.size() && name.ends_with(kSealedSuffix)) {
    sealed = true;
  } else if (!(name.size() == kSequenceDigits + kOpenSuffix.size() && name.ends_with(kOpenSuffix))) {
    return std::nullopt;
  }
  const std::string_view digits = name.substr(0, kSequenceDigits);
  uint64_t sequence = 0;
  if (!std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit) || !absl::SimpleAtoi(Sv(digits), &sequence)) {
    return std::nullopt;
  }
  return std::make_pair(sequence, sealed);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Spool>> Spool::Open(SpoolOptions options) {
  TRACKLY_RETURN_IF_ERROR(ValidateOptions(options));
  std::error_code error;
  std::filesystem::create_directories(options.directory, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create spool directory ", options.directory, ": ", error.message()));
  }
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<DirectoryLock> lock, DirectoryLock::Acquire(options.directory));
  std::unique_ptr<Spool> spool(new Spool(std::move(options), std::move(lock)));
  TRACKLY_RETURN_IF_ERROR(spool->Recover());
  spool->writer_ = std::thread([s = spool.get()] { s->RunWriter(); });
  return spool;
}

Spool::Spool(SpoolOptions options, std::unique_ptr<DirectoryLock> lock)
    : options_(std::move(options)),
      lock_(std::move(lock)),
      // Seeded by the node id: deterministic for a node, different between nodes, so nodes that
      // lost the same ClickHouse do not retry in step.
      backoff_(options_.retry_min, options_.retry_max, std::hash<std::string>{}(options_.node_id)) {}

Spool::~Spool() { Close(); }

std::string Spool::SegmentPath(uint64_t sequence, bool sealed) const {
  return absl::StrCat(options_.directory, "/", absl::Dec(sequence, absl::kZeroPad20),
                      sealed ? Sv(kSealedSuffix) : Sv(kOpenSuffix));
}

absl::Status Spool::Recover() {
  std::vector<std::pair<uint64_t, bool>> found;  // (sequence, sealed)
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(options_.directory, error)) {
    if (auto parsed = ParseSegmentName(entry.path().filename().string())) found.push_back(*parsed);
  }
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot list spool directory ", options_.directory, ": ", error.message()));
  }
  std::sort(found.begin(), found.end());
  const uint64_t open_sequence = found.empty() ? 1 : found.back().first + 1;
  // The new open segment comes first, so the highest number on disk never goes down, whatever
  // happens to the old files below.
  TRACKLY_ASSIGN_OR_RETURN(appender_, SegmentAppender::Create(SegmentPath(open_sequence, false)));

  std::deque<SegmentInfo> sealed;
  uint64_t bytes = appender_->size_bytes();
  uint64_t ordinal = 1;
  for (const auto& [sequence, is_sealed] : found) {
    const std::string path = SegmentPath(sequence, is_sealed);
    TRACKLY_ASSIGN_OR_RETURN(SegmentScan scan, ScanSegmentFile(path, /*keep_payloads=*/false));
    uint64_t segment_bytes = scan.file_bytes;
    if (!is_sealed) {
      // The segment being appended to when the last run ended: a damaged tail is a write that
      // was never synced, so never acknowledged.
      if (!scan.damage.empty() && scan.record_count > 0) {
        LogWarn("spool: cutting ", scan.file_bytes - scan.valid_bytes, " unacknowledged bytes off ", path, " (",
                scan.damage, ")");
        TRACKLY_RETURN_IF_ERROR(TruncateFile(path, scan.valid_bytes));
        segment_bytes = scan.valid_bytes;
      }
      if (scan.record_count == 0) {
        TRACKLY_RETURN_IF_ERROR(RemoveFile(path));
        continue;
      }
      // Not synced: should the rename be lost in a crash, the next Open seals the file again.
      TRACKLY_RETURN_IF_ERROR(RenameFile(path, SegmentPath(sequence, true)));
    } else if (!scan.damage.empty()) {
      LogError("spool: sealed segment ", path, " is damaged at byte ", scan.valid_bytes, ": ", scan.damage,
               "; shipping will stop at it");
    }
    sealed.push_back(SegmentInfo{.sequence = sequence,
                                 .bytes = segment_bytes,
                                 .records = scan.record_count,
                                 .first_append_time_ns = scan.first_append_time_ns,
                                 .first_ordinal = ordinal});
    // One ordinal more than it has records: a Flush then waits for a damaged segment too, even
    // one in which no record can be read.
    ordinal += scan.record_count + 1;
    bytes += segment_bytes;
  }
  TRACKLY_RETURN_IF_ERROR(SyncDirectory(options_.directory));

  absl::MutexLock lock(&mu_);
  open_ = SegmentInfo{.sequence = open_sequence, .bytes = appender_->size_bytes()};
  sealed_ = std::move(sealed);
  disk_bytes_ = bytes;
  next_ordinal_ = ordinal;
  return absl::OkStatus();
}

absl::Status Spool::Append(std::string record, AppendDone done) {
  const uint64_t framed = FramedBytes(record.size());
  const int64_t now_ns = options_.clock->NowNanos();
  absl::MutexLock lock(&mu_);
  if (closing_) return absl::UnavailableError("the spool is closing; append refused");
  // Room is kept for the magic of the next segment, which sealing creates before it frees anything.
  const uint64_t budget = options_.max_bytes - kSegmentMagic.size();
  if (record.size() > kMaxRecordBytes || framed > budget - kSegmentMagic.size()) {
    return absl::ResourceExhaustedError(absl::StrCat("a spool record of ", record.size(),
                                                     " bytes can never fit in a spool of max_bytes ",
                                                     options_.max_bytes));
  }
  if (disk_bytes_ + pending_bytes_ + framed > budget) {
    // Unavailable, not ResourceExhausted: the record fits once shipping frees room, so the
    // client should retry later (503 + Retry-After, base/status.h), not give up (413).
    return absl::UnavailableError(absl::StrCat(
        "the spool is full: ", disk_bytes_, " bytes on disk and ", pending_bytes_, " queued, plus a record of ",
        framed, " bytes would exceed max_bytes ", options_.max_bytes));
  }
  pending_.push_back(Pending{std::move(record), now_ns, next_ordinal_++, std::move(done)});
  pending_bytes_ += framed;
  return absl::OkStatus();
}

absl::Status Spool::StartShipping(Sink sink) {
  absl::MutexLock close_lock(&close_mu_);
  absl::MutexLock lock(&mu_);
  if (closing_) return absl::UnavailableError("the spool is closing; shipping not started");
  if (shipping_) return absl::FailedPreconditionError("the spool is already shipping");
  sink_ = std::move(sink);
  shipping_ = true;
  shipper_ = std::thread([this] { RunShipper(); });
  return absl::OkStatus();
}

absl::Status Spool::Flush(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  if (closing_) return absl::UnavailableError("the spool is closing; flush refused");
  if (!shipping_) return absl::FailedPreconditionError("spool flush before StartShipping: nothing would ship");
  const uint64_t target = next_ordinal_ - 1;
  seal_through_ordinal_ = std::max(seal_through_ordinal_, target);
  const auto flushed = [this, target]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::optional<uint64_t> oldest = OldestUnshippedOrdinal();
    return closing_ || !oldest || *oldest > target;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&flushed), timeout)) {
    return absl::DeadlineExceededError(absl::StrCat(
        "spool flush timed out after ", absl::FormatDuration(timeout), " with ", sealed_.size(),
        " sealed segments waiting", last_error_.empty() ? "" : "; last error: ", last_error_));
  }
  if (closing_) return absl::UnavailableError("the spool closed during the flush");
  return absl::OkStatus();
}

void Spool::Close() {
  absl::MutexLock close_lock(&close_mu_);
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  if (writer_.joinable()) writer_.join();
  {
    absl::MutexLock lock(&mu_);
    shipper_stopping_ = true;
  }
  if (shipper_.joinable()) shipper_.join();
}

SpoolStats Spool::Stats() const {
  const int64_t now_ns = options_.clock->NowNanos();
  absl::MutexLock lock(&mu_);
  SpoolStats stats;
  stats.bytes_on_disk = disk_bytes_;
  stats.max_bytes = options_.max_bytes;
  stats.sealed_segments = sealed_.size();
  stats.records_waiting = open_.records;
  for (const SegmentInfo& info : sealed_) stats.records_waiting += info.records;
  const SegmentInfo* oldest = !sealed_.empty() ? &sealed_.front() : open_.records > 0 ? &open_ : nullptr;
  if (oldest != nullptr && oldest->records > 0) {
    stats.oldest_record_age = absl::Nanoseconds(std::max<int64_t>(0, now_ns - oldest->first_append_time_ns));
  }
  stats.consecutive_failures = consecutive_failures_;
  stats.last_error = last_error_;
  stats.group_commits = group_commits_;
  stats.shipped_segments = shipped_segments_;
  stats.shipped_records = shipped_records_;
  return stats;
}

bool Spool::ShouldSeal() const {
  if (open_.records == 0) return false;
  return open_.bytes >= options_.segment_bytes || open_.first_ordinal <= seal_through_ordinal_ ||
         options_.clock->NowNanos() - open_.first_append_time_ns >= absl::ToInt64Nanoseconds(options_.segment_max_age);
}

bool Spool::SealDue() const { return ShouldSeal() && absl::Now() >= seal_retry_at_; }

bool Spool::WriterHasWork() const { return !pending_.empty() || closing_ || SealDue(); }

void Spool::RunWriter() {
  while (true) {
    std::deque<Pending> group;
    {
      absl::MutexLock lock(&mu_);
      while (!WriterHasWork()) {
        if (open_.records == 0) {
          mu_.Await(absl::Condition(this, &Spool::WriterHasWork));
          continue;
        }
        // The clock says when the open segment is due (a failed seal, when its retry is): wait
        // that long, then look again.
        absl::Duration wait = ShouldSeal() ? seal_retry_at_ - absl::Now()
                                           : absl::Nanoseconds(open_.first_append_time_ns - options_.clock->NowNanos() +
                                                               absl::ToInt64Nanoseconds(options_.segment_max_age));
        mu_.AwaitWithTimeout(absl::Condition(this, &Spool::WriterHasWork), std::max(wait, absl::ZeroDuration()));
      }
      if (pending_.empty() && closing_) return;  // everything accepted is acknowledged
      // A group fills the open segment at most (but takes one record at least), so segments, which
      // the shipper holds in memory whole, stay near segment_bytes however fast appends come.
      // When a failed seal left the segment full, groups are not capped until a seal succeeds.
      const bool capped = open_.bytes < options_.segment_bytes;
      uint64_t group_bytes = 0;
      while (!pending_.empty()) {
        const uint64_t framed = FramedBytes(pending_.front().record.size());
        if (capped && !group.empty() && open_.bytes + group_bytes + framed > options_.segment_bytes) break;
        group_bytes += framed;
        group.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
      if (!group.empty()) writing_first_ordinal_ = group.front().ordinal;
    }
    if (!group.empty()) WriteGroup(std::move(group));
    bool seal = false;
    {
      absl::MutexLock lock(&mu_);
      seal = SealDue();
    }
    if (seal) {
      if (absl::Status status = Seal(); !status.ok()) {
        LogError("spool: ", status.message());
        absl::MutexLock lock(&mu_);
        last_error_ = std::string(status.message());
        seal_retry_at_ = absl::Now() + kSealRetryDelay;  // appends go on into the open segment meanwhile
      }
    }
  }
}

void Spool::WriteGroup(std::deque<Pending> group) {
  std::string frames;
  for (const Pending& pending : group) AppendFrame(pending.record, pending.append_time_ns, frames);
  absl::Status status = absl::OkStatus();
  if (needs_repair_) {
    status = appender_->Repair();
    needs_repair_ = !status.ok();
  }
  if (status.ok()) {
    status = appender_->AppendAndSync(frames);
    if (!status.ok()) {
      const absl::Status repaired = appender_->Repair();
      needs_repair_ = !repaired.ok();
    }
  }
  {
    absl::MutexLock lock(&mu_);
    pending_bytes_ -= frames.size();
    writing_first_ordinal_.reset();
    if (status.ok()) {
      if (open_.records == 0) {
        open_.first_append_time_ns = group.front().append_time_ns;
        open_.first_ordinal = group.front().ordinal;
      }
      ++group_commits_;
      open_.records += group.size();
      disk_bytes_ += appender_->size_bytes() - open_.bytes;
      open_.bytes = appender_->size_bytes();
    } else {
      LogError("spool: ", status.message());
      last_error_ = std::string(status.message());
    }
  }
  for (Pending& pending : group) pending.done(status);
}

absl::Status Spool::Seal() {
  uint64_t sequence = 0;
  {
    absl::MutexLock lock(&mu_);
    sequence = open_.sequence;
  }
  // The next segment exists (durably) before this one is sealed, so the highest sequence number
  // on disk is always the open segment's. Kept across a failed rename, to be used on the retry.
  if (next_appender_ == nullptr) {
    TRACKLY_ASSIGN_OR_RETURN(next_appender_, SegmentAppender::Create(SegmentPath(sequence + 1, false)));
    absl::MutexLock lock(&mu_);
    disk_bytes_ += next_appender_->size_bytes();
  }
  // Not followed by a directory sync: the records are already durable, and should a crash lose
  // the rename, Open finds the file still open and seals it again, with the same contents, so the
  // same dedup token.
  TRACKLY_RETURN_IF_ERROR(RenameFile(SegmentPath(sequence, false), SegmentPath(sequence, true)));
  appender_ = std::move(next_appender_);
  absl::MutexLock lock(&mu_);
  sealed_.push_back(open_);
  open_ = SegmentInfo{.sequence = sequence + 1, .bytes = appender_->size_bytes()};
  return absl::OkStatus();
}

void Spool::RunShipper() {
  while (true) {
    SegmentInfo info;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Spool* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) { return !s->sealed_.empty() || s->shipper_stopping_; },
          this));
      if (shipper_stopping_) return;
      info = sealed_.front();
    }
    absl::StatusOr<Segment> segment = ReadSealed(info);
    absl::Status status = segment.ok() ? sink_(*segment) : segment.status();
    // A failed delete is a failed attempt: the segment is sent again, with the same token.
    if (status.ok()) status = RemoveFile(SegmentPath(info.sequence, true));
    absl::MutexLock lock(&mu_);
    if (status.ok()) {
      sealed_.pop_front();
      disk_bytes_ -= info.bytes;
      ++shipped_segments_;
      shipped_records_ += info.records;
      consecutive_failures_ = 0;
      continue;
    }
    ++consecutive_failures_;
    last_error_ = absl::StrCat("shipping spool segment ", info.sequence, ": ", status.ToString());
    LogWarn("spool: ", last_error_, " (attempt ", consecutive_failures_, ")");
    mu_.AwaitWithTimeout(absl::Condition(&shipper_stopping_), backoff_.Delay(consecutive_failures_));
  }
}

absl::StatusOr<Segment> Spool::ReadSealed(const SegmentInfo& info) const {
  const std::string path = SegmentPath(info.sequence, true);
  TRACKLY_ASSIGN_OR_RETURN(SegmentScan scan, ScanSegmentFile(path, /*keep_payloads=*/true));
  if (!scan.damage.empty()) {
    return absl::DataLossError(absl::StrCat("spool segment ", path, " is damaged at byte ", scan.valid_bytes, " of ",
                                            scan.file_bytes, " (", scan.damage,
                                            "); it is kept and retried: move it out of the spool directory and "
                                            "restart to ship the segments behind it"));
  }
  Segment segment;
  segment.sequence = info.sequence;
  segment.dedup_token =
      absl::StrCat(options_.node_id, "-", info.sequence, "-", absl::Hex(scan.crc32, absl::kZeroPad8));
  segment.records = std::move(scan.payloads);
  segment.bytes = std::move(scan.bytes);
  return segment;
}

std::optional<uint64_t> Spool::OldestUnshippedOrdinal() const {
  // Ordinals grow from the sealed segments through the open one and the group being written to
  // the queue, so the first non-empty place holds the oldest.
  if (!sealed_.empty()) return sealed_.front().first_ordinal;
  if (open_.records > 0) return open_.first_ordinal;
  if (writing_first_ordinal_) return writing_first_ordinal_;
  if (!pending_.empty()) return pending_.front().ordinal;
  return std::nullopt;
}

}  // namespace trackly::spool
