// The one currency between sensors and encoders: a payload stamped with its real time.
// Time is seconds on the source's own clock (a double: a day of 48 kHz samples still resolves one
// sample); stream says which input it came from, so many sources can share a queue.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace liquid::sensors {

// A block of audio frames; `time` is the time of the first frame. Samples are interleaved
// (frames x channels), float in [-1, 1] whatever the file's encoding.
struct AudioBlock {
  int sample_rate = 0;
  int channels = 0;
  std::vector<float> samples;

  int64_t frames() const { return channels > 0 ? static_cast<int64_t>(samples.size()) / channels : 0; }
};

// One decoded video frame (BGR 8-bit as OpenCV decodes it) and its index in the source.
struct VideoFrame {
  cv::Mat image;
  int64_t index = 0;
};

// One row of a numeric series; present[i] == 0 marks values[i] as missing (values[i] is then NaN).
struct SeriesRow {
  std::vector<float> values;
  std::vector<unsigned char> present;
};

struct TimedSample {
  double time = 0.0;
  int stream = 0;
  std::variant<AudioBlock, VideoFrame, SeriesRow> payload;
};

}  // namespace liquid::sensors
