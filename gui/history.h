// History: the GUI thread's bounded copy of what it read from a TraceRing, and the decimation that
// keeps drawing cheap however long the trace gets. Qt-free so it is tested on its own.
#pragma once

#include <cstddef>
#include <deque>
#include <vector>

#include "pipeline/trace.h"

namespace liquid::gui {

// The last `capacity` records of one stream (or of the decisions).
class History {
 public:
  explicit History(size_t capacity = 4000) : capacity_(capacity) {}
  void add(double time, const std::vector<float>& values);
  void clear() { times_.clear(), values_.clear(); }
  size_t size() const { return times_.size(); }
  bool empty() const { return times_.empty(); }
  double time(size_t i) const { return times_[i]; }
  const std::vector<float>& values(size_t i) const { return values_[i]; }
  float value(size_t i, int k) const;  // NaN when record i has no value k

 private:
  size_t capacity_;
  std::deque<double> times_;
  std::deque<std::vector<float>> values_;
};

struct Point {
  double x;
  double y;
};

// Min/max decimation of value k over records [first, size): at most 2 * buckets points, keeping
// each bucket's lowest and highest value in time order, so spikes survive. NaN values are skipped.
std::vector<Point> decimate(const History& history, int k, size_t buckets, size_t first = 0);

// Reads every new record of `ring` from `next` on and hands each to `sink(record)`; returns the
// records that were overwritten before we could read them (the ring moved on without us).
template <class Sink>
uint64_t drain(const pipeline::TraceRing& ring, uint64_t& next, std::vector<pipeline::TraceRecord>& buffer,
               Sink&& sink) {
  uint64_t missed = 0;
  while (true) {
    const auto result = ring.read(next, buffer, 4096);
    missed += result.missed;
    next = result.next;
    for (const auto& record : buffer) sink(record);
    if (buffer.size() < 4096) return missed;
  }
}

}  // namespace liquid::gui
