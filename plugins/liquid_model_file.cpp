// Model files as the liquid elements read them (see liquid_model_file.h).
#include "plugins/liquid_model_file.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "lfm/safetensors.h"
#include "lfm/trainer.h"

int LiquidModelFile::decision_width() const {
  return output == LiquidOutputKind::kSigmoid ? 2 : model->output_size();
}

const float* LiquidModelFile::normalize(const float* features, float* scratch) const {
  if (mean.empty()) return features;
  for (size_t i = 0; i < mean.size(); ++i) scratch[i] = (features[i] - mean[i]) / std[i];
  return scratch;
}

void LiquidModelFile::to_decision(const float* y, float* decision) const {
  const int n = model->output_size();
  switch (output) {
    case LiquidOutputKind::kValues:
      std::copy_n(y, n, decision);
      break;
    case LiquidOutputKind::kSoftmax: {
      const float top = *std::max_element(y, y + n);  // keeps exp() finite for any logits
      float sum = 0.0f;
      for (int i = 0; i < n; ++i) sum += decision[i] = std::exp(y[i] - top);
      for (int i = 0; i < n; ++i) decision[i] /= sum;
      break;
    }
    case LiquidOutputKind::kSigmoid:
      decision[1] = 1.0f / (1.0f + std::exp(-y[0]));
      decision[0] = 1.0f - decision[1];
      break;
  }
}

LiquidModelFile liquid_load_model_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw std::runtime_error("model file '" + path + "' does not exist");
  LiquidModelFile f;
  f.path = path;
  f.model = std::make_shared<const liquid::lfm::Model>(liquid::lfm::Model::load(path));
  const auto file = liquid::lfm::SafetensorsFile::read_file(path);
  const auto& meta = file.metadata();
  const int outputs = f.model->output_size();
  std::vector<std::string> classes;
  if (auto it = meta.find("liquid.classes"); it != meta.end())
    classes = nlohmann::json::parse(it->second).get<std::vector<std::string>>();
  const auto loss = meta.find("liquid.loss");
  const bool bce = loss != meta.end() && loss->second == "bce";
  if (bce && outputs == 1) {
    f.output = LiquidOutputKind::kSigmoid;
    if (classes.size() != 2) classes.clear();
  } else if (!classes.empty() && int(classes.size()) == outputs) {
    f.output = LiquidOutputKind::kSoftmax;
  } else if (!classes.empty()) {
    f.warning = path + " names " + std::to_string(classes.size()) + " classes but has " + std::to_string(outputs) +
                " outputs; giving raw values";
    classes.clear();
  }
  f.classes = std::move(classes);
  // A model trained by `liquid train` saw normalised features; so must the cell.
  if (const auto norm = liquid::lfm::read_model_normalization(file)) {
    if (int(norm->mean.size()) != f.model->input_size())
      throw std::runtime_error(path + ": liquid.normalization has " + std::to_string(norm->mean.size()) +
                               " features but the model takes " + std::to_string(f.model->input_size()));
    f.mean = norm->mean;
    f.std = norm->std;
  }
  return f;
}
