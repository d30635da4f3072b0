#include "store/catalog_copy.h"

#include <algorithm>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace trackly::store {
namespace {

// OK for AlreadyExists: the record is in `to` already.
absl::Status UnlessPresent(absl::Status status) { return absl::IsAlreadyExists(status) ? absl::OkStatus() : status; }

// The days a sampling count can be on (days since 1970-01-01).
constexpr int64_t kFirstDay = 0;
constexpr int64_t kLastDay = 1'000'000;

absl::Status CopyProjectSettings(Catalog& from, Catalog& to, const std::string& project) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<SamplingDayCounts> days, from.ListSamplingCounts(project, kFirstDay, kLastDay));
  for (const SamplingDayCounts& day : days) TRACKLY_RETURN_IF_ERROR(to.AddSamplingCounts(project, day.day, day.tally));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<AlertEvent> events,
                           from.ListAlertEvents({.project = project, .limit = kMaxListLimit}));
  std::reverse(events.begin(), events.end());  // oldest first, so the new ids keep their order
  for (const AlertEvent& event : events) TRACKLY_RETURN_IF_ERROR(to.AppendAlertEvent(event).status());
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CopyAudit(Catalog& from, Catalog& to) {
  std::vector<AuditEvent> events;
  AuditQuery query{.limit = kMaxListLimit};
  do {
    TRACKLY_ASSIGN_OR_RETURN(AuditPage page, from.ListAudit(query));
    events.insert(events.end(), page.events.begin(), page.events.end());
    query.cursor = page.next_cursor;
  } while (!query.cursor.empty());
  std::reverse(events.begin(), events.end());
  for (size_t begin = 0; begin < events.size(); begin += kMaxListLimit) {
    const size_t end = std::min(events.size(), begin + kMaxListLimit);
    TRACKLY_RETURN_IF_ERROR(to.AppendAudit(std::vector<AuditEvent>(events.begin() + begin, events.begin() + end)));
  }
  return static_cast<int64_t>(events.size());
}

}  // namespace

absl::StatusOr<CatalogCopyCounts> CopyCatalog(Catalog& from, Catalog& to) {
  CatalogCopyCounts counts;
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Project> projects, from.ListProjects());
  for (const Project& project : projects) {
    TRACKLY_RETURN_IF_ERROR(UnlessPresent(to.CreateProject(project.name, project.created_ns).status()));
  }
  counts.projects = static_cast<int64_t>(projects.size());
  TRACKLY_ASSIGN_OR_RETURN(std::vector<UserRecord> users, from.ListUsers());
  for (const UserRecord& user : users) TRACKLY_RETURN_IF_ERROR(UnlessPresent(to.CreateUser(user)));
  counts.users = static_cast<int64_t>(users.size());
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Membership> memberships, from.ListMemberships("", ""));
  for (const Membership& membership : memberships) TRACKLY_RETURN_IF_ERROR(to.PutMembership(membership));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<ApiKeyRecord> keys, from.ListKeys(""));
  for (const ApiKeyRecord& key : keys) TRACKLY_RETURN_IF_ERROR(UnlessPresent(to.InsertKey(key)));
  counts.keys = static_cast<int64_t>(keys.size());

  TRACKLY_ASSIGN_OR_RETURN(std::vector<ModelPriceRecord> prices, from.ListModelPrices(""));
  for (const ModelPriceRecord& price : prices) {
    TRACKLY_RETURN_IF_ERROR(to.PutModelPrice(price.project, price.entry_json, price.created_ns).status());
  }
  TRACKLY_ASSIGN_OR_RETURN(std::vector<RedactionRulesRecord> redaction, from.ListRedactionRules());
  for (const RedactionRulesRecord& rules : redaction) {
    TRACKLY_RETURN_IF_ERROR(to.PutRedactionRules(rules.project, rules.rules_json, rules.updated_ns).status());
  }
  TRACKLY_ASSIGN_OR_RETURN(std::vector<ProcessRulesRecord> process, from.ListProcessRules());
  for (const ProcessRulesRecord& rules : process) {
    TRACKLY_RETURN_IF_ERROR(to.PutProcessRules(rules.project, rules.rules_json, rules.updated_ns).status());
  }
  TRACKLY_ASSIGN_OR_RETURN(std::vector<AlertRulesRecord> alerts, from.ListAlertRules());
  for (const AlertRulesRecord& rules : alerts) {
    TRACKLY_RETURN_IF_ERROR(
        to.PutAlertRules(rules.project, rules.rules_json, rules.webhook_secret, rules.updated_ns).status());
  }
  TRACKLY_ASSIGN_OR_RETURN(std::vector<SamplingPolicyRecord> policies, from.ListSamplingPolicies());
  for (const SamplingPolicyRecord& policy : policies) {
    TRACKLY_RETURN_IF_ERROR(to.PutSamplingPolicy(policy.project, policy.policy_json, policy.updated_ns).status());
  }
  TRACKLY_ASSIGN_OR_RETURN(std::vector<RetentionRecord> retention, from.ListRetention());
  for (const RetentionRecord& record : retention) TRACKLY_RETURN_IF_ERROR(to.PutRetention(record).status());
  for (const Project& project : projects) TRACKLY_RETURN_IF_ERROR(CopyProjectSettings(from, to, project.name));
  TRACKLY_ASSIGN_OR_RETURN(counts.audit_events, CopyAudit(from, to));
  return counts;
}

}  // namespace trackly::store
