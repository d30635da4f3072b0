#include "server/live_tail.h"

#include <algorithm>
#include <utility>

#include "analysis/json_text.h"
#include "base/status.h"
#include "model/observation_fragment.h"

namespace trackly::server {
namespace {

// Bytes of a payload looked at for its preview: enough for kTailPreviewChars code points of any
// UTF-8 text, so a huge input costs no more than a small one.
constexpr size_t kPreviewScanBytes = 4 * kTailPreviewChars;

// The start of `value` as one line of at most kTailPreviewChars code points, "…" marking a cut.
std::string Preview(const model::Json& value) {
  if (value.is_null()) return "";
  std::string text = value.is_string() ? value.get_ref<const std::string&>().substr(0, kPreviewScanBytes)
                                       : analysis::CanonicalJson(value, kPreviewScanBytes);
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // inside a code point
    if (chars++ == kTailPreviewChars) {
      text.resize(i);
      text += "…";
      break;
    }
  }
  return text;
}

TailEntry EntryOf(const model::Observation& o) {
  TailEntry entry;
  entry.trace_id = o.trace_id;
  entry.observation_id = o.id;
  entry.parent_id = o.parent_id;
  entry.trace_name = !o.trace_hints.trace_name.empty() ? o.trace_hints.trace_name
                     : o.is_root()                     ? o.name
                                                       : "";
  entry.type = o.type;
  entry.name = o.name;
  entry.model = o.model;
  entry.status = o.status;
  entry.level = o.level;
  entry.start_time_ns = o.start_time_ns;
  entry.end_time_ns = o.end_time_ns;
  entry.usage = o.usage;
  entry.cost_usd = o.cost.total;
  entry.environment = o.environment;
  entry.release = o.release;
  entry.user_id = o.trace_hints.user_id;
  entry.session_id = o.trace_hints.session_id;
  entry.input_preview = Preview(o.input);
  entry.output_preview = Preview(o.output);
  return entry;
}

// An update fragment says only what its mask says: in particular it is not a root and not a
// span just because those are the defaults.
TailEntry EntryOf(const model::ObservationFragment& f) {
  TailEntry entry = EntryOf(f.observation);
  if (f.kind != model::FragmentKind::kUpdate) return entry;
  entry.update = true;
  if ((f.fields & model::kFieldType) == 0) entry.type.reset();
  if ((f.fields & model::kFieldTraceName) == 0) entry.trace_name = f.observation.trace_hints.trace_name;
  return entry;
}

size_t BytesOf(const TailEntry& e) {
  return sizeof(TailEntry) + e.trace_id.size() + e.observation_id.size() + e.parent_id.size() +
         e.trace_name.size() + e.name.size() + e.model.size() + e.environment.size() + e.release.size() +
         e.user_id.size() + e.session_id.size() + e.input_preview.size() + e.output_preview.size();
}

}  // namespace

std::optional<double> TailEntry::latency_ms() const {
  if (start_time_ns == 0 || end_time_ns < start_time_ns) return std::nullopt;
  return static_cast<double>(end_time_ns - start_time_ns) / 1e6;
}

std::vector<TailEntry> TailEntriesOf(const store::WriteBatch& batch) {
  std::vector<TailEntry> entries;
  entries.reserve(batch.observations.size() + batch.fragments.size());
  for (const model::Observation& o : batch.observations) entries.push_back(EntryOf(o));
  for (const model::ObservationFragment& f : batch.fragments) entries.push_back(EntryOf(f));
  return entries;
}

bool TailFilter::Matches(const TailEntry& e) const {
  if (type && e.type != type) return false;
  if (error && e.is_error() != *error) return false;
  for (const auto& [wanted, has] : {std::pair<const std::string&, const std::string&>{name, e.name},
                                    {trace_name, e.trace_name},
                                    {model, e.model},
                                    {environment, e.environment},
                                    {release, e.release},
                                    {user_id, e.user_id},
                                    {session_id, e.session_id}}) {
    if (!wanted.empty() && wanted != has) return false;
  }
  if (min_latency_ms > 0) {
    std::optional<double> latency = e.latency_ms();
    if (!latency || *latency < min_latency_ms) return false;
  }
  return min_cost <= 0 || e.cost_usd >= min_cost;
}

LiveTail::LiveTail(const Clock& clock, LiveTailOptions options) : clock_(clock), options_(options) {}

LiveTail::~LiveTail() {
  Shutdown();
  if (thread_.joinable()) thread_.join();
}

bool LiveTail::Watched(std::string_view project) const {
  const int64_t now = clock_.NowNanos();
  absl::MutexLock lock(&mu_);
  auto it = projects_.find(Sv(project));
  return it != projects_.end() && it->second.watched_until_ns > now;
}

void LiveTail::Append(std::string_view project, int64_t spans, std::vector<TailEntry> entries) {
  if (spans <= 0) return;
  const int64_t now = clock_.NowNanos();
  absl::MutexLock lock(&mu_);
  ProjectTail& tail = projects_[Sv(project)];
  const int64_t first = tail.last_seq + 1;
  tail.last_seq += spans;
  if (static_cast<int64_t>(entries.size()) != spans || tail.watched_until_ns <= now) {
    // Nothing kept for these numbers: the entries before them could no longer be followed
    // without a gap, so they go too (a client after them learns it through `dropped`).
    tail.entries.clear();
    tail.bytes = 0;
  } else {
    for (TailEntry& entry : entries) {
      entry.seq = first + (&entry - entries.data());
      tail.bytes += BytesOf(entry);
      tail.entries.push_back(std::move(entry));
    }
    Trim(tail);
  }
  const int64_t oldest = tail.last_seq - static_cast<int64_t>(tail.entries.size()) + 1;
  for (Waiter& waiter : tail.waiters) {
    if (waiter.ready) continue;
    if (waiter.after + 1 < oldest) {
      waiter.ready = true;  // dropped behind: answered at once with the count
    } else {
      for (auto it = tail.entries.begin() + (waiter.after + 1 - oldest); it != tail.entries.end(); ++it) {
        if (waiter.filter.Matches(*it)) {
          waiter.ready = true;
          break;
        }
      }
      // What did not match need not be looked at again.
      if (!waiter.ready) waiter.after = tail.last_seq;
    }
    wake_ = wake_ || waiter.ready;
  }
}

