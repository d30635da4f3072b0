#include "ingest/otlp/field_path.h"

#include <vector>

#include "absl/strings/str_cat.h"

namespace trackly::ingest::otlp {

std::string FieldPath::ToString() const {
  std::vector<const FieldPath*> steps;
  for (const FieldPath* step = this; step != nullptr; step = step->parent) steps.push_back(step);
  std::string text;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    const FieldPath& step = **it;
    if (step.name.empty() && step.index < 0) continue;
    if (!text.empty() && !step.name.empty()) text += '.';
    text.append(step.name);
    if (step.index >= 0) absl::StrAppend(&text, "[", step.index, "]");
  }
  return text;
}

}  // namespace trackly::ingest::otlp
