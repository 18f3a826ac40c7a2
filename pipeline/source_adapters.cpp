// Timeline adapters for sources and encoders (source_adapters.h).
#include "pipeline/source_adapters.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>

#include "sensors/audio_file.h"

namespace liquid::pipeline {

TimeShiftSource::TimeShiftSource(std::unique_ptr<sensors::Source> inner, double offset_s)
    : inner_(std::move(inner)), offset_s_(offset_s) {
  if (!inner_) throw std::invalid_argument("TimeShiftSource: no source");
  if (!std::isfinite(offset_s_)) throw std::invalid_argument("TimeShiftSource: the offset must be finite");
}

bool TimeShiftSource::next(sensors::TimedSample& out) {
  if (!inner_->next(out)) return false;
  out.time += offset_s_;
  return true;
}

std::string TimeShiftSource::describe() const {
  return inner_->describe() + " shifted by " + std::to_string(offset_s_) + " s";
}

std::vector<ScheduledClip> read_clip_schedule(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  if (!in) throw std::runtime_error(csv.string() + ": cannot open the clip schedule");
  std::vector<ScheduledClip> clips;
  std::string line;
  int number = 0;
  const std::filesystem::path base = csv.parent_path();
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (number == 1) {
      if (line.rfind("time,path", 0) != 0)
        throw std::runtime_error(csv.string() + ":1: expected the header \"time,path[,label]\", got \"" + line + "\"");
      continue;
    }
    const auto c1 = line.find(',');
    const auto c2 = c1 == std::string::npos ? std::string::npos : line.find(',', c1 + 1);
    const std::string where = csv.string() + ":" + std::to_string(number) + ": ";
    if (c1 == std::string::npos) throw std::runtime_error(where + "expected time,path[,label], got \"" + line + "\"");
    ScheduledClip clip;
    try {
      size_t used = 0;
      clip.time = std::stod(line.substr(0, c1), &used);
      if (used != c1) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      throw std::runtime_error(where + "time: expected seconds, got \"" + line.substr(0, c1) + "\"");
    }
    if (!std::isfinite(clip.time)) throw std::runtime_error(where + "time: expected a finite number of seconds");
    const std::string path = line.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
    if (path.empty()) throw std::runtime_error(where + "path: empty");
    clip.path = std::filesystem::path(path).is_absolute() ? std::filesystem::path(path) : base / path;
    if (c2 != std::string::npos) clip.label = line.substr(c2 + 1);
    if (!clips.empty() && clip.time < clips.back().time)
      throw std::runtime_error(where + "time " + line.substr(0, c1) + " goes back (clips must be in time order)");
    clips.push_back(std::move(clip));
  }
  if (clips.empty()) throw std::runtime_error(csv.string() + ": no clips (expected rows time,path[,label])");
  return clips;
}

ClipScheduleSource::ClipScheduleSource(std::vector<ScheduledClip> clips, int block_frames, std::string name)
    : clips_(std::move(clips)), block_frames_(block_frames), name_(std::move(name)) {
  if (clips_.empty()) throw sensors::SourceError(name_ + ": no clips scheduled");
  open(0);
}

ClipScheduleSource::~ClipScheduleSource() = default;

void ClipScheduleSource::open(size_t k) {
  auto file = std::make_unique<sensors::AudioFileSource>(clips_[k].path, sensors::AudioFileSource::Options{block_frames_, 0});
  const int rate = file->info().sample_rate;
  if (rate_ == 0) rate_ = rate;
  if (rate != rate_)
    throw sensors::SourceError(name_ + ": clip " + clips_[k].path.string() + " is " + std::to_string(rate) +
                               " Hz; expected " + std::to_string(rate_) + " Hz (the first clip's rate)");
  if (clips_[k].time < end_)
    throw sensors::SourceError(name_ + ": clip " + clips_[k].path.string() + " starts at " + std::to_string(clips_[k].time) +
                               " s, before the previous clip ends (" + std::to_string(end_) + " s)");
  file_ = std::move(file);
  current_ = k;
}

bool ClipScheduleSource::next(sensors::TimedSample& out) {
  for (;;) {
    if (file_ && file_->next(out)) {
      out.time += clips_[current_].time;
      if (const auto* block = std::get_if<sensors::AudioBlock>(&out.payload))
        end_ = out.time + static_cast<double>(block->frames()) / rate_;
      return true;
    }
    if (file_) {  // the clip ended: an empty block at its end marks it (SegmentedEncoder flushes there)
      file_.reset();
      out.time = end_;
      out.stream = 0;
      out.payload = sensors::AudioBlock{rate_, 1, {}};
      return true;
    }
    if (current_ + 1 >= clips_.size()) return false;
    open(current_ + 1);
  }
}

