#include "store/clickhouse/clickhouse_catalog.h"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status.h"
#include "store/catalog_checks.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/schema.h"
#include "store/clickhouse/sql.h"
#include "store/list_paging.h"
#include "store/model_prices.h"
#include "store/retention.h"

namespace trackly::store {
namespace {

using clickhouse::Quote;
using clickhouse::RowBinaryReader;
using clickhouse::RowBinaryWriter;
using model::Json;

// The catalog's tables, created if missing. They live beside the store's tables but outside its
// numbered migrations (schema.h): a catalog opened alone (by the CLI) must not migrate the store.
constexpr const char* kTables[] = {
    // Every record: the newest version of each (kind, key) counts; deleted = 1 is a tombstone.
    "CREATE TABLE IF NOT EXISTS catalog_documents (kind String, key String, version UInt64, deleted UInt8, "
    "doc String) ENGINE = ReplacingMergeTree(version) ORDER BY (kind, key)",
    // Alert events: a delivery update inserts the event again with a newer version.
    "CREATE TABLE IF NOT EXISTS catalog_alert_events (project String, id Int64, version UInt64, alert String, "
    "time_ns Int64, state UInt8, value Float64, threshold Float64, rule_fingerprint String, delivery UInt8, "
    "attempts Int64, http_status Int64, error String) ENGINE = ReplacingMergeTree(version) ORDER BY (project, id)",
    // The audit log, append-only.
    "CREATE TABLE IF NOT EXISTS catalog_audit_events (time_ns Int64, id Int64, project String, actor String, "
    "action String, target String, details_json String) ENGINE = MergeTree ORDER BY (time_ns, id)",
    // Sampling decisions: rows of counts, summed by reads (and by merges).
    "CREATE TABLE IF NOT EXISTS catalog_sampling_counts (project String, day Int64, kept UInt8, reason String, "
    "traces Int64) ENGINE = SummingMergeTree ORDER BY (project, day, kept, reason)",
};

// Record kinds (catalog_documents.kind) and what their key is.
constexpr std::string_view kProject = "project";                // name
constexpr std::string_view kApiKey = "api_key";                 // id
constexpr std::string_view kPrice = "model_price";              // project/id
constexpr std::string_view kRedactionRules = "redaction_rules";  // project
constexpr std::string_view kProcessRules = "process_rules";     // project
constexpr std::string_view kAlertRules = "alert_rules";         // project
constexpr std::string_view kWebhookSecret = "webhook_secret";   // project
constexpr std::string_view kSamplingPolicy = "sampling_policy"; // project
constexpr std::string_view kRetention = "retention";            // project
constexpr std::string_view kUiCredential = "ui_credential";     // secret hash
constexpr std::string_view kUser = "user";                      // name
constexpr std::string_view kMembership = "membership";          // user/project

// Project and user names have no '/', so these keys are unique.
std::string PriceKey(std::string_view project, std::string_view id) { return absl::StrCat(Sv(project), "/", Sv(id)); }
std::string MembershipKey(std::string_view user, std::string_view project) { return absl::StrCat(Sv(user), "/", Sv(project)); }

// Event ids: milliseconds in the high bits, the object's tag in the low ones.
constexpr int kEventIdTagBits = 10;

int64_t Int(const Json& body, const char* field) { return body.value(field, int64_t{0}); }
std::string Text(const Json& body, const char* field) { return body.value(field, std::string()); }

Json KeyBody(const ApiKeyRecord& key) {
  return Json{{"project", key.project},       {"scopes", key.scopes},         {"secret_hash", key.secret_hash},
              {"created_ns", key.created_ns}, {"revoked_ns", key.revoked_ns}, {"name", key.name}};
}

ApiKeyRecord KeyOf(const std::string& id, const Json& body) {
  return ApiKeyRecord{.id = id,
                      .project = Text(body, "project"),
                      .scopes = static_cast<uint32_t>(Int(body, "scopes")),
                      .secret_hash = Text(body, "secret_hash"),
                      .created_ns = Int(body, "created_ns"),
                      .revoked_ns = Int(body, "revoked_ns"),
                      .name = Text(body, "name")};
}

Json MembershipBody(const Membership& membership) {
  return Json{{"user", membership.user},
              {"project", membership.project},
              {"role", static_cast<int>(membership.role)},
              {"raw_io", membership.raw_io},
              {"created_ns", membership.created_ns}};
}

Membership MembershipOf(const Json& body) {
  return Membership{.user = Text(body, "user"),
                    .project = Text(body, "project"),
                    .role = static_cast<Role>(Int(body, "role")),
                    .raw_io = body.value("raw_io", true),
                    .created_ns = Int(body, "created_ns")};
}

RetentionRecord RetentionOf(const std::string& project, const Json& body) {
  return RetentionRecord{.project = project,
                         .payload_days = static_cast<int32_t>(Int(body, "payload_days")),
                         .summary_days = static_cast<int32_t>(Int(body, "summary_days"))};
}

// The stored number of an alert event's state or delivery state, back (DataLoss for anything
// else: only this file writes them).
absl::StatusOr<AlertState> AlertStateOf(uint8_t value) {
  if (value == static_cast<uint8_t>(AlertState::kFiring) || value == static_cast<uint8_t>(AlertState::kResolved)) {
    return static_cast<AlertState>(value);
  }
  return absl::DataLossError(absl::StrCat("alert event state ", value, " is unknown"));
}

absl::StatusOr<AlertDelivery::State> DeliveryStateOf(uint8_t value) {
  if (value >= static_cast<uint8_t>(AlertDelivery::State::kPending) &&
      value <= static_cast<uint8_t>(AlertDelivery::State::kFailed)) {
    return static_cast<AlertDelivery::State>(value);
  }
  return absl::DataLossError(absl::StrCat("alert delivery state ", value, " is unknown"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClickHouseCatalog>> ClickHouseCatalog::Open(const ClickHouseCatalogOptions& options) {
  if (options.database.empty()) return absl::InvalidArgumentError("ClickHouse database: required");
  auto client = std::make_unique<clickhouse::HttpClient>(options.server);
  TRACKLY_ASSIGN_OR_RETURN(clickhouse::ServerInfo server, clickhouse::DescribeServer(*client, options.cluster));
  TRACKLY_RETURN_IF_ERROR(clickhouse::CreateTables(*client, server, options.database, kTables));
  return std::unique_ptr<ClickHouseCatalog>(new ClickHouseCatalog(options, std::move(client), server));
}

ClickHouseCatalog::ClickHouseCatalog(ClickHouseCatalogOptions options, std::unique_ptr<clickhouse::HttpClient> client,
                                     const clickhouse::ServerInfo& server)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : SystemClock::Get()),
      client_(std::move(client)),
      settings_(clickhouse::DatabaseSettings(options_.database, server)),
      event_id_tag_(absl::Uniform<int64_t>(absl::BitGen(), 0, int64_t{1} << kEventIdTagBits)) {}

ClickHouseCatalog::~ClickHouseCatalog() = default;

uint64_t ClickHouseCatalog::NextVersion() {
  absl::MutexLock lock(&clock_mu_);
  last_version_ = std::max(last_version_ + 1, static_cast<uint64_t>(std::max<int64_t>(clock_.NowNanos(), 0)));
  return last_version_;
}

int64_t ClickHouseCatalog::NextEventId() {
  absl::MutexLock lock(&clock_mu_);
  last_event_ms_ = std::max(last_event_ms_ + 1, clock_.NowNanos() / 1'000'000);
  return (last_event_ms_ << kEventIdTagBits) | event_id_tag_;
}

absl::StatusOr<std::vector<ClickHouseCatalog::Document>> ClickHouseCatalog::ReadDocuments(
    std::string_view kind, std::optional<std::string_view> key) {
  std::string sql = absl::StrCat(
      "SELECT key, max(version), argMax(deleted, version), argMax(doc, version) FROM catalog_documents "
      "WHERE kind = ",
      Quote(kind), key ? absl::StrCat(" AND key = ", Quote(*key)) : "", " GROUP BY key ORDER BY key FORMAT RowBinary");
  TRACKLY_ASSIGN_OR_RETURN(std::string rows, client_->Query(sql, settings_));
  RowBinaryReader reader(rows, "catalog documents");
  std::vector<Document> documents;
  uint64_t newest = 0;
  while (!reader.AtEnd() && reader.status().ok()) {
    Document document{.key = reader.String(), .version = reader.UInt64(), .deleted = reader.UInt8() != 0};
    std::string_view body = reader.StringView();
    newest = std::max(newest, document.version);
    if (!document.deleted) {
      document.body = Json::parse(body, nullptr, /*allow_exceptions=*/false);
      if (!document.body.is_object()) {
        return absl::DataLossError(absl::StrCat("catalog ", Sv(kind), " \"", document.key, "\" is not a JSON object"));
      }
    }
    documents.push_back(std::move(document));
  }
  TRACKLY_RETURN_IF_ERROR(reader.status());
  absl::MutexLock lock(&clock_mu_);
  last_version_ = std::max(last_version_, newest);
  return documents;
}

absl::StatusOr<std::vector<ClickHouseCatalog::Document>> ClickHouseCatalog::LiveDocuments(std::string_view kind) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Document> documents, ReadDocuments(kind));
  std::erase_if(documents, [](const Document& document) { return document.deleted; });
  return documents;
}

absl::StatusOr<std::optional<ClickHouseCatalog::Document>> ClickHouseCatalog::FindDocument(std::string_view kind,
                                                                                          std::string_view key) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Document> documents, ReadDocuments(kind, key));
  if (documents.empty() || documents.front().deleted) return std::optional<Document>();
  return std::move(documents.front());
}

