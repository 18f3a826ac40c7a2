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
  // Used only by backward(), which sizes them on first use (forward-only users pay nothing).
  Eigen::MatrixXf d_heads;        // dL/d(head pre-activations), rows as `heads`
  Eigen::MatrixXf d_heads_w;      // dL/d(stacked head weights) before the split and the mask
  Eigen::MatrixXf d_backbone[2];  // dL/d(backbone layer output), ping-pong
  Eigen::MatrixXf d_cat;          // dL/d[x; h]
};

// What backward() needs from one forward step of a batch; one tape per step for BPTT.
struct CfcTape {
  Eigen::MatrixXf cat;                       // [x; h_prev], (input + units) x batch
  std::vector<Eigen::MatrixXf> backbone_pre;   // per backbone layer: W z + b
  std::vector<Eigen::MatrixXf> backbone_post;  // per backbone layer: act(W z + b)
  // After the step: [tanh ff1; tanh ff2; t_interp; t_b pre] (default/no_gate), raw ff1 (pure).
  Eigen::MatrixXf heads;
  Eigen::RowVectorXf ts;
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

  // Training: forward_taped records one step, backward takes it back (one step of BPTT).
  void resize_tape(CfcTape& tape, int batch) const;
  // Same result as forward(), bit for bit, and keeps what backward() needs. tape sized for the batch.
  void forward_taped(const Eigen::Ref<const Eigen::MatrixXf>& x, Eigen::Ref<Eigen::MatrixXf> h,
                     const Eigen::Ref<const Eigen::RowVectorXf>& ts, CfcWorkspace& ws, CfcTape& tape) const noexcept;
  // Given dL/dh_new (units x batch), ADDS parameter gradients into `grads` (a cell of the same
  // configuration whose parameter matrices hold gradients, ncps's names and layout; its sparsity
  // mask is left untouched, it is not trainable) and WRITES dL/dh_prev (units x batch) and dL/dx
  // (input_size x batch). d_h_prev may alias d_h_new. Allocates only on the first call per size.
  void backward(const CfcTape& tape, const Eigen::Ref<const Eigen::MatrixXf>& d_h_new,
                Eigen::Ref<Eigen::MatrixXf> d_h_prev, Eigen::Ref<Eigen::MatrixXf> d_x,
                CfcCell& grads, CfcWorkspace& ws) const;

 private:
  // The part of the step after the head product, shared by forward() and forward_taped():
  // turns `heads` (pre-activations) into what CfcTape::heads documents and writes h.
  void finish_heads(Eigen::MatrixXf& heads, Eigen::Ref<Eigen::MatrixXf> h,
                    const Eigen::Ref<const Eigen::RowVectorXf>& ts) const noexcept;

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
