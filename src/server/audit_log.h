// The audit log (docs/security.md "Audit log", docs/api.md "Audit log"): who changed what and who
// viewed which trace, kept in store::Catalog (append-only). Every event goes through this file:
// the actor forms and the one rule that derives a request's actor, the action names, and
// AuditLog, which writes admin changes at once and buffers frequent events.
//
// Contract of the two ways in:
// - Record(): admin changes (keys, members, users, projects, prices, cost recomputes, sign-ins that
//   succeed). Durable (fsynced) when it returns OK. Callers record right after the change
//   succeeded and BEFORE answering success; when recording fails they answer the error (500)
//   instead, so a success answer always means the change is in the log. (A crash between the
//   change and its record can still lose that one record; the change itself is durable.)
// - RecordLater(): frequent events (trace and session views, failed sign-ins) go to a bounded
//   in-memory queue, written by a background thread every flush_interval_ms or as soon as
//   flush_batch_events are queued, and on destruction. A crash loses at most the events of the
//   last flush interval; when the queue is full new events are dropped and counted (never
//   blocking a request, never growing memory without bound).
//
// Details never hold secrets, passwords, tokens or request bodies: each call site puts in a few
// named fields (a key's scopes, a member's role), nothing copied from a body wholesale.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "model/json.h"
#include "query/cost_recompute.h"
#include "server/router.h"
#include "store/catalog.h"

namespace trackly::server {

// Action names (store::AuditEvent::action). Retention, redaction, export and deletion add theirs here.
namespace audit_action {
inline constexpr std::string_view kProjectCreate = "project.create";
inline constexpr std::string_view kKeyCreate = "key.create";
inline constexpr std::string_view kKeyRevoke = "key.revoke";
inline constexpr std::string_view kMemberPut = "member.put";        // a role given or changed
inline constexpr std::string_view kMemberRemove = "member.remove";
inline constexpr std::string_view kUserCreate = "user.create";      // instance-wide
inline constexpr std::string_view kUserPassword = "user.password";  // instance-wide
inline constexpr std::string_view kUserDelete = "user.delete";      // instance-wide
inline constexpr std::string_view kModelPricePut = "model_price.put";
inline constexpr std::string_view kModelPriceRemove = "model_price.remove";
inline constexpr std::string_view kCostRecompute = "cost.recompute";
inline constexpr std::string_view kLoginLinkCreate = "login_link.create";
inline constexpr std::string_view kSignIn = "signin.success";
inline constexpr std::string_view kSignInFailure = "signin.failure";
inline constexpr std::string_view kTraceView = "trace.view";
inline constexpr std::string_view kSessionView = "session.view";
inline constexpr std::string_view kExport = "traces.export";
inline constexpr std::string_view kRedactionUpdate = "redaction.update";  // a project's rules replaced
inline constexpr std::string_view kTraceDelete = "trace.delete";          // erasure of one trace
inline constexpr std::string_view kSessionDelete = "session.delete";      // erasure of a session's traces
inline constexpr std::string_view kUserDataDelete = "user_data.delete";   // erasure of an end user's traces
inline constexpr std::string_view kRetentionUpdate = "retention.update";  // a project's own retention set
inline constexpr std::string_view kRetentionRemove = "retention.remove";  // back to the server's defaults
inline constexpr std::string_view kRetentionRun = "retention.run";  // expiry applied on request, with counts
inline constexpr std::string_view kRulesUpdate = "rules.update";    // a project's process rules replaced
inline constexpr std::string_view kSamplingUpdate = "sampling.update";  // a project's tail sampling policy replaced
inline constexpr std::string_view kAlertsUpdate = "alerts.update";  // a project's alert rules replaced
}  // namespace audit_action

// Actor forms (store::AuditEvent::actor).
inline constexpr std::string_view kSystemActor = "system";        // auth off: no credential at all
inline constexpr std::string_view kAnonymousActor = "anonymous";  // proved nothing (a failed login link)
std::string UserActor(std::string_view user);        // "user:<name>"
std::string KeyActor(std::string_view key_id);       // "key:<key id>"
std::string LinkActor(std::string_view project);     // "link:<project>": a project's login-link session
std::string CliActor(std::string_view os_user);      // "cli:<OS user name>": the CLI on a data dir

// The one rule for who made a request: a signed-in user, else the API key, else a project's
// login-link session, else (auth off) the system.
std::string AuditActor(const RequestContext& context);

// An event of `context`'s caller in its project. `details` must be a JSON object (or null for {}).
store::AuditEvent RequestEvent(const RequestContext& context, std::string_view action, std::string_view target,
                               const model::Json& details = nullptr);

// An event of `actor` in `project` ("" = instance-wide).
store::AuditEvent MakeEvent(std::string_view project, std::string actor, std::string_view action,
                            std::string_view target, const model::Json& details = nullptr);

class AuditLog;

// An event as the API and `trackly audit --json` show it: {"id", "time", "project" (null when
// instance-wide), "actor", "action", "target", "details"}.
model::Json AuditEventJson(const store::AuditEvent& event);

// Details of a cost.recompute: the range ("from", "to", null when unbounded) and how many
// observations were repriced.
model::Json RecomputeAuditDetails(const store::RewriteRange& range, const query::RecomputeReport& report);

// Appends one event durably; time_ns 0 becomes `clock`'s now. For a process that records a few
// changes and exits (the CLI); a server uses AuditLog.
absl::Status RecordAudit(store::Catalog& catalog, const Clock& clock, store::AuditEvent event);

// The error to report for a change that was made but whose record failed with `recorded`: the same
// code, a message saying so.
absl::Status UnrecordedChangeError(const absl::Status& recorded);

// `success` when `event` could be recorded (AuditLog::Record); otherwise an error answer saying the
// change was made but not recorded, with the catalog's status code. For handlers of admin changes,
// called after the change and before answering.
HttpResponse RecordedOr(AuditLog& audit, store::AuditEvent event, HttpResponse success);

// Thread-safe. See the file comment for what each method guarantees.
class AuditLog {
 public:
  struct Options {
    size_t max_queued_events = 10'000;  // RecordLater drops (and counts) beyond this
    size_t flush_batch_events = 500;    // a queue this long is written without waiting for the interval
    int64_t flush_interval_ms = 1'000;  // queued events are written at least this often
  };

  // Starts the background writer. `catalog` and `clock` must outlive the AuditLog.
  AuditLog(store::Catalog& catalog, const Clock& clock, Options options);
  AuditLog(store::Catalog& catalog, const Clock& clock) : AuditLog(catalog, clock, Options()) {}
  // Stops the writer and writes what is still queued (a failure is logged).
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends `event` durably before returning; time_ns 0 becomes now. The catalog's error otherwise.
  absl::Status Record(store::AuditEvent event);
  // Queues `event` (time_ns 0 becomes now) without touching the disk.
  void RecordLater(store::AuditEvent event);
  // Writes every event queued before the call; durable when it returns OK. On failure the events
  // stay queued (as far as the queue has room) for the next flush.
  absl::Status Flush();

  // Events RecordLater dropped because the queue was full or a failed flush left no room.
  int64_t dropped_events() const;

 private:
  void RunWriter();
  bool ShouldWrite() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool Stopping() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; }

  store::Catalog& catalog_;
  const Clock& clock_;
  const Options options_;
  absl::Mutex flush_mu_;  // one flush at a time, so queued events are appended in order
  mutable absl::Mutex mu_;
  std::vector<store::AuditEvent> queue_ ABSL_GUARDED_BY(mu_);
  int64_t dropped_events_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;  // last: started once the members it uses exist
};

}  // namespace trackly::server