std::function<void()> LiveTail::BeforeWrite(const store::WriteBatch& batch) {
  const auto spans = static_cast<int64_t>(batch.observations.size() + batch.fragments.size());
  if (spans == 0) return nullptr;
  std::vector<TailEntry> entries;
  if (Watched(batch.project)) entries = TailEntriesOf(batch);
  return [this, project = batch.project, spans, entries = std::move(entries)]() mutable {
    Append(project, spans, std::move(entries));
  };
}

void LiveTail::Trim(ProjectTail& tail) {
  while (!tail.entries.empty() && (tail.entries.size() > options_.max_entries || tail.bytes > options_.max_bytes)) {
    tail.bytes -= BytesOf(tail.entries.front());
    tail.entries.pop_front();
  }
}

TailResult LiveTail::Collect(const ProjectTail& tail, int64_t after, int limit, const TailFilter& filter) {
  TailResult result;
  result.next = tail.last_seq;
  const int64_t oldest = tail.last_seq - static_cast<int64_t>(tail.entries.size()) + 1;
  if (after + 1 < oldest) {
    result.dropped = oldest - after - 1;
    after = oldest - 1;
  }
  for (auto it = tail.entries.begin() + (after + 1 - oldest); it != tail.entries.end(); ++it) {
    if (!filter.Matches(*it)) continue;
    result.entries.push_back(*it);
    if (static_cast<int>(result.entries.size()) == limit) {
      result.next = it->seq;  // the rest in the next answer
      break;
    }
  }
  return result;
}

absl::Status LiveTail::Poll(std::string_view project, const TailRequest& request,
                            std::function<void(TailResult)> done) {
  const int64_t now = clock_.NowNanos();
  TailResult result;
  {
    absl::MutexLock lock(&mu_);
    ProjectTail& tail = projects_[Sv(project)];
    tail.watched_until_ns = std::max(tail.watched_until_ns, now + absl::ToInt64Nanoseconds(options_.watch));
    int64_t after = request.after.value_or(tail.last_seq);
    if (after > tail.last_seq || after < 0) after = tail.last_seq;
    result = Collect(tail, after, request.limit, request.filter);
    if (result.entries.empty() && result.dropped == 0 && request.wait_ms > 0 && !stopping_) {
      if (waiting_ >= options_.max_waiting) {
        return absl::UnavailableError(absl::StrCat("too many live tail requests are waiting (",
                                                   options_.max_waiting, "); retry shortly"));
      }
      tail.waiters.push_back(Waiter{.after = result.next,
                                    .deadline_ns = now + request.wait_ms * 1'000'000,
                                    .limit = request.limit,
                                    .filter = request.filter,
                                    .done = std::move(done)});
      ++waiting_;
      wake_ = true;  // its deadline may be the earliest
      return absl::OkStatus();
    }
  }
  done(std::move(result));
  return absl::OkStatus();
}

int LiveTail::Dispatch() {
  const int64_t now = clock_.NowNanos();
  std::vector<Answer> answers;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [project, tail] : projects_) {
      for (auto it = tail.waiters.begin(); it != tail.waiters.end();) {
        if (!it->ready && it->deadline_ns > now) {
          ++it;
          continue;
        }
        answers.push_back(Answer{std::move(it->done), Collect(tail, it->after, it->limit, it->filter)});
        it = tail.waiters.erase(it);
        --waiting_;
      }
      if (tail.watched_until_ns <= now && !tail.entries.empty()) {
        tail.entries.clear();  // nobody follows them any more
        tail.bytes = 0;
      }
    }
  }
  for (Answer& answer : answers) answer.done(std::move(answer.result));
  return static_cast<int>(answers.size());
}

void LiveTail::Shutdown() {
  std::vector<Answer> answers;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    wake_ = true;
    for (auto& [project, tail] : projects_) {
      for (Waiter& waiter : tail.waiters) {
        answers.push_back(Answer{std::move(waiter.done), Collect(tail, waiter.after, waiter.limit, waiter.filter)});
      }
      tail.waiters.clear();
    }
    waiting_ = 0;
  }
  for (Answer& answer : answers) answer.done(std::move(answer.result));
}

size_t LiveTail::waiting() const {
  absl::MutexLock lock(&mu_);
  return waiting_;
}

void LiveTail::Start() {
  thread_ = std::thread([this] { Run(); });
}

void LiveTail::Run() {
  while (true) {
    Dispatch();
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    // Until the earliest deadline, or a watch's length to let go of unwatched entries.
    int64_t wait_ns = absl::ToInt64Nanoseconds(options_.watch);
    const int64_t now = clock_.NowNanos();
    for (const auto& [project, tail] : projects_) {
      for (const Waiter& waiter : tail.waiters) wait_ns = std::min(wait_ns, waiter.deadline_ns - now);
    }
    if (wait_ns > 0) mu_.AwaitWithTimeout(absl::Condition(&wake_), absl::Nanoseconds(wait_ns));
    wake_ = false;
    if (stopping_) return;
  }
}

}  // namespace trackly::server
