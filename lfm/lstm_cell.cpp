#include "lfm/lstm_cell.h"

#include <cmath>
#include <random>

namespace liquid::lfm {

LstmCell::LstmCell(int input_size, int units)
    : input_size_(input_size),
      units_(units),
      input_w_(Eigen::MatrixXf::Zero(4 * units, input_size)),
      input_b_(Eigen::MatrixXf::Zero(4 * units, 1)),
      recurrent_w_(Eigen::MatrixXf::Zero(4 * units, units)) {}

void LstmCell::for_each_parameter(const std::string& prefix, const ParamVisitor& visit) {
  visit({prefix + "input_map.weight", {input_w_.rows(), input_w_.cols()}, &input_w_, true});
  visit({prefix + "input_map.bias", {input_b_.rows()}, &input_b_, true});
  visit({prefix + "recurrent_map.weight", {recurrent_w_.rows(), recurrent_w_.cols()}, &recurrent_w_, true});
}

void LstmCell::init_weights(uint64_t seed) {
  // ncps: Xavier-uniform input weights, biases U(-0.1, 0.1), orthogonal recurrent weights. We use
  // Xavier for the recurrent map too: orthogonality only matters at the start of training.
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto xavier = [&](Eigen::MatrixXf& w) {
    const float bound = std::sqrt(6.0f / static_cast<float>(w.rows() + w.cols()));
    for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = bound * dist(rng);
  };
  xavier(input_w_);
  xavier(recurrent_w_);
  for (Eigen::Index i = 0; i < input_b_.size(); ++i) input_b_.data()[i] = 0.1f * dist(rng);
}

void LstmCell::forward(const Eigen::Ref<const Eigen::MatrixXf>& x, Eigen::Ref<Eigen::MatrixXf> h,
                       Eigen::Ref<Eigen::MatrixXf> c, LstmWorkspace& ws) const noexcept {
  const int u = units_;
  ws.z.noalias() = input_w_ * x;
  ws.z.colwise() += input_b_.col(0);
  ws.z.noalias() += recurrent_w_ * h;
  auto input_activation = ws.z.topRows(u).array().tanh();
  auto input_gate = ws.z.middleRows(u, u).array().logistic();
  auto forget_gate = (ws.z.middleRows(2 * u, u).array() + 1.0f).logistic();
  auto output_gate = ws.z.middleRows(3 * u, u).array().logistic();
  c.array() = c.array() * forget_gate + input_activation * input_gate;
  h.array() = c.array().tanh() * output_gate;
}

}  // namespace liquid::lfm
