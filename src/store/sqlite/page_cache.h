// SQLite's own page cache (pcache1) with one cost taken out of every commit.
//
// At the end of each transaction SQLite truncates its page cache to the database size. pcache1
// only does that work when it has seen a page number past the end, and then, when that page is
// far past the end, it walks its whole hash table: every cached page, on every commit. B-tree
// rebalancing gives it such a page number all the time: to swap two new pages into ascending
// order it parks one under the number of the lock-byte page (the page holding byte 2^30, which
// never holds data). So while a database is smaller than 1 GiB, each commit of the writer walked
// its whole cache (8,192 pages of 8 KiB, ~8 % of the writer's CPU under the ingest benchmark).
//
// The cache installed here passes every call through to pcache1 and keeps its own highest page
// number, leaving out the lock-byte page; a truncation that cannot remove anything is not passed
// on. Nothing else changes: which pages are cached, evicted or purged is pcache1's decision. A
// custom cache (SQLITE_CONFIG_PCACHE2) is SQLite's documented way to change this; there is no
// setting for it.
#pragma once

#include <cstdint>

namespace trackly::store::sqlite {

// Installs the cache for every SQLite connection of the process, once; later calls do nothing.
// It must run before SQLite is first used (Connection::Open calls it): if SQLite was already
// initialized, pcache1 stays as it is (logged), which is slower but just as correct.
void InstallPageCache();

// Counters of the installed cache, for tests: truncations passed on to pcache1 and those skipped.
struct PageCacheCounts {
  int64_t truncations_passed = 0;
  int64_t truncations_skipped = 0;
};
PageCacheCounts GetPageCacheCounts();

}  // namespace trackly::store::sqlite
