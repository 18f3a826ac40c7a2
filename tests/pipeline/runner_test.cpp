// Runner: producers on their own threads, the engine on the worker, bounded queues between them;
// blocking and drop-oldest back-pressure, shutdown with drain or discard, stuck producers and
// consumers, errors from the worker.
#include <gtest/gtest.h>

#include <thread>

#include "pipeline/runner.h"
#include "pipeline/source_thread.h"

namespace {

using namespace liquid::pipeline;
using liquid::encoders::FeatureFrame;

template <typename F>
void wait_until(F ready) {
  while (!ready()) std::this_thread::yield();
}

std::shared_ptr<const liquid::lfm::Model> cfc() {
  return std::make_shared<const liquid::lfm::Model>(
      liquid::lfm::config_from_json({{"model", "CfC"}, {"input_size", 2}, {"units", 4}, {"backbone_layers", 0}}, "t"), 3);
}

void setup(Engine& e, int streams) {
  e.add_model(cfc());
  for (int s = 0; s < streams; ++s) e.add_stream({.name = std::string("s").append(std::to_string(s))});
}

FeatureFrame frame(int stream, double t) { return {t, stream, {static_cast<float>(std::sin(t)), 0.5f}}; }

TEST(Runner, ManyProducersFeedTheWorkerAndGetTheSingleThreadedNumbers) {
  constexpr int kProducers = 4, kStreamsEach = 8, kFrames = 5000;
  Engine threaded, reference;
  setup(threaded, kProducers * kStreamsEach);
  setup(reference, kProducers * kStreamsEach);
  Runner runner(threaded, {.max_batch_frames = 256});
  std::vector<Input*> inputs;
  for (int p = 0; p < kProducers; ++p) inputs.push_back(&runner.add_input({.name = std::string("p").append(std::to_string(p)), .capacity = 64}));
  runner.start();
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p)
    producers.emplace_back([&, p] {
      FeatureFrame f;
      for (int k = 0; k < kFrames; ++k) {
        f = frame(p * kStreamsEach + k % kStreamsEach, 0.01 * k);
        ASSERT_TRUE(inputs[p]->push(f));
      }
    });
  for (auto& t : producers) t.join();
  runner.stop(CloseMode::kDrain);
  EXPECT_EQ(runner.processed(), uint64_t(kProducers) * kFrames);
  for (int p = 0; p < kProducers; ++p)
    for (int k = 0; k < kFrames; ++k) reference.process(frame(p * kStreamsEach + k % kStreamsEach, 0.01 * k));
  for (int s = 0; s < kProducers * kStreamsEach; ++s) EXPECT_EQ(threaded.state(s), reference.state(s)) << s;
}

TEST(Runner, BlockingInputHoldsTheProducerUntilTheWorkerRuns) {
  Engine e;
  setup(e, 1);
  Runner runner(e);
  Input& in = runner.add_input({.name = "in", .capacity = 4, .overflow = Overflow::kBlock});
  std::thread producer([&] {
    for (int k = 0; k < 10; ++k) {
      FeatureFrame f = frame(0, k);
      ASSERT_TRUE(in.push(f));
    }
  });
  wait_until([&] { return in.counters().blocked >= 1; });  // full, and the producer waits
  EXPECT_EQ(in.counters().pushed, 4u);
  runner.start();
  producer.join();
  runner.stop(CloseMode::kDrain);
  EXPECT_EQ(e.stats(0).samples, 10u);
  EXPECT_EQ(runner.dropped(0), 0u);
}

TEST(Runner, DropOldestKeepsTheNewestAndCountsPerStream) {
  Engine e;
  setup(e, 2);
  Runner runner(e);
  Input& in = runner.add_input({.name = "in", .capacity = 4, .overflow = Overflow::kDropOldest});
  for (int k = 0; k < 10; ++k) {  // the worker is not running yet: the queue overflows
    FeatureFrame f = frame(k < 5 ? 0 : 1, k);
    ASSERT_TRUE(in.push(f));
  }
  EXPECT_EQ(runner.dropped(0), 5u);  // frames 0..4 (stream 0) and 5 (stream 1) were pushed out
  EXPECT_EQ(runner.dropped(1), 1u);
  EXPECT_EQ(in.counters().dropped_oldest, 6u);
  runner.start();
  runner.stop(CloseMode::kDrain);
  EXPECT_EQ(e.stats(0).samples, 0u);
  EXPECT_EQ(e.stats(1).samples, 4u);
  EXPECT_EQ(e.last_time(1), 9.0);
}

