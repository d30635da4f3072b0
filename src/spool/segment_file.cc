#include "spool/segment_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "boost/endian/conversion.hpp"

// The framing is written here rather than taken from a library: none in the build frames records
// with a checksum for an append-only file (protobuf's delimited streams carry no checksum,
// LevelDB's log format is not a Debian dependency of ours), and the format is four fields.
namespace trackly::spool {
namespace {

absl::Status ErrnoError(std::string_view what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(Sv(what), " ", path, ": ", std::strerror(errno)));
}

uint32_t Crc32(uint32_t crc, std::string_view bytes) {
  return static_cast<uint32_t>(crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

unsigned char* Bytes(char* p) { return reinterpret_cast<unsigned char*>(p); }
const unsigned char* Bytes(const char* p) { return reinterpret_cast<const unsigned char*>(p); }

// The checksum of a record: over its length and time fields (header bytes 4..15) and payload.
uint32_t RecordCrc(std::string_view header, std::string_view payload) {
  return Crc32(Crc32(0, header.substr(4)), payload);
}

// A file's bytes in memory, released with the last copy of `data`.
struct FileBytes {
  std::shared_ptr<const char[]> data;
  size_t size = 0;
  std::string_view view() const { return std::string_view(data.get(), size); }
};

// The file's bytes, mapped: a segment is tens of megabytes, and reading it into memory cost a
// copy of each byte (and zeroed pages for the copy) that mapping the page cache does not. Only
// files no one writes are read (sealed segments, and open ones before any append at recovery),
// so the mapping does not change under its reader; an unlinked file stays mapped until released.
absl::StatusOr<FileBytes> MapWholeFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open spool segment", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    absl::Status error = ErrnoError("cannot stat spool segment", path);
    ::close(fd);
    return error;
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return FileBytes{};
  }
  // MAP_POPULATE: the whole file is read at once, so its page tables are filled in one go.
  void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  absl::Status error = mapped == MAP_FAILED ? ErrnoError("cannot map spool segment", path) : absl::OkStatus();
  ::close(fd);  // the mapping keeps the file
  if (!error.ok()) return error;
  return FileBytes{.data = std::shared_ptr<const char[]>(static_cast<const char*>(mapped),
                                                         [size](const char* p) { ::munmap(const_cast<char*>(p), size); }),
                   .size = size};
}

}  // namespace

void AppendFrame(std::string_view payload, int64_t append_time_ns, std::string& out) {
  char header[kRecordHeaderBytes];
  boost::endian::store_little_u32(Bytes(header + 4), static_cast<uint32_t>(payload.size()));
  boost::endian::store_little_s64(Bytes(header + 8), append_time_ns);
  boost::endian::store_little_u32(Bytes(header), RecordCrc(std::string_view(header, sizeof(header)), payload));
  out.append(header, sizeof(header));
  out.append(payload);
}

absl::StatusOr<SegmentScan> ScanSegmentFile(const std::string& path, bool keep_payloads) {
  absl::StatusOr<FileBytes> contents = MapWholeFile(path);
  if (!contents.ok()) return contents.status();
  const std::string_view file = contents->view();
  SegmentScan scan;
  if (keep_payloads) scan.bytes = contents->data;
  scan.file_bytes = file.size();
  if (file.size() < kSegmentMagic.size() || file.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
    scan.damage = file.size() < kSegmentMagic.size() ? "the file is shorter than its magic"
                                                     : "the file does not start with the segment magic";
    return scan;
  }
  uint64_t offset = kSegmentMagic.size();
  // The file's crc32 (the dedup token's) is built from the record checks as they pass, not by a
  // second pass over the file: a record's check is the crc32 of the bytes after its crc field up
  // to its end, so the file's crc32 continues over the crc field and then combines with it.
  uint32_t file_crc = Crc32(0, file.substr(0, offset));
  while (offset < file.size()) {
    const std::string_view rest = file.substr(offset);
    if (rest.size() < kRecordHeaderBytes) {
      scan.damage = "a record header is cut short";
      break;
    }
    const std::string_view header = rest.substr(0, kRecordHeaderBytes);
    const uint64_t length = boost::endian::load_little_u32(Bytes(header.data() + 4));
    if (rest.size() - kRecordHeaderBytes < length) {
      scan.damage = absl::StrCat("a record of ", length, " bytes is cut short");
      break;
    }
    const std::string_view payload = rest.substr(kRecordHeaderBytes, length);
    const uint32_t record_crc = RecordCrc(header, payload);
    if (boost::endian::load_little_u32(Bytes(header.data())) != record_crc) {
      scan.damage = "a record fails its checksum";
      break;
    }
    file_crc = static_cast<uint32_t>(crc32_combine(Crc32(file_crc, header.substr(0, 4)), record_crc,
                                                   static_cast<z_off_t>(kRecordHeaderBytes - 4 + length)));
    if (scan.record_count == 0) scan.first_append_time_ns = boost::endian::load_little_s64(Bytes(header.data() + 8));
    if (keep_payloads) scan.payloads.emplace_back(payload);
    ++scan.record_count;
    offset += FramedBytes(length);
  }
  scan.valid_bytes = offset;
  scan.crc32 = file_crc;
  return scan;
}

