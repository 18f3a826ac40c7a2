// A source of timed samples: a file, a device or a replay of either. Sources are pulled: next()
// fills `out` (reusing its buffers) and returns false at the end of the stream. Errors throw
// SourceError naming the source and what was wrong.
#pragma once

#include <stdexcept>
#include <string>

#include "sensors/timed_sample.h"

namespace liquid::sensors {

class SourceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Source {
 public:
  virtual ~Source() = default;
  virtual bool next(TimedSample& out) = 0;
  // A short human description, e.g. "audio file fsdd/0_george_0.wav (8000 Hz, 1 ch)".
  virtual std::string describe() const = 0;
  // True when samples arrive at the pace of the world (microphone, camera), false for files read
  // as fast as asked.
  virtual bool live() const { return false; }
};

}  // namespace liquid::sensors
