// The fusion heads liquidfusion can use (pipeline::LinearHead over every pad's latest cell output,
// concatenated in pad order):
//   a head file   tensors "weight" [names, inputs] and "bias" [names] (inputs = the sum of every
//                 pad's model outputs), optional metadata "liquid.head" = {"kind": "classes" |
//                 "values", "names": [...]}, else "liquid.classes" (then the kind is classes);
//                 the same file `liquid stream` reads for {"fusion": {"head": "file"}}
//   no head file  the mean of every pad's output (all pads' models must have as many outputs),
//                 softmax over the first model's classes when it names them, else raw values
#pragma once

#include <memory>
#include <span>
#include <string>

#include "pipeline/fusion.h"
#include "plugins/liquid_model_file.h"

// Throws std::runtime_error naming the file, the tensor and the sizes expected and found.
std::unique_ptr<liquid::pipeline::LinearHead> liquid_load_fusion_head(const std::string& path, int inputs);

// Throws std::runtime_error naming the first pad whose model has a different number of outputs.
std::unique_ptr<liquid::pipeline::LinearHead> liquid_mean_fusion_head(std::span<const LiquidModelFile* const> pads,
                                                                      std::span<const std::string> pad_names);
