// History and decimation (history.h).
#include "gui/history.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace liquid::gui {

void History::add(double time, std::span<const float> values) {
  const int count = static_cast<int>(values.size());
  if (count > width_) relayout(capacity_, count);
  if (capacity_ == 0) return;
  size_t s;
  if (times_.size() < capacity_) {  // still growing: append
    s = times_.size();
    times_.push_back(0.0);
    counts_.push_back(0);
    values_.resize(times_.size() * size_t(width_));
    ++size_;
  } else {  // full: the oldest slot takes the new record
    s = first_;
    first_ = (first_ + 1) % times_.size();
  }
  times_[s] = time;
  counts_[s] = count;
  std::copy(values.begin(), values.end(), values_.begin() + long(s * size_t(width_)));
}

void History::clear() {
  times_.clear(), counts_.clear(), values_.clear();
  first_ = size_ = 0;
}

void History::set_capacity(size_t capacity) {
  if (capacity != capacity_) relayout(capacity, width_);
}

// The newest records that fit, in order from slot 0, `width` floats a slot.
void History::relayout(size_t capacity, int width) {
  const size_t keep = std::min(size_, capacity);
  std::vector<double> times(keep);
  std::vector<int> counts(keep);
  std::vector<float> values(keep * size_t(width));
  for (size_t j = 0; j < keep; ++j) {
    const size_t i = size_ - keep + j;
    times[j] = time(i);
    counts[j] = counts_[slot(i)];
    const auto v = this->values(i);
    std::copy(v.begin(), v.end(), values.begin() + long(j * size_t(width)));
  }
  times_ = std::move(times), counts_ = std::move(counts), values_ = std::move(values);
  capacity_ = capacity, width_ = width, first_ = 0, size_ = keep;
}

std::span<const float> History::values(size_t i) const {
  const size_t s = slot(i);
  return {values_.data() + s * size_t(width_), size_t(counts_[s])};
}

float History::value(size_t i, int k) const {
  const size_t s = slot(i);
  return k >= 0 && k < counts_[s] ? values_[s * size_t(width_) + size_t(k)] : std::numeric_limits<float>::quiet_NaN();
}

std::vector<Point> decimate(const History& history, int k, size_t buckets, size_t first) {
  std::vector<Point> out;
  const size_t n = history.size() > first ? history.size() - first : 0;
  if (n == 0 || buckets == 0) return out;
  if (n <= 2 * buckets) {  // short enough to draw every point
    for (size_t i = first; i < history.size(); ++i) {
      const float v = history.value(i, k);
      if (std::isfinite(v)) out.push_back({history.time(i), v});
    }
    return out;
  }
  out.reserve(2 * buckets);
  for (size_t b = 0; b < buckets; ++b) {
    const size_t begin = first + n * b / buckets, end = first + n * (b + 1) / buckets;
    size_t lo = end, hi = end;
    for (size_t i = begin; i < end; ++i) {
      const float v = history.value(i, k);
      if (!std::isfinite(v)) continue;
      if (lo == end || v < history.value(lo, k)) lo = i;
      if (hi == end || v > history.value(hi, k)) hi = i;
    }
    if (lo == end) continue;
    const size_t a = std::min(lo, hi), c = std::max(lo, hi);
    out.push_back({history.time(a), history.value(a, k)});
    if (c != a) out.push_back({history.time(c), history.value(c, k)});
  }
  return out;
}

}  // namespace liquid::gui
