// Projects, API keys, users and their roles. Kept apart from Store so admin commands (the CLI) can manage them on a data
// directory while a server runs on it, and so a scale-out backend can keep them elsewhere.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace trackly::store {

struct Project {
  std::string name;  // unique, immutable; the project key in every store row
  int64_t created_ns = 0;
};

// Scope bits of an API key.
enum Scope : uint32_t { kScopeIngest = 1u << 0, kScopeRead = 1u << 1, kScopeAdmin = 1u << 2 };

struct ApiKeyRecord {
  std::string id;           // public id, unique (the "pk" part)
  std::string project;
  uint32_t scopes = 0;      // Scope bits
  std::string secret_hash;  // hex SHA-256 of the secret; the secret itself is never stored
  int64_t created_ns = 0;
  int64_t revoked_ns = 0;   // 0 = active
  std::string name;         // optional label
};

// A person who signs in to the UI and API with a password (docs/security.md "Users and roles").
// A name is 1..128 ASCII letters, digits and '-', '_', '.', '@', starting with a letter or digit.
struct UserRecord {
  std::string name;           // unique, immutable
  std::string password_hash;  // an encoded argon2id hash (server/password.h); never the password
  int64_t created_ns = 0;
};

// What a user may do in one project, weakest first; RoleScopes says which API scopes each holds.
enum class Role { kViewer = 1, kMember = 2, kAdmin = 3, kOwner = 4 };

// A user's role in one project.
struct Membership {
  std::string user;
  std::string project;
  Role role = Role::kViewer;
  // False hides inputs, outputs and message contents from this member (meant for viewers).
  bool raw_io = true;
  int64_t created_ns = 0;
};

// A project's own model price (docs/cost.md "Project prices"): one entry in the price catalog
// format, stored as its JSON text.
struct ModelPriceRecord {
  std::string id;          // the entry's derived id, "custom:provider/model@valid_from"
  std::string project;
  std::string entry_json;  // cost::ToJson of the parsed entry (normalized, so it reads back equal)
  int64_t created_ns = 0;  // when this id was last put
};

// A project's own redaction rules (docs/security.md "Custom rules"): the JSON text
// {"rules": [...]} that normalize::ParseRedactionRulesText reads (normalize/redaction/rules.h).
struct RedactionRulesRecord {
  std::string project;
  std::string rules_json = R"({"rules":[]})";  // normalized (RedactionRulesToJson), so it reads back equal
  int64_t updated_ns = 0;                        // when they were last put; 0 = never
};

// A project's process rules (docs/insight.md "Process rules"): the JSON text {"rules": [...]} that
// analysis::ParseProcessRulesText reads (analysis/process_rules.h), checked on every finished trace.
struct ProcessRulesRecord {
  std::string project;
  std::string rules_json = R"({"rules":[]})";  // normalized (ProcessRulesToJson), so it reads back equal
  int64_t updated_ns = 0;                        // when they were last put; 0 = never
};

// A project's tail sampling policy (docs/insight.md "Tail sampling"): the JSON text that
// analysis::ParseSamplingPolicyText reads (analysis/sampling.h), applied to every finished trace.
struct SamplingPolicyRecord {
  std::string project;
  std::string policy_json = R"({"enabled":false})";  // normalized (SamplingPolicyToJson) once put
  int64_t updated_ns = 0;                              // when it was last put; 0 = never
};

// What tail sampling decided over some traces of one project: how many it kept (and for which
// reason: analysis::ToString(SampleReason), e.g. "error", "fraction") and how many it dropped.
struct SamplingTally {
  int64_t kept = 0;
  int64_t dropped = 0;
  std::map<std::string, int64_t> kept_by_reason;  // sums to `kept`
  bool operator==(const SamplingTally&) const = default;
};

// One project's tally of one UTC day (days since 1970-01-01, store::DayOf), the day of the decisions.
struct SamplingDayCounts {
  int64_t day = 0;
  SamplingTally tally;
  bool operator==(const SamplingDayCounts&) const = default;
};

