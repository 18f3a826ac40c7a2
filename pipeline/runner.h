// The engine on its own worker thread, fed by bounded queues: sources and encoders run on their own
// threads and push feature frames into Inputs; the worker takes whatever the queues hold, as one
// batch, and hands it to Engine::process (cells, fusion, decisions, traces all on the worker).
//
// Back-pressure is chosen per input: kBlock makes a producer wait for room (nothing is lost, the
// source slows down), kDropOldest keeps the newest frames and counts the dropped ones per stream.
// A stream's frames must all go through one input: its order is that input's order.
//
// Shutdown: stop(kDrain) lets the worker apply everything already queued, stop(kDiscard) throws
// the queued frames away (counted). Either way every waiting push returns at once, so a producer
// stuck on a full queue or a consumer stuck in a callback cannot hang the other side. An error in
// the worker (a rejected late sample, a bad frame) stops it, closes the inputs and is rethrown by
// stop().
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "encoders/feature_frame.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/engine.h"

namespace liquid::pipeline {

struct InputConfig {
  std::string name{};
  size_t capacity = 1024;  // frames
  Overflow overflow = Overflow::kBlock;
};

class Runner;

// The producer side of one queue; push() may be called from any number of threads.
class Input {
 public:
  // Swaps `frame` into the queue; afterwards `frame` holds a recycled frame whose values vector can
  // be refilled without allocating. Returns false once the runner is stopping (nothing was taken).
  bool push(encoders::FeatureFrame& frame);
  QueueCounters counters() const { return queue_.counters(); }
  const InputConfig& config() const { return config_; }

 private:
  friend class Runner;
  Input(InputConfig config, Doorbell* doorbell, Runner* runner)
      : config_(std::move(config)), queue_(config_.capacity, doorbell), runner_(runner) {}
  InputConfig config_;
  BoundedQueue<encoders::FeatureFrame> queue_;
  Runner* runner_;
};

struct RunnerConfig {
  size_t max_batch_frames = 4096;  // frames handed to Engine::process at once
  // Called on the worker after every Engine::process, while no frame is half applied: the place to
  // take periodic checkpoints (save_checkpoint) without stopping the runner. An exception thrown
  // here stops the worker like an engine error.
  std::function<void(Engine&)> after_batch{};
};

class Runner {
 public:
  // The engine must be fully set up (streams added) and is owned by the worker until stop().
  explicit Runner(Engine& engine, RunnerConfig config = {});
  ~Runner();  // stop(kDiscard) if still running; an error is then dropped
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  Input& add_input(InputConfig config);  // before start()
  void start();
  // Closes every input (waiting producers return at once) without waiting for the worker.
  void close_inputs(CloseMode mode);
  // close_inputs(mode), waits for the worker, rethrows its error if it had one.
  void stop(CloseMode mode);
  bool running() const { return worker_.joinable(); }

  uint64_t processed() const { return processed_.load(std::memory_order_acquire); }
  uint64_t dropped(int stream) const;  // frames of `stream` lost to drop-oldest

 private:
  friend class Input;
  void work();

  Engine& engine_;
  RunnerConfig config_;
  Doorbell doorbell_;
  std::vector<std::unique_ptr<Input>> inputs_;
  std::unique_ptr<std::atomic<uint64_t>[]> dropped_;
  int streams_ = 0;
  std::vector<encoders::FeatureFrame> batch_;
  std::thread worker_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> processed_{0};
  std::exception_ptr error_;
};

}  // namespace liquid::pipeline
