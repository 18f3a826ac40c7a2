// History and decimation (history.h).
#include "gui/history.h"

#include <cmath>
#include <limits>

namespace liquid::gui {

void History::add(double time, const std::vector<float>& values) {
  if (times_.size() == capacity_) {
    times_.pop_front();
    values_.pop_front();
  }
  times_.push_back(time);
  values_.push_back(values);
}

float History::value(size_t i, int k) const {
  const auto& v = values_[i];
  return k >= 0 && k < static_cast<int>(v.size()) ? v[k] : std::numeric_limits<float>::quiet_NaN();
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