absl::Status ClickHouseCatalog::Write(const std::vector<Change>& changes) {
  RowBinaryWriter rows;
  for (const Change& change : changes) {
    rows.String(change.kind);
    rows.String(change.key);
    rows.UInt64(NextVersion());
    rows.UInt8(change.body.is_null() ? 1 : 0);
    rows.String(change.body.is_null() ? "" : model::DumpJson(change.body));
  }
  return client_
      ->Insert("INSERT INTO catalog_documents (kind, key, version, deleted, doc) FORMAT RowBinary", rows.data(),
               settings_)
      .status();
}

absl::Status ClickHouseCatalog::Replace(std::string_view kind, std::string key, Json body) {
  TRACKLY_RETURN_IF_ERROR(ReadDocuments(kind, key).status());
  return Write({Change{kind, std::move(key), std::move(body)}});
}

absl::Status ClickHouseCatalog::CheckProject(std::string_view project) {
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kProject, project));
  return found ? absl::OkStatus() : ProjectNotFound(project);
}

absl::Status ClickHouseCatalog::CheckUser(std::string_view user) {
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kUser, user));
  return found ? absl::OkStatus() : UserNotFound(user);
}

absl::StatusOr<int64_t> ClickHouseCatalog::KindVersion(std::string_view kind) {
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      client_->Query(absl::StrCat("SELECT groupBitXor(cityHash64(key, v)) FROM (SELECT key, max(version) AS v FROM "
                                  "catalog_documents WHERE kind = ",
                                  Quote(kind), " GROUP BY key) FORMAT RowBinary"),
                     settings_));
  RowBinaryReader reader(rows, "catalog version");
  const uint64_t version = reader.UInt64();
  TRACKLY_RETURN_IF_ERROR(reader.status());
  return static_cast<int64_t>(version);
}

