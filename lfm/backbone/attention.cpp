#include "lfm/backbone/attention.h"

#include <limits>
#include <stdexcept>
#include <vector>

namespace liquid::lfm::backbone {
namespace {

template <class S>
struct AttnTape final : LayerTape {
  Mat<S> x, q, k, v;            // projections before the norm
  RowVec<S> q_rms, k_rms;       // per (head, token) 1/rms
  Mat<S> qr, kr;                // after norm and rotation
  Mat<S> o;                     // attention output before Wo
  std::vector<Mat<S>> p;        // per (batch, head): T x T probabilities
  int batch = 0, steps = 0;
};

template <class S>
struct AttnState final : LayerState {
  // hd x (G capacity): kv head g owns columns [g capacity, (g+1) capacity), contiguous.
  Mat<S> k_cache, v_cache;
  Mat<S> scores;                // capacity x 1
  Vec<S> q, k, v, o;
  RowVec<S> rms;
  int64_t pos = 0, capacity = 0;
  void reset() override { pos = 0; }
  void save(std::vector<double>& out) const override {
    out.push_back(double(pos));
    out.push_back(double(capacity));
    save_values(k_cache, out);
    save_values(v_cache, out);
  }
  void restore(std::span<const double>& in) override {
    const double p = restore_count(in), cap = restore_count(in);
    if (cap != double(capacity) || p < 0)
      throw std::invalid_argument("attn state: saved with a KV cache of " + std::to_string(int64_t(cap)) +
                                  " tokens, this one holds " + std::to_string(capacity));
    pos = int64_t(p);
    restore_values(k_cache, in);
    restore_values(v_cache, in);
  }
};

// Column-wise view of heads: a (heads hd) x N matrix as hd x (heads N), one head-token per column.
template <class S>
Eigen::Map<Mat<S>> heads_view(Mat<S>& m, int hd) {
  return Eigen::Map<Mat<S>>(m.data(), hd, m.size() / hd);
}
template <class S>
Eigen::Map<const Mat<S>> heads_view(const Mat<S>& m, int hd) {
  return Eigen::Map<const Mat<S>>(m.data(), hd, m.size() / hd);
}

}  // namespace

template <class S>
Attention<S>::Attention(const AttentionConfig& c) : c_(c) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("attn: " + what); };
  if (c.d < 1) fail("width d must be >= 1, got " + std::to_string(c.d));
  if (c.heads < 1) fail("heads must be >= 1, got " + std::to_string(c.heads));
  if (c.kv_heads < 1 || c.heads % c.kv_heads != 0)
    fail("kv_heads must divide heads (" + std::to_string(c.heads) + "), got " + std::to_string(c.kv_heads));
  if (c.head_dim < 2 || c.head_dim % 2 != 0)
    fail("head_dim must be even and >= 2 (rotary pairs), got " + std::to_string(c.head_dim));
  if (c.window < 0) fail("window must be >= 0 (0 = full), got " + std::to_string(c.window));
  const int hd = c.head_dim, H = c.heads, G = c.kv_heads;
  q_proj = Mat<S>::Zero(H * hd, c.d);
  k_proj = Mat<S>::Zero(G * hd, c.d);
  v_proj = Mat<S>::Zero(G * hd, c.d);
  o_proj = Mat<S>::Zero(c.d, H * hd);
  q_norm = Mat<S>::Ones(hd, 1);
  k_norm = Mat<S>::Ones(hd, 1);
  inv_freq_.resize(hd / 2);
  for (int i = 0; i < hd / 2; ++i) inv_freq_(i) = std::pow(c.rope_base, -2.0 * i / hd);
}

template <class S>
void Attention<S>::init(uint64_t seed) {
  std::mt19937_64 rng(seed);
  const double b = 1.0 / std::sqrt(double(c_.d));
  init_uniform(q_proj, b, rng);
  init_uniform(k_proj, b, rng);
  init_uniform(v_proj, b, rng);
  init_uniform(o_proj, 1.0 / std::sqrt(double(c_.heads * c_.head_dim)), rng);
  q_norm.setOnes();
  k_norm.setOnes();
}

template <class S>
void Attention<S>::visit(const std::string& prefix, const ParamFn<S>& fn) {
  const int hd = c_.head_dim;
  fn(prefix + "q_proj.weight", {c_.heads * hd, c_.d}, q_proj);
  fn(prefix + "k_proj.weight", {c_.kv_heads * hd, c_.d}, k_proj);
  fn(prefix + "v_proj.weight", {c_.kv_heads * hd, c_.d}, v_proj);
  fn(prefix + "out_proj.weight", {c_.d, c_.heads * hd}, o_proj);
  fn(prefix + "q_norm.weight", {hd}, q_norm);
  fn(prefix + "k_norm.weight", {hd}, k_norm);
}

