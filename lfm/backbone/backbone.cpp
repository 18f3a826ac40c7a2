#include "lfm/backbone/backbone.h"

#include <stdexcept>
#include <type_traits>

#include "lfm/backbone/attention.h"
#include "lfm/backbone/gated_conv.h"
#include "lfm/backbone/liquid_block.h"
#include "lfm/backbone/moe.h"
#include "lfm/backbone/swiglu.h"

namespace liquid::lfm::backbone {
namespace {

template <class S>
struct BackboneTape final : LayerTape {
  std::vector<Mat<S>> h;                 // residual stream entering unit i; h[n] enters the final norm
  std::vector<Mat<S>> normed;            // RMSNorm_i(h_i)
  std::vector<RowVec<S>> rms;            // 1/rms per column, per unit; rms[n] for the final norm
  std::vector<std::unique_ptr<LayerTape>> tapes;
};

template <class S>
struct BackboneState final : LayerState {
  std::vector<std::unique_ptr<LayerState>> units;
  Vec<S> h, normed, f;
  RowVec<S> rms;
  void reset() override {
    for (auto& u : units) u->reset();
  }
  void save(std::vector<double>& out) const override {
    for (const auto& u : units) u->save(out);
  }
  void restore(std::span<const double>& in) override {
    for (auto& u : units) u->restore(in);
  }
};

// splitmix64: independent seeds for the units from one backbone seed.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

template <class S>
std::unique_ptr<Layer<S>> make_unit(const BlockSpec& b, int d, uint64_t seed, bool init) {
  switch (b.kind) {
    case BlockKind::kConv: {
      auto l = std::make_unique<GatedConv<S>>(d, b.kernel);
      if (init) l->init(seed);
      return l;
    }
    case BlockKind::kAttn: {
      auto l = std::make_unique<Attention<S>>(AttentionConfig{d, b.heads, b.kv_heads, b.head_dim, b.window});
      if (init) l->init(seed);
      return l;
    }
    case BlockKind::kMlp: {
      auto l = std::make_unique<SwiGlu<S>>(d, b.ratio * d);
      if (init) l->init(seed);
      return l;
    }
    case BlockKind::kLiquid:
      if constexpr (std::is_same_v<S, float>) {
        auto l = std::make_unique<LiquidBlock>(d, b.units, b.backbone_units);
        if (init) l->init(seed);
        return l;
      } else {
        throw std::invalid_argument("genome: liquid blocks are float only (they reuse CfcCell)");
      }
    case BlockKind::kMoe: {
      auto l = std::make_unique<Moe<S>>(d, b.experts, b.top_k, b.ratio * d);
      if (init) l->init(seed);
      return l;
    }
  }
  throw std::invalid_argument("genome: unknown block kind");
}

}  // namespace

template <class S>
Backbone<S>::Backbone(const Genome& genome, Empty) : genome_(genome) {
  if (genome.d < 1) throw std::invalid_argument("backbone: width d must be >= 1, got " + std::to_string(genome.d));
  for (size_t i = 0; i < genome.blocks.size(); ++i) {
    units_.push_back(make_unit<S>(genome.blocks[i], genome.d, 0, false));
    zero_parameters<S>(*units_.back());
    units_.back()->prepare();
    norms_.push_back(Mat<S>::Zero(genome.d, 1));
  }
  final_norm_ = Mat<S>::Zero(genome.d, 1);
}

template <class S>
Backbone<S>::Backbone(const Genome& genome, uint64_t seed) : genome_(genome) {
  if (genome.d < 1) throw std::invalid_argument("backbone: width d must be >= 1, got " + std::to_string(genome.d));
  for (size_t i = 0; i < genome.blocks.size(); ++i) {
    units_.push_back(make_unit<S>(genome.blocks[i], genome.d, mix(seed + i), true));
    norms_.push_back(Mat<S>::Ones(genome.d, 1));
  }
  final_norm_ = Mat<S>::Ones(genome.d, 1);
}

template <class S>
void Backbone<S>::visit(const std::string& prefix, const ParamFn<S>& fn) {
  for (size_t i = 0; i < units_.size(); ++i) {
    const std::string p = prefix + "blocks." + std::to_string(i) + ".";
    fn(p + "norm.weight", {genome_.d}, norms_[i]);
    units_[i]->visit(p + std::string(units_[i]->kind()) + ".", fn);
  }
  fn(prefix + "norm.weight", {genome_.d}, final_norm_);
}

template <class S>
void Backbone<S>::for_each_parameter(const std::string& prefix, const ParamVisitor& visit_fn) {
  if constexpr (std::is_same_v<S, float>) {
    visit(prefix, [&](const std::string& name, const Shape& shape, Mat<S>& v) { visit_fn({name, shape, &v, true}); });
  } else {
    (void)prefix;
    (void)visit_fn;
    throw std::logic_error("backbone: for_each_parameter is for float backbones");
  }
}

template <class S>
std::unique_ptr<Layer<S>> Backbone<S>::zeros_like() const {
  return std::unique_ptr<Layer<S>>(new Backbone(genome_, Empty{}));
}

template <class S>
void Backbone<S>::prepare() {
  for (auto& u : units_) u->prepare();
}

template <class S>
std::unique_ptr<LayerTape> Backbone<S>::new_tape() const {
  auto t = std::make_unique<BackboneTape<S>>();
  for (const auto& u : units_) t->tapes.push_back(u->new_tape());
  return t;
}

template <class S>
void Backbone<S>::forward(const Mat<S>& x, const Seq<S>& seq, Mat<S>& y, LayerTape& tape_base) const {
  auto& tp = static_cast<BackboneTape<S>&>(tape_base);
  const size_t n = units_.size();
  const Eigen::Index N = x.cols();
  if (x.rows() != genome_.d || N != Eigen::Index(seq.batch) * seq.steps)
    throw std::invalid_argument("backbone: x must be d x (batch steps) = " + std::to_string(genome_.d) + " x " +
                                std::to_string(seq.batch * seq.steps) + ", got " + std::to_string(x.rows()) +
                                " x " + std::to_string(N));
  if (seq.dt && seq.dt->size() != N)
    throw std::invalid_argument("backbone: dt must hold one gap per token (" + std::to_string(N) + "), got " +
                                std::to_string(seq.dt->size()));
  tp.h.resize(n + 1);
  tp.normed.resize(n);
  tp.rms.resize(n + 1);
  tp.h[0] = x;
  Mat<S> f;
  for (size_t i = 0; i < n; ++i) {
    tp.normed[i].resize(genome_.d, N);
    tp.rms[i].resize(N);
    rms_norm_forward<S>(tp.h[i], norms_[i].col(0), tp.normed[i], tp.rms[i]);
    units_[i]->forward(tp.normed[i], seq, f, *tp.tapes[i]);
    tp.h[i + 1] = tp.h[i] + f;
  }
  y.resize(genome_.d, N);
  tp.rms[n].resize(N);
  rms_norm_forward<S>(tp.h[n], final_norm_.col(0), y, tp.rms[n]);
}

template <class S>
void Backbone<S>::backward(const LayerTape& tape_base, const Mat<S>& dy, Mat<S>& dx, Layer<S>& grads_base) const {
  const auto& tp = static_cast<const BackboneTape<S>&>(tape_base);
  auto& g = static_cast<Backbone&>(grads_base);
  const size_t n = units_.size();
  Mat<S> dh(genome_.d, dy.cols()), d_normed, d_from_norm(genome_.d, dy.cols());
  rms_norm_backward<S>(tp.h[n], final_norm_.col(0), tp.rms[n], dy, dh, g.final_norm_.col(0));
  for (size_t i = n; i-- > 0;) {
    units_[i]->backward(*tp.tapes[i], dh, d_normed, *g.units_[i]);
    rms_norm_backward<S>(tp.h[i], norms_[i].col(0), tp.rms[i], d_normed, d_from_norm, g.norms_[i].col(0));
    dh += d_from_norm;  // the residual path carries dh straight through
  }
  dx = std::move(dh);
}

template <class S>
S Backbone<S>::aux_loss(const LayerTape& tape_base) const {
  const auto& tp = static_cast<const BackboneTape<S>&>(tape_base);
  S total = 0;
  for (size_t i = 0; i < units_.size(); ++i) total += units_[i]->aux_loss(*tp.tapes[i]);
  return total;
}

template <class S>
std::unique_ptr<LayerState> Backbone<S>::new_state(int64_t max_context) const {
  auto st = std::make_unique<BackboneState<S>>();
  for (const auto& u : units_) st->units.push_back(u->new_state(max_context));
  st->h.resize(genome_.d);
  st->normed.resize(genome_.d);
  st->f.resize(genome_.d);
  st->rms.resize(1);
  return st;
}

template <class S>
void Backbone<S>::step(const Vec<S>& x, S dt, LayerState& state, Vec<S>& y) const {
  auto& st = static_cast<BackboneState<S>&>(state);
  if (x.size() != genome_.d || y.size() != genome_.d)
    throw std::invalid_argument("backbone: step x and y must have d = " + std::to_string(genome_.d) +
                                " rows, got " + std::to_string(x.size()) + " and " + std::to_string(y.size()));
  st.h = x;
  for (size_t i = 0; i < units_.size(); ++i) {
    rms_norm_forward<S>(st.h, norms_[i].col(0), st.normed, st.rms);
    units_[i]->step(st.normed, dt, *st.units[i], st.f);
    st.h += st.f;
  }
  rms_norm_forward<S>(st.h, final_norm_.col(0), y, st.rms);
}

template class Backbone<float>;
template class Backbone<double>;

}  // namespace liquid::lfm::backbone
