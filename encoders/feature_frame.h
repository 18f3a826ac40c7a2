// What encoders produce: a feature vector stamped with the time of the sample it describes.
#pragma once

#include <string>
#include <vector>

#include "sensors/timed_sample.h"

namespace liquid::encoders {

struct FeatureFrame {
  double time = 0.0;  // seconds, the source's clock (for audio, the centre of the analysis window)
  int stream = 0;
  std::vector<float> values;
};

// An encoder turns samples into zero or more frames (an audio block may hold many hops, a video
// frame gives one). encode() appends to `out` and must give the same frames however the input is
// split into samples (streaming equals batch). names() labels the feature vector's entries.
class Encoder {
 public:
  virtual ~Encoder() = default;
  virtual void encode(const sensors::TimedSample& sample, std::vector<FeatureFrame>& out) = 0;
  // Emits whatever the end of the stream completes (e.g. the last partial window, if padded).
  virtual void flush(std::vector<FeatureFrame>& /*out*/) {}
  // Forgets all history (a seek or a new stream).
  virtual void reset() = 0;
  virtual int width() const = 0;
  virtual std::vector<std::string> names() const = 0;
};

}  // namespace liquid::encoders
