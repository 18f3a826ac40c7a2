#include "lfm/backbone/network.h"

#include <random>
#include <stdexcept>
#include <vector>

namespace liquid::lfm::backbone {

BackboneNet::BackboneNet(int inputs, const Genome& genome, int outputs) {
  if (inputs < 1) throw std::invalid_argument("backbone model: input_size must be >= 1, got " + std::to_string(inputs));
  if (outputs < 1)
    throw std::invalid_argument("backbone model: output_size must be >= 1, got " + std::to_string(outputs));
  backbone_ = std::make_unique<Backbone<float>>(genome, 0);
  in_w_.resize(genome.d, inputs);
  in_b_.resize(genome.d, 1);
  out_w_.resize(outputs, genome.d);
  out_b_.resize(outputs, 1);
  init_weights(0);
}

BackboneNet::BackboneNet(const BackboneNet& other)
    : in_w_(other.in_w_), in_b_(other.in_b_), out_w_(other.out_w_), out_b_(other.out_b_) {
  // zeros_like() builds the same units; the values are then copied parameter by parameter.
  backbone_.reset(static_cast<Backbone<float>*>(other.backbone_->zeros_like().release()));
  std::vector<Eigen::MatrixXf*> values;
  other.backbone_->visit("", [&](const std::string&, const Shape&, Mat<float>& v) { values.push_back(&v); });
  size_t i = 0;
  backbone_->visit("", [&](const std::string&, const Shape&, Mat<float>& v) { v = *values[i++]; });
  backbone_->prepare();
}

BackboneNet& BackboneNet::operator=(const BackboneNet& other) {
  if (this != &other) *this = BackboneNet(other);
  return *this;
}

void BackboneNet::init_weights(uint64_t seed) {
  backbone_ = std::make_unique<Backbone<float>>(backbone_->genome(), seed);
  std::mt19937_64 rng(seed ^ 0x5bd1e9955bd1e995ULL);
  const double in_bound = 1.0 / std::sqrt(double(in_w_.cols())), out_bound = 1.0 / std::sqrt(double(out_w_.cols()));
  init_uniform<float>(in_w_, in_bound, rng);
  init_uniform<float>(in_b_, in_bound, rng);
  init_uniform<float>(out_w_, out_bound, rng);
  init_uniform<float>(out_b_, out_bound, rng);
}

void BackboneNet::for_each_parameter(const std::string& prefix, const ParamVisitor& visit) {
  visit({prefix + "in_proj.weight", {in_w_.rows(), in_w_.cols()}, &in_w_, true});
  visit({prefix + "in_proj.bias", {in_b_.rows()}, &in_b_, true});
  backbone_->for_each_parameter(prefix + "backbone.", visit);
  visit({prefix + "out_proj.weight", {out_w_.rows(), out_w_.cols()}, &out_w_, true});
  visit({prefix + "out_proj.bias", {out_b_.rows()}, &out_b_, true});
}

BackboneNet::Tape BackboneNet::new_tape() const {
  Tape tape;
  tape.backbone = backbone_->new_tape();
  return tape;
}

double BackboneNet::forward(const float* input, const float* timespans, int batch, int steps, float* output,
                            Tape& tape, float aux_scale) const {
  const Eigen::Index n = Eigen::Index(batch) * steps;
  if (!tape.backbone) tape.backbone = backbone_->new_tape();
  tape.batch = batch;
  tape.steps = steps;
  tape.u.noalias() = in_w_ * Eigen::Map<const Eigen::MatrixXf>(input, in_w_.cols(), n);
  tape.u.colwise() += in_b_.col(0);
  tape.dt = Eigen::Map<const Eigen::RowVectorXf>(timespans, n);
  backbone_->forward(tape.u, Seq<float>{batch, steps, &tape.dt, aux_scale}, tape.v, *tape.backbone);
  Eigen::Map<Eigen::MatrixXf> y(output, out_w_.rows(), n);
  y.noalias() = out_w_ * tape.v;
  y.colwise() += out_b_.col(0);
  return backbone_->aux_loss(*tape.backbone);
}

void BackboneNet::backward(Tape& tape, const float* input, const float* d_output, BackboneNet& grads) const {
  const Eigen::Index n = Eigen::Index(tape.batch) * tape.steps;
  const Eigen::Map<const Eigen::MatrixXf> dy(d_output, out_w_.rows(), n), x(input, in_w_.cols(), n);
  grads.out_w_.noalias() += dy * tape.v.transpose();
  grads.out_b_.col(0) += dy.rowwise().sum();
  tape.dv.noalias() = out_w_.transpose() * dy;
  backbone_->backward(*tape.backbone, tape.dv, tape.du, *grads.backbone_);
  grads.in_w_.noalias() += tape.du * x.transpose();
  grads.in_b_.col(0) += tape.du.rowwise().sum();
}

BackboneNet::Workspace BackboneNet::make_workspace() const {
  return {Eigen::VectorXf::Zero(width()), Eigen::VectorXf::Zero(width())};
}

void BackboneNet::step(const float* x, float dt, LayerState& state, float* y, Workspace& ws) const {
  ws.u.noalias() = in_w_ * Eigen::Map<const Eigen::VectorXf>(x, in_w_.cols());
  ws.u += in_b_.col(0);
  backbone_->step(ws.u, dt, state, ws.v);
  Eigen::Map<Eigen::VectorXf> out(y, out_w_.rows());
  out.noalias() = out_w_ * ws.v;
  out += out_b_.col(0);
}

}  // namespace liquid::lfm::backbone
