// Closed-form continuous-time (CfC) cell, as ncps's CfCCell (Hasani et al. 2022, arXiv:2106.13898).
//
//   z        = backbone([x; h])                       (backbone_layers Linear + activation; none if 0)
//   ff1, ff2 = tanh(W_ff1 z + b), tanh(W_ff2 z + b)
//   t_interp = sigmoid(t_a * ts + t_b),  t_a = W_ta z + b, t_b = W_tb z + b   (ts: elapsed seconds)
//   default: h' = ff1 (1 - t_interp) + t_interp ff2
//   no_gate: h' = ff1 + t_interp ff2
//   pure:    h' = -A exp(-ts (|w_tau| + |ff1|)) ff1 + A     (ff1 without tanh)
//
// A wired layer (WiredCfC) passes a sparsity mask that multiplies W_ff1 and W_ff2 (not t_a, t_b).
#pragma once

#include <Eigen/Core>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lfm/activation.h"
#include "lfm/parameter.h"

namespace liquid::lfm {

enum class CfcMode { kDefault, kNoGate, kPure };
CfcMode parse_cfc_mode(std::string_view name);
std::string_view cfc_mode_name(CfcMode m);

struct CfcConfig {
  int input_size = 0;
  int units = 0;
  CfcMode mode = CfcMode::kDefault;
  Activation activation = Activation::kLecunTanh;
  int backbone_units = 128;
  int backbone_layers = 1;
};

// Scratch for a batch of `batch` columns; sized once so forward() allocates nothing.
struct CfcWorkspace {
  Eigen::MatrixXf cat;            // [x; h], (input + units) x batch
  Eigen::MatrixXf backbone[2];    // ping-pong between backbone layers
  Eigen::MatrixXf heads;          // stacked [ff1; ff2; t_a; t_b] pre-activations
};

class CfcCell {
 public:
  // sparsity_mask: optional (units x (input_size + units)) 0/1 mask on ff1 and ff2 (wired layers).
  explicit CfcCell(const CfcConfig& config, std::optional<Eigen::MatrixXf> sparsity_mask = std::nullopt);

  const CfcConfig& config() const { return config_; }
  int head_input_size() const;  // width of z

  // Visits every parameter under `prefix` (e.g. "rnn_cell.") with ncps's names.
  void for_each_parameter(const std::string& prefix, const ParamVisitor& visit);
  // Rebuilds the stacked, masked head matrix; call after parameters change.
  void prepare();
  // Xavier-uniform weights and zero biases as ncps's init_weights (A = 1, w_tau = 0 before Xavier).
  void init_weights(uint64_t seed);

  void resize_workspace(CfcWorkspace& ws, int batch) const;
  // h (units x batch) is replaced by the new state; x is input_size x batch; ts holds each column's
  // elapsed time in seconds. ws must be sized for this batch.
  void forward(const Eigen::Ref<const Eigen::MatrixXf>& x, Eigen::Ref<Eigen::MatrixXf> h,
               const Eigen::Ref<const Eigen::RowVectorXf>& ts, CfcWorkspace& ws) const noexcept;

 private:
  CfcConfig config_;
  std::optional<Eigen::MatrixXf> sparsity_mask_;
  std::vector<Eigen::MatrixXf> backbone_w_, backbone_b_;
  Eigen::MatrixXf ff1_w_, ff1_b_, ff2_w_, ff2_b_, time_a_w_, time_a_b_, time_b_w_, time_b_b_;
  Eigen::MatrixXf w_tau_, a_;  // pure mode, shape [1, units]
  // Derived by prepare(): one product gives every head (4 x units rows; units in pure mode).
  Eigen::MatrixXf heads_w_;
  Eigen::VectorXf heads_b_;
  Eigen::ArrayXf pure_a_, pure_abs_w_tau_;
};

}  // namespace liquid::lfm
