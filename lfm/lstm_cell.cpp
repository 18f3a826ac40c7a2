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

void LstmCell::forward_taped(const Eigen::Ref<const Eigen::MatrixXf>& x, Eigen::Ref<Eigen::MatrixXf> h,
                             Eigen::Ref<Eigen::MatrixXf> c, LstmWorkspace& ws, LstmTape& tape) const {
  const int u = units_;
  tape.x = x;
  tape.h = h;
  tape.c = c;
  forward(x, h, c, ws);
  tape.gates.resize(4 * u, x.cols());
  tape.gates.topRows(u) = ws.z.topRows(u).array().tanh();
  tape.gates.middleRows(u, u) = ws.z.middleRows(u, u).array().logistic();
  tape.gates.middleRows(2 * u, u) = (ws.z.middleRows(2 * u, u).array() + 1.0f).logistic();
  tape.gates.middleRows(3 * u, u) = ws.z.middleRows(3 * u, u).array().logistic();
  tape.tanh_c_new = c.array().tanh();
}

void LstmCell::backward(const LstmTape& tape, const Eigen::Ref<const Eigen::MatrixXf>& d_h_new,
                        const Eigen::Ref<const Eigen::MatrixXf>& d_c_new, Eigen::Ref<Eigen::MatrixXf> d_h,
                        Eigen::Ref<Eigen::MatrixXf> d_c, Eigen::Ref<Eigen::MatrixXf> d_x, LstmCell& grads) const {
  const int u = units_;
  const auto act = tape.gates.topRows(u).array();
  const auto in_gate = tape.gates.middleRows(u, u).array();
  const auto forget = tape.gates.middleRows(2 * u, u).array();
  const auto out_gate = tape.gates.middleRows(3 * u, u).array();
  const auto tanh_c = tape.tanh_c_new.array();
  // h' = tanh(c') og: c' collects the gradient from h' and from the next step's c.
  const Eigen::ArrayXXf d_c_total = d_c_new.array() + d_h_new.array() * out_gate * (1.0f - tanh_c.square());
  // Pre-activation gradients: tanh' = 1 - tanh^2, sigmoid' = s (1 - s).
  Eigen::MatrixXf d_z(4 * u, tape.x.cols());
  d_z.topRows(u) = (d_c_total * in_gate * (1.0f - act.square())).matrix();
  d_z.middleRows(u, u) = (d_c_total * act * in_gate * (1.0f - in_gate)).matrix();
  d_z.middleRows(2 * u, u) = (d_c_total * tape.c.array() * forget * (1.0f - forget)).matrix();
  d_z.middleRows(3 * u, u) = (d_h_new.array() * tanh_c * out_gate * (1.0f - out_gate)).matrix();
  d_c = (d_c_total * forget).matrix();
  grads.input_w_.noalias() += d_z * tape.x.transpose();
  grads.input_b_.col(0) += d_z.rowwise().sum();
  grads.recurrent_w_.noalias() += d_z * tape.h.transpose();
  d_x.noalias() = input_w_.transpose() * d_z;
  d_h.noalias() = recurrent_w_.transpose() * d_z;
}

}  // namespace liquid::lfm