// --- Projects and keys ---

absl::StatusOr<Project> ClickHouseCatalog::CreateProject(std::string_view name, int64_t now_ns) {
  TRACKLY_RETURN_IF_ERROR(CheckProjectName(name));
  absl::MutexLock lock(&write_mu_);
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kProject, name));
  if (found) return absl::AlreadyExistsError(absl::StrCat("project \"", Sv(name), "\" already exists"));
  TRACKLY_RETURN_IF_ERROR(Write({Change{kProject, std::string(name), Json{{"created_ns", now_ns}}}}));
  return Project{.name = std::string(name), .created_ns = now_ns};
}

absl::StatusOr<std::vector<Project>> ClickHouseCatalog::ListProjects() {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Document> documents, LiveDocuments(kProject));
  std::vector<Project> projects;
  for (const Document& document : documents) {
    projects.push_back(Project{.name = document.key, .created_ns = Int(document.body, "created_ns")});
  }
  return projects;
}

absl::StatusOr<Project> ClickHouseCatalog::GetProject(std::string_view name) {
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kProject, name));
  if (!found) return ProjectNotFound(name);
  return Project{.name = found->key, .created_ns = Int(found->body, "created_ns")};
}

absl::Status ClickHouseCatalog::InsertKey(const ApiKeyRecord& key) {
  if (key.id.empty()) return absl::InvalidArgumentError("key id: required");
  absl::MutexLock lock(&write_mu_);
  TRACKLY_RETURN_IF_ERROR(CheckProject(key.project));
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> taken, FindDocument(kApiKey, key.id));
  if (taken) return absl::AlreadyExistsError(absl::StrCat("key id \"", key.id, "\" already exists"));
  return Write({Change{kApiKey, key.id, KeyBody(key)}});
}

absl::StatusOr<std::vector<ApiKeyRecord>> ClickHouseCatalog::ListKeys(std::string_view project) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Document> documents, LiveDocuments(kApiKey));
  std::vector<ApiKeyRecord> keys;
  for (const Document& document : documents) {
    ApiKeyRecord key = KeyOf(document.key, document.body);
    if (project.empty() || key.project == project) keys.push_back(std::move(key));
  }
  std::sort(keys.begin(), keys.end(), [](const ApiKeyRecord& a, const ApiKeyRecord& b) {
    return std::tie(a.project, a.created_ns, a.id) < std::tie(b.project, b.created_ns, b.id);
  });
  return keys;
}

absl::Status ClickHouseCatalog::RevokeKey(std::string_view id, int64_t now_ns) {
  absl::MutexLock lock(&write_mu_);
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kApiKey, id));
  if (!found) return absl::NotFoundError(absl::StrCat("key \"", Sv(id), "\" not found"));
  ApiKeyRecord key = KeyOf(found->key, found->body);
  if (key.revoked_ns != 0) return absl::OkStatus();  // the first revocation time stays
  key.revoked_ns = now_ns;
  return Write({Change{kApiKey, key.id, KeyBody(key)}});
}

absl::StatusOr<ApiKeyRecord> ClickHouseCatalog::FindKey(std::string_view id) {
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kApiKey, id));
  if (!found) return absl::NotFoundError(absl::StrCat("key \"", Sv(id), "\" not found"));
  return KeyOf(found->key, found->body);
}

// --- Model prices ---

absl::StatusOr<std::vector<ModelPriceRecord>> ClickHouseCatalog::ListModelPrices(std::string_view project) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Document> documents, LiveDocuments(kPrice));
  std::vector<ModelPriceRecord> prices;
  for (const Document& document : documents) {
    ModelPriceRecord price{.id = Text(document.body, "id"),
                           .project = Text(document.body, "project"),
                           .entry_json = Text(document.body, "entry_json"),
                           .created_ns = Int(document.body, "created_ns")};
    if (project.empty() || price.project == project) prices.push_back(std::move(price));
  }
  std::sort(prices.begin(), prices.end(), [](const ModelPriceRecord& a, const ModelPriceRecord& b) {
    return std::tie(a.project, a.id) < std::tie(b.project, b.id);
  });
  return prices;
}

absl::StatusOr<ModelPriceRecord> ClickHouseCatalog::PutModelPrice(std::string_view project,
                                                                  std::string_view entry_json, int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(ModelPriceRecord record, NormalizedModelPrice(project, entry_json, now_ns));
  absl::MutexLock lock(&write_mu_);
  TRACKLY_RETURN_IF_ERROR(CheckProject(project));
  // Checked with the project's other prices as stored now, under write_mu_, so two puts through
  // this catalog cannot each pass and together overlap.
  TRACKLY_ASSIGN_OR_RETURN(std::vector<ModelPriceRecord> stored, ListModelPrices(project));
  TRACKLY_RETURN_IF_ERROR(CheckPriceAmong(record, stored));
  TRACKLY_RETURN_IF_ERROR(Write({Change{kPrice, PriceKey(project, record.id),
                                        Json{{"project", record.project},
                                             {"id", record.id},
                                             {"entry_json", record.entry_json},
                                             {"created_ns", now_ns}}}}));
  return record;
}

