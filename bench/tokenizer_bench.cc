// Throughput of the BPE token counter that estimates missing usage (normalize/tokens), on three
// kinds of text: English prose (the repository's docs), the mixed-script test corpus (many
// languages, emoji, code) and a piece without spaces (a base64-like blob: one long BPE merge).
//
//   build/bench/tokenizer_bench [--benchmark_filter=O200k]
//
// Run from the repository root (it reads docs/ and the corpus by relative path).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <benchmark/benchmark.h>

#include "normalize/tokens/bpe_tokenizer.h"

namespace trackly::bench {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Docs() {
  std::string text;
  for (const auto& entry : std::filesystem::directory_iterator("docs")) {
    if (entry.path().extension() == ".md") text += ReadFile(entry.path());
  }
  return text;
}

std::string Corpus() {
  std::string text;
  std::string corpus = ReadFile("src/normalize/tokens/testdata/corpus.txt");
  while (text.size() < 256 * 1024) text += corpus;
  return text;
}

std::string Blob() {
  std::string text;
  for (uint32_t x = 1; text.size() < 64 * 1024; x = x * 1103515245 + 12345) {
    text += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(x >> 16) & 63];
  }
  return text;
}

void Count(benchmark::State& state, tokens::Encoding encoding, const std::string& text) {
  const tokens::BpeTokenizer& tokenizer = tokens::BpeTokenizer::Get(encoding);
  int64_t tokens = 0;
  for (auto _ : state) {
    tokens = tokenizer.CountTokens(text);
    benchmark::DoNotOptimize(tokens);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["bytes"] = static_cast<double>(text.size());
}

void BM_O200kDocs(benchmark::State& s) { static const std::string t = Docs(); Count(s, tokens::Encoding::kO200kBase, t); }
void BM_O200kCorpus(benchmark::State& s) { static const std::string t = Corpus(); Count(s, tokens::Encoding::kO200kBase, t); }
void BM_O200kBlob(benchmark::State& s) { static const std::string t = Blob(); Count(s, tokens::Encoding::kO200kBase, t); }
void BM_Cl100kDocs(benchmark::State& s) { static const std::string t = Docs(); Count(s, tokens::Encoding::kCl100kBase, t); }
void BM_Cl100kCorpus(benchmark::State& s) { static const std::string t = Corpus(); Count(s, tokens::Encoding::kCl100kBase, t); }
BENCHMARK(BM_O200kDocs);
BENCHMARK(BM_O200kCorpus);
BENCHMARK(BM_O200kBlob);
BENCHMARK(BM_Cl100kDocs);
BENCHMARK(BM_Cl100kCorpus);

}  // namespace
}  // namespace trackly::bench

BENCHMARK_MAIN();