// A project's alert rules (docs/insight.md "Alerts"): the JSON text {"rules": [...]} that
// store::ParseAlertRulesText reads (store/alert_rules.h), and the secret its webhook deliveries
// are signed with.
struct AlertRulesRecord {
  std::string project;
  std::string rules_json = R"({"rules":[]})";  // normalized (AlertRulesToJson), so it reads back equal
  int64_t updated_ns = 0;                        // when they were last put; 0 = never
  std::string webhook_secret;                    // "" until the project's first put gave it one
};

// What an alert event says happened to a rule: it started or stopped breaking its condition.
enum class AlertState { kFiring = 1, kResolved = 2 };
inline std::string_view ToString(AlertState state) { return state == AlertState::kFiring ? "firing" : "resolved"; }

// Where an alert event's webhook delivery stands.
struct AlertDelivery {
  enum class State { kPending = 1, kDelivered = 2, kFailed = 3 };
  State state = State::kPending;
  int attempts = 0;     // requests made so far
  int http_status = 0;  // of the last response; 0 when there was none
  std::string error;    // why it failed; "" otherwise
};
inline std::string_view ToString(AlertDelivery::State state) {
  return state == AlertDelivery::State::kPending ? "pending" : state == AlertDelivery::State::kDelivered ? "delivered" : "failed";
}

// One transition of an alert rule, with its delivery.
struct AlertEvent {
  int64_t id = 0;       // assigned by AppendAlertEvent: unique, increasing in append order
  std::string project;
  std::string alert;    // the rule's name
  int64_t time_ns = 0;  // when it was evaluated; > 0
  AlertState state = AlertState::kFiring;
  double value = 0;      // what the metric measured
  double threshold = 0;  // the rule's threshold then
  std::string rule_fingerprint;  // identifies the rule's definition then (server/alert_evaluator.h)
  AlertDelivery delivery;
};

// A project's alert events newest first (by id).
struct AlertEventQuery {
  std::string project;  // required
  std::string alert;    // only this rule's events; "" = every rule's
  int limit = 50;       // 1..kMaxListLimit (store/store.h)
};

// A project keeps its newest this many alert events; appending more drops the oldest.
inline constexpr int kMaxAlertEventsPerProject = 1000;

// A project's retention (docs/security.md "Retention"): its traces keep their full payloads
// (inputs, outputs, attributes, events, metadata) for `payload_days` days after the day they
// started, then only their summary (names, timing, tokens, cost, status) until `summary_days`
// days; 0 = keep forever. store/retention.h ValidateRetention says which values are allowed.
struct RetentionRecord {
  std::string project;
  int32_t payload_days = 0;
  int32_t summary_days = 0;
};

// Browser sign-in (docs/ui.md "Signing in"). A login token is a one-time secret that `trackly
// serve` and `trackly ui-token` print as a link; using it creates a UI session, which the browser
// holds in an HttpOnly cookie. Only the hex SHA-256 of either secret is stored.
enum class UiCredentialKind { kLoginToken = 1, kSession = 2 };

struct UiCredential {
  std::string secret_hash;
  UiCredentialKind kind = UiCredentialKind::kLoginToken;
  // A credential of a user (signed in with a password or a user's login link) acts as that user
  // in any project the user has a role in, `project` being where the UI opens (may be empty).
  // Without a user it holds every scope of `project` and of no other project.
  std::string user;
  std::string project;
  int64_t expires_ns = 0;
  std::string csrf_token;  // sessions: the value state-changing requests must echo in a header
};

