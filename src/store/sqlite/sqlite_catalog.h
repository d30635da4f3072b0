// Projects, API keys, project model prices, redaction rules, process rules, alert rules and events and retention, UI credentials, users and roles, and the audit log in catalog.db, a small SQLite file beside store.db in the data directory.
#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "store/catalog.h"

namespace trackly::store {

namespace sqlite {
class Connection;
}  // namespace sqlite

// Thread-safe (calls are serialized on one connection) and safe across processes: the CLI can
// manage a data directory while a server runs on it. Each change is its own fsynced transaction;
// a call that finds the file locked by another process waits up to busy_timeout_ms.
//
// A project name is 1..64 characters of ASCII letters, digits, '-', '_' and '.', starting with a
// letter or digit.
class SqliteCatalog final : public Catalog {
 public:
  // Opens or creates catalog.db in `dir` (which must exist).
  static absl::StatusOr<std::unique_ptr<SqliteCatalog>> Open(const std::string& dir, int busy_timeout_ms = 5000);
  ~SqliteCatalog() override;

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
  explicit SqliteCatalog(std::unique_ptr<sqlite::Connection> db);

  absl::Mutex mu_;
  std::unique_ptr<sqlite::Connection> db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace trackly::store
