// Everything between decoding and the store for one request: each decoded span is normalized onto
// the canonical model, its usage is checked (or estimated from its text when a model call reports
// none: normalize/usage_estimator.h), its cost is computed from the price catalog where it has
// usage but no cost, and its text is redacted (normalize/redaction/redactor.h). Every ingest
// endpoint goes through this, so all wire formats get the same treatment.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/observation.h"
#include "model/observation_fragment.h"
#include "model/raw_span.h"
#include "normalize/cost/price_source.h"
#include "normalize/normalizer.h"
#include "normalize/redaction/redactor.h"

namespace trackly::normalize {

struct NormalizedBatch {
  std::vector<model::Observation> observations;
  // Spans the decoder rejected plus spans rejected here (e.g. negative token counts), and why.
  int64_t rejected_spans = 0;
  std::string rejection_message;
};

struct NormalizedFragments {
  std::vector<model::ObservationFragment> fragments;
  // Fragments rejected here (invalid usage); the message names the first one's id and field.
  int64_t rejected_fragments = 0;
  std::string rejection_message;
};

// Thread-safe (immutable after construction; `prices` is thread-safe).
class BatchNormalizer {
 public:
  // Borrows `prices`, which must outlive this. Each Normalize() prices its whole batch with one
  // snapshot, prices.Current(), so a price change applies from the next batch on. `redaction`:
  // the built-in detectors applied to every observation and score (none by default).
  explicit BatchNormalizer(const cost::PriceSource& prices, RedactionClasses redaction = {});
  // As above, redacting each project's data with redactors.For(project) (the built-in classes and
  // the project's rules), one snapshot per call. Borrows `redactors`, which must outlive this.
  BatchNormalizer(const cost::PriceSource& prices, const RedactorSource& redactors);

  // Normalizes, estimates missing usage of model calls and prices every span of `batch` for
  // `project`. A span whose usage is invalid (negative or absurd token counts) is left out and
  // counted in rejected_spans with a reason naming the span and the field; the rest is kept. The
  // decoder's own rejections carry over. Usage is estimated before redaction, from the text as sent.
  NormalizedBatch Normalize(model::SpanBatch&& batch, std::string_view project) const;

  // The same treatment for observations that arrive in pieces (formats whose decoders map the
  // wire fields themselves, e.g. LangSmith runs): a fragment with invalid usage is left out and
  // counted, naming its id and the field. Chat content and cost wait for the merge (type, model
  // and usage may come in different fragments), see MergedPricer; redaction does not.
  NormalizedFragments NormalizeFragments(std::vector<model::ObservationFragment>&& fragments,
                                         std::string_view project) const;

  // For store::WriteBatch::finish_merged: finishes a merged observation of `project` as
  // Normalize() does a span: on a generation, input and output in a known chat shape become the
  // canonical message list (normalize/chat_messages.h); then missing usage is estimated
  // (UsageEstimator::Estimate) and the cost computed (cost::CostEngine::Apply) with the catalog
  // current now, held for the whole write. Returns true when it changed something.
  std::function<bool(model::Observation&)> MergedPricer(std::string_view project) const;

  // Redacts scores (their comments and string values) as Normalize() does observations.
  void RedactScores(std::vector<model::Score>& scores, std::string_view project) const;

 private:
  Normalizer normalizer_;
  const cost::PriceSource& prices_;
  std::unique_ptr<const RedactorSource> owned_redactors_;  // with the RedactionClasses constructor
  const RedactorSource& redactors_;
};

}  // namespace trackly::normalize