// One entry of the audit log (docs/security.md "Audit log"): who did what to what, when. Written
// only through server/audit_log.h, which says what is recorded and when.
struct AuditEvent {
  int64_t id = 0;        // assigned by AppendAudit: unique, increasing in append order
  int64_t time_ns = 0;   // when it happened; > 0
  std::string project;   // the project it concerns; empty for instance-wide events (users, sign-ins)
  std::string actor;     // who: "user:<name>", "key:<id>", "link:<project>", "cli:<os user>", "system", "anonymous"
  std::string action;    // what, a dotted name such as "key.create" (server/audit_log.h lists them)
  std::string target;    // what it was done to (a key id, a user name, a trace id); may be empty
  std::string details_json = "{}";  // a small JSON object; never secrets, passwords, tokens or bodies
};

// Audit events newest first (by time_ns, then id). Every filter is an exact match.
struct AuditQuery {
  std::optional<std::string> project;  // unset = every event; "" = instance-wide events only
  std::string action;
  std::string actor;
  std::string target;
  int64_t from_ns = 0;  // time_ns >= from_ns; 0 = unbounded
  int64_t to_ns = 0;    // time_ns < to_ns; 0 = unbounded
  int limit = 50;       // 1..kMaxListLimit (store/store.h)
  std::string cursor;   // opaque next_cursor of a previous page; empty = first page
};

struct AuditPage {
  std::vector<AuditEvent> events;
  std::string next_cursor;  // empty when there is no further page
};

// Thread-safe. Every change is durable when the call returns OK. Changes made by another process
// on the same data directory are visible to later calls.
class Catalog {
 public:
  virtual ~Catalog() = default;
  // AlreadyExists if a project has this name; InvalidArgument for a bad name.
  virtual absl::StatusOr<Project> CreateProject(std::string_view name, int64_t now_ns) = 0;
  virtual absl::StatusOr<std::vector<Project>> ListProjects() = 0;
  // NotFound if there is no such project.
  virtual absl::StatusOr<Project> GetProject(std::string_view name) = 0;
  // NotFound if the project does not exist; AlreadyExists if the id is taken.
  virtual absl::Status InsertKey(const ApiKeyRecord& key) = 0;
  // All keys (revoked ones too) of a project, or of every project when `project` is empty.
  virtual absl::StatusOr<std::vector<ApiKeyRecord>> ListKeys(std::string_view project) = 0;
  // NotFound for an unknown id. Revoking twice keeps the first revocation time.
  virtual absl::Status RevokeKey(std::string_view id, int64_t now_ns) = 0;
  // NotFound for an unknown id (revoked keys are returned; the caller checks revoked_ns).
  virtual absl::StatusOr<ApiKeyRecord> FindKey(std::string_view id) = 0;

  // --- Project model prices ---
  // A backend that does not keep prices returns Unimplemented from all four (the default).
  // The custom prices of `project` (of every project when empty), ordered by project, then id.
  virtual absl::StatusOr<std::vector<ModelPriceRecord>> ListModelPrices(std::string_view /*project*/) {
    return Unimplemented();
  }
  // Adds a price to `project`, or replaces the price with the same id (a correction). The entry
  // is validated as cost::PriceEntryFromJson(custom=true) and together with the project's other
  // prices: InvalidArgument whose message starts with the field ("match: invalid RE2 pattern…",
  // "valid_from: prices of model … overlap…") for a bad entry; NotFound if the project does not
  // exist. Returns the stored record.
  virtual absl::StatusOr<ModelPriceRecord> PutModelPrice(std::string_view /*project*/,
                                                         std::string_view /*entry_json*/,
                                                         int64_t /*now_ns*/) {
    return Unimplemented();
  }
  // NotFound when `project` has no price with this id.
  virtual absl::Status RemoveModelPrice(std::string_view /*project*/, std::string_view /*id*/) {
    return Unimplemented();
  }
  // A number that changes whenever any project's prices change, also through another process on
  // the same data directory. Cheap: a server polls it to know when to reload prices.
  virtual absl::StatusOr<int64_t> ModelPricesVersion() { return Unimplemented(); }

