// A source and its encoder on their own thread, feeding one Input of a Runner: the "sources and
// encoders run on their own threads" half of the engine's threading. The thread pulls samples,
// encodes them into frames, stamps the engine's stream id and pushes; it ends at the end of the
// source, when the input is closed (the runner stops), or on an error, which join() rethrows.
// A live source blocked inside next() is only noticed once next() returns.
// A source of several streams (MqttSource: one topic a stream) takes one route per stream: the
// sample's `stream` picks the route, i.e. the encoder and the engine's stream id.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

#include "encoders/feature_frame.h"
#include "pipeline/runner.h"
#include "sensors/source.h"

namespace liquid::pipeline {

class SourceThread {
 public:
  struct Route {
    encoders::Encoder* encoder;
    int stream;  // the engine's id
  };
  // `stream` is the engine's id for this source's frames; source, encoder and input must outlive
  // the thread (join() or the destructor).
  SourceThread(sensors::Source& source, encoders::Encoder& encoder, Input& input, int stream);
  // Routed by TimedSample::stream (0 .. routes.size() - 1; another index is an error).
  SourceThread(sensors::Source& source, std::vector<Route> routes, Input& input);
  ~SourceThread();  // joins; an error is dropped (join() is where callers get it)
  SourceThread(const SourceThread&) = delete;
  SourceThread& operator=(const SourceThread&) = delete;

  void join();  // waits for the end and rethrows the thread's error, if any
  uint64_t frames() const { return frames_.load(std::memory_order_relaxed); }  // pushed
  bool input_closed() const { return closed_.load(std::memory_order_relaxed); }

 private:
  void run(sensors::Source& source, Input& input, bool routed);

  std::atomic<uint64_t> frames_{0};
  std::atomic<bool> closed_{false};
  std::exception_ptr error_;
  std::vector<Route> routes_;
  std::thread thread_;
};

}  // namespace liquid::pipeline
