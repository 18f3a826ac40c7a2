// The engine's worker thread and its input queues.
#include "pipeline/runner.h"

#include <stdexcept>

namespace liquid::pipeline {

bool Input::push(encoders::FeatureFrame& frame) {
  const PushResult r = queue_.push(frame, config_.overflow);
  if (r == PushResult::kClosed) return false;
  if (r == PushResult::kDroppedOldest && frame.stream >= 0 && frame.stream < runner_->streams_)
    runner_->dropped_[frame.stream].fetch_add(1, std::memory_order_relaxed);  // `frame` is the dropped one
  return true;
}

Runner::Runner(Engine& engine, RunnerConfig config)
    : engine_(engine),
      config_(config),
      dropped_(new std::atomic<uint64_t>[engine.stream_count()]),
      streams_(engine.stream_count()),
      batch_(config.max_batch_frames) {
  if (config.max_batch_frames == 0) throw std::invalid_argument("RunnerConfig.max_batch_frames must be at least 1");
  for (int s = 0; s < streams_; ++s) dropped_[s].store(0, std::memory_order_relaxed);
}

Runner::~Runner() {
  if (!running()) return;
  try {
    stop(CloseMode::kDiscard);
  } catch (...) {
    // A destructor cannot report the worker's error; stop() is where callers get it.
  }
}

Input& Runner::add_input(InputConfig config) {
  if (running()) throw std::logic_error("Runner::add_input: inputs must be added before start()");
  if (config.capacity == 0) throw std::invalid_argument("input '" + config.name + "': capacity must be at least 1");
  inputs_.push_back(std::unique_ptr<Input>(new Input(std::move(config), &doorbell_, this)));
  return *inputs_.back();
}

void Runner::start() {
  if (running()) throw std::logic_error("Runner::start: already running");
  if (inputs_.empty()) throw std::logic_error("Runner::start: no inputs; call add_input first");
  stopping_.store(false);
  worker_ = std::thread([this] { work(); });
}

void Runner::close_inputs(CloseMode mode) {
  for (auto& in : inputs_) in->queue_.close(mode);
  stopping_.store(true, std::memory_order_release);
  doorbell_.ring();
}

void Runner::stop(CloseMode mode) {
  close_inputs(mode);
  if (worker_.joinable()) worker_.join();
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
}

uint64_t Runner::dropped(int stream) const {
  if (stream < 0 || stream >= streams_) throw std::out_of_range("Runner::dropped: no stream " + std::to_string(stream));
  return dropped_[stream].load(std::memory_order_relaxed);
}

void Runner::work() {
  size_t start = 0;  // the input served first rotates, so one busy input cannot starve the others
  try {
    for (;;) {
      // Read the doorbell before looking at the queues: a push after this read changes it, so the
      // wait below cannot miss it.
      const uint64_t seen = doorbell_.rings.load(std::memory_order_acquire);
      const bool stopping = stopping_.load(std::memory_order_acquire);
      size_t n = 0;
      for (size_t k = 0; k < inputs_.size() && n < batch_.size(); ++k) {
        Input& in = *inputs_[(start + k) % inputs_.size()];
        n += in.queue_.pop_into(std::span(batch_).subspan(n));
      }
      start = (start + 1) % inputs_.size();
      if (n > 0) {
        engine_.process(std::span<const encoders::FeatureFrame>(batch_.data(), n));
        processed_.fetch_add(n, std::memory_order_release);
        if (config_.after_batch) config_.after_batch(engine_);
        continue;
      }
      // Stopping and every queue was empty after the flag was set: nothing more can arrive.
      if (stopping) return;
      doorbell_.rings.wait(seen, std::memory_order_acquire);
    }
  } catch (...) {
    error_ = std::current_exception();
    for (auto& in : inputs_) in->queue_.close(CloseMode::kDiscard);  // producers must not wait on a dead worker
  }
}

}  // namespace liquid::pipeline
