// A bounded multi-producer, single-consumer queue: what sits between a source/encoder thread and the
// engine's worker. Bounded so a fast source cannot eat the memory of a slow engine; the overflow
// policy is chosen per push (per stream): block until there is room, or drop the oldest queued item
// and count it. close() makes every waiting and future push return at once, so shutdown never hangs
// on a stuck producer or a stuck consumer.
//
// Items are exchanged by swap, not copied: push() leaves the caller holding a recycled item (for
// FeatureFrame, a values vector that still has its capacity) and pop_all() hands the consumer's old
// items back to the ring. Once every buffer has its size, nothing allocates.
//
// One mutex guards the ring. The critical sections are a swap and a few counters, so the lock is
// held for tens of nanoseconds; a lock-free ring would save little here and is far harder to get
// right with drop-oldest (the producer then touches the consumer's end).
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace liquid::pipeline {

enum class Overflow { kBlock, kDropOldest };
enum class CloseMode { kDrain, kDiscard };  // kDrain: the consumer still gets what was queued

// Producers ring it after each push; a consumer that serves many queues waits on one doorbell
// (C++20 atomic wait) instead of one condition variable per queue.
struct Doorbell {
  std::atomic<uint64_t> rings{0};
  void ring() {
    rings.fetch_add(1, std::memory_order_release);
    rings.notify_one();
  }
};

struct QueueCounters {
  uint64_t pushed = 0;          // items accepted
  uint64_t dropped_oldest = 0;  // items pushed out by drop-oldest
  uint64_t discarded = 0;       // items thrown away by close(kDiscard)
  uint64_t rejected = 0;        // pushes refused because the queue was closed
  uint64_t blocked = 0;         // pushes that had to wait for room
};

enum class PushResult { kPushed, kDroppedOldest, kClosed };

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity, Doorbell* doorbell = nullptr) : slots_(capacity), doorbell_(doorbell) {
    if (capacity == 0) throw std::invalid_argument("BoundedQueue: capacity must be at least 1");
  }
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  // Swaps `item` into the queue. With kDropOldest on a full queue the oldest item is swapped back
  // out into `item` (the caller sees what was lost); otherwise `item` holds a recycled value.
  PushResult push(T& item, Overflow overflow) {
    std::unique_lock lock(mutex_);
    if (!closed_ && count_ == slots_.size() && overflow == Overflow::kBlock) {
      ++counters_.blocked;
      not_full_.wait(lock, [&] { return closed_ || count_ < slots_.size(); });
    }
    if (closed_) {
      ++counters_.rejected;
      return PushResult::kClosed;
    }
    PushResult result = PushResult::kPushed;
    if (count_ == slots_.size()) {  // only reached with kDropOldest
      // In a full ring the tail is the head: one swap puts the new item at the tail and hands the
      // oldest back through `item`.
      using std::swap;
      swap(slots_[head_], item);
      head_ = next(head_);
      ++counters_.dropped_oldest;
      ++counters_.pushed;
      result = PushResult::kDroppedOldest;
    } else {
      using std::swap;
      swap(slots_[index(count_)], item);
      ++count_;
      ++counters_.pushed;
    }
    lock.unlock();
    if (doorbell_) doorbell_->ring();
    not_empty_.notify_one();
    return result;
  }

  // Swaps up to out.size() items into out[0..n) and returns n (never blocks); the old contents of
  // those elements go back into the ring for reuse.
  size_t pop_into(std::span<T> out) {
    std::unique_lock lock(mutex_);
    const size_t n = std::min(count_, out.size());
    using std::swap;
    for (size_t k = 0; k < n; ++k) {
      swap(out[k], slots_[head_]);
      head_ = next(head_);
    }
    count_ -= n;
    lock.unlock();
    if (n > 0) not_full_.notify_all();
    return n;
  }

  // Waits until an item is there or the queue is closed and empty; false means closed and empty.
  bool wait_nonempty() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return count_ > 0 || closed_; });
    return count_ > 0;
  }

  // After close every push returns kClosed at once (waiting ones too). kDiscard also empties the
  // queue, counting what it threw away; kDrain leaves it for the consumer.
  void close(CloseMode mode) {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      if (mode == CloseMode::kDiscard) {
        counters_.discarded += count_;
        count_ = 0;
      }
    }
    not_full_.notify_all();
    not_empty_.notify_all();
    if (doorbell_) doorbell_->ring();
  }

  size_t size() const {
    std::lock_guard lock(mutex_);
    return count_;
  }
  size_t capacity() const { return slots_.size(); }
  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }
  QueueCounters counters() const {
    std::lock_guard lock(mutex_);
    return counters_;
  }

 private:
  size_t next(size_t i) const { return i + 1 == slots_.size() ? 0 : i + 1; }
  size_t index(size_t offset) const {
    const size_t i = head_ + offset;
    return i >= slots_.size() ? i - slots_.size() : i;
  }

  mutable std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::vector<T> slots_;
  size_t head_ = 0, count_ = 0;
  bool closed_ = false;
  QueueCounters counters_;
  Doorbell* doorbell_;
};

}  // namespace liquid::pipeline
