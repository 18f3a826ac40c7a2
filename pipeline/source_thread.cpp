// A source and its encoder on their own thread, feeding a Runner's input.
#include "pipeline/source_thread.h"

namespace liquid::pipeline {

SourceThread::SourceThread(sensors::Source& source, encoders::Encoder& encoder, Input& input, int stream)
    : thread_([this, &source, &encoder, &input, stream] { run(source, encoder, input, stream); }) {}

SourceThread::~SourceThread() {
  if (thread_.joinable()) thread_.join();
}

void SourceThread::join() {
  if (thread_.joinable()) thread_.join();
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
}

void SourceThread::run(sensors::Source& source, encoders::Encoder& encoder, Input& input, int stream) {
  try {
    sensors::TimedSample sample;
    std::vector<encoders::FeatureFrame> frames;
    encoders::FeatureFrame slot;  // swapped into the queue; comes back recycled
    auto push_all = [&] {
      for (encoders::FeatureFrame& f : frames) {
        slot.time = f.time;
        slot.stream = stream;
        slot.values.assign(f.values.begin(), f.values.end());
        if (!input.push(slot)) {
          closed_.store(true, std::memory_order_relaxed);
          return false;
        }
        frames_.fetch_add(1, std::memory_order_relaxed);
      }
      frames.clear();
      return true;
    };
    while (source.next(sample)) {
      encoder.encode(sample, frames);
      if (!push_all()) return;
    }
    encoder.flush(frames);
    push_all();
  } catch (...) {
    error_ = std::current_exception();
  }
}

}  // namespace liquid::pipeline
