// liquidfusion's `config` property: a stream configuration (pipeline/stream_config.h, the very file
// `liquid stream` reads) run on the features of a GStreamer pipeline.
//
// The engine is set up by pipeline/stream_setup.h, as `liquid stream` sets it up: the models, each
// stream with its dt_scale, timeout, reset_after and late policy, the fusion ("heads" with their
// rules, and the engine trace tap that gives the reasons; or a linear head) and the decision mode.
// What the element does not take from the file: the sources (the pipeline brings the features), the
// "outputs" (decisions go out as buffers and bus messages, and to the element's
// decisions-location), and the engine's batching (the element steps one frame at a time).
//
// Features as the models expect them: an audio or video stream's frames are z-scored here as the
// stream's "encoder.normalization" says (pipeline::feature_normalization: "model" the model file's
// liquid.normalization), so liquidaudiofeatures and liquidvideofeatures feed raw features. A series
// stream's features are not touched: its encoder (liquidseriessrc normalization=MODEL, with the
// configuration's masks and time-since) normalises each channel by name, missing values as 0.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pipeline/engine.h"
#include "pipeline/stream_config.h"
#include "pipeline/stream_setup.h"

struct LiquidFusionConfig {
  liquid::pipeline::StreamSetup setup;
  std::vector<liquid::pipeline::ModelFile> models;
  std::vector<liquid::pipeline::FeatureNormalization> normalization;  // by stream

  // Reads and checks `path` and loads its models. Throws pipeline::StreamConfigError naming the file
  // and the field (a configuration without "fusion" is one: there would be no decision).
  static std::unique_ptr<LiquidFusionConfig> read(const std::string& path);

  // A new engine with every stream of the file and its fusion, deciding through `on_decision`.
  std::unique_ptr<liquid::pipeline::Engine> make_engine(liquid::pipeline::Engine::DecisionCallback on_decision) const;

  // The stream (index in the file) a sink pad feeds: the one named `stream` (the pad's property), or
  // without a name streams[number] (sink_N feeds the N-th). Throws std::runtime_error naming the file,
  // the field and what was expected.
  int stream_for_pad(const std::string& pad, unsigned number, const std::string& stream) const;

  int inputs(int stream) const;                // the stream's model's input width
  std::string describe(int stream) const;      // "streams[1] 'voice' (model 'digits', FILE)"
  std::string file() const { return setup.file.string(); }
};
