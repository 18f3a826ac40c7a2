#include "lfm/backbone/moe.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace liquid::lfm::backbone {
namespace {

template <class S>
struct MoeTape final : LayerTape {
  Mat<S> x, p;                             // input, router probabilities (E x N)
  std::vector<int> top;                    // N x k chosen experts
  Mat<S> gate;                             // k x N renormalised gates
  RowVec<S> top_sum;                       // Σ_K p per token
  Vec<S> share;                            // f_e
  std::vector<std::vector<int>> tokens;    // per expert: the token columns routed to it
  std::vector<Mat<S>> out;                 // per expert: its outputs for those tokens
  std::vector<std::unique_ptr<LayerTape>> tapes;
  S aux = 0, aux_scale = 1;
};

template <class S>
struct MoeState final : LayerState {
  Vec<S> logits, out;
  std::vector<int> top, scratch;
  std::unique_ptr<LayerState> expert;      // SwiGLU scratch, shared: experts keep no state
  void reset() override {}
};

template <class S>
void softmax_inplace(Eigen::Ref<Vec<S>> v) {
  v = (v.array() - v.maxCoeff()).exp().matrix();
  v /= v.sum();
}

}  // namespace

template <class S>
Moe<S>::Moe(int d, int experts_n, int top_k, int hidden, double aux_weight)
    : d_(d), e_(experts_n), k_(top_k), f_(hidden), aux_weight_(aux_weight) {
  if (experts_n < 1) throw std::invalid_argument("moe: experts must be >= 1, got " + std::to_string(experts_n));
  if (top_k < 1 || top_k > experts_n)
    throw std::invalid_argument("moe: top_k must be in [1, experts = " + std::to_string(experts_n) + "], got " +
                                std::to_string(top_k));
  router = Mat<S>::Zero(experts_n, d);
  for (int e = 0; e < experts_n; ++e) experts.push_back(std::make_unique<SwiGlu<S>>(d, hidden));
}

template <class S>
void Moe<S>::init(uint64_t seed) {
  std::mt19937_64 rng(seed);
  init_uniform(router, 1.0 / std::sqrt(double(d_)), rng);
  for (int e = 0; e < e_; ++e) experts[e]->init(seed + 1 + e);
}

template <class S>
void Moe<S>::visit(const std::string& prefix, const ParamFn<S>& fn) {
  fn(prefix + "router.weight", {e_, d_}, router);
  for (int e = 0; e < e_; ++e) experts[e]->visit(prefix + "experts." + std::to_string(e) + ".", fn);
}

template <class S>
std::unique_ptr<Layer<S>> Moe<S>::zeros_like() const {
  return std::make_unique<Moe>(d_, e_, k_, f_, aux_weight_);
}

template <class S>
S Moe<S>::choose(const Eigen::Ref<const Vec<S>>& p, int* top, int* scratch) const {
  std::iota(scratch, scratch + e_, 0);
  // Ties go to the lower index, so both faces pick the same experts.
  std::partial_sort(scratch, scratch + k_, scratch + e_, [&](int a, int b) { return p(a) > p(b) || (p(a) == p(b) && a < b); });
  S sum = 0;
  for (int j = 0; j < k_; ++j) {
    top[j] = scratch[j];
    sum += p(top[j]);
  }
  return sum;
}

template <class S>
std::unique_ptr<LayerTape> Moe<S>::new_tape() const {
  auto t = std::make_unique<MoeTape<S>>();
  for (int e = 0; e < e_; ++e) t->tapes.push_back(experts[e]->new_tape());
  return t;
}

