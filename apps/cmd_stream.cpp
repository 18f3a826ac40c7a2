// liquid stream CONFIG.json: runs a whole streaming engine from a configuration
// (pipeline/stream_config.h documents the format): file and MQTT sources on their own threads,
// their encoders, a liquid cell per stream, the fusion head, decisions as JSON lines, an optional
// neuron trace and periodic checkpoints. Ends when every file source is done, or on Ctrl-C / SIGTERM:
// the sources stop, what is queued is applied (drain), a checkpoint is written, exit code 0.
// A second Ctrl-C quits at once. --restore continues from a checkpoint (pipeline/checkpoint.h).
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <map>
#include <optional>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "apps/commands.h"
#include "encoders/series_features.h"
#include "pipeline/checkpoint.h"
#include "pipeline/multi_head.h"
#include "pipeline/source_adapters.h"
#include "pipeline/source_thread.h"
#include "pipeline/stream_config.h"
#include "sensors/audio_file.h"
#include "sensors/csv_source.h"
#include "sensors/replay.h"
#include "sensors/video_source.h"

namespace liquid::apps {

namespace {

using namespace liquid::pipeline;

// What a stop request wakes: file sources end at their next sample, paced replays stop waiting.
struct StopFlag {
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable cv;
  void request() {
    {
      std::lock_guard lock(mutex);
      stop.store(true);
    }
    cv.notify_all();
  }
};

class InterruptibleClock : public sensors::ReplayClock {
 public:
  explicit InterruptibleClock(StopFlag& flag) : flag_(flag) {}
  time_point now() override { return std::chrono::steady_clock::now(); }
  void sleep_until(time_point t) override {
    std::unique_lock lock(flag_.mutex);
    flag_.cv.wait_until(lock, t, [&] { return flag_.stop.load(); });
  }

