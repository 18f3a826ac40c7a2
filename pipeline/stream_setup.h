// The engine side of a stream configuration (stream_config.h): its models, its streams and its
// fusion, without the sources. `liquid stream` (apps/cmd_stream.cpp), the dashboard and the
// liquidfusion GStreamer element (plugins/liquid_fusion_config.h), whose features come from the
// pipeline instead of the configuration's sources, all set an engine up this way:
//
//   auto models = load_models(setup);              // every model file once, with its metadata
//   Engine engine(setup.engine);
//   add_streams(setup, models, engine);            // the models and streams, in the file's order
//   engine.set_fusion(make_fusion(setup, models, engine), on_decision);   // unless setup.head is kNone
//
// Errors are StreamConfigError naming the file and the field.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lfm/model.h"
#include "pipeline/engine.h"
#include "pipeline/stream_config.h"

namespace liquid::pipeline {

struct ModelFile {
  std::shared_ptr<const lfm::Model> model;
  std::map<std::string, std::string> metadata;
};
// In setup.models' order (the index a StreamSpec's engine.model refers to).
std::vector<ModelFile> load_models(const StreamSetup& setup);
// The class names a model file's liquid.classes metadata gives (empty when it has none).
std::vector<std::string> model_classes(const ModelFile& model);

// Adds every model and every stream of the configuration to a new engine.
void add_streams(const StreamSetup& setup, const std::vector<ModelFile>& models, Engine& engine);

// The configured fusion: a LinearHead for "fusion" (file, stream or mean head), or MultiHeadFusion
// for "heads" (whose reasons need the neurons: its trace tap is added to the engine here). Null
// when the configuration has no fusion.
std::unique_ptr<FusionModel> make_fusion(const StreamSetup& setup, const std::vector<ModelFile>& models, Engine& engine);

// The z-scoring of an audio or video stream's features before its model, as the encoder section
// says: "model" the model file's liquid.normalization (none when it has none, unless "model" was
// written out: then an error), {"mean", "std"} those, "none" none (empty vectors). Series streams
// get empty vectors: their encoder normalises each channel by name, before masks and time-since.
struct FeatureNormalization {
  std::vector<float> mean, std;
};
FeatureNormalization feature_normalization(const StreamSetup& setup, const std::vector<ModelFile>& models, size_t stream);

}  // namespace liquid::pipeline
