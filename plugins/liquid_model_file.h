// A liquid model file as the elements that run cells read it (liquidcell, liquidfusion): the model,
// what its metadata says about the outputs (class names, softmax or sigmoid), and the feature
// normalisation it was trained with. Kept in one place so every element reads a file the same way.
//
// Metadata read ("liquid train" writes it):
//   liquid.classes        JSON list of class names: the outputs are logits of those classes
//   liquid.loss           "bce" with one output: a binary logit (decision = [P(0), P(1)])
//   liquid.normalization  the training split's feature mean and std: inputs are (x - mean) / std
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lfm/model.h"

enum class LiquidOutputKind {
  kValues,   // raw outputs
  kSoftmax,  // one logit per class name
  kSigmoid,  // one binary logit
};

struct LiquidModelFile {
  std::string path;
  std::shared_ptr<const liquid::lfm::Model> model;
  std::vector<std::string> classes;  // as many as decision_width(), or empty
  LiquidOutputKind output = LiquidOutputKind::kValues;
  std::vector<float> mean, std;  // empty: the model takes the features as they come
  std::string warning;           // a metadata oddity worth a GST_WARNING, or empty

  // Floats of the decision the model's outputs become (2 for a binary logit).
  int decision_width() const;
  // `features` normalised into `scratch` (input_size floats), or `features` itself without statistics.
  const float* normalize(const float* features, float* scratch) const;
  // The model's outputs `y` as the decision: copied, softmax or sigmoid.
  void to_decision(const float* y, float* decision) const;
};

// Reads `path`. Throws std::runtime_error naming the file when it is missing, is not a model, or its
// normalisation does not fit the model's inputs.
LiquidModelFile liquid_load_model_file(const std::string& path);
