// What a stream configuration builds (see stream_assembly.h).
#include "pipeline/stream_assembly.h"

#include <algorithm>
#include <optional>

#include "encoders/audio_features.h"
#include "encoders/series_features.h"
#include "encoders/video_features.h"
#include "pipeline/model_fusion.h"
#include "pipeline/multi_head.h"
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

// "head": "heads": named heads over the streams' own models (pipeline/multi_head.h); class names
// default to each model file's liquid.classes.
std::unique_ptr<MultiHeadFusion> make_heads(const StreamSetup& setup, const Engine& engine, const std::vector<ModelFile>& models) {
  MultiHeadConfig config = setup.heads;
  for (HeadConfig& h : config.heads)
    if (h.kind == HeadConfig::Kind::kClasses && h.classes.empty())
      h.classes = model_classes(models[engine.stream_config(engine.stream_id(h.stream)).model]);
  try {
    return std::make_unique<MultiHeadFusion>(std::move(config), engine);
  } catch (const std::invalid_argument& e) {
    throw StreamConfigError(setup.file.string() + ": " + e.what());
  }
}

// The head of stream_config.h's "fusion": a LinearHead over every stream's output, concatenated.
std::unique_ptr<LinearHead> make_linear_head(const StreamSetup& setup, const Engine& engine, const std::vector<ModelFile>& models) {
  const std::string where = setup.file.string() + ": fusion";
  int total = 0;
  for (int id = 0; id < engine.stream_count(); ++id) total += engine.model(engine.stream_config(id).model).output_size();
  Eigen::MatrixXf w;
  Eigen::VectorXf b;
  std::optional<HeadKind> kind = setup.head_kind;
  std::vector<std::string> names = setup.head_names;
  const std::map<std::string, std::string>* meta = nullptr;  // where default names and kind come from
  if (setup.head == HeadSource::kFile) {
    HeadFile file;
    try {
      file = read_head_file(setup.head_path, total);
    } catch (const std::exception& e) {
      throw StreamConfigError(where + ".path: " + e.what());
    }
    w = std::move(file.weight);
    b = std::move(file.bias);
    if (!kind) kind = file.kind;
    if (names.empty()) names = std::move(file.names);
  } else if (setup.head == HeadSource::kStream) {
    const int id = engine.stream_id(setup.head_stream);
    const int out = engine.model(engine.stream_config(id).model).output_size();
    int offset = 0;
    for (int s = 0; s < id; ++s) offset += engine.model(engine.stream_config(s).model).output_size();
    w = Eigen::MatrixXf::Zero(out, total);
    w.middleCols(offset, out).setIdentity();
    b = Eigen::VectorXf::Zero(out);
    meta = &models[engine.stream_config(id).model].metadata;
  } else {  // mean
    const int out = engine.model(engine.stream_config(0).model).output_size();
    w = Eigen::MatrixXf::Zero(out, total);
    for (int id = 0; id < engine.stream_count(); ++id) {
      if (engine.model(engine.stream_config(id).model).output_size() != out)
        throw StreamConfigError(where + ".head: \"mean\" needs streams with outputs of one size; '" +
                                engine.stream_name(id) + "' differs from '" + engine.stream_name(0) + "'");
      w.middleCols(id * out, out).diagonal().setConstant(1.0f / static_cast<float>(engine.stream_count()));
    }
    b = Eigen::VectorXf::Zero(out);
    meta = &models[engine.stream_config(0).model].metadata;
  }
  if (meta && names.empty())
    if (auto it = meta->find("liquid.classes"); it != meta->end()) {
      auto classes = nlohmann::json::parse(it->second).get<std::vector<std::string>>();
      if (static_cast<Eigen::Index>(classes.size()) == w.rows()) {
        names = std::move(classes);
        if (!kind) kind = HeadKind::kClasses;  // the model was trained as a classifier: logits out
      }
    }
  if (names.empty())
    for (Eigen::Index k = 0; k < w.rows(); ++k) names.push_back(std::string("y").append(std::to_string(k)));  // not "y" + ...: GCC 12 bug 105329
  if (static_cast<Eigen::Index>(names.size()) != w.rows())
    throw StreamConfigError(where + ".names: " + std::to_string(names.size()) + " names for a head of " +
                            std::to_string(w.rows()) + " outputs");
  return std::make_unique<LinearHead>(kind.value_or(HeadKind::kValues), std::move(names), std::move(w), std::move(b));
}

}  // namespace

