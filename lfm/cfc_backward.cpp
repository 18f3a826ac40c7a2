// One step of backpropagation through time for CfcCell and WiredCfcCell: the taped forward and the
// hand-written backward. Gradients follow PyTorch autograd on ncps's modules (see cfc_cell.h).
#include <cmath>

#include "lfm/cfc_cell.h"
#include "lfm/wired_cfc_cell.h"

namespace liquid::lfm {
namespace {

// g <- g * act'(pre), given pre = the activation's input and post = act(pre).
//   lecun_tanh: 1.7159 * 0.666 * (1 - tanh²(0.666 x)), tanh(0.666 x) = post / 1.7159
//   silu: s (1 + x (1 - s)), s = sigmoid(x)       relu: 1 if x > 0 else 0 (torch's choice at 0)
//   tanh: 1 - post²                               gelu: Phi(x) + x phi(x) (exact erf form)
void multiply_activation_derivative(Activation a, const Eigen::MatrixXf& pre, const Eigen::MatrixXf& post,
                                    Eigen::MatrixXf& g) {
  auto d = g.array();
  switch (a) {
    case Activation::kLecunTanh: {
      constexpr float kScale = 1.7159f, kSlope = 0.666f;
      d *= (kScale * kSlope) * (1.0f - (post.array() * (1.0f / kScale)).square());
      break;
    }
    case Activation::kSilu: {
      const auto x = pre.array();
      d *= x.logistic() * (1.0f + x * (1.0f - x.logistic()));
      break;
    }
    case Activation::kRelu: d = (pre.array() > 0.0f).select(d, 0.0f); break;
    case Activation::kTanh: d *= 1.0f - post.array().square(); break;
    case Activation::kGelu:
      d *= pre.array().unaryExpr([](float v) {
        constexpr float kInvSqrt2 = 0.70710678118654752f, kInvSqrt2Pi = 0.39894228040143268f;
        return 0.5f * (1.0f + std::erf(v * kInvSqrt2)) + v * kInvSqrt2Pi * std::exp(-0.5f * v * v);
      });
      break;
  }
}

}  // namespace

void CfcCell::resize_tape(CfcTape& tape, int batch) const {
  tape.cat.resize(config_.input_size + config_.units, batch);
  tape.backbone_pre.resize(backbone_w_.size());
  tape.backbone_post.resize(backbone_w_.size());
  for (size_t l = 0; l < backbone_w_.size(); ++l) {
    tape.backbone_pre[l].resize(config_.backbone_units, batch);
    tape.backbone_post[l].resize(config_.backbone_units, batch);
  }
  tape.heads.resize(heads_w_.rows(), batch);
  tape.ts.resize(batch);
}

void CfcCell::forward_taped(const Eigen::Ref<const Eigen::MatrixXf>& x, Eigen::Ref<Eigen::MatrixXf> h,
                            const Eigen::Ref<const Eigen::RowVectorXf>& ts, CfcWorkspace& /*ws*/,
                            CfcTape& tape) const noexcept {
  // The same expressions as forward() on buffers of the same types and shapes, so the same kernels
  // run and the result is bit-identical; the tape simply keeps every intermediate.
  const int u = config_.units, n_in = config_.input_size;
  tape.cat.topRows(n_in) = x;
  tape.cat.bottomRows(u) = h;
  tape.ts = ts;
  const Eigen::MatrixXf* z = &tape.cat;
  for (size_t l = 0; l < backbone_w_.size(); ++l) {
    Eigen::MatrixXf& pre = tape.backbone_pre[l];
    Eigen::MatrixXf& post = tape.backbone_post[l];
    pre.noalias() = backbone_w_[l] * *z;
    pre.colwise() += backbone_b_[l].col(0);
    post = pre;
    auto post_array = post.array();
    apply_activation(config_.activation, post_array);
    z = &post;
  }
  tape.heads.noalias() = heads_w_ * *z;
  tape.heads.colwise() += heads_b_;
  finish_heads(tape.heads, h, ts);
}

void CfcCell::backward(const CfcTape& tape, const Eigen::Ref<const Eigen::MatrixXf>& d_h_new,
                       Eigen::Ref<Eigen::MatrixXf> d_h_prev, Eigen::Ref<Eigen::MatrixXf> d_x, CfcCell& grads,
                       CfcWorkspace& ws) const {
  const int u = config_.units, n_in = config_.input_size;
  const Eigen::Index batch = tape.cat.cols();
  const bool pure = config_.mode == CfcMode::kPure;
  ws.d_heads.resize(heads_w_.rows(), batch);
  const auto g = d_h_new.array();

  if (pure) {
    // h = A (1 - e f), e = exp(-ts (|w_tau| + |f|)), f = ff1 (no tanh):
    //   dh/dA = 1 - e f,   dh/dw_tau = A e f ts sign(w_tau),   dh/df = -A e (1 - ts |f|)
    // (f sign(f) = |f|, and torch's sign(0) = 0 gives the same at f = 0).
    auto d_a = grads.a_.row(0).transpose().array();
    auto d_w_tau = grads.w_tau_.row(0).transpose().array();
    const auto sign_w_tau = w_tau_.row(0).transpose().array().sign();
    for (Eigen::Index b = 0; b < batch; ++b) {
      const auto f = tape.heads.col(b).array();
      const float t = tape.ts(b);
      const auto gb = g.col(b);
      auto d_f = ws.d_heads.col(b).array();  // holds e first, then dL/df (coefficient-wise, in place)
      d_f = (-t * (pure_abs_w_tau_ + f.abs())).exp();
      d_a += gb * (1.0f - d_f * f);
      d_w_tau += gb * pure_a_ * d_f * f * t * sign_w_tau;
      d_f = -gb * pure_a_ * d_f * (1.0f - t * f.abs());
    }
  } else {
    const auto ff1 = tape.heads.topRows(u).array();
    const auto ff2 = tape.heads.middleRows(u, u).array();
    const auto t = tape.heads.middleRows(2 * u, u).array();
    auto d_ff1 = ws.d_heads.topRows(u).array();
    auto d_ff2 = ws.d_heads.middleRows(u, u).array();
    auto d_t_a = ws.d_heads.middleRows(2 * u, u).array();
    auto d_t_b = ws.d_heads.middleRows(3 * u, u).array();
    // default: h = ff1 (1 - t) + t ff2  ->  dff1 = g (1 - t), dff2 = g t, dt = g (ff2 - ff1)
    // no_gate: h = ff1 + t ff2          ->  dff1 = g,         dff2 = g t, dt = g ff2
    // through tanh: d pre = d ff (1 - ff²); t = sigmoid(s), s = t_a ts + t_b:
    //   ds = dt t (1 - t), dt_b = ds, dt_a = ds ts
    if (config_.mode == CfcMode::kNoGate) {
      d_ff1 = g * (1.0f - ff1.square());
      d_t_b = g * ff2 * t * (1.0f - t);
    } else {
      d_ff1 = g * (1.0f - t) * (1.0f - ff1.square());
      d_t_b = g * (ff2 - ff1) * t * (1.0f - t);
    }
    d_ff2 = g * t * (1.0f - ff2.square());
    d_t_a = d_t_b.rowwise() * tape.ts.array();
  }

  // heads = W_eff z + b: dW_eff = d_heads z^T, db = sum over the batch, dz = W_eff^T d_heads.
  // ff1/ff2 use W_eff = W ⊙ mask (ncps's F.linear(x, W * mask)), so dW = dW_eff ⊙ mask.
  const Eigen::MatrixXf& z = backbone_w_.empty() ? tape.cat : tape.backbone_post.back();
  ws.d_heads_w.noalias() = ws.d_heads * z.transpose();
  auto add_head = [&](Eigen::MatrixXf& gw, Eigen::MatrixXf& gb, int row, bool masked) {
    if (masked && sparsity_mask_)
      gw.array() += ws.d_heads_w.middleRows(row, u).array() * sparsity_mask_->array();
    else
      gw += ws.d_heads_w.middleRows(row, u);
    gb.col(0) += ws.d_heads.middleRows(row, u).rowwise().sum();
  };
  add_head(grads.ff1_w_, grads.ff1_b_, 0, true);
  if (!pure) {
    add_head(grads.ff2_w_, grads.ff2_b_, u, true);
    add_head(grads.time_a_w_, grads.time_a_b_, 2 * u, false);
    add_head(grads.time_b_w_, grads.time_b_b_, 3 * u, false);
  }

  // Backbone, last layer first: post = act(pre), pre = W in + b:
  //   d pre = d post ⊙ act'(pre),  dW = d pre in^T,  db = sum over the batch,  d in = W^T d pre.
  const int n_layers = static_cast<int>(backbone_w_.size());
  Eigen::MatrixXf& d_z = n_layers == 0 ? ws.d_cat : ws.d_backbone[(n_layers - 1) % 2];
  d_z.noalias() = heads_w_.transpose() * ws.d_heads;
  for (int l = n_layers - 1; l >= 0; --l) {
    Eigen::MatrixXf& d = ws.d_backbone[l % 2];
    multiply_activation_derivative(config_.activation, tape.backbone_pre[l], tape.backbone_post[l], d);
    const Eigen::MatrixXf& in = l == 0 ? tape.cat : tape.backbone_post[l - 1];
    grads.backbone_w_[l].noalias() += d * in.transpose();
    grads.backbone_b_[l].col(0) += d.rowwise().sum();
    Eigen::MatrixXf& d_in = l == 0 ? ws.d_cat : ws.d_backbone[(l - 1) % 2];
    d_in.noalias() = backbone_w_[l].transpose() * d;
  }
  // The previous state enters only through [x; h]; d_h_new has been read in full by now, so
  // d_h_prev may alias it.
  d_x = ws.d_cat.topRows(n_in);
  d_h_prev = ws.d_cat.bottomRows(u);
}

void WiredCfcCell::resize_tape(WiredCfcTape& tape, int batch) const {
  tape.layers.resize(layers_.size());
  for (size_t l = 0; l < layers_.size(); ++l) layers_[l].resize_tape(tape.layers[l], batch);
}

void WiredCfcCell::forward_taped(const Eigen::Ref<const Eigen::MatrixXf>& x, Eigen::Ref<Eigen::MatrixXf> h,
                                 const Eigen::Ref<const Eigen::RowVectorXf>& ts, WiredCfcWorkspace& ws,
                                 WiredCfcTape& tape) const noexcept {
  for (size_t l = 0; l < layers_.size(); ++l) {
    const int n = layers_[l].config().units;
    auto state = h.middleRows(offsets_[l], n);
    if (l == 0)
      layers_[l].forward_taped(x, state, ts, ws.layers[l], tape.layers[l]);
    else
      layers_[l].forward_taped(h.middleRows(offsets_[l - 1], layers_[l - 1].config().units), state, ts,
                               ws.layers[l], tape.layers[l]);
  }
}

void WiredCfcCell::backward(const WiredCfcTape& tape, const Eigen::Ref<const Eigen::MatrixXf>& d_h_new,
                            Eigen::Ref<Eigen::MatrixXf> d_h_prev, Eigen::Ref<Eigen::MatrixXf> d_x,
                            WiredCfcCell& grads, WiredCfcWorkspace& ws) const {
  // Layer l reads the NEW state of layer l-1, so dL/dh_new[l-1] also collects what layer l passes
  // back through its input: walk the layers from the last, carrying d_input down.
  const int n_layers = static_cast<int>(layers_.size());
  const Eigen::Index batch = d_h_new.cols();
  ws.d_input.resize(layers_.size());
  ws.d_state.resize(layers_.size());
  for (int l = n_layers - 1; l >= 0; --l) {
    const int n = layers_[l].config().units;
    auto d_prev = d_h_prev.middleRows(offsets_[l], n);
    Eigen::MatrixXf* d_in = nullptr;
    if (l > 0) {
      d_in = &ws.d_input[l];
      d_in->resize(layers_[l - 1].config().units, batch);
    }
    auto run = [&](const Eigen::Ref<const Eigen::MatrixXf>& d_new) {
      if (l > 0)
        layers_[l].backward(tape.layers[l], d_new, d_prev, *d_in, grads.layers_[l], ws.layers[l]);
      else
        layers_[l].backward(tape.layers[l], d_new, d_prev, d_x, grads.layers_[l], ws.layers[l]);
    };
    if (l == n_layers - 1) {
      run(d_h_new.middleRows(offsets_[l], n));
    } else {
      ws.d_state[l] = d_h_new.middleRows(offsets_[l], n) + ws.d_input[l + 1];
      run(ws.d_state[l]);
    }
  }
}

}  // namespace liquid::lfm
