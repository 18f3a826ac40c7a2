// BoundedQueue: order, blocking, drop-oldest, close with drain or discard, many producers.
#include <gtest/gtest.h>

#include <thread>

#include "pipeline/bounded_queue.h"

namespace {

using liquid::pipeline::BoundedQueue;
using liquid::pipeline::CloseMode;
using liquid::pipeline::Overflow;
using liquid::pipeline::PushResult;

std::vector<int> pop_everything(BoundedQueue<int>& q) {
  std::vector<int> out(q.capacity());
  const size_t n = q.pop_into(out);
  out.resize(n);
  return out;
}

// Spins (yielding) until `ready` holds: synchronisation on observable state, not on time.
template <typename F>
void wait_until(F ready) {
  while (!ready()) std::this_thread::yield();
}

TEST(BoundedQueue, KeepsOrderAndRecyclesItems) {
  BoundedQueue<int> q(4);
  for (int v : {1, 2, 3}) {
    int item = v;
    EXPECT_EQ(q.push(item, Overflow::kBlock), PushResult::kPushed);
  }
  EXPECT_EQ(pop_everything(q), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(q.size(), 0u);
}

TEST(BoundedQueue, DropOldestKeepsTheNewestAndCounts) {
  BoundedQueue<int> q(4);
  std::vector<int> dropped;
  for (int v = 0; v < 10; ++v) {
    int item = v;
    if (q.push(item, Overflow::kDropOldest) == PushResult::kDroppedOldest) dropped.push_back(item);
  }
  EXPECT_EQ(dropped, (std::vector<int>{0, 1, 2, 3, 4, 5}));  // the caller gets each lost item back
  EXPECT_EQ(q.counters().dropped_oldest, 6u);
  EXPECT_EQ(q.counters().pushed, 10u);
  EXPECT_EQ(pop_everything(q), (std::vector<int>{6, 7, 8, 9}));
}

TEST(BoundedQueue, BlockingPushWaitsForRoom) {
  BoundedQueue<int> q(2);
  for (int v = 0; v < 2; ++v) {
    int item = v;
    q.push(item, Overflow::kBlock);
  }
  std::atomic<bool> done{false};
  std::thread producer([&] {
    int item = 2;
    EXPECT_EQ(q.push(item, Overflow::kBlock), PushResult::kPushed);
    done = true;
  });
  wait_until([&] { return q.counters().blocked == 1; });  // the producer is waiting for room
  EXPECT_FALSE(done);
  std::vector<int> out(1);
  EXPECT_EQ(q.pop_into(out), 1u);
  EXPECT_EQ(out[0], 0);
  producer.join();
  EXPECT_TRUE(done);
  EXPECT_EQ(pop_everything(q), (std::vector<int>{1, 2}));
}

TEST(BoundedQueue, CloseReleasesABlockedProducer) {
  BoundedQueue<int> q(1);
  int first = 1;
  q.push(first, Overflow::kBlock);
  PushResult result = PushResult::kPushed;
  std::thread producer([&] {
    int item = 2;
    result = q.push(item, Overflow::kBlock);  // nobody consumes: would wait forever
  });
  wait_until([&] { return q.counters().blocked == 1; });
  q.close(CloseMode::kDrain);
  producer.join();
  EXPECT_EQ(result, PushResult::kClosed);
  EXPECT_EQ(q.counters().rejected, 1u);
  EXPECT_EQ(pop_everything(q), (std::vector<int>{1}));  // drain: what was queued is still there
  EXPECT_FALSE(q.wait_nonempty());                      // closed and empty
}

TEST(BoundedQueue, CloseWithDiscardEmptiesAndCounts) {
  BoundedQueue<int> q(8);
  for (int v = 0; v < 5; ++v) {
    int item = v;
    q.push(item, Overflow::kBlock);
  }
  q.close(CloseMode::kDiscard);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.counters().discarded, 5u);
  int late = 9;
  EXPECT_EQ(q.push(late, Overflow::kDropOldest), PushResult::kClosed);
}

TEST(BoundedQueue, ManyProducersOneConsumerLoseNothing) {
  BoundedQueue<int> q(16);
  constexpr int kProducers = 4, kEach = 20000;
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p)
    producers.emplace_back([&, p] {
      for (int k = 0; k < kEach; ++k) {
        int item = p * kEach + k;
        q.push(item, Overflow::kBlock);
      }
    });
  std::vector<int> last(kProducers, -1), out(16);
  int received = 0;
  while (received < kProducers * kEach) {
    q.wait_nonempty();
    const size_t n = q.pop_into(out);
    for (size_t k = 0; k < n; ++k) {
      const int p = out[k] / kEach, seq = out[k] % kEach;
      EXPECT_GT(seq, last[p]) << "producer " << p << " reordered";
      last[p] = seq;
    }
    received += static_cast<int>(n);
  }
  for (auto& t : producers) t.join();
  EXPECT_EQ(q.counters().pushed, uint64_t(kProducers) * kEach);
  EXPECT_EQ(q.counters().dropped_oldest, 0u);
}

TEST(BoundedQueue, ZeroCapacityIsAnError) { EXPECT_THROW(BoundedQueue<int>(0), std::invalid_argument); }

}  // namespace
