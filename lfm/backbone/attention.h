// Grouped-query attention as LFM2's Lfm2Attention: per-head RMS QK-norm, then rotary positions,
// causal, optionally a sliding window of w tokens (the token itself and the w-1 before it).
//
//   q = Wq x (H heads), k = Wk x, v = Wv x (G kv heads; head h reads kv head h / (H/G))
//   q̂ = RoPE_t(rms(q_h) ⊙ w_q),  k̂ = RoPE_u(rms(k_g) ⊙ w_k)     (norm weights shared over heads)
//   p_tu = softmax_u(q̂_t·k̂_u / sqrt(hd)) over u ≤ t, t - u < w;   o_t = Σ_u p_tu v_u;   y = Wo o
// RoPE (rotate-half, as HF): for i < hd/2, angle θ_i t with θ_i = base^(-2i/hd):
//   (a, b) = (v_i, v_{i+hd/2}) -> (a cos - b sin, b cos + a sin); its backward rotates by -angle.
// Softmax backward: dS = P ⊙ (dP - rowsum(dP ⊙ P)).
//
// Step face: a KV cache of min(window, max_context) tokens per kv head (2 G hd floats per token),
// written as a ring; a full-attention stream longer than max_context is an error, not a silent drop.
#pragma once

#include "lfm/backbone/layer.h"

namespace liquid::lfm::backbone {

struct AttentionConfig {
  int d = 0;
  int heads = 1;
  int kv_heads = 1;
  int head_dim = 0;
  int window = 0;             // 0: full causal attention
  double rope_base = 1e6;     // LFM2's rope_theta
};

template <class S>
class Attention final : public Layer<S> {
 public:
  explicit Attention(const AttentionConfig& config);  // throws std::invalid_argument naming the field
  void init(uint64_t seed);
  const AttentionConfig& config() const { return c_; }

  std::string_view kind() const override { return "attn"; }
  void visit(const std::string& prefix, const ParamFn<S>& fn) override;
  std::unique_ptr<Layer<S>> zeros_like() const override;

  std::unique_ptr<LayerTape> new_tape() const override;
  void forward(const Mat<S>& x, const Seq<S>& seq, Mat<S>& y, LayerTape& tape) const override;
  void backward(const LayerTape& tape, const Mat<S>& dy, Mat<S>& dx, Layer<S>& grads) const override;

  std::unique_ptr<LayerState> new_state(int64_t max_context) const override;
  void step(const Vec<S>& x, S dt, LayerState& state, Vec<S>& y) const override;

  Mat<S> q_proj, k_proj, v_proj, o_proj;  // (H hd x d), (G hd x d), (G hd x d), (d x H hd)
  Mat<S> q_norm, k_norm;                  // (hd x 1) each

 private:
  // Rotates column v (length H' hd, heads stacked) in place to position pos; sign -1 undoes it.
  void rope(S* v, int n_heads, int64_t pos, int sign) const;

  AttentionConfig c_;
  Eigen::ArrayXd inv_freq_;  // θ_i, in double so long positions keep their angle
};

}  // namespace liquid::lfm::backbone
