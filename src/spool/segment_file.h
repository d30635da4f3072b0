// One spool segment file: how records are framed on disk, how a file is read back and checked,
// the descriptor the spool appends through, and the few other file-system calls the spool makes
// (errors name the path and say what failed, and are Unavailable unless said otherwise).
// The layout is described in docs/scale-out.md ("The spool on disk"):
//   file    = magic "TRKSPL01" (8 bytes), then records back to back
//   record  = crc32 (u32 LE) | payload length (u32 LE) | append time ns (i64 LE) | payload
// The crc32 (zlib's) covers length, time and payload, so a record cut short or overwritten by a
// crash fails its check; reading stops at the first record that does, and everything before it
// is intact. Nothing here knows what the payloads mean.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace trackly::spool {

inline constexpr std::string_view kSegmentMagic = "TRKSPL01";
inline constexpr uint64_t kRecordHeaderBytes = 16;
// The largest payload the u32 length field can frame.
inline constexpr uint64_t kMaxRecordBytes = UINT32_MAX;

// Bytes one record of `payload_bytes` takes on disk.
inline uint64_t FramedBytes(uint64_t payload_bytes) { return kRecordHeaderBytes + payload_bytes; }

// Appends the frame of one record to `out`. `payload.size()` must be at most kMaxRecordBytes.
void AppendFrame(std::string_view payload, int64_t append_time_ns, std::string& out);

// What a segment file holds, read from its start up to the first record that fails its check.
struct SegmentScan {
  // Filled only when asked for: the file's bytes (mapped, released with the last copy), and the
  // payloads in append order (views into `bytes`).
  std::shared_ptr<const char[]> bytes;
  std::vector<std::string_view> payloads;
  uint64_t record_count = 0;
  int64_t first_append_time_ns = 0;  // 0 when there are no records
  uint64_t valid_bytes = 0;          // the magic and every whole, checked record
  uint64_t file_bytes = 0;
  uint32_t crc32 = 0;  // of the first valid_bytes bytes
  // Empty when valid_bytes == file_bytes; otherwise what is wrong at offset valid_bytes.
  std::string damage;
};

// Reads the file at `path`. Errors only when the file cannot be read; a bad magic, a torn or
// corrupt record is reported in `damage` (a file shorter than the magic has valid_bytes 0).
absl::StatusOr<SegmentScan> ScanSegmentFile(const std::string& path, bool keep_payloads);

// Not thread-safe (one owner appends). A segment file open for appending; closes on destruction.
class SegmentAppender {
 public:
  // Creates `path` (which must not exist) holding only the magic, and makes the file and its
  // directory entry durable before returning.
  static absl::StatusOr<std::unique_ptr<SegmentAppender>> Create(const std::string& path);
  ~SegmentAppender();
  SegmentAppender(const SegmentAppender&) = delete;
  SegmentAppender& operator=(const SegmentAppender&) = delete;

  // Writes `frames` at the end and fdatasync()s; OK means every byte of the file is durable.
  // On error the tail past size_bytes() is unknown: call Repair() before appending again.
  absl::Status AppendAndSync(std::string_view frames);
  // Cuts the file back to size_bytes() (what the last successful sync made durable) and syncs.
  absl::Status Repair();
  // Bytes known durable: the magic and every record of a successful AppendAndSync.
  uint64_t size_bytes() const { return size_bytes_; }

 private:
  SegmentAppender(std::string path, int fd, uint64_t size_bytes)
      : path_(std::move(path)), fd_(fd), size_bytes_(size_bytes) {}

  const std::string path_;
  const int fd_;
  uint64_t size_bytes_;
};

// Not thread-safe. An exclusive flock on `<dir>/LOCK`, held until destruction. The kernel drops it
// when the holder dies (kill -9 included), so no stale lock survives a crash.
class DirectoryLock {
 public:
  // FailedPrecondition when another holder (this process or another) has the directory.
  static absl::StatusOr<std::unique_ptr<DirectoryLock>> Acquire(const std::string& dir);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  const int fd_;
};

absl::Status RenameFile(const std::string& from, const std::string& to);
absl::Status RemoveFile(const std::string& path);

// Cuts the file at `path` to its first `size_bytes` bytes (dropping a torn tail) and syncs it.
absl::Status TruncateFile(const std::string& path, uint64_t size_bytes);

// fsync()s the directory at `dir`, making renames, creations and removals in it durable.
absl::Status SyncDirectory(const std::string& dir);

}  // namespace trackly::spool
