// Adapters that put file sources and encoders on a shared timeline, for fusing streams recorded
// apart (a room's sensor log, a camera clip, spoken commands) as one scene:
//
//   TimeShiftSource    adds a fixed offset to every sample time (a clip recorded from 0 s placed
//                      at a Unix time of the room log).
//   ClipScheduleSource plays audio clips at scheduled times: a CSV `time,path[,label]` (time in
//                      the timeline's seconds, path relative to the CSV) read by
//                      read_clip_schedule. Between clips there are no samples at all, as from a
//                      voice-activity-gated microphone: the stream's gap is the silence. The end
//                      of each clip is marked by an empty AudioBlock at the time it ends.
//   SegmentedEncoder   encodes each contiguous run of samples on its own: when a sample starts
//                      more than `max_gap` seconds after the previous one ended (an audio block
//                      ends after its frames, any other sample at its time), or at an empty audio
//                      block (an end mark), the inner encoder is flushed and reset, so a clip
//                      gives exactly the frames it gives alone, its last one at its end.
//   MergedSource       reads several sources as one, in time order (a k-way merge on each
//                      source's next sample): files of different streams replayed as one
//                      timeline, so the engine sees them interleaved as they happened. A sample's
//                      `stream` becomes its source's index (SourceThread routes it). Samples of one
//                      source keep their order; ties go to the lower index.
//   NormalizedEncoder  z-scores an encoder's frames with given means and deviations (a model
//                      file's liquid.normalization, as the model saw in training).
// Errors name the file, the line and what was expected.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "encoders/feature_frame.h"
#include "sensors/source.h"

namespace liquid::pipeline {

class TimeShiftSource : public sensors::Source {
 public:
  TimeShiftSource(std::unique_ptr<sensors::Source> inner, double offset_s);
  bool next(sensors::TimedSample& out) override;
  std::string describe() const override;
  bool live() const override { return inner_->live(); }

 private:
  std::unique_ptr<sensors::Source> inner_;
  double offset_s_;
};

struct ScheduledClip {
  double time = 0.0;  // seconds on the timeline: the clip's first sample
  std::filesystem::path path;
  std::string label;  // optional third column (e.g. the word said), for reports
};

// Reads `time,path[,label]` with a header line; times must not go back. Throws std::runtime_error
// naming the file and line.
std::vector<ScheduledClip> read_clip_schedule(const std::filesystem::path& csv);

class ClipScheduleSource : public sensors::Source {
 public:
  // Opens the first clip at once (its sample rate is the stream's: sample_rate()); every clip
  // must have it, and must end before the next one starts.
  ClipScheduleSource(std::vector<ScheduledClip> clips, int block_frames, std::string name);
  ~ClipScheduleSource() override;
  bool next(sensors::TimedSample& out) override;
  std::string describe() const override;
  int sample_rate() const { return rate_; }

 private:
  void open(size_t k);
  std::vector<ScheduledClip> clips_;
  int block_frames_;
  std::string name_;
  size_t current_ = 0;
  std::unique_ptr<sensors::Source> file_;
  int rate_ = 0;
  double end_ = -1e300;  // end of the previous clip, seconds
};

class MergedSource : public sensors::Source {
 public:
  explicit MergedSource(std::vector<std::unique_ptr<sensors::Source>> sources);
  bool next(sensors::TimedSample& out) override;
  std::string describe() const override;

 private:
  std::vector<std::unique_ptr<sensors::Source>> sources_;
  std::vector<sensors::TimedSample> pending_;      // each source's next sample
  std::vector<std::pair<double, int>> heap_;      // (time, source) of the pending samples
  bool started_ = false;
};

class SegmentedEncoder : public encoders::Encoder {
 public:
  SegmentedEncoder(std::unique_ptr<encoders::Encoder> inner, double max_gap_s);
  void encode(const sensors::TimedSample& sample, std::vector<encoders::FeatureFrame>& out) override;
  void flush(std::vector<encoders::FeatureFrame>& out) override;
  void reset() override;
  int width() const override { return inner_->width(); }
  std::vector<std::string> names() const override { return inner_->names(); }

 private:
  std::unique_ptr<encoders::Encoder> inner_;
  double max_gap_s_;
  bool started_ = false;
  double end_ = 0.0;  // where the previous sample ended
};

class NormalizedEncoder : public encoders::Encoder {
 public:
  // mean and std have width() values each (checked: std::invalid_argument).
  NormalizedEncoder(std::unique_ptr<encoders::Encoder> inner, std::vector<float> mean, std::vector<float> std);
  void encode(const sensors::TimedSample& sample, std::vector<encoders::FeatureFrame>& out) override;
  void flush(std::vector<encoders::FeatureFrame>& out) override;
  void reset() override { inner_->reset(); }
  int width() const override { return inner_->width(); }
  std::vector<std::string> names() const override { return inner_->names(); }

 private:
  void apply(std::vector<encoders::FeatureFrame>& out, size_t first) const;
  std::unique_ptr<encoders::Encoder> inner_;
  std::vector<float> mean_, std_;
};

}  // namespace liquid::pipeline
