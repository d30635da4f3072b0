// The files data/tokenizers/convert_ranks.mjs makes from js-tiktoken's ranks at build time,
// embedded in the binary by cmake/embed_files.cmake (formats: the header of convert_ranks.mjs).
#pragma once

#include <string_view>

namespace trackly::tokens {

std::string_view O200kBaseRanks();     // o200k_base.bpe
std::string_view Cl100kBaseRanks();    // cl100k_base.bpe
std::string_view UnicodeClassRuns();   // unicode_classes.bin

}  // namespace trackly::tokens
