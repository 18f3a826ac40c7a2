// The LFM backbone's common layer interface, and the two primitives every block shares: bias-free
// Linear maps and RMSNorm.
//
// A layer maps tokens of width d to tokens of width d and has two faces:
//   sequence face (training): x is d x (B*T), column b*T + t holds token t of sequence b;
//     forward() records a tape, backward() takes dL/dy back to dL/dx and ADDS parameter gradients
//     into `grads`, a zeros_like() copy of the layer (the project's gradient-holder convention);
//   step face (streaming): one new token of one stream, a bounded per-stream LayerState (the conv's
//     last k-1 inputs, attention's KV cache, the liquid cell's h), no allocation after new_state().
// The two faces agree to 1e-5. Layers are templated on the scalar so the tests can check the
// hand-written backward against central differences in double; the engine uses float.
//
// RMSNorm (Zhang & Sennrich 2019), column by column:  y = w ⊙ x r,  r = 1/sqrt(mean(x²) + eps)
//   backward:  dw += Σ_cols dy ⊙ n,  dx = r (dn - n mean(dn ⊙ n)),  n = x r, dn = dy ⊙ w.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lfm/parameter.h"

namespace liquid::lfm::backbone {

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
template <class S>
using Vec = Eigen::Matrix<S, Eigen::Dynamic, 1>;
template <class S>
using RowVec = Eigen::Matrix<S, 1, Eigen::Dynamic>;

// Visits one parameter: its full name, its torch shape, its value (shape[0] rows x the product of
// the rest columns, as lfm/parameter.h).
template <class S>
using ParamFn = std::function<void(const std::string& name, const Shape& shape, Mat<S>& value)>;

// A batch of sequences on the sequence face. dt (length B*T, same column order as the tokens) is the
// elapsed time in seconds before each token; null means 1 second everywhere. Only liquid blocks read it.
// aux_scale weighs the layers' auxiliary losses (MoE load balancing) and their gradients: a shard
// of a larger batch passes its share of the batch, so the shards' terms sum to the batch's mean.
template <class S>
struct Seq {
  int batch = 1;
  int steps = 1;
  const RowVec<S>* dt = nullptr;
  S aux_scale = 1;
};

struct LayerTape {
  virtual ~LayerTape() = default;
};
struct LayerState {
  virtual ~LayerState() = default;
  virtual void reset() = 0;  // back to the start of a stream
  // What a checkpoint keeps: the state's numbers appended to `out`, read back in the same order by
  // restore() on the state of an identically configured layer (which advances `in` past them).
  // Scratch is not kept; stateless units (MLP, MoE) keep nothing.
  virtual void save(std::vector<double>& out) const { (void)out; }
  virtual void restore(std::span<const double>& in) { (void)in; }
};

// save()/restore() helpers: a matrix's values in storage order, then a count.
template <class M>
void save_values(const M& m, std::vector<double>& out) {
  out.insert(out.end(), m.data(), m.data() + m.size());
}
template <class M>
void restore_values(M& m, std::span<const double>& in) {
  if (in.size() < size_t(m.size()))
    throw std::invalid_argument("backbone state: " + std::to_string(in.size()) + " values left, a unit needs " +
                                std::to_string(m.size()));
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<typename M::Scalar>(in[size_t(i)]);
  in = in.subspan(size_t(m.size()));
}
inline double restore_count(std::span<const double>& in) {
  if (in.empty()) throw std::invalid_argument("backbone state: ended before a unit's position");
  const double v = in[0];
  in = in.subspan(1);
  return v;
}

constexpr double kNormEps = 1e-5;  // LFM2's norm_eps

template <class S>
class Layer {
 public:
  virtual ~Layer() = default;
  // The parameter-name component ("conv", "attn", "liquid", "mlp", "moe").
  virtual std::string_view kind() const = 0;
  virtual void visit(const std::string& prefix, const ParamFn<S>& fn) = 0;
  virtual std::unique_ptr<Layer> zeros_like() const = 0;
  // Rebuilds anything derived from the parameters; call after they change (optimiser step, load).
  virtual void prepare() {}

  virtual std::unique_ptr<LayerTape> new_tape() const = 0;
  virtual void forward(const Mat<S>& x, const Seq<S>& seq, Mat<S>& y, LayerTape& tape) const = 0;
  virtual void backward(const LayerTape& tape, const Mat<S>& dy, Mat<S>& dx, Layer& grads) const = 0;
  // Extra loss added by the layer itself (MoE load balancing), from the last forward on `tape`;
  // backward() includes its gradient scaled by aux_weight.
  virtual S aux_loss(const LayerTape&) const { return S(0); }

  // max_context bounds a full-attention KV cache; other layers ignore it.
  virtual std::unique_ptr<LayerState> new_state(int64_t max_context) const = 0;
  // y (width d) must be sized; dt is the elapsed time since the stream's previous token, seconds.
  virtual void step(const Vec<S>& x, S dt, LayerState& state, Vec<S>& y) const = 0;
};

// ---- primitives --------------------------------------------------------------------------------

// torch.nn.Linear's default init without bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
template <class S>
void init_uniform(Mat<S>& m, double bound, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> dist(-bound, bound);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<S>(dist(rng));
}

// Zeroes every parameter of a freshly built copy: the gradient holder.
template <class S>
void zero_parameters(Layer<S>& layer) {
  layer.visit("", [](const std::string&, const Shape&, Mat<S>& v) { v.setZero(); });
}

// y = w ⊙ x r per column; inv_rms(c) = r of column c.
template <class S>
void rms_norm_forward(const Eigen::Ref<const Mat<S>>& x, const Eigen::Ref<const Vec<S>>& w,
                      Eigen::Ref<Mat<S>> y, Eigen::Ref<RowVec<S>> inv_rms) {
  const S eps = static_cast<S>(kNormEps);
  for (Eigen::Index c = 0; c < x.cols(); ++c) {
    const S r = S(1) / std::sqrt(x.col(c).squaredNorm() / static_cast<S>(x.rows()) + eps);
    inv_rms(c) = r;
    y.col(c) = w.cwiseProduct(x.col(c)) * r;
  }
}

// Given dy, WRITES dx and ADDS dw. x and inv_rms are the forward's input and record.
template <class S>
void rms_norm_backward(const Eigen::Ref<const Mat<S>>& x, const Eigen::Ref<const Vec<S>>& w,
                       const Eigen::Ref<const RowVec<S>>& inv_rms, const Eigen::Ref<const Mat<S>>& dy,
                       Eigen::Ref<Mat<S>> dx, Eigen::Ref<Vec<S>> dw) {
  const S d = static_cast<S>(x.rows());
  for (Eigen::Index c = 0; c < x.cols(); ++c) {
    const S r = inv_rms(c);
    dw += dy.col(c).cwiseProduct(x.col(c)) * r;
    // dn·n / d with n = x r and dn = dy ⊙ w.
    const S mean = dy.col(c).cwiseProduct(w).dot(x.col(c)) * r / d;
    dx.col(c) = r * (dy.col(c).cwiseProduct(w) - x.col(c) * (r * mean));
  }
}

}  // namespace liquid::lfm::backbone
