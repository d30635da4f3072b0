// Observations that arrive in pieces. Langfuse's batch API sends a create event and later update
// events for one observation; LangSmith sends a run as a post and later a patch. Each piece is an
// ObservationFragment; the store keeps every fragment of an observation and stores their merge,
// so the stored observation does not depend on the order the pieces arrived in (updates before
// their create, the same event twice, a patch in a later request).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/observation.h"

namespace trackly::model {

// Which fields of ObservationFragment::observation a fragment sets. A field not in the mask says
// nothing (it neither sets nor clears).
enum ObservationField : uint64_t {
  kFieldName = 1ull << 0,
  kFieldType = 1ull << 1,
  kFieldParent = 1ull << 2,           // parent_id
  kFieldStatus = 1ull << 3,           // status, status_message, error_type
  kFieldLevel = 1ull << 4,
  kFieldStartTime = 1ull << 5,
  kFieldEndTime = 1ull << 6,
  kFieldCompletionStart = 1ull << 7,
  kFieldModel = 1ull << 8,            // model, provider
  kFieldModelParameters = 1ull << 9,
  kFieldUsage = 1ull << 10,
  kFieldCost = 1ull << 11,            // a client-provided cost (source kProvided)
  kFieldInput = 1ull << 12,
  kFieldOutput = 1ull << 13,
  kFieldMetadata = 1ull << 14,        // merged key by key into what earlier fragments set
  kFieldAttributes = 1ull << 15,      // merged key by key
  kFieldEvents = 1ull << 16,          // appended
  kFieldPrompt = 1ull << 17,
  kFieldTool = 1ull << 18,
  kFieldEnvironment = 1ull << 19,
  kFieldRelease = 1ull << 20,
  kFieldServiceName = 1ull << 21,
  kFieldRetryCount = 1ull << 22,
  kFieldTraceName = 1ull << 23,       // trace_hints.trace_name
  kFieldSessionId = 1ull << 24,       // trace_hints.session_id
  kFieldUserId = 1ull << 25,          // trace_hints.user_id
  kFieldFeature = 1ull << 26,         // trace_hints.feature
  kFieldTags = 1ull << 27,            // trace_hints.tags (replaced, not appended)
  kFieldTraceMetadata = 1ull << 28,   // trace_hints.trace_metadata, merged key by key
  kFieldTraceInput = 1ull << 29,      // trace_hints.trace_input
  kFieldTraceOutput = 1ull << 30,     // trace_hints.trace_output
};

enum class FragmentKind { kCreate, kUpdate };

struct ObservationFragment {
  // id is always set. trace_id may be empty on an update that does not repeat it; the store then
  // takes it from another fragment of the same id. Other fields count only where `fields` says.
  Observation observation;
  uint64_t fields = 0;
  FragmentKind kind = FragmentKind::kCreate;
  int64_t event_time_ns = 0;  // when the client produced this piece; orders the merge
  std::string event_id;       // the client's event id; a fragment with a known event_id is a repeat

  bool operator==(const ObservationFragment&) const = default;
};

// The one definition of how the fragments of ONE observation id combine; every backend stores
// MergeFragments over all fragments it has of an id. The result does not depend on the order of
// `fragments`:
//   - fragments are applied in the order (event_time_ns, kCreate before kUpdate, event_id);
//     a fragment whose event_id an earlier one had is a repeat and ignored;
//   - a field in a fragment's mask replaces what earlier fragments set, except: start time is
//     the EARLIEST start any fragment sets (SDKs repeat a "timestamp" on every update of a
//     Langfuse trace; the first report is the start, as in Langfuse, where it is immutable);
//     metadata, attributes and trace metadata are merged key by key (a later value of a key
//     wins); events are appended;
//   - redactions (outside the mask) is the sum over the fragments, each counting its own text;
//   - id comes from the fragments; trace_id is the last non-empty one;
//   - fields no fragment sets keep the Observation defaults (cost is empty unless provided).
// An empty span gives a default Observation.
Observation MergeFragments(std::span<const ObservationFragment> fragments);

}  // namespace trackly::model