 private:
  StopFlag& flag_;
};

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

std::string number(double v) {
  char text[32];
  *std::to_chars(text, text + sizeof text - 1, v).ptr = '\0';
  return text;
}

std::string number(float v) {  // shortest text that reads back as the same float
  char text[32];
  *std::to_chars(text, text + sizeof text - 1, v).ptr = '\0';
  return text;
}

std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

struct ModelFile {
  std::shared_ptr<const lfm::Model> model;
  std::map<std::string, std::string> metadata;
};

std::vector<std::string> model_classes(const ModelFile& m) {
  if (auto it = m.metadata.find("liquid.classes"); it != m.metadata.end())
    return nlohmann::json::parse(it->second).get<std::vector<std::string>>();
  return {};
}

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
std::unique_ptr<LinearHead> make_head(const StreamSetup& setup, const Engine& engine, const std::vector<ModelFile>& models) {
  const std::string where = setup.file.string() + ": fusion";
  int total = 0;
  for (int id = 0; id < engine.stream_count(); ++id) total += engine.model(engine.stream_config(id).model).output_size();
  Eigen::MatrixXf w;
  Eigen::VectorXf b;
  std::optional<HeadKind> kind = setup.head_kind;
  std::vector<std::string> names = setup.head_names;
  const std::map<std::string, std::string>* meta = nullptr;  // where default names and kind come from
  if (setup.head == HeadSource::kFile) {
    const auto file = lfm::SafetensorsFile::read_file(setup.head_path);
    if (!file.contains("weight") || file.tensor("weight").shape.size() != 2)
      throw StreamConfigError(where + ".path: " + setup.head_path.string() + " has no 2-D tensor \"weight\"");
    const int rows = static_cast<int>(file.tensor("weight").shape[0]);
    const std::vector<float> wv = file.get("weight", {rows, total}).to_float();
    w = Eigen::Map<const Eigen::Matrix<float, -1, -1, Eigen::RowMajor>>(wv.data(), rows, total);
    const std::vector<float> bv = file.get("bias", {rows}).to_float();
    b = Eigen::Map<const Eigen::VectorXf>(bv.data(), rows);
    meta = &file.metadata();
    if (auto it = meta->find("liquid.head"); it != meta->end()) {
      const auto j = nlohmann::json::parse(it->second);
      if (!kind && j.contains("kind")) kind = j["kind"] == "classes" ? HeadKind::kClasses : HeadKind::kValues;
      if (names.empty() && j.contains("names")) names = j["names"].get<std::vector<std::string>>();
    }
    meta = nullptr;
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
    for (Eigen::Index k = 0; k < w.rows(); ++k) names.push_back("y" + std::to_string(k));
  if (static_cast<Eigen::Index>(names.size()) != w.rows())
    throw StreamConfigError(where + ".names: " + std::to_string(names.size()) + " names for a head of " +
                            std::to_string(w.rows()) + " outputs");
  return std::make_unique<LinearHead>(kind.value_or(HeadKind::kValues), std::move(names), std::move(w), std::move(b));
}

// The configured streams' sources and encoders, built; the MQTT streams share one client.
struct Built {
  std::vector<std::unique_ptr<encoders::Encoder>> encoders, resume;  // by stream; resume may be null
  std::vector<std::unique_ptr<sensors::Source>> sources;               // by stream; null for mqtt
  MqttSource* mqtt = nullptr;
  std::unique_ptr<sensors::Source> mqtt_owner;
  std::vector<int> mqtt_streams;  // engine ids, in topic order
};

Built build_sources(const StreamSetup& setup, const Engine& engine, const std::vector<ModelFile>& models,
                    bool resuming, StopFlag& stop, const std::shared_ptr<sensors::ReplayClock>& clock) {
  Built b;
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

}  // namespace

// Command-line overrides of the configuration, so one file serves runs that differ in a model, the
// decisions' destination or the broker's port.
struct Overrides {
  std::vector<std::string> models;  // NAME=FILE
  std::string decisions, trace;
  int mqtt_port = 0;
};

void apply(const Overrides& o, StreamSetup& setup) {
  for (const std::string& m : o.models) {
    const auto eq = m.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
      throw StreamConfigError("--model " + m + ": expected NAME=FILE (NAME a key of the configuration's \"models\")");
    const std::string name = m.substr(0, eq);
    auto it = std::find_if(setup.models.begin(), setup.models.end(), [&](const auto& p) { return p.first == name; });
    if (it == setup.models.end()) throw StreamConfigError("--model " + m + ": \"" + name + "\" is not a key of " + setup.file.string() + "'s \"models\"");
    it->second = m.substr(eq + 1);
  }
  if (!o.decisions.empty()) setup.decisions_out = o.decisions;
  if (!o.trace.empty()) setup.trace_path = o.trace;
  if (o.mqtt_port > 0) setup.mqtt.port = o.mqtt_port;
}

int run_stream(const std::string& config_path, const std::string& restore, const Overrides& overrides) {
  StreamSetup setup = parse_stream_config(config_path);
  apply(overrides, setup);
  std::vector<ModelFile> models;
  for (const auto& [name, path] : setup.models) {
    try {
      models.push_back({std::make_shared<const lfm::Model>(lfm::Model::load(path)), lfm::SafetensorsFile::read_file(path).metadata()});
    } catch (const std::exception& e) {
      throw StreamConfigError(setup.file.string() + ": models." + name + ": " + e.what());
    }
  }
  Engine engine(setup.engine);
  for (const ModelFile& m : models) engine.add_model(m.model);
  for (const StreamSpec& s : setup.streams) engine.add_stream(s.engine);

  // Decisions as JSON lines, written on the engine's worker thread.
  std::FILE* out = setup.decisions_out == "-" ? stdout : std::fopen(setup.decisions_out.c_str(), "w");
  if (!out) throw std::runtime_error(setup.decisions_out + ": cannot open for writing (outputs.decisions)");
  std::vector<std::string> stream_json;
  for (int id = 0; id < engine.stream_count(); ++id) stream_json.push_back(quoted(engine.stream_name(id)));
  std::vector<std::string> name_json;
  uint64_t decisions = 0;
  if (setup.head != HeadSource::kNone) {
    std::unique_ptr<FusionModel> head;
    if (setup.head == HeadSource::kHeads) {
      auto heads = make_heads(setup, engine, models);
      engine.add_trace_sink(heads->tap());
      head = std::move(heads);
    } else {
      head = make_head(setup, engine, models);
    }
    for (const auto& n : head->names()) name_json.push_back(quoted(n));
    engine.set_fusion(std::move(head), [&](const Decision& d) {
      std::string line = "{\"time\":" + number(d.time) + ",\"values\":{";
      for (size_t k = 0; k < d.values.size(); ++k) line += (k ? "," : "") + name_json[k] + ":" + number(d.values[k]);
      line += "}";
      if (d.argmax >= 0) line += ",\"class\":" + name_json[d.argmax];
      for (const auto* list : {&d.fresh, &d.stale}) {
        line += list == &d.fresh ? ",\"fresh\":[" : "],\"stale\":[";
        for (size_t k = 0; k < list->size(); ++k) line += (k ? "," : "") + stream_json[(*list)[k]];
      }
      line += "],\"samples\":" + std::to_string(d.samples);
      if (!d.explanation.empty()) line += ",\"explanation\":" + d.explanation;
      line += "}\n";
      std::fputs(line.c_str(), out);
      std::fflush(out);  // a consumer reading a pipe sees every decision at once
      ++decisions;
    });
  }
  if (!setup.trace_path.empty()) {
    const TraceLayout layout = engine.trace_layout();
    if (setup.trace_path.extension() == ".csv")
      engine.add_trace_sink(std::make_shared<CsvTraceWriter>(setup.trace_path, layout));
    else
      engine.add_trace_sink(std::make_shared<BinaryTraceWriter>(setup.trace_path, layout));
  }
  if (!restore.empty()) {
    load_checkpoint(engine, restore);
    std::fprintf(stderr, "liquid stream: restored %s (%llu samples applied before)\n", restore.c_str(),
                 static_cast<unsigned long long>(engine.samples()));
  }

  // Signals go to one thread that asks everything to stop; a second Ctrl-C quits at once.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGUSR1}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  StopFlag stop;
  auto clock = std::make_shared<InterruptibleClock>(stop);
  Built built = build_sources(setup, engine, models, !restore.empty(), stop, clock);
  std::atomic<bool> interrupted{false};
  std::thread signal_thread([&] {
    for (;;) {
      int sig = 0;
      sigwait(&signals, &sig);
      if (sig == SIGUSR1) return;  // the end of the run
      if (interrupted.exchange(true)) std::_Exit(130);
      std::fprintf(stderr, "liquid stream: stopping (draining the queues; Ctrl-C again to quit at once)\n");
      stop.request();
      if (built.mqtt) built.mqtt->stop();
    }
  });

  const auto checkpoint = [&](const Engine& e) {
    save_checkpoint(e, setup.checkpoint_path, {{"config", setup.file.string()}, {"samples", e.samples()}});
  };
  auto last_checkpoint = std::chrono::steady_clock::now();
  RunnerConfig rc{.max_batch_frames = setup.batch_frames};
  if (!setup.checkpoint_path.empty())
    rc.after_batch = [&](Engine& e) {
      const auto now = std::chrono::steady_clock::now();
      if (std::chrono::duration<double>(now - last_checkpoint).count() < setup.checkpoint_period) return;
      checkpoint(e);
      last_checkpoint = now;
    };
  std::string error;
  {
    Runner runner(engine, rc);
    std::vector<Input*> inputs;
    for (const StreamSpec& s : setup.streams) inputs.push_back(s.source.kind == SourceKind::kMqtt ? nullptr : &runner.add_input(s.queue));
    Input* mqtt_input = built.mqtt ? &runner.add_input(setup.streams[built.mqtt_streams[0]].queue) : nullptr;
    runner.start();
    std::unique_ptr<MergedSource> merged;  // outlives the threads
    std::vector<std::unique_ptr<SourceThread>> threads;
    if (setup.time_ordered) {
      // One thread reads every file source in time order: the engine sees one timeline.
      std::vector<std::unique_ptr<sensors::Source>> parts;
      std::vector<SourceThread::Route> routes;
      Input* input = nullptr;
      for (size_t id = 0; id < setup.streams.size(); ++id)
        if (built.sources[id]) {
          parts.push_back(std::move(built.sources[id]));
          routes.push_back({built.resume[id] ? built.resume[id].get() : built.encoders[id].get(), static_cast<int>(id)});
          if (!input) input = inputs[id];
        }
      if (!parts.empty()) {
        merged = std::make_unique<MergedSource>(std::move(parts));
        threads.push_back(std::make_unique<SourceThread>(*merged, std::move(routes), *input));
      }
    }
    for (size_t id = 0; id < setup.streams.size(); ++id)
      if (built.sources[id]) {
        encoders::Encoder& enc = built.resume[id] ? *built.resume[id] : *built.encoders[id];
        threads.push_back(std::make_unique<SourceThread>(*built.sources[id], enc, *inputs[id], static_cast<int>(id)));
      }
    if (built.mqtt) {
      std::vector<SourceThread::Route> routes;
      for (int id : built.mqtt_streams) routes.push_back({built.encoders[id].get(), id});
      threads.push_back(std::make_unique<SourceThread>(*built.mqtt, std::move(routes), *mqtt_input));
    }
    for (auto& t : threads) {
      try {
        t->join();
      } catch (const std::exception& e) {
        if (error.empty()) error = e.what();
        stop.request();  // one source failed: end the run, keeping what was applied
        if (built.mqtt) built.mqtt->stop();
      }
    }
    try {
      runner.stop(CloseMode::kDrain);
    } catch (const std::exception& e) {
      if (error.empty()) error = e.what();
    }
  }
  pthread_kill(signal_thread.native_handle(), SIGUSR1);
  signal_thread.join();
  if (!setup.checkpoint_path.empty()) {
    checkpoint(engine);
    std::fprintf(stderr, "liquid stream: checkpoint %s\n", setup.checkpoint_path.string().c_str());
  }
  if (out != stdout) std::fclose(out);
  for (int id = 0; id < engine.stream_count(); ++id)
    std::fprintf(stderr, "liquid stream: %s: %llu samples, %llu late dropped, last t=%s\n", engine.stream_name(id).c_str(),
                 static_cast<unsigned long long>(engine.stats(id).samples),
                 static_cast<unsigned long long>(engine.stats(id).dropped_late), number(engine.last_time(id)).c_str());
  if (built.mqtt)
    std::fprintf(stderr, "liquid stream: mqtt: %llu received, %llu rejected%s%s\n",
                 static_cast<unsigned long long>(built.mqtt->received()), static_cast<unsigned long long>(built.mqtt->rejected()),
                 built.mqtt->rejected() ? "; last: " : "", built.mqtt->last_rejection().c_str());
  std::fprintf(stderr, "liquid stream: %llu decisions%s\n", static_cast<unsigned long long>(decisions),
               interrupted ? " (interrupted)" : "");
  if (!error.empty()) throw std::runtime_error(error);
  return 0;
}

Command add_stream_command(CLI::App& app) {
  struct Options {
    std::string config, restore;
    Overrides overrides;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("stream", "Run a streaming engine from a JSON configuration (see samples/stream/)");
  cmd->add_option("config", opt->config, "Engine configuration (.json); format in pipeline/stream_config.h")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--restore", opt->restore, "Continue from this checkpoint (made by the same configuration)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--model", opt->overrides.models, "Use this model file instead: NAME=FILE (NAME a key of \"models\"; repeatable)");
  cmd->add_option("--decisions", opt->overrides.decisions, "Write the decisions here instead of outputs.decisions (- for stdout)");
  cmd->add_option("--trace", opt->overrides.trace, "Write the neuron trace here instead of outputs.trace (.csv or binary)");
  cmd->add_option("--mqtt-port", opt->overrides.mqtt_port, "Broker port instead of mqtt.port")->check(CLI::Range(1, 65535));
  return [opt]() { return run_stream(opt->config, opt->restore, opt->overrides); };
}

}  // namespace liquid::apps
