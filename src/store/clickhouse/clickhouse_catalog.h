// The catalog (store/catalog.h) of a ClickHouse deployment, kept in the same ClickHouse database as
// the traces, so every node behind a load balancer sees the same projects, keys, users, roles,
// UI sessions, prices, rules, retention, alerts and audit log (docs/scale-out.md "The catalog").
//
// How it keeps the Catalog contract on tables without transactions:
//  - Records are JSON documents in catalog_documents, a ReplacingMergeTree keyed by (kind, key):
//    a change inserts the record's new version, a removal a tombstone (deleted = 1). Reads collapse
//    each key to its newest version (argMax), never relying on merges. Versions are a Lamport
//    clock: above the node's wall clock and above every version the catalog has read, so a change
//    made after reading another node's change wins over it even if the clocks disagree.
//  - A call that changes several records (a project with its owner, a user with its roles and
//    sessions) inserts them in one INSERT into the one unpartitioned table: one part, all or none.
//  - Checks and their changes (a name not taken, a price not overlapping the project's others, a
//    sign-in link used once) are serialized within a catalog object. Two NODES doing conflicting
//    changes at the same moment are not: both creating one project name both succeed (one
//    record), both consuming one login link both get it. Admin changes are rare and a link is
//    opened once, so this is the trade for needing nothing but ClickHouse.
//  - Alert events and audit events are rows of their own tables, their ids
//    (milliseconds << 10 | a random 10-bit tag per catalog object) unique and increasing per
//    object, and below 2^53 so JSON clients read them exactly. Sampling counts are summed rows.
//  - A project's events beyond its newest kMaxAlertEventsPerProject are never read again, but
//    stay on disk; expired UI credentials likewise (reads check expires_ns).
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "model/json.h"
#include "store/catalog.h"
#include "store/clickhouse/http_client.h"

namespace trackly::store {

namespace clickhouse {
struct ServerInfo;
}  // namespace clickhouse

struct ClickHouseCatalogOptions {
  clickhouse::HttpClientOptions server;  // where ClickHouse's HTTP interface listens, and the credential
  std::string database = "trackly";     // created if missing; the one the store uses
  std::string cluster;                   // as the store's (clickhouse_store.h)
  const Clock* clock = nullptr;          // gives versions and ids; null = the system clock
};

class ClickHouseCatalog final : public Catalog {
 public:
  // Connects and creates the database and the catalog's tables if missing (IF NOT EXISTS, so
  // nodes starting at once cannot break each other). Unavailable when ClickHouse cannot be reached.
  static absl::StatusOr<std::unique_ptr<ClickHouseCatalog>> Open(const ClickHouseCatalogOptions& options);
  ~ClickHouseCatalog() override;

  absl::StatusOr<Project> CreateProject(std::string_view name, int64_t now_ns) override;
  absl::StatusOr<std::vector<Project>> ListProjects() override;
  absl::StatusOr<Project> GetProject(std::string_view name) override;
  absl::Status InsertKey(const ApiKeyRecord& key) override;
  absl::StatusOr<std::vector<ApiKeyRecord>> ListKeys(std::string_view project) override;
  absl::Status RevokeKey(std::string_view id, int64_t now_ns) override;
  absl::StatusOr<ApiKeyRecord> FindKey(std::string_view id) override;
  absl::StatusOr<std::vector<ModelPriceRecord>> ListModelPrices(std::string_view project) override;
  absl::StatusOr<ModelPriceRecord> PutModelPrice(std::string_view project, std::string_view entry_json,
                                                 int64_t now_ns) override;
  absl::Status RemoveModelPrice(std::string_view project, std::string_view id) override;
  absl::StatusOr<int64_t> ModelPricesVersion() override;
  absl::StatusOr<RedactionRulesRecord> GetRedactionRules(std::string_view project) override;
  absl::StatusOr<std::vector<RedactionRulesRecord>> ListRedactionRules() override;
  absl::StatusOr<RedactionRulesRecord> PutRedactionRules(std::string_view project, std::string_view rules_json,
                                                         int64_t now_ns) override;
  absl::StatusOr<int64_t> RedactionRulesVersion() override;
  absl::StatusOr<ProcessRulesRecord> GetProcessRules(std::string_view project) override;
  absl::StatusOr<std::vector<ProcessRulesRecord>> ListProcessRules() override;
  absl::StatusOr<ProcessRulesRecord> PutProcessRules(std::string_view project, std::string_view rules_json,
                                                     int64_t now_ns) override;
  absl::StatusOr<SamplingPolicyRecord> GetSamplingPolicy(std::string_view project) override;
  absl::StatusOr<std::vector<SamplingPolicyRecord>> ListSamplingPolicies() override;
  absl::StatusOr<SamplingPolicyRecord> PutSamplingPolicy(std::string_view project, std::string_view policy_json,
                                                         int64_t now_ns) override;
  absl::Status AddSamplingCounts(std::string_view project, int64_t day, const SamplingTally& tally) override;
  absl::StatusOr<std::vector<SamplingDayCounts>> ListSamplingCounts(std::string_view project, int64_t from_day,
                                                                    int64_t to_day) override;
  absl::StatusOr<AlertRulesRecord> GetAlertRules(std::string_view project) override;
  absl::StatusOr<std::vector<AlertRulesRecord>> ListAlertRules() override;
  absl::StatusOr<AlertRulesRecord> PutAlertRules(std::string_view project, std::string_view rules_json,
                                                 std::string_view new_secret, int64_t now_ns) override;
  absl::StatusOr<int64_t> AppendAlertEvent(const AlertEvent& event) override;
  absl::Status UpdateAlertDelivery(std::string_view project, int64_t id, const AlertDelivery& delivery) override;
  absl::StatusOr<std::vector<AlertEvent>> ListAlertEvents(const AlertEventQuery& query) override;
  absl::StatusOr<std::optional<RetentionRecord>> GetRetention(std::string_view project) override;
  absl::StatusOr<std::vector<RetentionRecord>> ListRetention() override;
  absl::StatusOr<RetentionRecord> PutRetention(const RetentionRecord& record) override;
  absl::StatusOr<std::optional<RetentionRecord>> RemoveRetention(std::string_view project) override;
  absl::Status InsertUiCredential(const UiCredential& credential, int64_t now_ns) override;
  absl::StatusOr<UiCredential> FindUiCredential(std::string_view secret_hash, UiCredentialKind kind,
                                                int64_t now_ns, bool consume) override;
  absl::Status DeleteUiCredential(std::string_view secret_hash) override;
  absl::Status CreateUser(const UserRecord& user) override;
  absl::StatusOr<UserRecord> GetUser(std::string_view name) override;
  absl::StatusOr<std::vector<UserRecord>> ListUsers() override;
  absl::Status SetUserPassword(std::string_view name, std::string_view password_hash) override;
  absl::Status DeleteUser(std::string_view name) override;
  absl::StatusOr<Project> CreateProjectOwnedBy(std::string_view name, std::string_view owner,
                                               int64_t now_ns) override;
  absl::Status PutMembership(const Membership& membership) override;
  absl::Status RemoveMembership(std::string_view user, std::string_view project) override;
  absl::StatusOr<std::vector<Membership>> ListMemberships(std::string_view user, std::string_view project) override;
  absl::Status AppendAudit(const std::vector<AuditEvent>& events) override;
  absl::StatusOr<AuditPage> ListAudit(const AuditQuery& query) override;

