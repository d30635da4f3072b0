#include "model/observation_fragment.h"

#include <algorithm>
#include <string_view>
#include <tuple>

#include "absl/container/flat_hash_set.h"

namespace trackly::model {
namespace {

// The merge order of the header comment.
bool AppliedBefore(const ObservationFragment* a, const ObservationFragment* b) {
  auto key = [](const ObservationFragment* f) {
    return std::tuple(f->event_time_ns, f->kind == FragmentKind::kCreate ? 0 : 1, std::string_view(f->event_id));
  };
  return key(a) < key(b);
}

// Key by key when both sides are objects; otherwise (a client that sent a scalar or an array as
// metadata) the later value replaces the earlier one.
void MergeObject(Json& into, const Json& from) {
  if (into.is_object() && from.is_object()) {
    into.update(from);
  } else {
    into = from;
  }
}

bool Has(const ObservationFragment& f, ObservationField field) { return (f.fields & field) != 0; }

void Apply(const ObservationFragment& f, bool& have_start, Observation& out) {
  const Observation& in = f.observation;
  if (!in.trace_id.empty()) out.trace_id = in.trace_id;
  if (Has(f, kFieldName)) out.name = in.name;
  if (Has(f, kFieldType)) out.type = in.type;
  if (Has(f, kFieldParent)) out.parent_id = in.parent_id;
  if (Has(f, kFieldStatus)) {
    out.status = in.status;
    out.status_message = in.status_message;
    out.error_type = in.error_type;
  }
  if (Has(f, kFieldLevel)) out.level = in.level;
  if (Has(f, kFieldStartTime) && (!have_start || in.start_time_ns < out.start_time_ns)) {
    out.start_time_ns = in.start_time_ns;
    have_start = true;
  }
  if (Has(f, kFieldEndTime)) out.end_time_ns = in.end_time_ns;
  if (Has(f, kFieldCompletionStart)) out.completion_start_time_ns = in.completion_start_time_ns;
  if (Has(f, kFieldModel)) {
    out.model = in.model;
    out.provider = in.provider;
  }
  if (Has(f, kFieldModelParameters)) out.model_parameters = in.model_parameters;
  if (Has(f, kFieldUsage)) out.usage = in.usage;
  if (Has(f, kFieldCost)) out.cost = in.cost;
  if (Has(f, kFieldInput)) out.input = in.input;
  if (Has(f, kFieldOutput)) out.output = in.output;
  if (Has(f, kFieldMetadata)) MergeObject(out.metadata, in.metadata);
  if (Has(f, kFieldAttributes)) MergeObject(out.attributes, in.attributes);
  if (Has(f, kFieldEvents)) out.events.insert(out.events.end(), in.events.begin(), in.events.end());
  if (Has(f, kFieldPrompt)) out.prompt = in.prompt;
  if (Has(f, kFieldTool)) out.tool = in.tool;
  if (Has(f, kFieldEnvironment)) out.environment = in.environment;
  if (Has(f, kFieldRelease)) out.release = in.release;
  if (Has(f, kFieldServiceName)) out.service_name = in.service_name;
  if (Has(f, kFieldRetryCount)) out.retry_count = in.retry_count;
  out.redactions += in.redactions;  // each fragment counts what was redacted in its own text
  TraceHints& hints = out.trace_hints;
  if (Has(f, kFieldTraceName)) hints.trace_name = in.trace_hints.trace_name;
  if (Has(f, kFieldSessionId)) hints.session_id = in.trace_hints.session_id;
  if (Has(f, kFieldUserId)) hints.user_id = in.trace_hints.user_id;
  if (Has(f, kFieldFeature)) hints.feature = in.trace_hints.feature;
  if (Has(f, kFieldTags)) hints.tags = in.trace_hints.tags;
  if (Has(f, kFieldTraceMetadata)) MergeObject(hints.trace_metadata, in.trace_hints.trace_metadata);
  if (Has(f, kFieldTraceInput)) hints.trace_input = in.trace_hints.trace_input;
  if (Has(f, kFieldTraceOutput)) hints.trace_output = in.trace_hints.trace_output;
}

}  // namespace

Observation MergeFragments(std::span<const ObservationFragment> fragments) {
  std::vector<const ObservationFragment*> ordered;
  ordered.reserve(fragments.size());
  for (const ObservationFragment& f : fragments) ordered.push_back(&f);
  std::sort(ordered.begin(), ordered.end(), AppliedBefore);

  Observation out;
  bool have_start = false;
  absl::flat_hash_set<std::string_view> seen;
  for (const ObservationFragment* f : ordered) {
    if (!seen.insert(f->event_id).second) continue;
    if (out.id.empty()) out.id = f->observation.id;
    Apply(*f, have_start, out);
  }
  return out;
}

}  // namespace trackly::model