template <class S>
void Moe<S>::forward(const Mat<S>& x, const Seq<S>& seq, Mat<S>& y, LayerTape& tape_base) const {
  auto& tp = static_cast<MoeTape<S>&>(tape_base);
  const int N = static_cast<int>(x.cols());
  tp.x = x;
  tp.p.noalias() = router * x;
  tp.top.assign(static_cast<size_t>(N) * k_, 0);
  tp.gate.resize(k_, N);
  tp.top_sum.resize(N);
  tp.tokens.assign(e_, {});
  std::vector<int> scratch(e_);
  for (int n = 0; n < N; ++n) {
    softmax_inplace<S>(tp.p.col(n));
    int* top = &tp.top[static_cast<size_t>(n) * k_];
    tp.top_sum(n) = choose(tp.p.col(n), top, scratch.data());
    for (int j = 0; j < k_; ++j) {
      tp.gate(j, n) = tp.p(top[j], n) / tp.top_sum(n);
      tp.tokens[top[j]].push_back(n);
    }
  }
  y.setZero(d_, N);
  tp.out.resize(e_);
  tp.share.resize(e_);
  for (int e = 0; e < e_; ++e) {
    const auto& tok = tp.tokens[e];
    tp.share(e) = static_cast<S>(tok.size()) / static_cast<S>(N * k_);
    if (tok.empty()) continue;
    Mat<S> xe(d_, tok.size());
    for (size_t i = 0; i < tok.size(); ++i) xe.col(i) = x.col(tok[i]);
    experts[e]->forward(xe, Seq<S>{1, static_cast<int>(tok.size()), seq.dt}, tp.out[e], *tp.tapes[e]);
  }
  // Sum in each token's top-k order so the step face adds in the same order.
  std::vector<size_t> cursor(e_, 0);
  for (int n = 0; n < N; ++n)
    for (int j = 0; j < k_; ++j) {
      const int e = tp.top[static_cast<size_t>(n) * k_ + j];
      size_t& c = cursor[e];
      while (tp.tokens[e][c] != n) ++c;
      y.col(n) += tp.gate(j, n) * tp.out[e].col(c);
    }
  tp.aux_scale = seq.aux_scale;
  tp.aux = tp.aux_scale * static_cast<S>(aux_weight_ * e_) * tp.share.dot(tp.p.rowwise().mean());
}

template <class S>
S Moe<S>::aux_loss(const LayerTape& tape) const {
  return static_cast<const MoeTape<S>&>(tape).aux;
}

template <class S>
void Moe<S>::backward(const LayerTape& tape_base, const Mat<S>& dy, Mat<S>& dx, Layer<S>& grads_base) const {
  const auto& tp = static_cast<const MoeTape<S>&>(tape_base);
  auto& g = static_cast<Moe&>(grads_base);
  const int N = static_cast<int>(dy.cols());
  // The aux term's gradient reaches every router probability.
  Mat<S> dp = (tp.aux_scale * static_cast<S>(aux_weight_ * e_ / N) * tp.share).replicate(1, N);
  Mat<S> dgate(k_, N);
  dx.setZero(d_, N);
  for (int e = 0; e < e_; ++e) {
    const auto& tok = tp.tokens[e];
    if (tok.empty()) continue;
    Mat<S> dye(d_, tok.size()), dxe;
    for (size_t i = 0; i < tok.size(); ++i) {
      const int n = tok[i];
      int j = 0;
      while (tp.top[static_cast<size_t>(n) * k_ + j] != e) ++j;
      dgate(j, n) = dy.col(n).dot(tp.out[e].col(i));
      dye.col(i) = tp.gate(j, n) * dy.col(n);
    }
    experts[e]->backward(*tp.tapes[e], dye, dxe, *g.experts[e]);
    for (size_t i = 0; i < tok.size(); ++i) dx.col(tok[i]) += dxe.col(i);
  }
  for (int n = 0; n < N; ++n) {
    const S mean = dgate.col(n).dot(tp.gate.col(n));
    for (int j = 0; j < k_; ++j)
      dp(tp.top[static_cast<size_t>(n) * k_ + j], n) += (dgate(j, n) - mean) / tp.top_sum(n);
  }
  // Softmax backward, column by column.
  const RowVec<S> pdp = tp.p.cwiseProduct(dp).colwise().sum();
  const Mat<S> dlogits = tp.p.cwiseProduct(dp - pdp.replicate(e_, 1));
  g.router.noalias() += dlogits * tp.x.transpose();
  dx.noalias() += router.transpose() * dlogits;
}

template <class S>
std::unique_ptr<LayerState> Moe<S>::new_state(int64_t max_context) const {
  auto st = std::make_unique<MoeState<S>>();
  st->logits.resize(e_);
  st->out.resize(d_);
  st->top.resize(k_);
  st->scratch.resize(e_);
  st->expert = experts[0]->new_state(max_context);
  return st;
}

template <class S>
void Moe<S>::step(const Vec<S>& x, S dt, LayerState& state, Vec<S>& y) const {
  auto& st = static_cast<MoeState<S>&>(state);
  st.logits.noalias() = router * x;
  softmax_inplace<S>(st.logits);
  const S sum = choose(st.logits, st.top.data(), st.scratch.data());
  y.setZero();
  for (int j = 0; j < k_; ++j) {
    experts[st.top[j]]->step(x, dt, *st.expert, st.out);
    y += (st.logits(st.top[j]) / sum) * st.out;
  }
}

template class Moe<float>;
template class Moe<double>;

}  // namespace liquid::lfm::backbone
