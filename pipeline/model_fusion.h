// A liquid model as the fusion model: every stream's latest output, concatenated in stream order,
// is one token (one input row) of a model file's network (a backbone, a CfC or an LTC), stepped
// across the real time between decisions, so its state (a backbone's conv windows, KV caches and
// liquid units; a cell's neurons) carries from one decision to the next. The fusion of issue 9:
// the streams' cells feed a shared backbone.
//
//   "fusion": {"head": "model", "path": "fusion.safetensors", "context": 8192}
//
// Its outputs are the decision's values: a softmax over them when the file lists liquid.classes
// (or "kind": "classes"), as they are otherwise. A backbone with full attention holds `context`
// decisions; past them evaluate() throws (windowed attention, conv and liquid units are bounded).
// The state goes into engine checkpoints (state()/set_state()).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lfm/model.h"
#include "pipeline/fusion.h"

namespace liquid::pipeline {

class ModelFusion : public FusionModel {
 public:
  ModelFusion(std::shared_ptr<const lfm::Model> model, HeadKind kind, std::vector<std::string> names,
              int64_t context = lfm::Model::kDefaultContext);

  HeadKind kind() const override { return kind_; }
  const std::vector<std::string>& names() const override { return names_; }
  int input_size() const override { return model_->input_size(); }
  void evaluate(double time, std::span<const float> input, std::span<const unsigned char> fresh,
                std::span<float> out) override;
  std::vector<double> state() const override;
  void set_state(std::span<const double> state) override;

  const lfm::Model& model() const { return *model_; }
  int64_t steps() const { return steps_; }  // decisions since the start

 private:
  std::shared_ptr<const lfm::Model> model_;
  HeadKind kind_;
  std::vector<std::string> names_;
  int64_t context_;
  lfm::ModelState state_;
  lfm::ModelWorkspace ws_;
  std::vector<float> y_;
  double last_time_ = 0.0;
  int64_t steps_ = 0;
};

}  // namespace liquid::pipeline
