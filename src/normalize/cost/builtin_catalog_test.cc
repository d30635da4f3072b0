// Checks the embedded data/models/prices.json itself: a bad edit to the data fails here.
#include <gtest/gtest.h>

#include <limits>
#include <set>

#include "normalize/cost/price_catalog.h"
#include "re2/re2.h"

namespace trackly::cost {
namespace {

TEST(BuiltinCatalogTest, EmbeddedCatalogParsesAndIndexes) {
  absl::StatusOr<std::vector<PriceEntry>> entries = ParseCatalog(BuiltinCatalogJson());
  ASSERT_TRUE(entries.ok()) << entries.status();
  absl::StatusOr<std::shared_ptr<const PriceCatalog>> catalog = PriceCatalog::Builtin();
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_EQ((*catalog)->builtin_entries().size(), entries->size());
}

TEST(BuiltinCatalogTest, EveryPatternMatchesItsOwnCanonicalName) {
  absl::StatusOr<std::vector<PriceEntry>> entries = ParseCatalog(BuiltinCatalogJson());
  ASSERT_TRUE(entries.ok()) << entries.status();
  RE2::Options options;
  options.set_case_sensitive(false);
  for (const PriceEntry& e : *entries) {
    RE2 re(e.match, options);
    ASSERT_TRUE(re.ok()) << e.id << ": " << re.error();
    EXPECT_TRUE(RE2::FullMatch(e.model, re)) << e.id << " does not match its own name";
  }
}

TEST(BuiltinCatalogTest, CanonicalNameResolvesToItsOwnModel) {
  absl::StatusOr<std::shared_ptr<const PriceCatalog>> catalog = PriceCatalog::Builtin();
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  for (const PriceEntry& e : (*catalog)->builtin_entries()) {
    const PriceEntry* found = (*catalog)->Find("", e.model, "", std::numeric_limits<int64_t>::max());
    ASSERT_NE(found, nullptr) << e.id;
    EXPECT_EQ(found->model, e.model) << e.model << " is taken by " << found->id;
  }
}

TEST(BuiltinCatalogTest, CoversTheRequiredProvidersWithSources) {
  absl::StatusOr<std::vector<PriceEntry>> entries = ParseCatalog(BuiltinCatalogJson());
  ASSERT_TRUE(entries.ok()) << entries.status();
  std::set<std::string> providers;
  std::set<std::string> embedding_providers;
  for (const PriceEntry& e : *entries) {
    providers.insert(e.provider);
    if (e.kind == "embedding") embedding_providers.insert(e.provider);
    EXPECT_EQ(e.source.rfind("https://", 0), 0u) << e.id;
    EXPECT_GT(e.valid_from_ns, 0) << e.id;
  }
  for (const char* p : {"openai", "anthropic", "google", "mistral", "deepseek", "meta", "xai", "cohere"}) {
    EXPECT_TRUE(providers.count(p)) << p;
  }
  for (const char* p : {"openai", "google", "mistral", "cohere"}) EXPECT_TRUE(embedding_providers.count(p)) << p;
}

}  // namespace
}  // namespace trackly::cost
