// Where in a request a value sits, for error messages such as
// "resourceSpans[0].scopeSpans[1].spans[4].traceId: expected 32 hex characters, got 30".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trackly::ingest::otlp {

// One step of a path, kept on the stack while a decoder descends; it is rendered to a string only
// when an error needs it, so the happy path pays nothing. Trivially copyable; `parent` and `name`
// must outlive it (they are the caller's stack frame and string literals).
struct FieldPath {
  const FieldPath* parent = nullptr;
  std::string_view name;  // field name; empty for the root
  int64_t index = -1;     // element index within a repeated field, or -1

  // "parent.name[index]".
  std::string ToString() const;
  // A child step: Child("spans", 4) → "<this>.spans[4]".
  FieldPath Child(std::string_view child_name, int64_t child_index = -1) const {
    return FieldPath{this, child_name, child_index};
  }
};

}  // namespace trackly::ingest::otlp