std::string ClipScheduleSource::describe() const {
  return name_ + ": " + std::to_string(clips_.size()) + " scheduled audio clips (" + std::to_string(rate_) + " Hz)";
}

MergedSource::MergedSource(std::vector<std::unique_ptr<sensors::Source>> sources) : sources_(std::move(sources)) {
  for (const auto& s : sources_)
    if (!s) throw std::invalid_argument("MergedSource: a source is missing");
  pending_.resize(sources_.size());
}

bool MergedSource::next(sensors::TimedSample& out) {
  // A min-heap of (time, source) over the sources' look-ahead samples: O(log n) per sample, where a
  // scan of every source was 51 % of the dashboard's time at 10,000 streams. Equal times go to the
  // lower source index, as the scan did.
  const auto later = [](const std::pair<double, int>& a, const std::pair<double, int>& b) { return a > b; };
  if (!started_) {  // the first look ahead, here rather than in the constructor (a slow file opens on the reader's thread)
    started_ = true;
    heap_.reserve(sources_.size());
    for (size_t k = 0; k < sources_.size(); ++k)
      if (sources_[k]->next(pending_[k])) heap_.emplace_back(pending_[k].time, static_cast<int>(k));
    std::make_heap(heap_.begin(), heap_.end(), later);
  }
  if (heap_.empty()) return false;
  std::pop_heap(heap_.begin(), heap_.end(), later);
  const int best = heap_.back().second;
  heap_.pop_back();
  std::swap(out, pending_[best]);
  out.stream = best;
  if (sources_[best]->next(pending_[best])) {
    heap_.emplace_back(pending_[best].time, best);
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  return true;
}

std::string MergedSource::describe() const {
  std::string d = "time-ordered merge of";
  for (const auto& s : sources_) d += " [" + s->describe() + "]";
  return d;
}

SegmentedEncoder::SegmentedEncoder(std::unique_ptr<encoders::Encoder> inner, double max_gap_s)
    : inner_(std::move(inner)), max_gap_s_(max_gap_s) {
  if (!inner_) throw std::invalid_argument("SegmentedEncoder: no encoder");
  if (!(max_gap_s_ >= 0)) throw std::invalid_argument("SegmentedEncoder: max_gap must be >= 0 seconds");
}

void SegmentedEncoder::encode(const sensors::TimedSample& sample, std::vector<encoders::FeatureFrame>& out) {
  const auto* block = std::get_if<sensors::AudioBlock>(&sample.payload);
  if (block && block->frames() == 0) {  // an end-of-segment mark
    if (started_) {
      inner_->flush(out);
      inner_->reset();
    }
    started_ = false;
    return;
  }
  if (started_ && sample.time - end_ > max_gap_s_) {
    inner_->flush(out);
    inner_->reset();
  }
  started_ = true;
  end_ = sample.time;
  if (block && block->sample_rate > 0)
    end_ += static_cast<double>(block->frames()) / block->sample_rate;
  inner_->encode(sample, out);
}

void SegmentedEncoder::flush(std::vector<encoders::FeatureFrame>& out) {
  if (started_) inner_->flush(out);
  started_ = false;
}

void SegmentedEncoder::reset() {
  inner_->reset();
  started_ = false;
}

NormalizedEncoder::NormalizedEncoder(std::unique_ptr<encoders::Encoder> inner, std::vector<float> mean, std::vector<float> std)
    : inner_(std::move(inner)), mean_(std::move(mean)) {
  if (!inner_) throw std::invalid_argument("NormalizedEncoder: no encoder");
  const size_t w = static_cast<size_t>(inner_->width());
  if (mean_.size() != w || std.size() != w)
    throw std::invalid_argument("normalization has " + std::to_string(mean_.size()) + " means and " +
                                std::to_string(std.size()) + " deviations; the encoder gives " + std::to_string(w) +
                                " features");
  for (float s : std) {
    if (!(s > 0) || !std::isfinite(s)) throw std::invalid_argument("normalization: expected positive, finite deviations");
    std_.push_back(s);
  }
}

void NormalizedEncoder::apply(std::vector<encoders::FeatureFrame>& out, size_t first) const {
  for (size_t k = first; k < out.size(); ++k)
    for (size_t j = 0; j < out[k].values.size() && j < mean_.size(); ++j)
      out[k].values[j] = (out[k].values[j] - mean_[j]) / std_[j];
}

void NormalizedEncoder::encode(const sensors::TimedSample& sample, std::vector<encoders::FeatureFrame>& out) {
  const size_t first = out.size();
  inner_->encode(sample, out);
  apply(out, first);
}

void NormalizedEncoder::flush(std::vector<encoders::FeatureFrame>& out) {
  const size_t first = out.size();
  inner_->flush(out);
  apply(out, first);
}

}  // namespace liquid::pipeline
