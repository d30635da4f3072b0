#include "model/latency_sketch.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/varint.h"

namespace trackly::model {
namespace {

constexpr double kGamma = (1 + LatencySketch::kRelativeAccuracy) / (1 - LatencySketch::kRelativeAccuracy);
const double kLogGamma = std::log(kGamma);
// Below every real bucket: log_gamma(1 us) = 0, so indexes of positive values are >= 0.
constexpr int32_t kZeroBucket = std::numeric_limits<int32_t>::min();

}  // namespace

int32_t LatencySketch::BucketOf(int64_t value_us) {
  if (value_us <= 0) return kZeroBucket;
  return static_cast<int32_t>(std::ceil(std::log(static_cast<double>(value_us)) / kLogGamma));
}

double LatencySketch::ValueOf(int32_t bucket) {
  if (bucket == kZeroBucket) return 0;
  return 2 * std::exp(bucket * kLogGamma) / (kGamma + 1);
}

void LatencySketch::AddToBucket(int32_t bucket, int64_t count) {
  if (counts_.empty()) {
    min_bucket_ = bucket;
    counts_.push_back(0);
  } else if (bucket < min_bucket_) {
    counts_.insert(counts_.begin(), static_cast<size_t>(min_bucket_ - bucket), 0);
    min_bucket_ = bucket;
  } else if (bucket >= min_bucket_ + static_cast<int32_t>(counts_.size())) {
    counts_.resize(static_cast<size_t>(bucket - min_bucket_) + 1, 0);
  }
  counts_[static_cast<size_t>(bucket - min_bucket_)] += count;
}

void LatencySketch::Trim() {
  size_t first = 0;
  while (first < counts_.size() && counts_[first] == 0) ++first;
  if (first == counts_.size()) {
    counts_.clear();
    min_bucket_ = 0;
    return;
  }
  size_t last = counts_.size();
  while (counts_[last - 1] == 0) --last;
  counts_.resize(last);
  counts_.erase(counts_.begin(), counts_.begin() + static_cast<std::ptrdiff_t>(first));
  min_bucket_ += static_cast<int32_t>(first);
}

void LatencySketch::Add(int64_t value_us, int64_t count) {
  if (count == 0) return;
  const int32_t bucket = BucketOf(value_us);
  count_ += count;
  if (bucket == kZeroBucket) {
    zero_count_ += count;
    return;
  }
  AddToBucket(bucket, count);
  Trim();
}

void LatencySketch::Merge(const LatencySketch& other, int64_t sign) {
  zero_count_ += sign * other.zero_count_;
  count_ += sign * other.count_;
  if (other.counts_.empty()) return;
  // Reach both ends of `other` first, then add in one pass.
  AddToBucket(other.min_bucket_, 0);
  AddToBucket(other.min_bucket_ + static_cast<int32_t>(other.counts_.size()) - 1, 0);
  const size_t offset = static_cast<size_t>(other.min_bucket_ - min_bucket_);
  for (size_t i = 0; i < other.counts_.size(); ++i) counts_[offset + i] += sign * other.counts_[i];
  Trim();
}

double LatencySketch::Quantile(double q) const {
  if (count_ <= 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const double rank = q * static_cast<double>(count_ - 1);
  if (zero_count_ < 0) return 0;
  int64_t seen = zero_count_;
  if (static_cast<double>(seen) > rank) return 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] < 0) return 0;
    seen += counts_[i];
    if (static_cast<double>(seen) > rank) return ValueOf(min_bucket_ + static_cast<int32_t>(i));
  }
  return counts_.empty() ? 0 : ValueOf(min_bucket_ + static_cast<int32_t>(counts_.size()) - 1);
}

// Layout: repeated (zigzag bucket delta from the previous bucket, zigzag count) over the non-zero
// buckets in ascending order; the first delta is from 0, and the zero bucket, if any, comes
// first as index kZeroBucket.
std::string LatencySketch::Encode() const {
  std::string out;
  int64_t previous = 0;
  auto append = [&](int64_t bucket, int64_t count) {
    AppendSigned(bucket - previous, out);
    AppendSigned(count, out);
    previous = bucket;
  };
  if (zero_count_ != 0) append(kZeroBucket, zero_count_);
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) append(min_bucket_ + static_cast<int64_t>(i), counts_[i]);
  }
  return out;
}

absl::Status LatencySketch::MergeEncoded(std::string_view bytes, int64_t sign) {
  int64_t bucket = 0;
  int64_t previous = std::numeric_limits<int64_t>::min();
  while (!bytes.empty()) {
    int64_t delta = 0;
    int64_t count = 0;
    if (!ReadSigned(bytes, delta) || !ReadSigned(bytes, count)) {
      return absl::DataLossError("truncated latency sketch");
    }
    bucket += delta;
    if (bucket < std::numeric_limits<int32_t>::min() || bucket > std::numeric_limits<int32_t>::max() ||
        bucket <= previous || count == 0) {
      return absl::DataLossError("malformed latency sketch");
    }
    previous = bucket;
    count_ += sign * count;
    if (bucket == kZeroBucket) {
      zero_count_ += sign * count;
    } else {
      AddToBucket(static_cast<int32_t>(bucket), sign * count);
    }
  }
  Trim();
  return absl::OkStatus();
}

absl::StatusOr<LatencySketch> LatencySketch::Decode(std::string_view bytes) {
  LatencySketch sketch;
  if (absl::Status merged = sketch.MergeEncoded(bytes); !merged.ok()) return merged;
  return sketch;
}

}  // namespace trackly::model