absl::StatusOr<std::unique_ptr<SegmentAppender>> SegmentAppender::Create(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot create spool segment", path);
  std::unique_ptr<SegmentAppender> appender(new SegmentAppender(path, fd, 0));
  absl::Status status = appender->AppendAndSync(kSegmentMagic);
  if (status.ok()) status = SyncDirectory(std::filesystem::path(path).parent_path().string());
  if (!status.ok()) {
    ::unlink(path.c_str());  // best effort, so that a retry can create the file again
    return status;
  }
  return appender;
}

SegmentAppender::~SegmentAppender() { ::close(fd_); }

absl::Status SegmentAppender::AppendAndSync(std::string_view frames) {
  while (!frames.empty()) {
    const ssize_t n = ::write(fd_, frames.data(), frames.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("cannot write spool segment", path_);
    frames.remove_prefix(static_cast<size_t>(n));
  }
  if (::fdatasync(fd_) != 0) return ErrnoError("fdatasync failed on spool segment", path_);
  // Only now: what size_bytes_ promises is durable.
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return ErrnoError("cannot stat spool segment", path_);
  size_bytes_ = static_cast<uint64_t>(st.st_size);
  return absl::OkStatus();
}

absl::Status SegmentAppender::Repair() {
  // A failed write or fdatasync leaves the pages after size_bytes_ in an unknown state (and a
  // later fdatasync may report success without having written them), so they are cut off rather
  // than trusted; the records in them were never acknowledged.
  if (::ftruncate(fd_, static_cast<off_t>(size_bytes_)) != 0) return ErrnoError("cannot truncate spool segment", path_);
  if (::fdatasync(fd_) != 0) return ErrnoError("fdatasync failed on spool segment", path_);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<DirectoryLock>> DirectoryLock::Acquire(const std::string& dir) {
  const std::string path = dir + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot open spool lock file", path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    absl::Status status = errno == EWOULDBLOCK ? absl::FailedPreconditionError(absl::StrCat(
                                                     "spool directory ", dir, " is in use by another spool"))
                                               : ErrnoError("cannot lock spool lock file", path);
    ::close(fd);
    return status;
  }
  return std::unique_ptr<DirectoryLock>(new DirectoryLock(fd));
}

DirectoryLock::~DirectoryLock() { ::close(fd_); }

absl::Status RenameFile(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot rename ", from, " to ", to, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return ErrnoError("cannot remove", path);
  return absl::OkStatus();
}

absl::Status TruncateFile(const std::string& path, uint64_t size_bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open spool segment", path);
  absl::Status status;
  if (::ftruncate(fd, static_cast<off_t>(size_bytes)) != 0) {
    status = ErrnoError("cannot truncate spool segment", path);
  } else if (::fdatasync(fd) != 0) {
    status = ErrnoError("fdatasync failed on spool segment", path);
  }
  ::close(fd);
  return status;
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open spool directory", dir);
  absl::Status status;
  if (::fsync(fd) != 0) status = ErrnoError("fsync failed on spool directory", dir);
  ::close(fd);
  return status;
}

}  // namespace trackly::spool