template <class S>
std::unique_ptr<Layer<S>> Attention<S>::zeros_like() const {
  auto g = std::make_unique<Attention>(c_);
  zero_parameters<S>(*g);
  return g;
}

template <class S>
void Attention<S>::rope(S* v, int n_heads, int64_t pos, int sign) const {
  const int hd = c_.head_dim, half = hd / 2;
  for (int i = 0; i < half; ++i) {
    const double angle = static_cast<double>(pos) * inv_freq_(i);
    const S cs = static_cast<S>(std::cos(angle)), sn = static_cast<S>(sign * std::sin(angle));
    for (int h = 0; h < n_heads; ++h) {
      S* p = v + h * hd;
      const S a = p[i], b = p[i + half];
      p[i] = a * cs - b * sn;
      p[i + half] = b * cs + a * sn;
    }
  }
}

template <class S>
std::unique_ptr<LayerTape> Attention<S>::new_tape() const {
  return std::make_unique<AttnTape<S>>();
}

template <class S>
void Attention<S>::forward(const Mat<S>& x, const Seq<S>& seq, Mat<S>& y, LayerTape& tape_base) const {
  auto& tp = static_cast<AttnTape<S>&>(tape_base);
  const int hd = c_.head_dim, H = c_.heads, G = c_.kv_heads, T = seq.steps, N = static_cast<int>(x.cols());
  const S scale = S(1) / std::sqrt(static_cast<S>(hd));
  tp.batch = seq.batch;
  tp.steps = T;
  tp.x = x;
  tp.q.noalias() = q_proj * x;
  tp.k.noalias() = k_proj * x;
  tp.v.noalias() = v_proj * x;
  tp.qr.resize(H * hd, N);
  tp.kr.resize(G * hd, N);
  tp.q_rms.resize(H * N);
  tp.k_rms.resize(G * N);
  rms_norm_forward<S>(heads_view(tp.q, hd), q_norm.col(0), heads_view(tp.qr, hd), tp.q_rms);
  rms_norm_forward<S>(heads_view(tp.k, hd), k_norm.col(0), heads_view(tp.kr, hd), tp.k_rms);
  for (int n = 0; n < N; ++n) {
    rope(tp.qr.col(n).data(), H, n % T, 1);
    rope(tp.kr.col(n).data(), G, n % T, 1);
  }
  tp.o.resize(H * hd, N);
  tp.p.resize(static_cast<size_t>(seq.batch) * H);
  const int group = H / G;
  for (int b = 0; b < seq.batch; ++b)
    for (int h = 0; h < H; ++h) {
      const int g = h / group;
      Mat<S>& p = tp.p[static_cast<size_t>(b) * H + h];
      p.noalias() = scale * tp.qr.block(h * hd, b * T, hd, T).transpose() * tp.kr.block(g * hd, b * T, hd, T);
      for (int t = 0; t < T; ++t) {
        // Row t may see columns u with u <= t and t - u < window.
        const int lo = c_.window > 0 ? std::max(0, t - c_.window + 1) : 0;
        auto row = p.row(t);
        const S mx = row.segment(lo, t - lo + 1).maxCoeff();
        S sum = 0;
        for (int u = 0; u < T; ++u) {
          row(u) = (u >= lo && u <= t) ? std::exp(row(u) - mx) : S(0);
          sum += row(u);
        }
        row /= sum;
      }
      tp.o.block(h * hd, b * T, hd, T).noalias() = tp.v.block(g * hd, b * T, hd, T) * p.transpose();
    }
  y.noalias() = o_proj * tp.o;
}