TEST(Runner, StopWithDrainAppliesEverythingQueued) {
  Engine e;
  setup(e, 1);
  Runner runner(e);
  Input& in = runner.add_input({.name = "in", .capacity = 100});
  for (int k = 0; k < 50; ++k) {
    FeatureFrame f = frame(0, k);
    in.push(f);
  }
  runner.start();
  runner.stop(CloseMode::kDrain);
  EXPECT_EQ(e.stats(0).samples, 50u);
  FeatureFrame late = frame(0, 99);
  EXPECT_FALSE(in.push(late));  // closed
}

TEST(Runner, StopWithDiscardThrowsAwayTheQueueAndCounts) {
  Engine e;
  setup(e, 1);
  Runner runner(e);
  Input& in = runner.add_input({.name = "in", .capacity = 100});
  for (int k = 0; k < 50; ++k) {
    FeatureFrame f = frame(0, k);
    in.push(f);
  }
  runner.stop(CloseMode::kDiscard);  // never started: nothing applied
  EXPECT_EQ(e.stats(0).samples, 0u);
  EXPECT_EQ(in.counters().discarded, 50u);
}

TEST(Runner, StuckProducerOnAFullQueueIsReleasedByStop) {
  Engine e;
  setup(e, 1);
  Runner runner(e);
  Input& in = runner.add_input({.name = "in", .capacity = 2});
  bool last_push = true;
  std::thread producer([&] {
    for (int k = 0; k < 3; ++k) {
      FeatureFrame f = frame(0, k);
      last_push = in.push(f);
    }
  });
  wait_until([&] { return in.counters().blocked >= 1; });
  runner.stop(CloseMode::kDiscard);
  producer.join();
  EXPECT_FALSE(last_push);
  EXPECT_EQ(in.counters().rejected, 1u);
}

TEST(Runner, StuckConsumerDoesNotHoldProducersAtShutdown) {
  Engine e({.decisions = {.mode = DecisionMode::kPerSample}});
  setup(e, 1);
  std::atomic<bool> in_callback{false}, release{false};
  e.set_fusion(LinearHead::random(HeadKind::kValues, {"v"}, 4, 1), [&](const Decision&) {
    in_callback = true;
    wait_until([&] { return release.load(); });  // a consumer stuck in its decision callback
  });
  Runner runner(e, {.max_batch_frames = 1});
  Input& in = runner.add_input({.name = "in", .capacity = 2});
  runner.start();
  std::atomic<int> accepted{0};
  std::thread producer([&] {
    for (int k = 0; k < 10; ++k) {
      FeatureFrame f = frame(0, k);
      if (!in.push(f)) return;
      ++accepted;
    }
  });
  wait_until([&] { return in_callback.load() && in.counters().blocked >= 1; });
  runner.close_inputs(CloseMode::kDiscard);  // the worker is still stuck; the producer must return
  producer.join();
  EXPECT_LT(accepted.load(), 10);
  release = true;
  runner.stop(CloseMode::kDiscard);
  EXPECT_EQ(runner.processed() + in.counters().discarded, static_cast<uint64_t>(accepted.load()));
}

TEST(Runner, WorkerErrorStopsTheEngineReleasesProducersAndIsRethrown) {
  Engine e;
  setup(e, 1);  // late policy: reject
  Runner runner(e);
  Input& in = runner.add_input({.name = "in", .capacity = 4});
  runner.start();
  for (double t : {1.0, 2.0, 0.5}) {
    FeatureFrame f = frame(0, t);
    in.push(f);
  }
  wait_until([&] {  // the worker dies and closes its inputs
    FeatureFrame f = frame(0, 10.0);
    return !in.push(f);
  });
  EXPECT_THROW(runner.stop(CloseMode::kDrain), LateSampleError);
  EXPECT_EQ(e.stats(0).samples, 2u);
}

