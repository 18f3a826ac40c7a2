// The LSTM memory cell that ncps's mixed_memory=True runs before the CfC/LTC cell (Lechner &
// Hasani 2020, arXiv:2006.04418), with ncps's gate order and its +1 forget-gate bias:
//
//   [i; ig; fg; og] = W_in x + b_in + W_rec h
//   c' = c sigmoid(fg + 1) + tanh(i) sigmoid(ig)
//   h' = tanh(c') sigmoid(og)
#pragma once

#include <Eigen/Core>
#include <string>

#include "lfm/parameter.h"

namespace liquid::lfm {

struct LstmWorkspace {
  Eigen::MatrixXf z;  // 4 units x batch
};

// What backward() needs from one forward step: the inputs and the gate activations.
struct LstmTape {
  Eigen::MatrixXf x, h, c;      // the step's inputs
  Eigen::MatrixXf gates;        // [tanh(i); sigmoid(ig); sigmoid(fg + 1); sigmoid(og)]
  Eigen::MatrixXf tanh_c_new;   // tanh(c')
};

class LstmCell {
 public:
  LstmCell(int input_size, int units);

  int units() const { return units_; }
  void for_each_parameter(const std::string& prefix, const ParamVisitor& visit);
  void init_weights(uint64_t seed);
  void resize_workspace(LstmWorkspace& ws, int batch) const { ws.z.resize(4 * units_, batch); }
  // h and c (units x batch) are updated in place.
  void forward(const Eigen::Ref<const Eigen::MatrixXf>& x, Eigen::Ref<Eigen::MatrixXf> h,
               Eigen::Ref<Eigen::MatrixXf> c, LstmWorkspace& ws) const noexcept;
  // forward() that keeps what backward() needs.
  void forward_taped(const Eigen::Ref<const Eigen::MatrixXf>& x, Eigen::Ref<Eigen::MatrixXf> h,
                     Eigen::Ref<Eigen::MatrixXf> c, LstmWorkspace& ws, LstmTape& tape) const;
  // Given dL/dh' and dL/dc', adds parameter gradients into `grads` (same shapes) and writes dL/dh,
  // dL/dc and dL/dx of the step's inputs.
  void backward(const LstmTape& tape, const Eigen::Ref<const Eigen::MatrixXf>& d_h_new,
                const Eigen::Ref<const Eigen::MatrixXf>& d_c_new, Eigen::Ref<Eigen::MatrixXf> d_h,
                Eigen::Ref<Eigen::MatrixXf> d_c, Eigen::Ref<Eigen::MatrixXf> d_x, LstmCell& grads) const;

 private:
  int input_size_, units_;
  Eigen::MatrixXf input_w_, input_b_, recurrent_w_;
};

}  // namespace liquid::lfm