absl::Status ClickHouseCatalog::RemoveModelPrice(std::string_view project, std::string_view id) {
  absl::MutexLock lock(&write_mu_);
  const std::string key = PriceKey(project, id);
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kPrice, key));
  if (!found) return absl::NotFoundError(absl::StrCat("project \"", Sv(project), "\" has no price \"", Sv(id), "\""));
  return Write({Change{kPrice, key, nullptr}});
}

absl::StatusOr<int64_t> ClickHouseCatalog::ModelPricesVersion() { return KindVersion(kPrice); }

// --- Rules documents ---

template <typename Record>
absl::StatusOr<Record> ClickHouseCatalog::ReadRules(std::string_view kind, std::string_view project) {
  TRACKLY_RETURN_IF_ERROR(CheckProject(project));
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kind, project));
  Record record{.project = std::string(project)};
  if (found) {
    record.rules_json = Text(found->body, "rules_json");
    record.updated_ns = Int(found->body, "updated_ns");
  }
  return record;
}

template <typename Record>
absl::StatusOr<std::vector<Record>> ClickHouseCatalog::ListRules(std::string_view kind) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Document> documents, LiveDocuments(kind));
  std::vector<Record> records;
  for (const Document& document : documents) {
    records.push_back(Record{.project = document.key,
                             .rules_json = Text(document.body, "rules_json"),
                             .updated_ns = Int(document.body, "updated_ns")});
  }
  return records;
}

absl::Status ClickHouseCatalog::ReplaceRules(std::string_view kind, std::string_view project,
                                             std::string_view rules_json, bool empty, int64_t now_ns) {
  TRACKLY_RETURN_IF_ERROR(CheckProject(project));
  return Replace(kind, std::string(project),
                 empty ? Json(nullptr) : Json{{"rules_json", rules_json}, {"updated_ns", now_ns}});
}

absl::StatusOr<RedactionRulesRecord> ClickHouseCatalog::GetRedactionRules(std::string_view project) {
  return ReadRules<RedactionRulesRecord>(kRedactionRules, project);
}

absl::StatusOr<std::vector<RedactionRulesRecord>> ClickHouseCatalog::ListRedactionRules() {
  return ListRules<RedactionRulesRecord>(kRedactionRules);
}

absl::StatusOr<RedactionRulesRecord> ClickHouseCatalog::PutRedactionRules(std::string_view project,
                                                                          std::string_view rules_json, int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(NormalizedRules rules, NormalizedRedactionRules(rules_json));
  RedactionRulesRecord record{.project = std::string(project), .rules_json = rules.rules_json, .updated_ns = now_ns};
  absl::MutexLock lock(&write_mu_);
  TRACKLY_RETURN_IF_ERROR(ReplaceRules(kRedactionRules, project, record.rules_json, rules.empty, now_ns));
  return record;
}

absl::StatusOr<int64_t> ClickHouseCatalog::RedactionRulesVersion() { return KindVersion(kRedactionRules); }

absl::StatusOr<ProcessRulesRecord> ClickHouseCatalog::GetProcessRules(std::string_view project) {
  return ReadRules<ProcessRulesRecord>(kProcessRules, project);
}

absl::StatusOr<std::vector<ProcessRulesRecord>> ClickHouseCatalog::ListProcessRules() {
  return ListRules<ProcessRulesRecord>(kProcessRules);
}

absl::StatusOr<ProcessRulesRecord> ClickHouseCatalog::PutProcessRules(std::string_view project,
                                                                      std::string_view rules_json, int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(NormalizedRules rules, NormalizedProcessRules(rules_json));
  ProcessRulesRecord record{.project = std::string(project), .rules_json = rules.rules_json, .updated_ns = now_ns};
  absl::MutexLock lock(&write_mu_);
  TRACKLY_RETURN_IF_ERROR(ReplaceRules(kProcessRules, project, record.rules_json, rules.empty, now_ns));
  return record;
}

// --- Tail sampling ---

absl::StatusOr<SamplingPolicyRecord> ClickHouseCatalog::GetSamplingPolicy(std::string_view project) {
  TRACKLY_RETURN_IF_ERROR(CheckProject(project));
  SamplingPolicyRecord record{.project = std::string(project)};
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kSamplingPolicy, project));
  if (found) {
    record.policy_json = Text(found->body, "policy_json");
    record.updated_ns = Int(found->body, "updated_ns");
  }
  return record;
}

absl::StatusOr<std::vector<SamplingPolicyRecord>> ClickHouseCatalog::ListSamplingPolicies() {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Document> documents, LiveDocuments(kSamplingPolicy));
  std::vector<SamplingPolicyRecord> records;
  for (const Document& document : documents) {
    records.push_back(SamplingPolicyRecord{.project = document.key,
                                           .policy_json = Text(document.body, "policy_json"),
                                           .updated_ns = Int(document.body, "updated_ns")});
  }
  return records;
}

absl::StatusOr<SamplingPolicyRecord> ClickHouseCatalog::PutSamplingPolicy(std::string_view project,
                                                                          std::string_view policy_json,
                                                                          int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(std::string normalized, NormalizedSamplingPolicy(policy_json));
  SamplingPolicyRecord record{.project = std::string(project), .policy_json = std::move(normalized), .updated_ns = now_ns};
  absl::MutexLock lock(&write_mu_);
  TRACKLY_RETURN_IF_ERROR(CheckProject(project));
  TRACKLY_RETURN_IF_ERROR(
      Replace(kSamplingPolicy, record.project, Json{{"policy_json", record.policy_json}, {"updated_ns", now_ns}}));
  return record;
}