// A series source with irregular times, and an encoder that passes the row through.
class FakeSource : public liquid::sensors::Source {
 public:
  FakeSource(int n, double gap, bool fail_at_end = false) : n_(n), gap_(gap), fail_(fail_at_end) {}
  bool next(liquid::sensors::TimedSample& out) override {
    if (k_ == n_) {
      if (fail_) throw liquid::sensors::SourceError("fake source: the device went away");
      return false;
    }
    t_ += gap_ * (1 + (k_ % 3));  // irregular, increasing
    out.time = t_;
    out.payload = liquid::sensors::SeriesRow{{static_cast<float>(std::sin(k_)), 0.25f * (k_ % 4)}, {1, 1}};
    ++k_;
    return true;
  }
  std::string describe() const override { return "fake"; }

 private:
  int n_, k_ = 0;
  double gap_, t_ = 0.0;
  bool fail_;
};

class PassThrough : public liquid::encoders::Encoder {
 public:
  void encode(const liquid::sensors::TimedSample& s, std::vector<FeatureFrame>& out) override {
    out.push_back({s.time, s.stream, std::get<liquid::sensors::SeriesRow>(s.payload).values});
  }
  void reset() override {}
  int width() const override { return 2; }
  std::vector<std::string> names() const override { return {"a", "b"}; }
};

TEST(SourceThread, SourcesAndEncodersOnTheirOwnThreadsFeedTheEngine) {
  Engine threaded, reference;
  setup(threaded, 2);
  setup(reference, 2);
  Runner runner(threaded);
  Input& in0 = runner.add_input({.name = "a", .capacity = 8});
  Input& in1 = runner.add_input({.name = "b", .capacity = 8, .overflow = Overflow::kBlock});
  runner.start();
  FakeSource s0(500, 0.01), s1(300, 0.02);
  PassThrough e0, e1;
  {
    SourceThread t0(s0, e0, in0, 0), t1(s1, e1, in1, 1);
    t0.join();
    t1.join();
    EXPECT_EQ(t0.frames(), 500u);
    EXPECT_EQ(t1.frames(), 300u);
  }
  runner.stop(CloseMode::kDrain);
  FakeSource r0(500, 0.01), r1(300, 0.02);
  PassThrough p;
  liquid::sensors::TimedSample sample;
  std::vector<FeatureFrame> frames;
  while (r0.next(sample)) p.encode(sample, frames);
  for (auto& f : frames) f.stream = 0;
  reference.process(frames);
  frames.clear();
  while (r1.next(sample)) p.encode(sample, frames);
  for (auto& f : frames) f.stream = 1;
  reference.process(frames);
  EXPECT_EQ(threaded.state(0), reference.state(0));
  EXPECT_EQ(threaded.state(1), reference.state(1));
}

TEST(SourceThread, SourceErrorIsRethrownByJoinAndAClosedInputEndsTheThread) {
  Engine e;
  setup(e, 1);
  Runner runner(e);
  Input& in = runner.add_input({.name = "a", .capacity = 4});
  runner.start();
  FakeSource failing(10, 0.1, true);
  PassThrough enc;
  SourceThread t(failing, enc, in, 0);
  EXPECT_THROW(t.join(), liquid::sensors::SourceError);
  runner.stop(CloseMode::kDrain);
  EXPECT_EQ(e.stats(0).samples, 10u);

  Engine e2;
  setup(e2, 1);
  Runner stopped(e2);
  Input& in2 = stopped.add_input({.name = "a", .capacity = 4});
  stopped.stop(CloseMode::kDiscard);  // never started, inputs closed
  FakeSource endless(1000000, 0.1);
  SourceThread t2(endless, enc, in2, 0);
  t2.join();  // returns at once: the input refuses frames
  EXPECT_TRUE(t2.input_closed());
  EXPECT_EQ(t2.frames(), 0u);
}

}  // namespace