// "head": "model": the file's network on every stream's output concatenated.
static std::unique_ptr<FusionModel> make_model_fusion(const StreamSetup& setup, const Engine& engine) {
  const std::string where = setup.file.string() + ": fusion.path";
  int total = 0;
  for (int id = 0; id < engine.stream_count(); ++id) total += engine.model(engine.stream_config(id).model).output_size();
  ModelFile file;
  try {
    file = {std::make_shared<const lfm::Model>(lfm::Model::load(setup.head_path)),
            lfm::SafetensorsFile::read_file(setup.head_path).metadata()};
  } catch (const std::exception& e) {
    throw StreamConfigError(where + ": " + e.what());
  }
  if (file.model->input_size() != total)
    throw StreamConfigError(where + ": " + setup.head_path.string() + " takes " +
                            std::to_string(file.model->input_size()) + " inputs, but the streams' outputs concatenated are " +
                            std::to_string(total) + " wide");
  std::vector<std::string> names = setup.head_names.empty() ? model_classes(file) : setup.head_names;
  const HeadKind kind = setup.head_kind.value_or(model_classes(file).empty() ? HeadKind::kValues : HeadKind::kClasses);
  try {
    return std::make_unique<ModelFusion>(file.model, kind, std::move(names), setup.head_context);
  } catch (const std::exception& e) {
    throw StreamConfigError(setup.file.string() + ": fusion: " + e.what());
  }
}

std::vector<ModelFile> load_models(const StreamSetup& setup) {
  std::vector<ModelFile> models;
  for (const auto& [name, path] : setup.models) {
    try {
      models.push_back({std::make_shared<const lfm::Model>(lfm::Model::load(path)), lfm::SafetensorsFile::read_file(path).metadata()});
    } catch (const std::exception& e) {
      throw StreamConfigError(setup.file.string() + ": models." + name + ": " + e.what());
    }
  }
  return models;
}

std::vector<std::string> model_classes(const ModelFile& m) {
  if (auto it = m.metadata.find("liquid.classes"); it != m.metadata.end())
    return nlohmann::json::parse(it->second).get<std::vector<std::string>>();
  return {};
}

void add_streams(const StreamSetup& setup, const std::vector<ModelFile>& models, Engine& engine) {
  for (const ModelFile& m : models) engine.add_model(m.model);
  for (const StreamSpec& s : setup.streams) engine.add_stream(s.engine);
}

std::unique_ptr<FusionModel> make_fusion(const StreamSetup& setup, const std::vector<ModelFile>& models, Engine& engine) {
  if (setup.head == HeadSource::kNone) return nullptr;
  if (setup.head == HeadSource::kHeads) {
    auto heads = make_heads(setup, engine, models);
    engine.add_trace_sink(heads->tap());
    return heads;
  }
  if (setup.head == HeadSource::kModel) return make_model_fusion(setup, engine);
  return make_linear_head(setup, engine, models);
}

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
      const auto it = mf.metadata.find(encoders::kNormalizationKey);
      std::vector<float> mean = spec.encoder.mean, std = spec.encoder.std;
      if (spec.encoder.normalization == EncoderSpec::Normalization::kModel && it != mf.metadata.end()) {
        const auto norm = encoders::SeriesNormalization::from_json(it->second, setup.models[spec.engine.model].second.string());
        mean = norm.mean;
        std = norm.std;
      } else if (spec.encoder.normalization == EncoderSpec::Normalization::kModel && spec.encoder.normalization_explicit) {
        throw StreamConfigError(where + ".encoder.normalization: \"model\", but model '" + spec.model + "' has no " +
                                encoders::kNormalizationKey + " metadata");
      }
      if (spec.encoder.normalization != EncoderSpec::Normalization::kNone && !mean.empty()) {
        try {
          encoder = std::make_unique<NormalizedEncoder>(std::move(encoder), std::move(mean), std::move(std));
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
