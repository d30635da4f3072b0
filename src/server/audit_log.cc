#include "server/audit_log.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/log.h"
#include "base/status.h"
#include "model/time_format.h"
#include "server/http_status.h"

namespace trackly::server {
namespace {

// Actors and targets can come from a request (the user name a failed sign-in tried); this keeps
// one event small and printable whatever was sent.
constexpr size_t kMaxFieldBytes = 256;

// `text` cut to at most kMaxFieldBytes without splitting a UTF-8 sequence, with control characters
// as '?' so printing an event (`trackly audit`) cannot send escape sequences to a terminal.
std::string Sanitized(std::string_view text) {
  size_t end = text.size();
  if (end > kMaxFieldBytes) {
    end = kMaxFieldBytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  }
  std::string out(text.substr(0, end));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

}  // namespace

std::string UserActor(std::string_view user) { return absl::StrCat("user:", Sv(user)); }
std::string KeyActor(std::string_view key_id) { return absl::StrCat("key:", Sv(key_id)); }
std::string LinkActor(std::string_view project) { return absl::StrCat("link:", Sv(project)); }
std::string CliActor(std::string_view os_user) { return absl::StrCat("cli:", Sv(os_user)); }

std::string AuditActor(const RequestContext& context) {
  if (!context.user.empty()) return UserActor(context.user);
  if (!context.key_id.empty()) return KeyActor(context.key_id);
  // Only a UI session carries a CSRF token; one without a user is a project's login link.
  if (!context.csrf_token.empty()) return LinkActor(context.project);
  return std::string(kSystemActor);
}

store::AuditEvent MakeEvent(std::string_view project, std::string actor, std::string_view action,
                            std::string_view target, const model::Json& details) {
  return store::AuditEvent{.project = std::string(project),
                           .actor = Sanitized(actor),
                           .action = std::string(action),
                           .target = Sanitized(target),
                           .details_json = details.is_null() ? "{}" : model::DumpJson(details)};
}

store::AuditEvent RequestEvent(const RequestContext& context, std::string_view action, std::string_view target,
                               const model::Json& details) {
  return MakeEvent(context.project, AuditActor(context), action, target, details);
}

model::Json AuditEventJson(const store::AuditEvent& event) {
  model::Json details = model::Json::parse(event.details_json, nullptr, /*allow_exceptions=*/false);
  return model::Json{{"id", event.id},
                     {"time", model::FormatRfc3339Micros(event.time_ns)},
                     {"project", event.project.empty() ? model::Json(nullptr) : model::Json(event.project)},
                     {"actor", event.actor},
                     {"action", event.action},
                     {"target", event.target},
                     {"details", details.is_object() ? details : model::Json::object()}};
}

model::Json RecomputeAuditDetails(const store::RewriteRange& range, const query::RecomputeReport& report) {
  auto time = [](int64_t ns) { return ns == 0 ? model::Json(nullptr) : model::Json(model::FormatRfc3339Micros(ns)); };
  return model::Json{{"from", time(range.from_ns)},
                     {"to", time(range.to_ns)},
                     {"observations_repriced", report.observations_repriced}};
}

absl::Status RecordAudit(store::Catalog& catalog, const Clock& clock, store::AuditEvent event) {
  if (event.time_ns == 0) event.time_ns = clock.NowNanos();
  return catalog.AppendAudit({std::move(event)});
}

absl::Status UnrecordedChangeError(const absl::Status& recorded) {
  return absl::Status(recorded.code(), absl::StrCat("the change was made but could not be recorded in the audit log: ",
                                                    recorded.message()));
}

HttpResponse RecordedOr(AuditLog& audit, store::AuditEvent event, HttpResponse success) {
  absl::Status recorded = audit.Record(std::move(event));
  if (recorded.ok()) return success;
  LogError("audit log: a change was made but not recorded: ", recorded.ToString());
  return ErrorResponse(UnrecordedChangeError(recorded));
}

AuditLog::AuditLog(store::Catalog& catalog, const Clock& clock, Options options)
    : catalog_(catalog), clock_(clock), options_(options), writer_([this] { RunWriter(); }) {}

AuditLog::~AuditLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_.join();
  if (absl::Status flushed = Flush(); !flushed.ok()) {
    LogError("audit log: queued events lost at shutdown: ", flushed.ToString());
  }
}

absl::Status AuditLog::Record(store::AuditEvent event) { return RecordAudit(catalog_, clock_, std::move(event)); }

void AuditLog::RecordLater(store::AuditEvent event) {
  if (event.time_ns == 0) event.time_ns = clock_.NowNanos();
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= options_.max_queued_events) {
    // Logged once per thousand so a flood of views cannot flood the log too.
    if (dropped_events_++ % 1000 == 0) LogWarn("audit log: queue full, dropping queued events (", dropped_events_, " so far)");
    return;
  }
  queue_.push_back(std::move(event));
}

absl::Status AuditLog::Flush() {
  absl::MutexLock flush_lock(&flush_mu_);
  std::vector<store::AuditEvent> batch;
  {
    absl::MutexLock lock(&mu_);
    batch.swap(queue_);
  }
  if (batch.empty()) return absl::OkStatus();
  absl::Status status = catalog_.AppendAudit(batch);
  if (status.ok()) return status;
  // Back in front of what was queued meanwhile, keeping the oldest when there is not room for all.
  absl::MutexLock lock(&mu_);
  const size_t room = options_.max_queued_events - std::min(options_.max_queued_events, queue_.size());
  if (batch.size() > room) {
    dropped_events_ += static_cast<int64_t>(batch.size() - room);
    batch.resize(room);
  }
  queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
  return status;
}

int64_t AuditLog::dropped_events() const {
  absl::MutexLock lock(&mu_);
  return dropped_events_;
}

bool AuditLog::ShouldWrite() const { return stopping_ || queue_.size() >= options_.flush_batch_events; }

void AuditLog::RunWriter() {
  const absl::Duration interval = absl::Milliseconds(options_.flush_interval_ms);
  mu_.Lock();
  while (!stopping_) {
    mu_.AwaitWithTimeout(absl::Condition(this, &AuditLog::ShouldWrite), interval);
    if (stopping_ || queue_.empty()) continue;  // the destructor writes the rest
    mu_.Unlock();
    absl::Status flushed = Flush();
    mu_.Lock();
    if (!flushed.ok()) {
      LogWarn("audit log: cannot write queued events, retrying: ", flushed.ToString());
      // A full queue would wake the writer at once; wait out the interval before retrying.
      mu_.AwaitWithTimeout(absl::Condition(this, &AuditLog::Stopping), interval);
    }
  }
  mu_.Unlock();
}

}  // namespace trackly::server