absl::Status ClickHouseCatalog::AddSamplingCounts(std::string_view project, int64_t day, const SamplingTally& tally) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<SamplingCountRow> counts, SamplingCountRowsOf(tally));
  if (counts.empty()) return absl::OkStatus();
  TRACKLY_RETURN_IF_ERROR(CheckProject(project));
  RowBinaryWriter rows;
  for (const SamplingCountRow& count : counts) {
    rows.String(project);
    rows.Int64(day);
    rows.UInt8(count.kept ? 1 : 0);
    rows.String(count.reason);
    rows.Int64(count.traces);
  }
  return client_
      ->Insert("INSERT INTO catalog_sampling_counts (project, day, kept, reason, traces) FORMAT RowBinary",
               rows.data(), settings_)
      .status();
}

absl::StatusOr<std::vector<SamplingDayCounts>> ClickHouseCatalog::ListSamplingCounts(std::string_view project,
                                                                                     int64_t from_day,
                                                                                     int64_t to_day) {
  TRACKLY_RETURN_IF_ERROR(CheckProject(project));
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      client_->Query(absl::StrCat("SELECT day, kept, reason, sum(traces) FROM catalog_sampling_counts WHERE project = ",
                                  Quote(project), " AND day >= ", from_day, " AND day <= ", to_day,
                                  " GROUP BY day, kept, reason ORDER BY day, kept, reason FORMAT RowBinary"),
                     settings_));
  RowBinaryReader reader(rows, "sampling counts");
  std::vector<SamplingDayCounts> days;
  while (!reader.AtEnd() && reader.status().ok()) {
    const int64_t day = reader.Int64();
    SamplingCountRow row{.kept = reader.UInt8() != 0, .reason = reader.String(), .traces = reader.Int64()};
    AddSamplingCountRow(day, row, days);
  }
  TRACKLY_RETURN_IF_ERROR(reader.status());
  return days;
}

// --- Alerts ---

absl::StatusOr<AlertRulesRecord> ClickHouseCatalog::GetAlertRules(std::string_view project) {
  TRACKLY_ASSIGN_OR_RETURN(AlertRulesRecord record, ReadRules<AlertRulesRecord>(kAlertRules, project));
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> secret, FindDocument(kWebhookSecret, project));
  if (secret) record.webhook_secret = Text(secret->body, "secret");
  return record;
}

absl::StatusOr<std::vector<AlertRulesRecord>> ClickHouseCatalog::ListAlertRules() {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<AlertRulesRecord> records, ListRules<AlertRulesRecord>(kAlertRules));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Document> secrets, LiveDocuments(kWebhookSecret));
  std::map<std::string, std::string> secret_of;
  for (const Document& secret : secrets) secret_of[secret.key] = Text(secret.body, "secret");
  for (AlertRulesRecord& record : records) record.webhook_secret = secret_of[record.project];
  return records;
}

absl::StatusOr<AlertRulesRecord> ClickHouseCatalog::PutAlertRules(std::string_view project,
                                                                  std::string_view rules_json,
                                                                  std::string_view new_secret, int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(NormalizedRules rules, NormalizedAlertRules(rules_json));
  AlertRulesRecord record{.project = std::string(project), .rules_json = rules.rules_json, .updated_ns = now_ns};
  absl::MutexLock lock(&write_mu_);
  TRACKLY_RETURN_IF_ERROR(CheckProject(project));
  TRACKLY_RETURN_IF_ERROR(ReadDocuments(kAlertRules, project).status());
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> secret, FindDocument(kWebhookSecret, project));
  std::vector<Change> changes;
  changes.push_back(Change{kAlertRules, record.project,
                           rules.empty ? Json(nullptr)
                                         : Json{{"rules_json", record.rules_json}, {"updated_ns", now_ns}}});
  if (secret) {
    record.webhook_secret = Text(secret->body, "secret");
  } else if (!new_secret.empty()) {
    record.webhook_secret = std::string(new_secret);
    changes.push_back(Change{kWebhookSecret, record.project, Json{{"secret", new_secret}, {"created_ns", now_ns}}});
  }
  TRACKLY_RETURN_IF_ERROR(Write(changes));
  return record;
}

absl::Status ClickHouseCatalog::InsertAlertEvent(const AlertEvent& event) {
  RowBinaryWriter rows;
  rows.String(event.project);
  rows.Int64(event.id);
  rows.UInt64(NextVersion());
  rows.String(event.alert);
  rows.Int64(event.time_ns);
  rows.UInt8(static_cast<uint8_t>(event.state));
  rows.Float64(event.value);
  rows.Float64(event.threshold);
  rows.String(event.rule_fingerprint);
  rows.UInt8(static_cast<uint8_t>(event.delivery.state));
  rows.Int64(event.delivery.attempts);
  rows.Int64(event.delivery.http_status);
  rows.String(event.delivery.error);
  return client_
      ->Insert("INSERT INTO catalog_alert_events (project, id, version, alert, time_ns, state, value, threshold, "
               "rule_fingerprint, delivery, attempts, http_status, error) FORMAT RowBinary",
               rows.data(), settings_)
      .status();
}

