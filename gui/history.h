// History: the GUI thread's bounded copy of what it read from a TraceRing, and the decimation that
// keeps drawing cheap however long the trace gets. Qt-free so it is tested on its own.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "pipeline/trace.h"

namespace liquid::gui {

// The last `capacity` records of one stream (or of the decisions), in flat storage: once it has
// grown to its capacity (at the widest record's width) adding a record allocates nothing, which
// matters when the GUI thread copies every stream's records at the engine's rate.
class History {
 public:
  explicit History(size_t capacity = 4000) : capacity_(capacity) {}
  void add(double time, std::span<const float> values);
  void clear();
  // Keeps the newest min(size, capacity) records.
  void set_capacity(size_t capacity);
  size_t capacity() const { return capacity_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  double time(size_t i) const { return times_[slot(i)]; }
  std::span<const float> values(size_t i) const;
  float value(size_t i, int k) const;  // NaN when record i has no value k

 private:
  size_t slot(size_t i) const { return (first_ + i) % times_.size(); }
  void relayout(size_t capacity, int width);

  size_t capacity_;
  size_t first_ = 0, size_ = 0;  // record 0 is in slot first_
  int width_ = 0;                // floats a slot
  std::vector<double> times_;    // grows to capacity_ slots, then is reused in turn
  std::vector<int> counts_;
  std::vector<float> values_;    // times_.size() x width_
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
