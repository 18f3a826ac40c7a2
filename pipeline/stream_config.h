// The JSON configuration of a whole streaming engine, as `liquid stream CONFIG.json` runs it:
// sources, their encoders, a model per stream, the fusion head, the decision mode and the outputs.
// This header only reads and checks the file (parse_stream_config); apps/cmd_stream.cpp builds and
// runs what it describes. Paths are relative to the configuration file's folder. Unknown fields
// are errors (a typo must not be silently ignored); every error names the file and the JSON path,
// e.g. "occupancy.json: streams[0].source.speed: expected a number >= 0, got \"fast\"".
//
// {
//   "engine":  {"max_batch": 256, "step_threads": 1, "batch_frames": 4096,            all optional
//               "time_ordered": false},   true: the file sources are read by one thread and
//                                         merged in time order (one timeline for fusion); false:
//                                         each on its own thread, as fast as it goes
//   "models":  {"occ": "occupancy_cfc.safetensors"},        name -> model file (lfm::Model::load)
//   "mqtt":    {"host": "127.0.0.1", "port": 1883, "client_id": "liquid", "qos": 2,   (when a
//               "keepalive": 10, "time_field": "time", "time_scale": 1,               source is
//               "accept_retained": false},                                            mqtt)
//   "streams": [{
//     "name": "room",                      unique
//     "model": "occ",                      a key of "models"
//     "dt_scale": 0.016666666666666666,    the cell steps gap * dt_scale (the model's time unit;
//                                          1/60: trained on gaps in minutes). Default 1.
//     "late": "reject" | "drop",           a sample older than the stream's last (default reject)
//     "first_dt": 0, "timeout": 300,       seconds; timeout: stale after (default: never)
//     "trace": false,                      record the neurons to outputs.trace
//     "trace_inputs": false,               ... followed by the input vector
//     "reset_after": 1,                    seconds: a longer gap restarts the cell from the zero
//                                          state (separate episodes: utterances). Default never.
//     "queue": {"capacity": 1024, "overflow": "block" | "drop_oldest"},
//     "source": one of
//        {"kind": "csv", "path": "data.csv", "time_column": "date", "columns": ["Temperature"],
//         "speed": 0}                      speed: replay pace (1 real time, 60 a minute a second;
//                                          0: as fast as possible). columns default: all.
//        {"kind": "wav", "path": "a.wav", "block_frames": 1024}   (any libsndfile format)
//        {"kind": "video", "path": "v.avi", "frame_step": 1}
//        {"kind": "mqtt", "topic": "home/kitchen/temp", "width": 1, "fields": []}
//                                          payloads as pipeline/mqtt_source.h
//        {"kind": "clips", "schedule": "clips.csv", "block_frames": 1024}   audio clips at the
//                                          times of a CSV time,path[,label] (source_adapters.h);
//                                          each clip is encoded on its own
//        file kinds (csv, wav, video, clips) also take "time_offset": seconds added to every time
//     "encoder": one of (default: series for csv and mqtt, audio for wav and clips, video for video)
//        {"kind": "series", "channels": [...], "normalization": "model" | "none" |
//         {"mean": [...], "std": [...]}, "masks": false, "time_since": false}
//                                          channels: names matched against the normalisation's
//                                          (default: the source's column names); "model": the
//                                          model file's liquid.normalization (the default when it
//                                          has one)
//        {"kind": "audio", "feature": "log_mel" | "mfcc" | "magnitude" | "power",
//         "window_seconds": 0.025, "hop_seconds": 0.01, "n_mels": 40, "n_mfcc": 13,
//         "fmin": 0, "fmax": 0, "delta_order": 0,            (sample rate: the file's)
//         "normalization": "model" | "none" | {"mean": [...], "std": [...]}}   default "model":
//                                          the model file's liquid.normalization when it has one
//        {"kind": "video", "working_width": 160, "grid_cols": 8, "grid_rows": 6, "grey": true,
//         "motion": true, "motion_mean": true, "flow": false, "normalization": as audio}
//   }],
//   "fusion": the head that turns the streams' latest outputs into a decision (a LinearHead):
//      {"head": "stream", "stream": "room"}   that stream's output as is (W selects it)
//      {"head": "mean"}                       the mean of all streams' outputs (equal sizes)
//      {"head": "heads", "heads": [...], "rules": [...]}   named heads, rules and reasons
//                                             (pipeline/multi_head.h), each head
//          {"name": "occupancy", "stream": "room", "kind": "classes" | "level", "classes": [..],
//           "threshold": 0.5, "output": 0, "endpoint": 0.3, "reasons": 3}
//                                             (classes default: the model's liquid.classes; the
//                                             head streams are traced), each rule
//          {"name": "lights", "initial": false, "on": [{"head": "command", "value": "1"}],
//           "off": [{"head": "occupancy", "value": "0", "for": 900}]}
//      {"head": "file", "path": "head.safetensors"}  trained: tensors "weight" [names, inputs]
//                                             and "bias" [names], inputs = every stream's output
//                                             concatenated in stream order
//      {"head": "model", "path": "fusion.safetensors", "context": 8192}   a model file's network
//                                             (backbone, CfC, LTC) stepped once per decision on
//                                             every stream's output concatenated, its state
//                                             carried across decisions (pipeline/model_fusion.h)
//      plus "kind": "classes" (softmax; default when the head's model file lists liquid.classes)
//      | "values", and "names": [...] (default: the model's liquid.classes, else y0, y1, ...).
//   "decisions": {"mode": "per_sample" | "rate" | "on_change" | "none", "period": 60,
//                 "threshold": 0.05},        default per_sample with a fusion, none without
//   "outputs": {"decisions": "-",            JSON lines; "-" is stdout (default), else a file
//               "trace": "trace.csv",        neuron trace: .csv, or binary (any other extension)
//               "checkpoint": "run.ckpt",    written every checkpoint_period seconds (wall
//               "checkpoint_period": 30}     clock) and on exit; `--restore` reads it back
// }
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "encoders/audio_features.h"
#include "encoders/video_features.h"
#include "pipeline/engine.h"
#include "pipeline/mqtt_source.h"
#include "pipeline/multi_head.h"
#include "pipeline/runner.h"