absl::StatusOr<std::vector<AlertEvent>> ClickHouseCatalog::ReadAlertEvents(std::string_view project,
                                                                           std::string_view alert, int64_t id,
                                                                           int limit) {
  std::string filter = "1";
  if (!alert.empty()) absl::StrAppend(&filter, " AND e_alert = ", Quote(alert));
  if (id != 0) absl::StrAppend(&filter, " AND id = ", id);
  // The kept events are the project's newest kMaxAlertEventsPerProject by id; older rows stay on
  // disk but are never read.
  std::string sql = absl::StrCat(
      "SELECT id, e_alert, e_time_ns, e_state, e_value, e_threshold, e_fingerprint, e_delivery, e_attempts, "
      "e_http_status, e_error FROM (SELECT id, argMax(alert, version) AS e_alert, argMax(time_ns, version) AS "
      "e_time_ns, argMax(state, version) AS e_state, argMax(value, version) AS e_value, argMax(threshold, version) "
      "AS e_threshold, argMax(rule_fingerprint, version) AS e_fingerprint, argMax(delivery, version) AS e_delivery, "
      "argMax(attempts, version) AS e_attempts, argMax(http_status, version) AS e_http_status, argMax(error, "
      "version) AS e_error FROM catalog_alert_events WHERE project = ",
      Quote(project), " GROUP BY id ORDER BY id DESC LIMIT ", kMaxAlertEventsPerProject, ") WHERE ", filter,
      " ORDER BY id DESC LIMIT ", limit, " FORMAT RowBinary");
  TRACKLY_ASSIGN_OR_RETURN(std::string rows, client_->Query(sql, settings_));
  RowBinaryReader reader(rows, "alert events");
  std::vector<AlertEvent> events;
  while (!reader.AtEnd() && reader.status().ok()) {
    AlertEvent event{.id = reader.Int64(), .project = std::string(project), .alert = reader.String(),
                     .time_ns = reader.Int64()};
    TRACKLY_ASSIGN_OR_RETURN(event.state, AlertStateOf(reader.UInt8()));
    event.value = reader.Float64();
    event.threshold = reader.Float64();
    event.rule_fingerprint = reader.String();
    TRACKLY_ASSIGN_OR_RETURN(event.delivery.state, DeliveryStateOf(reader.UInt8()));
    event.delivery.attempts = static_cast<int>(reader.Int64());
    event.delivery.http_status = static_cast<int>(reader.Int64());
    event.delivery.error = reader.String();
    events.push_back(std::move(event));
  }
  TRACKLY_RETURN_IF_ERROR(reader.status());
  return events;
}

absl::StatusOr<int64_t> ClickHouseCatalog::AppendAlertEvent(const AlertEvent& event) {
  TRACKLY_RETURN_IF_ERROR(CheckAlertEvent(event));
  TRACKLY_RETURN_IF_ERROR(CheckProject(event.project));
  AlertEvent stored = event;
  stored.id = NextEventId();
  TRACKLY_RETURN_IF_ERROR(InsertAlertEvent(stored));
  return stored.id;
}

absl::Status ClickHouseCatalog::UpdateAlertDelivery(std::string_view project, int64_t id,
                                                    const AlertDelivery& delivery) {
  absl::MutexLock lock(&write_mu_);
  TRACKLY_ASSIGN_OR_RETURN(std::vector<AlertEvent> found, ReadAlertEvents(project, "", id, 1));
  if (found.empty()) return absl::NotFoundError(absl::StrCat("project \"", Sv(project), "\" has no alert event ", id));
  found.front().delivery = delivery;
  return InsertAlertEvent(found.front());
}

absl::StatusOr<std::vector<AlertEvent>> ClickHouseCatalog::ListAlertEvents(const AlertEventQuery& query) {
  if (query.project.empty()) return absl::InvalidArgumentError("alert event query without project");
  TRACKLY_RETURN_IF_ERROR(CheckListLimit(query.limit));
  return ReadAlertEvents(query.project, query.alert, 0, query.limit);
}

// --- Retention ---

absl::StatusOr<std::optional<RetentionRecord>> ClickHouseCatalog::GetRetention(std::string_view project) {
  TRACKLY_RETURN_IF_ERROR(CheckProject(project));
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kRetention, project));
  if (!found) return std::optional<RetentionRecord>();
  return RetentionOf(found->key, found->body);
}

absl::StatusOr<std::vector<RetentionRecord>> ClickHouseCatalog::ListRetention() {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Document> documents, LiveDocuments(kRetention));
  std::vector<RetentionRecord> records;
  for (const Document& document : documents) records.push_back(RetentionOf(document.key, document.body));
  return records;
}

absl::StatusOr<RetentionRecord> ClickHouseCatalog::PutRetention(const RetentionRecord& record) {
  TRACKLY_RETURN_IF_ERROR(ValidateRetention(record));
  absl::MutexLock lock(&write_mu_);
  TRACKLY_RETURN_IF_ERROR(CheckProject(record.project));
  TRACKLY_RETURN_IF_ERROR(Replace(kRetention, record.project,
                                  Json{{"payload_days", record.payload_days}, {"summary_days", record.summary_days}}));
  return record;
}

absl::StatusOr<std::optional<RetentionRecord>> ClickHouseCatalog::RemoveRetention(std::string_view project) {
  absl::MutexLock lock(&write_mu_);
  TRACKLY_RETURN_IF_ERROR(CheckProject(project));
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kRetention, project));
  if (!found) return std::optional<RetentionRecord>();
  TRACKLY_RETURN_IF_ERROR(Write({Change{kRetention, std::string(project), nullptr}}));
  return RetentionOf(found->key, found->body);
}

// --- UI credentials ---

