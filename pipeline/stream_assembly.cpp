// What a stream configuration builds (see stream_assembly.h).
#include "pipeline/stream_assembly.h"

#include <algorithm>
#include <optional>

#include "encoders/audio_features.h"
#include "encoders/series_features.h"
#include "encoders/video_features.h"
#include "pipeline/source_adapters.h"
#include "sensors/audio_file.h"
#include "sensors/csv_source.h"
#include "sensors/video_source.h"

namespace liquid::pipeline {

namespace {

class StoppableSource : public sensors::Source {
 public:
  StoppableSource(std::unique_ptr<sensors::Source> inner, StopFlag& flag) : inner_(std::move(inner)), flag_(flag) {}
  bool next(sensors::TimedSample& out) override { return !flag_.stop.load() && inner_->next(out) && !flag_.stop.load(); }
  std::string describe() const override { return inner_->describe(); }
  bool live() const override { return inner_->live(); }

 private:
  std::unique_ptr<sensors::Source> inner_;
  StopFlag& flag_;
};

// Resuming from a checkpoint: samples at or before the stream's checkpointed time still go
// through the encoder (its history: time since last observation, windows, previous frame) but
// not to the engine, which has applied them already.
class ResumeSource : public sensors::Source {
 public:
  ResumeSource(std::unique_ptr<sensors::Source> inner, encoders::Encoder& encoder, double after)
      : inner_(std::move(inner)), encoder_(encoder), after_(after) {}
  bool next(sensors::TimedSample& out) override {
    while (inner_->next(out)) {
      if (out.time > after_) return true;
      encoder_.encode(out, scratch_);
      scratch_.clear();
    }
    return false;
  }
  std::string describe() const override { return inner_->describe(); }

 private:
  std::unique_ptr<sensors::Source> inner_;
  encoders::Encoder& encoder_;
  double after_;
  std::vector<encoders::FeatureFrame> scratch_;
};

// The same for encoders whose frames do not line up with samples (audio hops inside a block).
class ResumeEncoder : public encoders::Encoder {
 public:
  ResumeEncoder(encoders::Encoder& inner, double after) : inner_(inner), after_(after) {}
  void encode(const sensors::TimedSample& s, std::vector<encoders::FeatureFrame>& out) override {
    const size_t first = out.size();
    inner_.encode(s, out);
    drop(out, first);
  }
  void flush(std::vector<encoders::FeatureFrame>& out) override {
    const size_t first = out.size();
    inner_.flush(out);
    drop(out, first);
  }
  void reset() override { inner_.reset(); }
  int width() const override { return inner_.width(); }
  std::vector<std::string> names() const override { return inner_.names(); }