namespace liquid::pipeline {

class StreamConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class SourceKind { kCsv, kWav, kVideo, kMqtt, kClips };
enum class EncoderKind { kSeries, kAudio, kVideo };
enum class HeadSource { kNone, kStream, kMean, kFile, kHeads, kModel };

struct SourceSpec {
  SourceKind kind = SourceKind::kCsv;
  std::filesystem::path path;       // csv, wav, video (resolved against the config's folder)
  std::string time_column;          // csv; empty: the first column
  std::vector<std::string> columns;  // csv; empty: all
  double speed = 0.0;               // csv
  int block_frames = 1024;          // wav
  int frame_step = 1;               // video
  MqttTopic topic;                  // mqtt
  std::filesystem::path schedule;   // clips: the CSV time,path[,label] (pipeline/source_adapters.h)
  double time_offset = 0.0;         // files: seconds added to every sample time
};

struct EncoderSpec {
  EncoderKind kind = EncoderKind::kSeries;
  // every kind (audio and video: given or the model's; series: see below)
  // series
  std::vector<std::string> channels;
  enum class Normalization { kModel, kNone, kGiven } normalization = Normalization::kModel;
  bool normalization_explicit = false;  // "model" written out: then the model must have one
  std::vector<float> mean, std;
  bool masks = false, time_since = false;
  // audio, video
  encoders::AudioFeatureConfig audio{};
  encoders::VideoFeaturesOptions video{};
};

struct StreamSpec {
  StreamConfig engine;  // name, late, first_dt, timeout, trace, dt_scale (model index set too)
  std::string model;    // key of StreamSetup::models
  InputConfig queue;
  SourceSpec source;
  EncoderSpec encoder;
};

struct StreamSetup {
  std::filesystem::path file;  // the configuration file, for messages
  EngineConfig engine;
  size_t batch_frames = 4096;
  bool time_ordered = false;  // file sources merged in time order on one thread
  std::vector<std::pair<std::string, std::filesystem::path>> models;  // in file order
  MqttOptions mqtt;  // topics filled from the mqtt streams, in stream order
  std::vector<StreamSpec> streams;
  HeadSource head = HeadSource::kNone;
  std::string head_stream;
  std::filesystem::path head_path;
  int64_t head_context = 8192;  // kModel: decisions a full-attention backbone holds
  std::optional<HeadKind> head_kind;
  std::vector<std::string> head_names;
  MultiHeadConfig heads;  // kHeads
  std::string decisions_out = "-";
  std::filesystem::path trace_path, checkpoint_path;
  double checkpoint_period = 30.0;
};

// Reads and checks `path`; throws StreamConfigError naming the file and the field path.
StreamSetup parse_stream_config(const std::filesystem::path& path);
StreamSetup parse_stream_config_text(const std::string& text, const std::filesystem::path& path);

}  // namespace liquid::pipeline