absl::Status ClickHouseCatalog::InsertUiCredential(const UiCredential& credential, int64_t /*now_ns*/) {
  if (credential.secret_hash.empty()) return absl::InvalidArgumentError("secret_hash: required");
  if (credential.project.empty() && credential.user.empty()) {
    return absl::InvalidArgumentError("a UI credential needs a project or a user");
  }
  absl::MutexLock lock(&write_mu_);
  if (!credential.project.empty()) TRACKLY_RETURN_IF_ERROR(CheckProject(credential.project));
  if (!credential.user.empty()) TRACKLY_RETURN_IF_ERROR(CheckUser(credential.user));
  return Write({Change{kUiCredential, credential.secret_hash,
                       Json{{"kind", static_cast<int>(credential.kind)},
                            {"user", credential.user},
                            {"project", credential.project},
                            {"expires_ns", credential.expires_ns},
                            {"csrf_token", credential.csrf_token}}}});
}

absl::StatusOr<UiCredential> ClickHouseCatalog::FindUiCredential(std::string_view secret_hash, UiCredentialKind kind,
                                                                 int64_t now_ns, bool consume) {
  // Only a consuming call changes anything; it holds the lock so two through this object cannot
  // both consume one credential.
  std::optional<absl::MutexLock> lock;
  if (consume) lock.emplace(&write_mu_);
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kUiCredential, secret_hash));
  if (!found || Int(found->body, "kind") != static_cast<int>(kind) || Int(found->body, "expires_ns") <= now_ns) {
    return absl::NotFoundError("unknown or expired UI credential");
  }
  UiCredential credential{.secret_hash = std::string(secret_hash),
                          .kind = kind,
                          .user = Text(found->body, "user"),
                          .project = Text(found->body, "project"),
                          .expires_ns = Int(found->body, "expires_ns"),
                          .csrf_token = Text(found->body, "csrf_token")};
  if (consume) TRACKLY_RETURN_IF_ERROR(Write({Change{kUiCredential, credential.secret_hash, nullptr}}));
  return credential;
}

absl::Status ClickHouseCatalog::DeleteUiCredential(std::string_view secret_hash) {
  absl::MutexLock lock(&write_mu_);
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kUiCredential, secret_hash));
  if (!found) return absl::OkStatus();
  return Write({Change{kUiCredential, std::string(secret_hash), nullptr}});
}

absl::StatusOr<std::vector<ClickHouseCatalog::Change>> ClickHouseCatalog::CredentialRemovalsOf(std::string_view user) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Document> credentials, LiveDocuments(kUiCredential));
  std::vector<Change> removals;
  for (const Document& credential : credentials) {
    if (Text(credential.body, "user") == user) removals.push_back(Change{kUiCredential, credential.key, nullptr});
  }
  return removals;
}

// --- Users and roles ---

absl::Status ClickHouseCatalog::CreateUser(const UserRecord& user) {
  TRACKLY_RETURN_IF_ERROR(CheckUserName(user.name));
  if (user.password_hash.empty()) return absl::InvalidArgumentError("password_hash: required");
  absl::MutexLock lock(&write_mu_);
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kUser, user.name));
  if (found) return absl::AlreadyExistsError(absl::StrCat("user \"", user.name, "\" already exists"));
  return Write({Change{kUser, user.name,
                       Json{{"password_hash", user.password_hash}, {"created_ns", user.created_ns}}}});
}

absl::StatusOr<UserRecord> ClickHouseCatalog::GetUser(std::string_view name) {
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kUser, name));
  if (!found) return UserNotFound(name);
  return UserRecord{.name = found->key,
                    .password_hash = Text(found->body, "password_hash"),
                    .created_ns = Int(found->body, "created_ns")};
}

absl::StatusOr<std::vector<UserRecord>> ClickHouseCatalog::ListUsers() {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Document> documents, LiveDocuments(kUser));
  std::vector<UserRecord> users;
  for (const Document& document : documents) {
    users.push_back(UserRecord{.name = document.key,
                               .password_hash = Text(document.body, "password_hash"),
                               .created_ns = Int(document.body, "created_ns")});
  }
  return users;
}

absl::Status ClickHouseCatalog::SetUserPassword(std::string_view name, std::string_view password_hash) {
  if (password_hash.empty()) return absl::InvalidArgumentError("password_hash: required");
  absl::MutexLock lock(&write_mu_);
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kUser, name));
  if (!found) return UserNotFound(name);
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Change> changes, CredentialRemovalsOf(name));
  found->body["password_hash"] = password_hash;
  changes.push_back(Change{kUser, found->key, std::move(found->body)});
  return Write(changes);
}

absl::Status ClickHouseCatalog::DeleteUser(std::string_view name) {
  absl::MutexLock lock(&write_mu_);
  TRACKLY_RETURN_IF_ERROR(CheckUser(name));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Change> changes, CredentialRemovalsOf(name));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Membership> memberships, ListMemberships(name, ""));
  for (const Membership& membership : memberships) {
    changes.push_back(Change{kMembership, MembershipKey(membership.user, membership.project), nullptr});
  }
  changes.push_back(Change{kUser, std::string(name), nullptr});
  return Write(changes);
}

absl::StatusOr<Project> ClickHouseCatalog::CreateProjectOwnedBy(std::string_view name, std::string_view owner,
                                                               int64_t now_ns) {
  TRACKLY_RETURN_IF_ERROR(CheckProjectName(name));
  absl::MutexLock lock(&write_mu_);
  TRACKLY_RETURN_IF_ERROR(CheckUser(owner));
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kProject, name));
  if (found) return absl::AlreadyExistsError(absl::StrCat("project \"", Sv(name), "\" already exists"));
  TRACKLY_RETURN_IF_ERROR(ReadDocuments(kMembership, MembershipKey(owner, name)).status());
  const Membership membership{
      .user = std::string(owner), .project = std::string(name), .role = Role::kOwner, .created_ns = now_ns};
  TRACKLY_RETURN_IF_ERROR(Write({Change{kProject, std::string(name), Json{{"created_ns", now_ns}}},
                                 Change{kMembership, MembershipKey(owner, name), MembershipBody(membership)}}));
  return Project{.name = std::string(name), .created_ns = now_ns};
}

