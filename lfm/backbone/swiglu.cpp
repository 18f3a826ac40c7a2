#include "lfm/backbone/swiglu.h"

#include <stdexcept>

namespace liquid::lfm::backbone {
namespace {

template <class S>
struct SwiGluTape final : LayerTape {
  Mat<S> x, a, g, h;
};

template <class S>
struct SwiGluState final : LayerState {
  Vec<S> a, g;
  void reset() override {}
};

template <class S>
S sigmoid(S a) {
  return S(1) / (S(1) + std::exp(-a));
}

}  // namespace

template <class S>
SwiGlu<S>::SwiGlu(int d, int hidden) : d_(d), f_(hidden) {
  if (d < 1) throw std::invalid_argument("mlp: width d must be >= 1, got " + std::to_string(d));
  if (hidden < 1) throw std::invalid_argument("mlp: hidden width must be >= 1, got " + std::to_string(hidden));
  w1 = Mat<S>::Zero(hidden, d);
  w3 = Mat<S>::Zero(hidden, d);
  w2 = Mat<S>::Zero(d, hidden);
}

template <class S>
void SwiGlu<S>::init(uint64_t seed) {
  std::mt19937_64 rng(seed);
  init_uniform(w1, 1.0 / std::sqrt(double(d_)), rng);
  init_uniform(w3, 1.0 / std::sqrt(double(d_)), rng);
  init_uniform(w2, 1.0 / std::sqrt(double(f_)), rng);
}

template <class S>
void SwiGlu<S>::visit(const std::string& prefix, const ParamFn<S>& fn) {
  fn(prefix + "w1.weight", {f_, d_}, w1);
  fn(prefix + "w3.weight", {f_, d_}, w3);
  fn(prefix + "w2.weight", {d_, f_}, w2);
}

template <class S>
std::unique_ptr<Layer<S>> SwiGlu<S>::zeros_like() const {
  return std::make_unique<SwiGlu>(d_, f_);
}

template <class S>
std::unique_ptr<LayerTape> SwiGlu<S>::new_tape() const {
  return std::make_unique<SwiGluTape<S>>();
}

template <class S>
void SwiGlu<S>::forward(const Mat<S>& x, const Seq<S>&, Mat<S>& y, LayerTape& tape_base) const {
  auto& tape = static_cast<SwiGluTape<S>&>(tape_base);
  tape.x = x;
  tape.a.noalias() = w1 * x;
  tape.g.noalias() = w3 * x;
  tape.h = tape.a.unaryExpr([](S a) { return a * sigmoid(a); }).cwiseProduct(tape.g);
  y.noalias() = w2 * tape.h;
}

template <class S>
void SwiGlu<S>::backward(const LayerTape& tape_base, const Mat<S>& dy, Mat<S>& dx, Layer<S>& grads_base) const {
  const auto& tape = static_cast<const SwiGluTape<S>&>(tape_base);
  auto& g = static_cast<SwiGlu&>(grads_base);
  g.w2.noalias() += dy * tape.h.transpose();
  const Mat<S> dh = w2.transpose() * dy;
  const Mat<S> dg = dh.cwiseProduct(tape.a.unaryExpr([](S a) { return a * sigmoid(a); }));
  const Mat<S> da = dh.cwiseProduct(tape.g).cwiseProduct(tape.a.unaryExpr([](S a) {
    const S s = sigmoid(a);
    return s * (S(1) + a * (S(1) - s));
  }));
  g.w1.noalias() += da * tape.x.transpose();
  g.w3.noalias() += dg * tape.x.transpose();
  dx.noalias() = w1.transpose() * da;
  dx.noalias() += w3.transpose() * dg;
}

template <class S>
std::unique_ptr<LayerState> SwiGlu<S>::new_state(int64_t) const {
  auto st = std::make_unique<SwiGluState<S>>();
  st->a.resize(f_);
  st->g.resize(f_);
  return st;
}

template <class S>
void SwiGlu<S>::step(const Vec<S>& x, S, LayerState& state, Vec<S>& y) const {
  auto& st = static_cast<SwiGluState<S>&>(state);
  st.a.noalias() = w1 * x;
  st.g.noalias() = w3 * x;
  st.a = st.a.unaryExpr([](S a) { return a * sigmoid(a); }).cwiseProduct(st.g);
  y.noalias() = w2 * st.a;
}

template class SwiGlu<float>;
template class SwiGlu<double>;

}  // namespace liquid::lfm::backbone
