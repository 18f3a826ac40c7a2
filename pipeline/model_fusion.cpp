// A model file's network as the fusion model (model_fusion.h).
#include "pipeline/model_fusion.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace liquid::pipeline {

ModelFusion::ModelFusion(std::shared_ptr<const lfm::Model> model, HeadKind kind, std::vector<std::string> names,
                         int64_t context)
    : model_(std::move(model)), kind_(kind), names_(std::move(names)), context_(context) {
  if (!model_) throw std::invalid_argument("ModelFusion: no model");
  if (names_.empty())
    for (int k = 0; k < model_->output_size(); ++k) names_.push_back(std::string("y").append(std::to_string(k)));
  if (static_cast<int>(names_.size()) != model_->output_size())
    throw std::invalid_argument("ModelFusion: " + std::to_string(names_.size()) + " names for a model of " +
                                std::to_string(model_->output_size()) + " outputs");
  state_ = model_->initial_state(context);
  ws_ = model_->make_workspace(1);
  y_.resize(size_t(model_->output_size()));
}

void ModelFusion::evaluate(double time, std::span<const float> input, std::span<const unsigned char>,
                           std::span<float> out) {
  // The first decision starts the state (dt 0, as a stream's first sample); a decision at the same
  // time as the last one is a step of dt 0, not a replacement: the token still enters the state.
  const double dt = steps_ == 0 ? 0.0 : std::max(0.0, time - last_time_);
  model_->step(input.data(), dt, state_, y_.data(), ws_);
  last_time_ = time;
  ++steps_;
  if (kind_ == HeadKind::kValues) {
    std::copy(y_.begin(), y_.end(), out.begin());
    return;
  }
  const float top = *std::max_element(y_.begin(), y_.end());
  float sum = 0.0f;
  for (size_t k = 0; k < y_.size(); ++k) sum += out[k] = std::exp(y_[k] - top);
  for (float& v : out) v /= sum;
}

std::vector<double> ModelFusion::state() const {
  std::vector<double> s = {double(steps_), last_time_};
  const std::vector<double> m = model_->save_state(state_);
  s.insert(s.end(), m.begin(), m.end());
  return s;
}

void ModelFusion::set_state(std::span<const double> s) {
  if (s.size() < 2) throw std::invalid_argument("model fusion state: expected at least 2 values, got " + std::to_string(s.size()));
  lfm::ModelState restored = model_->initial_state(context_);  // so a refusal changes nothing
  model_->restore_state(s.subspan(2), restored);
  state_ = std::move(restored);
  steps_ = static_cast<int64_t>(s[0]);
  last_time_ = s[1];
}

}  // namespace liquid::pipeline
