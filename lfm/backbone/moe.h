// Mixture-of-experts MLP as Mixtral (Jiang et al. 2024) with Switch's load-balancing loss
// (Fedus et al. 2021):
//
//   p = softmax(W_r x)                    (router over E experts, no bias)
//   K = top-k(p),  g_e = p_e / Σ_{j∈K} p_j  (gate renormalised over the chosen k)
//   y = Σ_{e∈K} g_e SwiGLU_e(x)
//   aux = α E Σ_e f_e P_e,   f_e = share of the N·k routing slots that went to e (no gradient),
//                            P_e = mean over tokens of p_e
//   backward: dg_e = dy·SwiGLU_e(x); dp_e = (dg_e - Σ_{j∈K} dg_j g_j) / Σ_K p  (e ∈ K)
//             + α E f_e / N (every e); dlogits = p ⊙ (dp - p·dp).
// Total parameters: E d + E·3 d f; active per token: E d + k·3 d f. Stateless on the step face.
#pragma once

#include <vector>

#include "lfm/backbone/swiglu.h"

namespace liquid::lfm::backbone {

template <class S>
class Moe final : public Layer<S> {
 public:
  Moe(int d, int experts, int top_k, int hidden, double aux_weight = 0.01);
  void init(uint64_t seed);

  std::string_view kind() const override { return "moe"; }
  void visit(const std::string& prefix, const ParamFn<S>& fn) override;
  std::unique_ptr<Layer<S>> zeros_like() const override;

  std::unique_ptr<LayerTape> new_tape() const override;
  void forward(const Mat<S>& x, const Seq<S>& seq, Mat<S>& y, LayerTape& tape) const override;
  void backward(const LayerTape& tape, const Mat<S>& dy, Mat<S>& dx, Layer<S>& grads) const override;
  S aux_loss(const LayerTape& tape) const override;  // α E Σ f P of the last forward

  std::unique_ptr<LayerState> new_state(int64_t max_context) const override;
  void step(const Vec<S>& x, S dt, LayerState& state, Vec<S>& y) const override;

  Mat<S> router;  // E x d
  std::vector<std::unique_ptr<SwiGlu<S>>> experts;

 private:
  // Writes the k chosen experts of p (descending) into top, and returns Σ_K p.
  S choose(const Eigen::Ref<const Vec<S>>& p, int* top, int* scratch) const;
  int d_, e_, k_, f_;
  double aux_weight_;
};

}  // namespace liquid::lfm::backbone
