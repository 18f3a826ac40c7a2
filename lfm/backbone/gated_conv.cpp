#include "lfm/backbone/gated_conv.h"

#include <stdexcept>

namespace liquid::lfm::backbone {
namespace {

template <class S>
struct ConvTape final : LayerTape {
  Mat<S> x, z, u, c, gated;  // input, [B; C; x̃], B ⊙ x̃, conv output, C ⊙ c
  int batch = 0, steps = 0;
};

template <class S>
struct ConvState final : LayerState {
  Mat<S> past;              // last k-1 gated inputs, oldest first
  Vec<S> z, u, c;           // scratch
  void reset() override { past.setZero(); }
  void save(std::vector<double>& out) const override { save_values(past, out); }
  void restore(std::span<const double>& in) override { restore_values(past, in); }
};

}  // namespace

template <class S>
GatedConv<S>::GatedConv(int d, int kernel) : d_(d), k_(kernel) {
  if (d < 1) throw std::invalid_argument("conv: width d must be >= 1, got " + std::to_string(d));
  if (kernel < 1) throw std::invalid_argument("conv: kernel must be >= 1, got " + std::to_string(kernel));
  in_proj = Mat<S>::Zero(3 * d, d);
  conv = Mat<S>::Zero(d, kernel);
  out_proj = Mat<S>::Zero(d, d);
}

template <class S>
void GatedConv<S>::init(uint64_t seed) {
  std::mt19937_64 rng(seed);
  init_uniform(in_proj, 1.0 / std::sqrt(double(d_)), rng);
  init_uniform(conv, 1.0 / std::sqrt(double(k_)), rng);  // depthwise: fan_in = k
  init_uniform(out_proj, 1.0 / std::sqrt(double(d_)), rng);
}

template <class S>
void GatedConv<S>::visit(const std::string& prefix, const ParamFn<S>& fn) {
  fn(prefix + "in_proj.weight", {3 * d_, d_}, in_proj);
  fn(prefix + "conv.weight", {d_, 1, k_}, conv);
  fn(prefix + "out_proj.weight", {d_, d_}, out_proj);
}

template <class S>
std::unique_ptr<Layer<S>> GatedConv<S>::zeros_like() const {
  return std::make_unique<GatedConv>(d_, k_);
}

template <class S>
std::unique_ptr<LayerTape> GatedConv<S>::new_tape() const {
  return std::make_unique<ConvTape<S>>();
}

template <class S>
void GatedConv<S>::forward(const Mat<S>& x, const Seq<S>& seq, Mat<S>& y, LayerTape& tape_base) const {
  auto& tape = static_cast<ConvTape<S>&>(tape_base);
  const int T = seq.steps, N = static_cast<int>(x.cols());
  tape.batch = seq.batch;
  tape.steps = T;
  tape.x = x;
  tape.z.noalias() = in_proj * x;
  tape.u = tape.z.topRows(d_).cwiseProduct(tape.z.bottomRows(d_));
  tape.c.setZero(d_, N);
  for (int b = 0; b < seq.batch; ++b)
    for (int t = 0; t < T; ++t)
      for (int j = 0; j < k_; ++j) {
        const int s = t + j - (k_ - 1);  // the input this tap reads; before the start it is zero
        if (s >= 0) tape.c.col(b * T + t) += conv.col(j).cwiseProduct(tape.u.col(b * T + s));
      }
  tape.gated = tape.z.middleRows(d_, d_).cwiseProduct(tape.c);
  y.noalias() = out_proj * tape.gated;
}

template <class S>
void GatedConv<S>::backward(const LayerTape& tape_base, const Mat<S>& dy, Mat<S>& dx, Layer<S>& grads_base) const {
  const auto& tape = static_cast<const ConvTape<S>&>(tape_base);
  auto& g = static_cast<GatedConv&>(grads_base);
  const int T = tape.steps, N = static_cast<int>(dy.cols());
  g.out_proj.noalias() += dy * tape.gated.transpose();
  const Mat<S> d_gated = out_proj.transpose() * dy;
  const Mat<S> dc = d_gated.cwiseProduct(tape.z.middleRows(d_, d_));
  Mat<S> du = Mat<S>::Zero(d_, N);
  for (int b = 0; b < tape.batch; ++b)
    for (int t = 0; t < T; ++t)
      for (int j = 0; j < k_; ++j) {
        const int s = t + j - (k_ - 1);
        if (s < 0) continue;
        g.conv.col(j) += dc.col(b * T + t).cwiseProduct(tape.u.col(b * T + s));
        du.col(b * T + s) += dc.col(b * T + t).cwiseProduct(conv.col(j));
      }
  Mat<S> dz(3 * d_, N);
  dz.topRows(d_) = du.cwiseProduct(tape.z.bottomRows(d_));
  dz.middleRows(d_, d_) = d_gated.cwiseProduct(tape.c);
  dz.bottomRows(d_) = du.cwiseProduct(tape.z.topRows(d_));
  g.in_proj.noalias() += dz * tape.x.transpose();
  dx.noalias() = in_proj.transpose() * dz;
}

template <class S>
std::unique_ptr<LayerState> GatedConv<S>::new_state(int64_t) const {
  auto st = std::make_unique<ConvState<S>>();
  st->past = Mat<S>::Zero(d_, k_ - 1);
  st->z.resize(3 * d_);
  st->u.resize(d_);
  st->c.resize(d_);
  return st;
}

template <class S>
void GatedConv<S>::step(const Vec<S>& x, S, LayerState& state, Vec<S>& y) const {
  auto& st = static_cast<ConvState<S>&>(state);
  st.z.noalias() = in_proj * x;
  st.u = st.z.head(d_).cwiseProduct(st.z.tail(d_));
  st.c = conv.col(k_ - 1).cwiseProduct(st.u);
  for (int j = 0; j < k_ - 1; ++j) st.c += conv.col(j).cwiseProduct(st.past.col(j));
  // Slide the window: k is tiny (3 in LFM2), so shifting k-1 columns beats a ring index.
  for (int j = 0; j + 1 < k_ - 1; ++j) st.past.col(j) = st.past.col(j + 1);
  if (k_ > 1) st.past.col(k_ - 2) = st.u;
  st.c = st.c.cwiseProduct(st.z.segment(d_, d_));
  y.noalias() = out_proj * st.c;
}

template class GatedConv<float>;
template class GatedConv<double>;

}  // namespace liquid::lfm::backbone
