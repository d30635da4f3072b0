// A mergeable and subtractable quantile sketch for latencies (DDSketch-style log buckets), the
// percentile part of the metrics rollups (docs/architecture.md "Metrics rollups").
#pragma once

#include <cstdint>
#include <vector>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace trackly::model {

// Not thread-safe (a value type).
//
// Counts of values per logarithmic bucket: bucket i holds values in (gamma^(i-1), gamma^i], with
// gamma = (1 + a) / (1 - a) and a = kRelativeAccuracy = 1 %. Quantile() answers the bucket's
// midpoint 2 gamma^i / (gamma + 1), which is within a relative 1 % of every value in the bucket,
// so a quantile is within 1 % of the exact rank value (DDSketch, Masson et al., VLDB 2019).
// Values are microseconds; 0 (and below) has its own bucket and is answered as 0.
//
// Counts are signed and buckets are independent, so Merge(other, -1) exactly undoes
// Merge(other, +1): a rollup row can take back a trace's old contribution. A sketch whose counts
// are all zero is empty.
//
// Hand-written: Debian packages no C/C++ DDSketch or HdrHistogram library (npm has JS ones only),
// and the subtractable form (signed counts, sparse, stable byte encoding) is ~100 lines.
class LatencySketch {
 public:
  static constexpr double kRelativeAccuracy = 0.01;

  void Add(int64_t value_us, int64_t count = 1);
  // Adds `sign` (+1 or -1) times every count of `other`.
  void Merge(const LatencySketch& other, int64_t sign = 1);

  int64_t count() const { return count_; }
  bool empty() const { return zero_count_ == 0 && counts_.empty(); }

  // The value at rank q (0 ≤ q ≤ 1) in microseconds, within kRelativeAccuracy of the exact
  // lower-rank value (the value at position floor(q * (count - 1)) of the sorted values).
  // 0 for an empty sketch or one with negative counts.
  double Quantile(double q) const;

  // A compact byte string (varint bucket deltas and zigzag counts) and back. Decode fails with
  // DataLoss on a malformed string.
  std::string Encode() const;
  static absl::StatusOr<LatencySketch> Decode(std::string_view bytes);
  // Merge(Decode(bytes), sign) without building the decoded sketch (a query merges thousands of
  // stored ones). DataLoss on a malformed string, after which this sketch is unspecified.
  absl::Status MergeEncoded(std::string_view bytes, int64_t sign = 1);

  bool operator==(const LatencySketch&) const = default;

 private:
  static int32_t BucketOf(int64_t value_us);
  static double ValueOf(int32_t bucket);
  // Adds `count` to bucket `bucket` (not the zero bucket), growing counts_ to reach it.
  void AddToBucket(int32_t bucket, int64_t count);
  // Drops zero counts at both ends, so equal contents compare equal.
  void Trim();

  // Dense counts of buckets min_bucket_ .. min_bucket_ + size - 1: merging the sketches of
  // thousands of rollup rows is then a loop of additions (a map was 10x slower). First and last
  // counts are non-zero (Trim); empty when only the zero bucket has values.
  int32_t min_bucket_ = 0;
  std::vector<int64_t> counts_;
  int64_t zero_count_ = 0;  // values <= 0
  int64_t count_ = 0;
};

}  // namespace trackly::model
