// The storage conformance suite (in the spirit of Jaeger's StorageIntegration.RunAll): what every
// Store and Catalog backend must do, written once against the interfaces. A backend's test file
// provides a Backend and instantiates both fixtures:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest, ::testing::Values(MyBackend()), BackendName);
//   INSTANTIATE_TEST_SUITE_P(Sqlite, CatalogConformanceTest, ::testing::Values(MyBackend()), BackendName);
//
// The tests are registered by static initializers in store_conformance.cc, so the test binary must
// link trackly_store_conformance as a whole archive ($<LINK_LIBRARY:WHOLE_ARCHIVE,...>).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "store/catalog.h"
#include "store/store.h"

namespace trackly::store::conformance {

// Backend settings the suite needs to vary.
struct StoreLimits {
  size_t max_queue_observations = 200000;  // the suite uses a tiny queue to test Unavailable
};

// How the suite creates stores of one backend.
struct Backend {
  std::string name;  // in test names, e.g. "sqlite"
  // Opens a store whose data lives in `location`, a directory the suite creates empty for each
  // test. Opening the same location again must see every write acknowledged before.
  std::function<absl::StatusOr<std::unique_ptr<Store>>(const std::string& location, const StoreLimits& limits)>
      open_store;
  // Opens the catalog of `location`; two catalogs opened on one location share their data.
  std::function<absl::StatusOr<std::unique_ptr<Catalog>>(const std::string& location)> open_catalog;
  // Non-empty: every test of this backend is skipped with this message (e.g. its server is not
  // installed on this machine).
  std::string skip_reason;
};

// Whether `store` implements the optional Store methods (store.h: Unimplemented is the
// default). Each probes with arguments every implementation rejects, so it changes nothing.
// Tests of a missing capability GTEST_SKIP rather than fail.
bool HasMetrics(Store& store);            // QueryMetrics
bool HasRewrite(Store& store);            // RewriteObservations
bool HasObservationPages(Store& store);   // ListTraceObservations
bool HasErase(Store& store);              // Erase
bool HasExpire(Store& store);             // Expire

// The ids of the first 100 traces of `project` in the list's order (newest first), with `text`
// as the full-text filter when given; the ids of its first 100 scores. A failed read fails the
// test and gives what was read.
std::vector<std::string> StoredTraceIds(Store& store, const std::string& project, const std::string& text = "");
std::vector<std::string> StoredScoreIds(Store& store, const std::string& project);

// Whether a stored session summary equals `expected` (a recomputation with SummarizeSession):
// everything exactly but the amounts, which may differ in the last bits. A store may keep a
// session's sums up to date by differences (model::UpdateSessionSummary), and floating-point sums
// in another order differ that much. Prints both as JSON when they differ.
::testing::AssertionResult SameSession(const model::Session& actual, const model::Session& expected);

// Test-name generator for INSTANTIATE_TEST_SUITE_P.
std::string BackendName(const ::testing::TestParamInfo<Backend>& info);

// Not thread-safe (a gtest fixture). Owns a fresh location and an open store per test.
class StoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Closes the store (draining it) and opens it again on the same location.
  void Reopen(const StoreLimits& limits = StoreLimits());

  std::string location_;
  std::unique_ptr<Store> store_;
};

// Not thread-safe (a gtest fixture). Owns a fresh location per test.
class CatalogConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::string location_;
  std::unique_ptr<Catalog> catalog_;
};

}  // namespace trackly::store::conformance
