#include "normalize/batch_normalizer.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "normalize/chat_messages.h"
#include "normalize/cost/cost_engine.h"
#include "normalize/usage_estimator.h"

namespace trackly::normalize {

BatchNormalizer::BatchNormalizer(const cost::PriceSource& prices, RedactionClasses redaction)
    : prices_(prices),
      owned_redactors_(std::make_unique<FixedRedactorSource>(std::make_shared<const Redactor>(redaction))),
      redactors_(*owned_redactors_) {}

BatchNormalizer::BatchNormalizer(const cost::PriceSource& prices, const RedactorSource& redactors)
    : prices_(prices), redactors_(redactors) {}

NormalizedBatch BatchNormalizer::Normalize(model::SpanBatch&& batch, std::string_view project) const {
  NormalizedBatch out;
  out.rejected_spans = batch.rejected_spans;
  out.rejection_message = std::move(batch.rejection_message);
  out.observations.reserve(batch.spans.size());
  const std::shared_ptr<const cost::PriceCatalog> prices = prices_.Current();
  const std::shared_ptr<const Redactor> redactor = redactors_.For(project);
  int64_t rejected_here = 0;
  for (const model::RawSpan& span : batch.spans) {
    model::Observation observation = normalizer_.Normalize(span);
    if (absl::Status usage = cost::CostEngine::ValidateUsage(observation.usage); !usage.ok()) {
      // Only the first reason is spelled out; the count says how many more there were.
      if (out.rejection_message.empty()) {
        out.rejection_message = absl::StrCat("span ", observation.id, ": ", usage.message());
      }
      ++rejected_here;
      continue;
    }
    UsageEstimator::Estimate(observation);
    cost::CostEngine::Apply(*prices, project, observation);
    redactor->Redact(observation);
    out.observations.push_back(std::move(observation));
  }
  if (rejected_here > 0) {
    out.rejected_spans += rejected_here;
    if (out.rejected_spans > 1) {
      absl::StrAppend(&out.rejection_message, " (", out.rejected_spans, " spans rejected in all)");
    }
  }
  return out;
}

NormalizedFragments BatchNormalizer::NormalizeFragments(
    std::vector<model::ObservationFragment>&& fragments, std::string_view project) const {
  NormalizedFragments out;
  const std::shared_ptr<const Redactor> redactor = redactors_.For(project);
  out.fragments.reserve(fragments.size());
  for (model::ObservationFragment& fragment : fragments) {
    model::Observation& observation = fragment.observation;
    if (fragment.fields & model::kFieldUsage) {
      if (absl::Status usage = cost::CostEngine::ValidateUsage(observation.usage); !usage.ok()) {
        if (out.rejection_message.empty()) {
          out.rejection_message = absl::StrCat("observation ", observation.id, ": ", usage.message());
        }
        ++out.rejected_fragments;
        continue;
      }
    }
    redactor->Redact(observation);
    out.fragments.push_back(std::move(fragment));
  }
  if (out.rejected_fragments > 1) {
    absl::StrAppend(&out.rejection_message, " (", out.rejected_fragments,
                    " observations rejected in all)");
  }
  return out;
}

namespace {

// Chat content of a merged generation → the canonical message list. Done on the merge, not per
// fragment: only the merge knows the type for sure (a LangSmith patch from the Python client
// carries outputs but no run_type), and the store merges the fragments as sent each time, so the
// conversion sees the client's shapes exactly once. Returns true when it changed something.
bool NormalizeChatContent(model::Observation& o) {
  if (o.type != model::ObservationType::kGeneration) return false;
  bool changed = false;
  for (auto [value, role] : {std::pair<Json*, std::string_view>{&o.input, "user"},
                             {&o.output, "assistant"}}) {
    if (std::optional<Json> messages = ToChatMessages(*value, ChatOptions{.default_role = role})) {
      changed |= *messages != *value;
      *value = *std::move(messages);
    }
  }
  return changed;
}

}  // namespace

std::function<bool(model::Observation&)> BatchNormalizer::MergedPricer(
    std::string_view project) const {
  return [prices = prices_.Current(), project = std::string(project)](model::Observation& o) {
    const model::Usage usage_before = o.usage;
    const model::Cost cost_before = o.cost;
    const bool chat_changed = NormalizeChatContent(o);
    UsageEstimator::Estimate(o);
    cost::CostEngine::Apply(*prices, project, o);
    return chat_changed || !(o.usage == usage_before) || !(o.cost == cost_before);
  };
}

void BatchNormalizer::RedactScores(std::vector<model::Score>& scores, std::string_view project) const {
  const std::shared_ptr<const Redactor> redactor = redactors_.For(project);
  for (model::Score& score : scores) redactor->Redact(score);
}

}  // namespace trackly::normalize
