// A source and its encoder on their own thread, feeding a Runner's input.
#include "pipeline/source_thread.h"

#include <stdexcept>
#include <string>

namespace liquid::pipeline {

SourceThread::SourceThread(sensors::Source& source, encoders::Encoder& encoder, Input& input, int stream)
    : routes_{{&encoder, stream}}, thread_([this, &source, &input] { run(source, input, false); }) {}

SourceThread::SourceThread(sensors::Source& source, std::vector<Route> routes, Input& input)
    : routes_(std::move(routes)), thread_([this, &source, &input] { run(source, input, true); }) {}

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

void SourceThread::run(sensors::Source& source, Input& input, bool routed) {
  try {
    sensors::TimedSample sample;
    std::vector<encoders::FeatureFrame> frames;
    encoders::FeatureFrame slot;  // swapped into the queue; comes back recycled
    int stream = routes_.at(0).stream;
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
      size_t r = 0;
      if (routed) {
        if (sample.stream < 0 || static_cast<size_t>(sample.stream) >= routes_.size())
          throw std::out_of_range(source.describe() + ": sample of stream " + std::to_string(sample.stream) +
                                  ", but only " + std::to_string(routes_.size()) + " routes");
        r = static_cast<size_t>(sample.stream);
      }
      stream = routes_[r].stream;
      routes_[r].encoder->encode(sample, frames);
      if (!push_all()) return;
    }
    for (const Route& route : routes_) {
      stream = route.stream;
      route.encoder->flush(frames);
      if (!push_all()) return;
    }
  } catch (...) {
    error_ = std::current_exception();
  }
}

}  // namespace liquid::pipeline