absl::Status ClickHouseCatalog::PutMembership(const Membership& membership) {
  if (membership.role < Role::kViewer || membership.role > Role::kOwner) {
    return absl::InvalidArgumentError("role: unknown");
  }
  absl::MutexLock lock(&write_mu_);
  TRACKLY_RETURN_IF_ERROR(CheckUser(membership.user));
  TRACKLY_RETURN_IF_ERROR(CheckProject(membership.project));
  const std::string key = MembershipKey(membership.user, membership.project);
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kMembership, key));
  Membership stored = membership;
  if (found) stored.created_ns = Int(found->body, "created_ns");  // a changed role keeps when it was first given
  return Write({Change{kMembership, key, MembershipBody(stored)}});
}

absl::Status ClickHouseCatalog::RemoveMembership(std::string_view user, std::string_view project) {
  absl::MutexLock lock(&write_mu_);
  const std::string key = MembershipKey(user, project);
  TRACKLY_ASSIGN_OR_RETURN(std::optional<Document> found, FindDocument(kMembership, key));
  if (!found) {
    return absl::NotFoundError(absl::StrCat("user \"", Sv(user), "\" has no role in project \"", Sv(project), "\""));
  }
  return Write({Change{kMembership, key, nullptr}});
}

absl::StatusOr<std::vector<Membership>> ClickHouseCatalog::ListMemberships(std::string_view user,
                                                                          std::string_view project) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<Document> documents, LiveDocuments(kMembership));
  std::vector<Membership> memberships;
  for (const Document& document : documents) {
    Membership membership = MembershipOf(document.body);
    if ((user.empty() || membership.user == user) && (project.empty() || membership.project == project)) {
      memberships.push_back(std::move(membership));
    }
  }
  std::sort(memberships.begin(), memberships.end(), [](const Membership& a, const Membership& b) {
    return std::tie(a.project, a.user) < std::tie(b.project, b.user);
  });
  return memberships;
}

// --- Audit log ---

absl::Status ClickHouseCatalog::AppendAudit(const std::vector<AuditEvent>& events) {
  for (const AuditEvent& event : events) TRACKLY_RETURN_IF_ERROR(CheckAuditEvent(event));
  if (events.empty()) return absl::OkStatus();
  RowBinaryWriter rows;
  for (const AuditEvent& event : events) {
    rows.Int64(event.time_ns);
    rows.Int64(NextEventId());
    rows.String(event.project);
    rows.String(event.actor);
    rows.String(event.action);
    rows.String(event.target);
    rows.String(event.details_json);
  }
  // One INSERT into an unpartitioned table: one part, all or none.
  return client_
      ->Insert("INSERT INTO catalog_audit_events (time_ns, id, project, actor, action, target, details_json) "
               "FORMAT RowBinary",
               rows.data(), settings_)
      .status();
}

absl::StatusOr<AuditPage> ClickHouseCatalog::ListAudit(const AuditQuery& query) {
  TRACKLY_RETURN_IF_ERROR(CheckListLimit(query.limit));
  std::vector<std::string> where = {"1"};
  if (query.project) where.push_back(absl::StrCat("project = ", Quote(*query.project)));
  if (!query.action.empty()) where.push_back(absl::StrCat("action = ", Quote(query.action)));
  if (!query.actor.empty()) where.push_back(absl::StrCat("actor = ", Quote(query.actor)));
  if (!query.target.empty()) where.push_back(absl::StrCat("target = ", Quote(query.target)));
  if (query.from_ns != 0) where.push_back(absl::StrCat("time_ns >= ", query.from_ns));
  if (query.to_ns != 0) where.push_back(absl::StrCat("time_ns < ", query.to_ns));
  if (!query.cursor.empty()) {
    int64_t after_ns = 0;
    int64_t after_row = 0;
    TRACKLY_RETURN_IF_ERROR(DecodeAuditCursor(query.cursor, &after_ns, &after_row));
    // 18.16 has no tuple comparison.
    where.push_back(absl::StrCat("(time_ns < ", after_ns, " OR (time_ns = ", after_ns, " AND id < ", after_row, "))"));
  }
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      client_->Query(absl::StrCat("SELECT id, time_ns, project, actor, action, target, details_json FROM "
                                  "catalog_audit_events WHERE ",
                                  absl::StrJoin(where, " AND "), " ORDER BY time_ns DESC, id DESC LIMIT ",
                                  query.limit + 1, " FORMAT RowBinary"),
                     settings_));
  RowBinaryReader reader(rows, "audit events");
  AuditPage page;
  while (!reader.AtEnd() && reader.status().ok()) {
    AuditEvent event{.id = reader.Int64(),
                     .time_ns = reader.Int64(),
                     .project = reader.String(),
                     .actor = reader.String(),
                     .action = reader.String(),
                     .target = reader.String(),
                     .details_json = reader.String()};
    if (static_cast<int>(page.events.size()) == query.limit) {
      page.next_cursor = AuditCursorAfter(page.events.back());
      break;
    }
    page.events.push_back(std::move(event));
  }
  TRACKLY_RETURN_IF_ERROR(reader.status());
  return page;
}

}  // namespace trackly::store