  // --- Project redaction rules ---
  // A backend that does not keep them returns Unimplemented from all four (the default).
  // The rules of `project` (no rules and updated_ns 0 when none were put). NotFound if the project
  // does not exist.
  virtual absl::StatusOr<RedactionRulesRecord> GetRedactionRules(std::string_view /*project*/) {
    return Unimplemented();
  }
  // Every project that has at least one rule, by project.
  virtual absl::StatusOr<std::vector<RedactionRulesRecord>> ListRedactionRules() { return Unimplemented(); }
  // Replaces the rules of `project` with `rules_json`, validated by
  // normalize::ParseRedactionRulesText: InvalidArgument naming the bad rule (then nothing
  // changes); NotFound if the project does not exist. An empty list removes the project's rules.
  // Returns the stored record.
  virtual absl::StatusOr<RedactionRulesRecord> PutRedactionRules(std::string_view /*project*/,
                                                                 std::string_view /*rules_json*/,
                                                                 int64_t /*now_ns*/) {
    return Unimplemented();
  }
  // A number that changes whenever any project's rules change, also through another process on
  // the same data directory. Cheap: a server polls it to know when to reload rules.
  virtual absl::StatusOr<int64_t> RedactionRulesVersion() { return Unimplemented(); }

  // --- Project process rules ---
  // A backend that does not keep them returns Unimplemented from all three (the default). There
  // is no version counter: the trace finisher reads a project's rules on each pass.
  // The rules of `project` (no rules and updated_ns 0 when none were put). NotFound if the project
  // does not exist.
  virtual absl::StatusOr<ProcessRulesRecord> GetProcessRules(std::string_view /*project*/) {
    return Unimplemented();
  }
  // Every project that has at least one rule, by project.
  virtual absl::StatusOr<std::vector<ProcessRulesRecord>> ListProcessRules() { return Unimplemented(); }
  // Replaces the rules of `project` with `rules_json`, validated by
  // analysis::ParseProcessRulesText: InvalidArgument naming the bad rule (then nothing changes);
  // NotFound if the project does not exist. An empty list removes the project's rules. Returns
  // the stored record.
  virtual absl::StatusOr<ProcessRulesRecord> PutProcessRules(std::string_view /*project*/,
                                                             std::string_view /*rules_json*/,
                                                             int64_t /*now_ns*/) {
    return Unimplemented();
  }

  // --- Project tail sampling ---
  // A backend that does not keep it returns Unimplemented from all five (the default). There is
  // no version counter: the trace finisher reads a project's policy on each pass.
  // The policy of `project` (the default, disabled, with updated_ns 0 when none was put). NotFound
  // if the project does not exist.
  virtual absl::StatusOr<SamplingPolicyRecord> GetSamplingPolicy(std::string_view /*project*/) {
    return Unimplemented();
  }
  // Every project that has a policy of its own, by project.
  virtual absl::StatusOr<std::vector<SamplingPolicyRecord>> ListSamplingPolicies() { return Unimplemented(); }
  // Replaces the policy of `project` with `policy_json`, validated by
  // analysis::ParseSamplingPolicyText: InvalidArgument naming the field (then nothing changes);
  // NotFound if the project does not exist. Returns the stored (normalized) record.
  virtual absl::StatusOr<SamplingPolicyRecord> PutSamplingPolicy(std::string_view /*project*/,
                                                                 std::string_view /*policy_json*/,
                                                                 int64_t /*now_ns*/) {
    return Unimplemented();
  }
  // Adds `tally` to the counts of `project` on `day`, durably, in one step (the trace finisher
  // calls it once per project per pass). A project that does not exist (removed meanwhile) is
  // NotFound; an empty tally is OK and changes nothing; a negative count is InvalidArgument.
  virtual absl::Status AddSamplingCounts(std::string_view /*project*/, int64_t /*day*/,
                                         const SamplingTally& /*tally*/) {
    return Unimplemented();
  }
  // The counts of `project` on each day in [from_day, to_day] that has any, oldest first.
  // NotFound if the project does not exist.
  virtual absl::StatusOr<std::vector<SamplingDayCounts>> ListSamplingCounts(std::string_view /*project*/,
                                                                            int64_t /*from_day*/,
                                                                            int64_t /*to_day*/) {
    return Unimplemented();
  }