 private:
  // The newest version of one record, live or a tombstone.
  struct Document {
    std::string key;
    uint64_t version = 0;
    bool deleted = false;
    model::Json body;
  };
  // A record to write: `body` null writes a tombstone.
  struct Change {
    std::string_view kind;
    std::string key;
    model::Json body;
  };

  ClickHouseCatalog(ClickHouseCatalogOptions options, std::unique_ptr<clickhouse::HttpClient> client,
                    const clickhouse::ServerInfo& server);

  // The newest version of every record of `kind` (of the one `key` when given), by key, tombstones
  // included; raises the Lamport clock past every version read.
  absl::StatusOr<std::vector<Document>> ReadDocuments(std::string_view kind,
                                                      std::optional<std::string_view> key = std::nullopt);
  // The live records of `kind`, by key.
  absl::StatusOr<std::vector<Document>> LiveDocuments(std::string_view kind);
  // The live record of `kind` with `key`, nullopt when there is none.
  absl::StatusOr<std::optional<Document>> FindDocument(std::string_view kind, std::string_view key);
  // Writes `changes` in one INSERT (all or none), each with a new version.
  // Writes one record of `kind` (`body` null: a tombstone) whose stored version this call has not
  // read yet: reads it first, so the new version is above it (NextVersion).
  absl::Status Replace(std::string_view kind, std::string key, model::Json body);
  absl::Status Write(const std::vector<Change>& changes);
  // ProjectNotFound unless `project` exists; the same for users.
  absl::Status CheckProject(std::string_view project);
  absl::Status CheckUser(std::string_view user);
  // A project's rules document of `kind` (redaction, process or alert rules) as a `Record` with
  // project, rules_json and updated_ns (the Record's defaults when it has none), after CheckProject.
  template <typename Record>
  absl::StatusOr<Record> ReadRules(std::string_view kind, std::string_view project);
  // Every project's rules documents of `kind`, by project.
  template <typename Record>
  absl::StatusOr<std::vector<Record>> ListRules(std::string_view kind);
  // Replaces (`empty`: removes) a project's rules document of `kind`, after CheckProject; the
  // caller holds write_mu_.
  absl::Status ReplaceRules(std::string_view kind, std::string_view project, std::string_view rules_json, bool empty,
                            int64_t now_ns) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // A number that changes whenever a record of `kind` changes (an XOR of hashes of each key's newest
  // version).
  absl::StatusOr<int64_t> KindVersion(std::string_view kind);
  // The tombstones of every UI credential of `user`.
  absl::StatusOr<std::vector<Change>> CredentialRemovalsOf(std::string_view user);
  // The events of `project` still kept, newest first, at most `limit` of them matching `alert`
  // ("" = every rule's) or the one with `id` (when non-zero).
  absl::StatusOr<std::vector<AlertEvent>> ReadAlertEvents(std::string_view project, std::string_view alert, int64_t id,
                                                          int limit);
  absl::Status InsertAlertEvent(const AlertEvent& event);
  // A new version: above the clock, every version read and every version given before.
  uint64_t NextVersion();
  // A new alert or audit event id (see the file comment).
  int64_t NextEventId();

  const ClickHouseCatalogOptions options_;
  const Clock& clock_;
  const std::unique_ptr<clickhouse::HttpClient> client_;
  const clickhouse::QuerySettings settings_;
  const int64_t event_id_tag_;
  // Held by every call that checks and then changes, so those of one catalog object never interleave.
  absl::Mutex write_mu_;
  absl::Mutex clock_mu_;
  uint64_t last_version_ ABSL_GUARDED_BY(clock_mu_) = 0;
  int64_t last_event_ms_ ABSL_GUARDED_BY(clock_mu_) = 0;
};

}  // namespace trackly::store
