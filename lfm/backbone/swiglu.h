// SwiGLU MLP (Shazeer 2020; LFM2's Lfm2MLP), per token, no bias:
//
//   a = W1 x,  g = W3 x,  h = silu(a) ⊙ g,  y = W2 h          (W1, W3: f x d; W2: d x f)
//   backward: dh = W2ᵀ dy,  da = dh ⊙ g ⊙ silu'(a),  dg = dh ⊙ silu(a),
//             silu'(a) = σ(a) (1 + a (1 - σ(a))),  dx = W1ᵀ da + W3ᵀ dg.
//
// Stateless: its step state holds only scratch. The MoE MLP reuses it as an expert.
#pragma once

#include "lfm/backbone/layer.h"

namespace liquid::lfm::backbone {

template <class S>
class SwiGlu final : public Layer<S> {
 public:
  SwiGlu(int d, int hidden);
  void init(uint64_t seed);
  int hidden() const { return f_; }

  std::string_view kind() const override { return "mlp"; }
  void visit(const std::string& prefix, const ParamFn<S>& fn) override;
  std::unique_ptr<Layer<S>> zeros_like() const override;

  std::unique_ptr<LayerTape> new_tape() const override;
  void forward(const Mat<S>& x, const Seq<S>& seq, Mat<S>& y, LayerTape& tape) const override;
  void backward(const LayerTape& tape, const Mat<S>& dy, Mat<S>& dx, Layer<S>& grads) const override;

  std::unique_ptr<LayerState> new_state(int64_t max_context) const override;
  void step(const Vec<S>& x, S dt, LayerState& state, Vec<S>& y) const override;

  Mat<S> w1, w3, w2;

 private:
  int d_, f_;
};

}  // namespace liquid::lfm::backbone
