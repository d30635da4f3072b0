#include "normalize/tokens/encoding.h"

#include <string>

#include "absl/strings/ascii.h"

namespace trackly::tokens {
namespace {

// Name prefixes of OpenAI models, after the route prefix and lower-cased. Looked at in order:
// "gpt-4o" and "gpt-4." must be seen before the cl100k "gpt-4".
struct Family {
  std::string_view prefix;
  Encoding encoding;
};
constexpr Family kOpenAiFamilies[] = {
    {"gpt-4o", Encoding::kO200kBase},        {"gpt-4.", Encoding::kO200kBase},
    {"gpt-5", Encoding::kO200kBase},         {"gpt-oss", Encoding::kO200kBase},
    {"chatgpt-", Encoding::kO200kBase},      {"o1", Encoding::kO200kBase},
    {"o3", Encoding::kO200kBase},            {"o4", Encoding::kO200kBase},
    {"gpt-4", Encoding::kCl100kBase},        {"gpt-3.5", Encoding::kCl100kBase},
    {"gpt-35", Encoding::kCl100kBase},       {"text-embedding-", Encoding::kCl100kBase},
};

}  // namespace

std::string_view ToString(Encoding encoding) {
  switch (encoding) {
    case Encoding::kO200kBase: return "o200k_base";
    case Encoding::kCl100kBase: return "cl100k_base";
  }
  return "";
}

EncodingChoice EncodingForModel(std::string_view model) {
  if (size_t slash = model.rfind('/'); slash != std::string_view::npos) model.remove_prefix(slash + 1);
  std::string name(model);
  absl::AsciiStrToLower(&name);
  for (const Family& family : kOpenAiFamilies) {
    if (!name.starts_with(family.prefix)) continue;
    // "o1", "o3", "o4" name a family only as the whole name or before a '-' ("o3-mini"), so
    // another vendor's "o1something" is not taken for OpenAI's.
    if (family.prefix.size() == 2 && name.size() > 2 && name[2] != '-') continue;
    return EncodingChoice{.encoding = family.encoding, .exact = true};
  }
  return EncodingChoice{.encoding = Encoding::kO200kBase, .exact = false};
}

}  // namespace trackly::tokens
