// LFM2's gated short convolution (HF Lfm2ShortConv, the "double-gated LIV convolution"):
//
//   [B; C; x̃] = W_in x                 (in_proj: d -> 3d, no bias)
//   u_t = B_t ⊙ x̃_t                      (input gate)
//   c_t = Σ_{j<k} K_j ⊙ u_{t-(k-1)+j}     (causal depthwise conv, kernel k, zero before the start)
//   y_t = W_out (C_t ⊙ c_t)              (output gate, out_proj: d -> d, no bias)
//
// Step face: the state is the last k-1 gated inputs u (d x (k-1) floats per stream), independent of
// the context length. The conv weight is stored as torch's Conv1d (d, 1, k): a d x k matrix.
#pragma once

#include "lfm/backbone/layer.h"

namespace liquid::lfm::backbone {

template <class S>
class GatedConv final : public Layer<S> {
 public:
  GatedConv(int d, int kernel);
  void init(uint64_t seed);

  std::string_view kind() const override { return "conv"; }
  void visit(const std::string& prefix, const ParamFn<S>& fn) override;
  std::unique_ptr<Layer<S>> zeros_like() const override;

  std::unique_ptr<LayerTape> new_tape() const override;
  void forward(const Mat<S>& x, const Seq<S>& seq, Mat<S>& y, LayerTape& tape) const override;
  void backward(const LayerTape& tape, const Mat<S>& dy, Mat<S>& dx, Layer<S>& grads) const override;

  std::unique_ptr<LayerState> new_state(int64_t max_context) const override;
  void step(const Vec<S>& x, S dt, LayerState& state, Vec<S>& y) const override;

  Mat<S> in_proj, conv, out_proj;  // (3d x d), (d x k), (d x d)

 private:
  int d_, k_;
};

}  // namespace liquid::lfm::backbone
