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

 private:
  int input_size_, units_;
  Eigen::MatrixXf input_w_, input_b_, recurrent_w_;
};

}  // namespace liquid::lfm