template <class S>
void Attention<S>::backward(const LayerTape& tape_base, const Mat<S>& dy, Mat<S>& dx, Layer<S>& grads_base) const {
  const auto& tp = static_cast<const AttnTape<S>&>(tape_base);
  auto& gr = static_cast<Attention&>(grads_base);
  const int hd = c_.head_dim, H = c_.heads, G = c_.kv_heads, T = tp.steps, N = static_cast<int>(dy.cols());
  const S scale = S(1) / std::sqrt(static_cast<S>(hd));
  const int group = H / G;
  gr.o_proj.noalias() += dy * tp.o.transpose();
  const Mat<S> d_o = o_proj.transpose() * dy;
  Mat<S> dqr = Mat<S>::Zero(H * hd, N), dkr = Mat<S>::Zero(G * hd, N), dv = Mat<S>::Zero(G * hd, N);
  for (int b = 0; b < tp.batch; ++b)
    for (int h = 0; h < H; ++h) {
      const int g = h / group;
      const Mat<S>& p = tp.p[static_cast<size_t>(b) * H + h];
      const auto d_ob = d_o.block(h * hd, b * T, hd, T);
      dv.block(g * hd, b * T, hd, T).noalias() += d_ob * p;
      Mat<S> ds = d_ob.transpose() * tp.v.block(g * hd, b * T, hd, T);  // dP
      const Vec<S> rowdot = ds.cwiseProduct(p).rowwise().sum();
      ds = p.cwiseProduct(ds.colwise() - rowdot);                      // dS (masked entries: p = 0)
      dqr.block(h * hd, b * T, hd, T).noalias() += scale * tp.kr.block(g * hd, b * T, hd, T) * ds.transpose();
      dkr.block(g * hd, b * T, hd, T).noalias() += scale * tp.qr.block(h * hd, b * T, hd, T) * ds;
    }
  for (int n = 0; n < N; ++n) {
    rope(dqr.col(n).data(), H, n % T, -1);
    rope(dkr.col(n).data(), G, n % T, -1);
  }
  Mat<S> dq(H * hd, N), dk(G * hd, N);
  rms_norm_backward<S>(heads_view(tp.q, hd), q_norm.col(0), tp.q_rms, heads_view(dqr, hd), heads_view(dq, hd),
                       gr.q_norm.col(0));
  rms_norm_backward<S>(heads_view(tp.k, hd), k_norm.col(0), tp.k_rms, heads_view(dkr, hd), heads_view(dk, hd),
                       gr.k_norm.col(0));
  gr.q_proj.noalias() += dq * tp.x.transpose();
  gr.k_proj.noalias() += dk * tp.x.transpose();
  gr.v_proj.noalias() += dv * tp.x.transpose();
  dx.noalias() = q_proj.transpose() * dq;
  dx.noalias() += k_proj.transpose() * dk;
  dx.noalias() += v_proj.transpose() * dv;
}

template <class S>
std::unique_ptr<LayerState> Attention<S>::new_state(int64_t max_context) const {
  if (max_context < 1) throw std::invalid_argument("attn: max_context must be >= 1, got " + std::to_string(max_context));
  auto st = std::make_unique<AttnState<S>>();
  const int hd = c_.head_dim;
  st->capacity = c_.window > 0 ? std::min<int64_t>(c_.window, max_context) : max_context;
  st->k_cache = Mat<S>::Zero(hd, c_.kv_heads * st->capacity);
  st->v_cache = Mat<S>::Zero(hd, c_.kv_heads * st->capacity);
  st->q.resize(c_.heads * hd);
  st->o.resize(c_.heads * hd);
  st->k.resize(c_.kv_heads * hd);
  st->v.resize(c_.kv_heads * hd);
  st->scores.resize(st->capacity, 1);
  st->rms.resize(c_.heads);
  return st;
}

template <class S>
void Attention<S>::step(const Vec<S>& x, S, LayerState& state, Vec<S>& y) const {
  auto& st = static_cast<AttnState<S>&>(state);
  const int hd = c_.head_dim, H = c_.heads, G = c_.kv_heads, group = H / G;
  const S scale = S(1) / std::sqrt(static_cast<S>(hd));
  // The cache must hold every token the newest one may see: all of them (full) or the last window.
  const int64_t needed = c_.window > 0 ? std::min<int64_t>(c_.window, st.pos + 1) : st.pos + 1;
  if (needed > st.capacity)
    throw std::length_error("attn: stream reached " + std::to_string(st.pos + 1) +
                            " tokens but the KV cache holds max_context = " + std::to_string(st.capacity));
  st.q.noalias() = q_proj * x;
  st.k.noalias() = k_proj * x;
  st.v.noalias() = v_proj * x;
  Eigen::Map<Mat<S>> qh(st.q.data(), hd, H), kh(st.k.data(), hd, G);
  rms_norm_forward<S>(qh, q_norm.col(0), qh, st.rms.head(H));
  rms_norm_forward<S>(kh, k_norm.col(0), kh, st.rms.head(G));
  rope(st.q.data(), H, st.pos, 1);
  rope(st.k.data(), G, st.pos, 1);
  const int64_t slot = st.pos % st.capacity, cap = st.capacity;
  for (int g = 0; g < G; ++g) {
    st.k_cache.col(g * cap + slot) = st.k.segment(g * hd, hd);
    st.v_cache.col(g * cap + slot) = st.v.segment(g * hd, hd);
  }
  const int n = static_cast<int>(std::min<int64_t>(st.pos + 1, cap));
  for (int h = 0; h < H; ++h) {
    // Matrix-vector products only: Eigen's GEMM may take heap scratch for long caches.
    const auto kg = st.k_cache.middleCols((h / group) * cap, n);
    const auto vg = st.v_cache.middleCols((h / group) * cap, n);
    auto s = st.scores.col(0).head(n);
    s.noalias() = scale * (kg.transpose() * st.q.segment(h * hd, hd));
    s = (s.array() - s.maxCoeff()).exp().matrix();
    s /= s.sum();
    st.o.segment(h * hd, hd).noalias() = vg * s;
  }
  y.noalias() = o_proj * st.o;
  ++st.pos;
}

template class Attention<float>;
template class Attention<double>;

}  // namespace liquid::lfm::backbone
