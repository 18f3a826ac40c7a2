// The engine's hot path allocates nothing once warm: cells, fusion, decisions, the trace ring, and
// the queue's frame recycling.
#include <gtest/gtest.h>

#include <random>

#include "pipeline/bounded_queue.h"
#include "pipeline/engine.h"
#include "tests/common/allocation_counter.h"

namespace {

using namespace liquid::pipeline;
using liquid::encoders::FeatureFrame;

TEST(Allocations, SteadyStateProcessAllocatesNothing) {
  auto m = std::make_shared<const liquid::lfm::Model>(
      liquid::lfm::config_from_json({{"model", "CfC"}, {"input_size", 4}, {"units", 8}, {"backbone_layers", 0}}, "t"), 2);
  for (DecisionMode mode : {DecisionMode::kNone, DecisionMode::kPerSample, DecisionMode::kRate, DecisionMode::kOnChange}) {
    Engine e({.max_batch = 64, .step_threads = 2, .decisions = {.mode = mode, .period = 0.05}, .trace_ring = 1024});
    e.add_model(m);
    constexpr int kStreams = 300;
    for (int s = 0; s < kStreams; ++s) e.add_stream({.timeout = 0.2, .trace = s % 3 == 0, .trace_inputs = s % 2 == 0});
    uint64_t decisions = 0;
    if (mode != DecisionMode::kNone)
      e.set_fusion(LinearHead::random(HeadKind::kClasses, {"a", "b"}, kStreams * 8, 1), [&](const Decision&) { ++decisions; });
    std::mt19937 rng(1);
    std::vector<double> clock(kStreams, 0.0);
    std::vector<FeatureFrame> batch(2000);
    auto refill = [&] {
      for (auto& f : batch) {
        f.stream = static_cast<int>(rng() % kStreams);
        clock[f.stream] += 0.001 * (1 + rng() % 100);
        f.time = clock[f.stream];
        f.values.assign(4, 0.1f * static_cast<float>(rng() % 10));
      }
    };
    for (int warm = 0; warm < 3; ++warm) {
      refill();
      e.process(batch);
    }
    refill();
    EXPECT_EQ(liquid::testing::allocations_during([&] { e.process(batch); }), 0u) << static_cast<int>(mode);
  }
}

TEST(Allocations, QueueRecyclesFrames) {
  BoundedQueue<FeatureFrame> q(8);
  std::vector<FeatureFrame> out(8);
  FeatureFrame f;
  for (int warm = 0; warm < 20; ++warm) {
    f.values.assign(16, 1.0f);
    q.push(f, Overflow::kDropOldest);
    if (warm % 4 == 3) q.pop_into(out);
  }
  const size_t n = liquid::testing::allocations_during([&] {
    for (int k = 0; k < 1000; ++k) {
      f.values.assign(16, static_cast<float>(k));  // refills the recycled vector
      q.push(f, Overflow::kDropOldest);
      if (k % 4 == 3) q.pop_into(out);
    }
  });
  EXPECT_EQ(n, 0u);
}

}  // namespace