 private:
  void drop(std::vector<encoders::FeatureFrame>& out, size_t first) const {
    std::erase_if(out, [&, k = size_t{0}](const encoders::FeatureFrame& f) mutable { return k++ >= first && f.time <= after_; });
  }
  encoders::Encoder& inner_;
  double after_;
};

}  // namespace

StreamSources build_sources(const StreamSetup& setup, const std::vector<ModelFile>& models, const Engine& engine,
                            bool resuming, StopFlag& stop, const std::shared_ptr<sensors::ReplayClock>& clock) {
  StreamSources b;
  for (size_t id = 0; id < setup.streams.size(); ++id) {
    const StreamSpec& spec = setup.streams[id];
    const std::string where = setup.file.string() + ": streams[" + std::to_string(id) + "]";
    const ModelFile& mf = models[spec.engine.model];
    std::unique_ptr<sensors::Source> source;
    std::unique_ptr<encoders::Encoder> encoder;
    std::vector<std::string> columns;
    switch (spec.source.kind) {
      case SourceKind::kCsv: {
        sensors::CsvOptions o;
        if (!spec.source.time_column.empty()) o.time_column = spec.source.time_column;
        for (const auto& c : spec.source.columns) o.value_columns.emplace_back(c);
        auto csv = std::make_unique<sensors::CsvSource>(spec.source.path, o);
        columns = csv->series().columns;
        source = std::move(csv);
        break;
      }
      case SourceKind::kMqtt:
        columns = spec.source.topic.fields;
        if (columns.empty())
          for (int k = 0; k < spec.source.topic.width; ++k)
            columns.push_back(spec.source.topic.width == 1 ? spec.engine.name : spec.engine.name + "_" + std::to_string(k));
        break;
      case SourceKind::kWav: {
        auto wav = std::make_unique<sensors::AudioFileSource>(spec.source.path,
                                                              sensors::AudioFileSource::Options{spec.source.block_frames, 0});
        encoders::AudioFeatureConfig ac = spec.encoder.audio;
        ac.sample_rate = wav->info().sample_rate;
        encoder = std::make_unique<encoders::AudioFeatureEncoder>(ac);
        source = std::move(wav);
        break;
      }
      case SourceKind::kClips: {
        auto clips = std::make_unique<ClipScheduleSource>(read_clip_schedule(spec.source.schedule), spec.source.block_frames,
                                                          spec.source.schedule.string());
        encoders::AudioFeatureConfig ac = spec.encoder.audio;
        ac.sample_rate = clips->sample_rate();
        // Each clip on its own: flushed and reset at every gap (a clip's frames are those it gives alone).
        encoder = std::make_unique<SegmentedEncoder>(std::make_unique<encoders::AudioFeatureEncoder>(ac), 1e-3);
        source = std::move(clips);
        break;
      }
      case SourceKind::kVideo:
        source = std::make_unique<sensors::VideoSource>(
            sensors::VideoSource::open_file(spec.source.path, {.frame_step = spec.source.frame_step}));
        encoder = std::make_unique<encoders::VideoFeatures>(spec.encoder.video);
        break;
    }
    if (source && spec.source.time_offset != 0.0) source = std::make_unique<TimeShiftSource>(std::move(source), spec.source.time_offset);
    if (spec.encoder.kind != EncoderKind::kSeries) {
      // Audio and video features z-scored as the model saw them in training (its liquid.normalization).
      FeatureNormalization norm = feature_normalization(setup, models, id);
      if (!norm.mean.empty()) {
        try {
          encoder = std::make_unique<NormalizedEncoder>(std::move(encoder), std::move(norm.mean), std::move(norm.std));
        } catch (const std::exception& e) {
          throw StreamConfigError(where + ".encoder.normalization: " + e.what());
        }
      }
    }
    if (spec.encoder.kind == EncoderKind::kSeries) {
      encoders::SeriesNormalization norm;
      const auto it = mf.metadata.find(encoders::kNormalizationKey);
      if (spec.encoder.normalization == EncoderSpec::Normalization::kGiven) {
        norm.mean = spec.encoder.mean;
        norm.std = spec.encoder.std;
      } else if (spec.encoder.normalization == EncoderSpec::Normalization::kModel && it != mf.metadata.end()) {
        norm = encoders::SeriesNormalization::from_json(it->second, setup.models[spec.engine.model].second.string());
      } else if (spec.encoder.normalization_explicit) {
        throw StreamConfigError(where + ".encoder.normalization: \"model\", but model '" + spec.model + "' has no " +
                                encoders::kNormalizationKey + " metadata");
      }
      const std::vector<std::string> channels = spec.encoder.channels.empty() ? columns : spec.encoder.channels;
      if (channels.size() != columns.size())
        throw StreamConfigError(where + ".encoder.channels: " + std::to_string(channels.size()) + " names for " +
                                std::to_string(columns.size()) + " source columns");
      try {
        encoder = std::make_unique<encoders::SeriesFeatures>(
            channels, norm, encoders::SeriesFeaturesOptions{.masks = spec.encoder.masks, .time_since = spec.encoder.time_since});
      } catch (const std::exception& e) {
        throw StreamConfigError(where + ".encoder: " + e.what());
      }
    }
    const int inputs = engine.model(spec.engine.model).input_size();
    if (encoder->width() != inputs)
      throw StreamConfigError(where + ".encoder: gives " + std::to_string(encoder->width()) + " features, but model '" +
                              spec.model + "' takes " + std::to_string(inputs) + " inputs");
    const bool resume = resuming && engine.has_reported(static_cast<int>(id)) && spec.source.kind != SourceKind::kMqtt;
    const double after = engine.last_time(static_cast<int>(id));
    if (source) {
      if (resume && spec.source.kind == SourceKind::kCsv) source = std::make_unique<ResumeSource>(std::move(source), *encoder, after);
      if (spec.source.kind == SourceKind::kCsv && spec.source.speed > 0)
        source = std::make_unique<sensors::Replay>(std::move(source), sensors::ReplayOptions{.speed = spec.source.speed}, clock);
      source = std::make_unique<StoppableSource>(std::move(source), stop);
    } else {
      b.mqtt_streams.push_back(static_cast<int>(id));
    }
    b.resume.push_back(resume && spec.source.kind != SourceKind::kCsv ? std::make_unique<ResumeEncoder>(*encoder, after) : nullptr);
    b.encoders.push_back(std::move(encoder));
    b.sources.push_back(std::move(source));
  }
  if (!b.mqtt_streams.empty()) {
    auto mqtt = std::make_unique<MqttSource>(setup.mqtt);
    b.mqtt = mqtt.get();
    b.mqtt_owner = std::move(mqtt);
  }
  return b;
}

}  // namespace liquid::pipeline
