#include "store/sqlite/page_cache.h"

#include <sqlite3.h>

#include <atomic>
#include <mutex>

#include "base/log.h"

namespace trackly::store::sqlite {
namespace {

// The byte SQLite's file locks use (its PENDING_BYTE); the page holding it never holds data.
constexpr unsigned kLockByte = 0x40000000;

// pcache1's methods, read once before ours are installed.
sqlite3_pcache_methods2 base_methods;

std::atomic<int64_t> truncations_passed{0};
std::atomic<int64_t> truncations_skipped{0};

// One cache (of one connection's pager) as SQLite sees it.
struct Cache {
  sqlite3_pcache* base;
  unsigned lock_byte_page;  // page number of kLockByte at this cache's page size
  unsigned max_key = 0;     // highest page number fetched or rekeyed to, other than lock_byte_page
};

Cache* Of(sqlite3_pcache* cache) { return reinterpret_cast<Cache*>(cache); }

void NoteKey(Cache* cache, unsigned key) {
  if (key != cache->lock_byte_page && key > cache->max_key) cache->max_key = key;
}

int Init(void*) { return base_methods.xInit(base_methods.pArg); }
void Shutdown(void*) { base_methods.xShutdown(base_methods.pArg); }

sqlite3_pcache* Create(int page_size, int extra_size, int purgeable) {
  sqlite3_pcache* base = base_methods.xCreate(page_size, extra_size, purgeable);
  if (base == nullptr) return nullptr;
  auto* cache = new Cache{.base = base, .lock_byte_page = kLockByte / static_cast<unsigned>(page_size) + 1};
  return reinterpret_cast<sqlite3_pcache*>(cache);
}

void Cachesize(sqlite3_pcache* cache, int pages) { base_methods.xCachesize(Of(cache)->base, pages); }
int Pagecount(sqlite3_pcache* cache) { return base_methods.xPagecount(Of(cache)->base); }

sqlite3_pcache_page* Fetch(sqlite3_pcache* cache, unsigned key, int create) {
  sqlite3_pcache_page* page = base_methods.xFetch(Of(cache)->base, key, create);
  if (page != nullptr) NoteKey(Of(cache), key);
  return page;
}

void Unpin(sqlite3_pcache* cache, sqlite3_pcache_page* page, int discard) {
  base_methods.xUnpin(Of(cache)->base, page, discard);
}

void Rekey(sqlite3_pcache* cache, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
  base_methods.xRekey(Of(cache)->base, page, old_key, new_key);
  NoteKey(Of(cache), new_key);
}

// Removes the pages numbered limit and above. Pages only enter through Fetch and Rekey, and the
// lock-byte page only holds a page in the middle of a rebalance (SQLite's balance_nonroot), so
// with no other key at or above `limit` there is nothing to remove.
void Truncate(sqlite3_pcache* cache, unsigned limit) {
  Cache* c = Of(cache);
  if (limit > c->max_key) {
    truncations_skipped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  truncations_passed.fetch_add(1, std::memory_order_relaxed);
  base_methods.xTruncate(c->base, limit);
  c->max_key = limit - 1;  // SQLite truncates to a page count + 1, so limit >= 1
}

void Destroy(sqlite3_pcache* cache) {
  base_methods.xDestroy(Of(cache)->base);
  delete Of(cache);
}

void Shrink(sqlite3_pcache* cache) { base_methods.xShrink(Of(cache)->base); }

void Install() {
  if (int rc = sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &base_methods); rc != SQLITE_OK) {
    LogWarn("sqlite: cannot read the page cache methods (", sqlite3_errstr(rc), "); keeping SQLite's own");
    return;
  }
  static const sqlite3_pcache_methods2 methods = {
      .iVersion = 1,
      .pArg = nullptr,
      .xInit = Init,
      .xShutdown = Shutdown,
      .xCreate = Create,
      .xCachesize = Cachesize,
      .xPagecount = Pagecount,
      .xFetch = Fetch,
      .xUnpin = Unpin,
      .xRekey = Rekey,
      .xTruncate = Truncate,
      .xDestroy = Destroy,
      .xShrink = Shrink,
  };
  if (int rc = sqlite3_config(SQLITE_CONFIG_PCACHE2, &methods); rc != SQLITE_OK) {
    LogWarn("sqlite: cannot install the page cache (", sqlite3_errstr(rc),
            ": SQLite was already in use); keeping SQLite's own");
  }
}

}  // namespace

void InstallPageCache() {
  static std::once_flag once;
  std::call_once(once, Install);
}

PageCacheCounts GetPageCacheCounts() {
  return {.truncations_passed = truncations_passed.load(std::memory_order_relaxed),
          .truncations_skipped = truncations_skipped.load(std::memory_order_relaxed)};
}

}  // namespace trackly::store::sqlite