  // --- Project alert rules and events ---
  // A backend that does not keep them returns Unimplemented from all six (the default).
  // The rules and webhook secret of `project` (no rules, updated_ns 0 and no secret when none were
  // put). NotFound if the project does not exist.
  virtual absl::StatusOr<AlertRulesRecord> GetAlertRules(std::string_view /*project*/) { return Unimplemented(); }
  // Every project that has at least one rule, by project, each with its secret.
  virtual absl::StatusOr<std::vector<AlertRulesRecord>> ListAlertRules() { return Unimplemented(); }
  // Replaces the rules of `project` with `rules_json`, validated by store::ParseAlertRulesText
  // without a webhook check (the caller applies the server's address policy first):
  // InvalidArgument naming the bad rule (then nothing changes); NotFound if the project does not
  // exist. An empty list removes the project's rules. A project without a webhook secret gets
  // `new_secret` in the same step (the caller draws it from a CSPRNG; the catalog has none; "" gives
  // none); one that has a secret keeps it. Returns the stored record, with the secret.
  virtual absl::StatusOr<AlertRulesRecord> PutAlertRules(std::string_view /*project*/, std::string_view /*rules_json*/,
                                                         std::string_view /*new_secret*/, int64_t /*now_ns*/) {
    return Unimplemented();
  }
  // Appends `event` durably (its id is ignored) and returns the id it got; then the project's
  // events beyond the newest kMaxAlertEventsPerProject are dropped. InvalidArgument for an event
  // without alert name or time_ns; NotFound if the project does not exist.
  virtual absl::StatusOr<int64_t> AppendAlertEvent(const AlertEvent& /*event*/) { return Unimplemented(); }
  // Sets the delivery of event `id` of `project`, durably. NotFound when the project has no such
  // event (also once it was dropped as too old).
  virtual absl::Status UpdateAlertDelivery(std::string_view /*project*/, int64_t /*id*/,
                                           const AlertDelivery& /*delivery*/) {
    return Unimplemented();
  }
  // The events matching `query`, newest first. InvalidArgument for a limit outside
  // 1..kMaxListLimit or a missing project.
  virtual absl::StatusOr<std::vector<AlertEvent>> ListAlertEvents(const AlertEventQuery& /*query*/) {
    return Unimplemented();
  }

  // --- Project retention ---
  // A backend that does not keep it returns Unimplemented from all four (the default). A project
  // without a record of its own follows the server's defaults (server/retention_policy.h).
  // The project's own retention; nullopt when it has none. NotFound if the project does not exist.
  virtual absl::StatusOr<std::optional<RetentionRecord>> GetRetention(std::string_view /*project*/) {
    return Unimplemented();
  }
  // Every project that has a record of its own, by project.
  virtual absl::StatusOr<std::vector<RetentionRecord>> ListRetention() { return Unimplemented(); }
  // Sets `record.project`'s own retention, replacing any it had. InvalidArgument from
  // ValidateRetention (store/retention.h; then nothing changes); NotFound if the project does not
  // exist. Returns the stored record.
  virtual absl::StatusOr<RetentionRecord> PutRetention(const RetentionRecord& /*record*/) {
    return Unimplemented();
  }
  // Removes the project's own retention, so it follows the defaults again. Returns the record
  // removed, nullopt when it had none (still OK). NotFound if the project does not exist.
  virtual absl::StatusOr<std::optional<RetentionRecord>> RemoveRetention(std::string_view /*project*/) {
    return Unimplemented();
  }

