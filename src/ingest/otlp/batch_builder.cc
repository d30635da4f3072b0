#include "ingest/otlp/batch_builder.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "ingest/utf8.h"

namespace trackly::ingest::otlp {
namespace {

// Client-sent counts plus our own can exceed uint32 only with hostile input; saturate.
uint32_t SaturatingAdd(uint32_t a, uint32_t b) {
  const uint64_t sum = uint64_t{a} + b;
  return sum > std::numeric_limits<uint32_t>::max() ? std::numeric_limits<uint32_t>::max()
                                                     : static_cast<uint32_t>(sum);
}

}  // namespace

absl::Status BatchBuilder::CheckDepth(int depth, const FieldPath& where) const {
  if (depth <= limits_.max_nesting_depth) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      where.ToString(), ": value nested deeper than ", limits_.max_nesting_depth, " levels"));
}

void BatchBuilder::LimitValue(std::string& value, CutCounts& cuts) const {
  const int64_t max_bytes = std::max<int64_t>(limits_.max_attribute_value_bytes, 0);
  if (static_cast<int64_t>(value.size()) <= max_bytes) return;
  if (CutUtf8(value, static_cast<size_t>(max_bytes))) ++cuts.values;
}

bool BatchBuilder::KeepAttribute(int64_t index, CutCounts& cuts) const {
  if (index < limits_.max_attributes_per_span) return true;
  ++cuts.attributes;
  return false;
}

bool BatchBuilder::KeepEvent(int64_t index, CutCounts& cuts) const {
  if (index < limits_.max_events_per_span) return true;
  ++cuts.events;
  return false;
}

bool BatchBuilder::KeepLink(int64_t index, CutCounts& cuts) const {
  if (index < limits_.max_links_per_span) return true;
  ++cuts.links;
  return false;
}

void BatchBuilder::AddSpan(model::RawSpan span, const CutCounts& cuts) {
  span.dropped_attributes_count = SaturatingAdd(span.dropped_attributes_count, cuts.attributes);
  span.dropped_events_count = SaturatingAdd(span.dropped_events_count, cuts.events);
  span.dropped_links_count = SaturatingAdd(span.dropped_links_count, cuts.links);
  span.truncated_by_server = SaturatingAdd(
      span.truncated_by_server,
      SaturatingAdd(SaturatingAdd(cuts.attributes, cuts.events), SaturatingAdd(cuts.links, cuts.values)));
  batch_.spans.push_back(std::move(span));
}

void BatchBuilder::RejectSpan(const FieldPath& where, std::string_view problem) {
  if (batch_.rejected_spans == 0) first_rejection_ = absl::StrCat(where.ToString(), ": ", Sv(problem));
  ++batch_.rejected_spans;
}

model::SpanBatch BatchBuilder::Finish() && {
  if (batch_.rejected_spans == 1) {
    batch_.rejection_message = std::move(first_rejection_);
  } else if (batch_.rejected_spans > 1) {
    batch_.rejection_message = absl::StrCat(first_rejection_, " (and ", batch_.rejected_spans - 1,
                                            " more rejected spans)");
  }
  return std::move(batch_);
}

}  // namespace trackly::ingest::otlp
