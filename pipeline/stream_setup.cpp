// The engine side of a stream configuration (see stream_setup.h).
#include "pipeline/stream_setup.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "encoders/series_features.h"
#include "lfm/safetensors.h"
#include "pipeline/model_fusion.h"
#include "pipeline/multi_head.h"

namespace liquid::pipeline {

namespace {

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

// "head": "model": the file's network on every stream's output concatenated.
std::unique_ptr<FusionModel> make_model_fusion(const StreamSetup& setup, const Engine& engine) {
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

}  // namespace

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

FeatureNormalization feature_normalization(const StreamSetup& setup, const std::vector<ModelFile>& models, size_t stream) {
  const StreamSpec& spec = setup.streams.at(stream);
  const EncoderSpec& e = spec.encoder;
  if (e.kind == EncoderKind::kSeries || e.normalization == EncoderSpec::Normalization::kNone) return {};
  if (e.normalization == EncoderSpec::Normalization::kGiven) return {e.mean, e.std};
  const ModelFile& mf = models.at(size_t(spec.engine.model));
  const auto it = mf.metadata.find(encoders::kNormalizationKey);
  if (it == mf.metadata.end()) {
    if (!e.normalization_explicit) return {};
    throw StreamConfigError(setup.file.string() + ": streams[" + std::to_string(stream) + "].encoder.normalization: \"model\", but model '" +
                            spec.model + "' has no " + encoders::kNormalizationKey + " metadata");
  }
  auto norm = encoders::SeriesNormalization::from_json(it->second, setup.models[size_t(spec.engine.model)].second.string());
  return {std::move(norm.mean), std::move(norm.std)};
}

}  // namespace liquid::pipeline