  // --- UI credentials ---
  // A backend without them returns Unimplemented from all three (the default), and the UI can
  // then only be used with an API key.
  // Stores `credential` and drops those expired at `now_ns`. NotFound if its project (when set)
  // or user (when set) does not exist; InvalidArgument when it names neither. Secrets are random (server/ui_login.h), so hashes do not collide.
  virtual absl::Status InsertUiCredential(const UiCredential& /*credential*/, int64_t /*now_ns*/) {
    return Unimplemented();
  }
  // The credential of `kind` whose secret hashes to `secret_hash`, if it has not expired at
  // `now_ns`; NotFound otherwise. With `consume`, it is deleted in the same step, so of two
  // concurrent callers (also in two processes) at most one gets it.
  virtual absl::StatusOr<UiCredential> FindUiCredential(std::string_view /*secret_hash*/,
                                                        UiCredentialKind /*kind*/, int64_t /*now_ns*/,
                                                        bool /*consume*/) {
    return Unimplemented();
  }
  // Deletes the credential if it exists (OK either way).
  virtual absl::Status DeleteUiCredential(std::string_view /*secret_hash*/) { return Unimplemented(); }

  // --- Users and roles ---
  // A backend without users returns Unimplemented from all of these (the default).
  // AlreadyExists for a taken name; InvalidArgument for a bad name or an empty password_hash.
  virtual absl::Status CreateUser(const UserRecord& /*user*/) { return Unimplemented(); }
  // NotFound for an unknown name.
  virtual absl::StatusOr<UserRecord> GetUser(std::string_view /*name*/) { return Unimplemented(); }
  // Every user, by name.
  virtual absl::StatusOr<std::vector<UserRecord>> ListUsers() { return Unimplemented(); }
  // Replaces the password hash and ends every UI session and login link of the user. NotFound for
  // an unknown name.
  virtual absl::Status SetUserPassword(std::string_view /*name*/, std::string_view /*password_hash*/) {
    return Unimplemented();
  }
  // Deletes the user with its roles, UI sessions and login links. NotFound for an unknown name.
  virtual absl::Status DeleteUser(std::string_view /*name*/) { return Unimplemented(); }
  // Creates a project owned by `owner` (a Membership with Role::kOwner), both in one durable step.
  // As CreateProject, and NotFound for an unknown owner.
  virtual absl::StatusOr<Project> CreateProjectOwnedBy(std::string_view /*name*/, std::string_view /*owner*/,
                                                       int64_t /*now_ns*/) {
    return Unimplemented();
  }
  // Gives a user a role in a project, or changes it. NotFound for an unknown user or project.
  virtual absl::Status PutMembership(const Membership& /*membership*/) { return Unimplemented(); }
  // NotFound when the user has no role in the project.
  virtual absl::Status RemoveMembership(std::string_view /*user*/, std::string_view /*project*/) {
    return Unimplemented();
  }
  // The roles of one user (`user` set), of one project (`project` set), or the one role of a user
  // in a project (both set; an empty list when there is none). Ordered by project, then user.
  virtual absl::StatusOr<std::vector<Membership>> ListMemberships(std::string_view /*user*/,
                                                                  std::string_view /*project*/) {
    return Unimplemented();
  }

  // --- Audit log ---
  // Append-only: nothing updates or deletes an event. A backend without it returns Unimplemented
  // from both (the default).
  // Appends `events` in one durable step (all or none), giving each its id. InvalidArgument,
  // naming the field, for an event without time_ns, actor or action, or whose details_json is not
  // a JSON object; then nothing is appended.
  virtual absl::Status AppendAudit(const std::vector<AuditEvent>& /*events*/) { return Unimplemented(); }
  // One page of the events matching `query`. Following next_cursor from the first page visits
  // every event appended before the first page was read exactly once (a keyset cursor: events
  // appended meanwhile with a newer time do not shift pages). InvalidArgument for a limit outside
  // 1..kMaxListLimit or a malformed cursor.
  virtual absl::StatusOr<AuditPage> ListAudit(const AuditQuery& /*query*/) { return Unimplemented(); }

 private:
  static absl::Status Unimplemented() {
    return absl::UnimplementedError("this catalog backend does not support this operation");
  }
};

}  // namespace trackly::store
