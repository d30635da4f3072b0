#include "store/sqlite/payload.h"

#include <memory>

#include <zstd.h>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/codec.h"

namespace trackly::store::sqlite {
namespace {

constexpr unsigned char kZstdMagic[4] = {0x28, 0xB5, 0x2F, 0xFD};

// Level 1: LLM inputs/outputs are repetitive JSON; level 1 already gets most of the ratio at a
// cost small next to producing the JSON, and ingest throughput is what matters here.
constexpr int kZstdLevel = 1;

bool IsZstd(std::string_view blob) {
  return blob.size() >= sizeof(kZstdMagic) &&
         std::equal(std::begin(kZstdMagic), std::end(kZstdMagic),
                    reinterpret_cast<const unsigned char*>(blob.data()));
}

// `json` as stored: compressed when it is at least `compress_min_bytes` long and that shrinks it.
std::string CompressIfWorthIt(std::string json, size_t compress_min_bytes) {
  if (json.size() < compress_min_bytes) return json;
  // One compression context per thread: ZSTD_compress would allocate and clear a fresh context
  // (hundreds of KiB) for every observation, which showed as the top item in the ingest profile.
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> context(ZSTD_createCCtx(), ZSTD_freeCCtx);
  std::string compressed(ZSTD_compressBound(json.size()), '\0');
  size_t size = context == nullptr
                    ? ZSTD_compress(compressed.data(), compressed.size(), json.data(), json.size(), kZstdLevel)
                    : ZSTD_compressCCtx(context.get(), compressed.data(), compressed.size(), json.data(),
                                        json.size(), kZstdLevel);
  // Keep the plain JSON when compression fails or does not shrink it: both decode the same way.
  if (ZSTD_isError(size) || size >= json.size()) return json;
  compressed.resize(size);
  return compressed;
}

}  // namespace

int64_t FloorToMicros(int64_t ns) {
  // Earlier times have no floor the codec keeps, and the very first ones none in int64 at all.
  if (ns < model::kEarliestExactTimeNs) return model::kEarliestExactTimeNs;
  int64_t rest = ns % 1000;
  if (rest < 0) rest += 1000;
  return ns - rest;
}

void FloorTimesToMicros(model::Observation& observation) {
  observation.start_time_ns = FloorToMicros(observation.start_time_ns);
  observation.end_time_ns = FloorToMicros(observation.end_time_ns);
  observation.completion_start_time_ns = FloorToMicros(observation.completion_start_time_ns);
  for (model::Event& event : observation.events) event.time_ns = FloorToMicros(event.time_ns);
}

std::string EncodePayload(const model::Observation& observation, size_t compress_min_bytes) {
  std::string json;
  model::AppendJson(observation, &json);
  return CompressIfWorthIt(std::move(json), compress_min_bytes);
}

std::string EncodeJsonPayload(std::string_view json, size_t compress_min_bytes) {
  return CompressIfWorthIt(std::string(json), compress_min_bytes);
}

std::string EncodeDetailPayload(const model::Observation& observation, size_t compress_min_bytes) {
  std::string json;
  model::AppendDetailJson(observation, &json);
  return CompressIfWorthIt(std::move(json), compress_min_bytes);
}

absl::StatusOr<model::Observation> DecodePayload(std::string_view blob) {
  TRACKLY_ASSIGN_OR_RETURN(StoredPayload stored, DecodeStoredPayload(blob));
  return std::move(stored.observation);
}

absl::StatusOr<StoredPayload> DecodeStoredPayload(std::string_view blob) {
  std::string decompressed;
  std::string_view json = blob;
  if (IsZstd(blob)) {
    unsigned long long size = ZSTD_getFrameContentSize(blob.data(), blob.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
      return absl::InternalError("stored observation payload: bad zstd frame");
    }
    decompressed.resize(size);
    thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> context(ZSTD_createDCtx(), ZSTD_freeDCtx);
    size_t got = context == nullptr
                     ? ZSTD_decompress(decompressed.data(), decompressed.size(), blob.data(), blob.size())
                     : ZSTD_decompressDCtx(context.get(), decompressed.data(), decompressed.size(),
                                           blob.data(), blob.size());
    if (ZSTD_isError(got) || got != size) {
      return absl::InternalError(absl::StrCat("stored observation payload: ", ZSTD_getErrorName(got)));
    }
    json = decompressed;
  }
  absl::StatusOr<model::Observation> observation = model::ParseObservationJson(json);
  if (!observation.ok()) {
    return absl::InternalError(absl::StrCat("stored observation payload: ", observation.status().message()));
  }
  return StoredPayload{.observation = *std::move(observation),
                       .detail_only = json.starts_with(model::kDetailJsonPrefix)};
}

}  // namespace trackly::store::sqlite
