#include "lfm/ltc_cell.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include "lfm/fast_sigmoid.h"
#include "lfm/ltc_system.h"

namespace liquid::lfm {

Mapping parse_mapping(std::string_view name) {
  if (name == "affine") return Mapping::kAffine;
  if (name == "linear") return Mapping::kLinear;
  if (name == "none" || name == "null" || name.empty()) return Mapping::kNone;
  throw std::invalid_argument("mapping '" + std::string(name) + "' unknown; expected affine, linear or none");
}

std::string_view mapping_name(Mapping m) {
  switch (m) {
    case Mapping::kAffine: return "affine";
    case Mapping::kLinear: return "linear";
    case Mapping::kNone: return "none";
  }
  return "?";
}

LtcSolver parse_ltc_solver(std::string_view name) {
  if (name == "fused") return LtcSolver::kFused;
  if (name == "dopri5") return LtcSolver::kDopri5;
  throw std::invalid_argument("ltc solver '" + std::string(name) + "' unknown; expected fused or dopri5");
}

std::string_view ltc_solver_name(LtcSolver s) { return s == LtcSolver::kFused ? "fused" : "dopri5"; }

namespace {

// torch.nn.Softplus (beta 1, threshold 20): linear above 20 where log1p(exp(x)) == x in float.
Eigen::ArrayXXf softplus(const Eigen::ArrayXXf& x) {
  return x.unaryExpr([](float v) { return v > 20.0f ? v : std::log1p(std::exp(v)); });
}

}  // namespace

namespace {

using Packet = Eigen::internal::packet_traits<float>::type;
constexpr int kLanes = Eigen::internal::packet_traits<float>::size;

// The synapses of one presynaptic value `pre` onto postsynaptic neurons [0, n), n a multiple of
// kLanes: s = sigmoid(sigma pre + neg_sigma_mu); numerator += w_erev s; denominator += w s.
// One pass, whole packets: absent synapses have w = 0 and add exactly nothing.
void accumulate_synapses(const float* sigma, const float* neg_sigma_mu, const float* w_erev, const float* w,
                         float pre, int n, float* numerator, float* denominator) noexcept {
  using namespace Eigen::internal;
  const Packet pre_p = pset1<Packet>(pre);
  const FastSigmoidOp sigmoid;
  for (int j = 0; j < n; j += kLanes) {
    const Packet s = sigmoid.packetOp(pmadd(ploadu<Packet>(sigma + j), pre_p, ploadu<Packet>(neg_sigma_mu + j)));
    pstoreu(numerator + j, pmadd(ploadu<Packet>(w_erev + j), s, ploadu<Packet>(numerator + j)));
    pstoreu(denominator + j, pmadd(ploadu<Packet>(w + j), s, ploadu<Packet>(denominator + j)));
  }
}

// P packets of postsynaptic neurons against every presynaptic neuron, sums held in registers.
struct DenseBlock {
  const float *sigma, *neg_sigma_mu, *w_erev, *w;  // column 0 of the block; columns `stride` apart
  Eigen::Index stride;
  float *numerator, *denominator;
};

template <int P>
void accumulate_dense_block(const DenseBlock& b, const Eigen::VectorXf& v) noexcept {
  using namespace Eigen::internal;
  const FastSigmoidOp sigmoid;
  Packet num[P], den[P];
  for (int k = 0; k < P; ++k) {
    num[k] = ploadu<Packet>(b.numerator + k * kLanes);
    den[k] = ploadu<Packet>(b.denominator + k * kLanes);
  }
  for (Eigen::Index i = 0; i < v.size(); ++i) {
    const Eigen::Index col = i * b.stride;
    const Packet pre = pset1<Packet>(v(i));
    for (int k = 0; k < P; ++k) {
      const Eigen::Index at = col + k * kLanes;
      const Packet s = sigmoid.packetOp(pmadd(ploadu<Packet>(b.sigma + at), pre, ploadu<Packet>(b.neg_sigma_mu + at)));
      num[k] = pmadd(ploadu<Packet>(b.w_erev + at), s, num[k]);
      den[k] = pmadd(ploadu<Packet>(b.w + at), s, den[k]);
    }
  }
  for (int k = 0; k < P; ++k) {
    pstoreu(b.numerator + k * kLanes, num[k]);
    pstoreu(b.denominator + k * kLanes, den[k]);
  }
}

}  // namespace

LtcCell::LtcCell(const LtcConfig& config, const Eigen::MatrixXf& adjacency, const Eigen::MatrixXf& sensory_adjacency)
    : config_(config) {
  const int u = config.units, n_in = config.input_size;
  if (n_in <= 0) throw std::invalid_argument("ltc input_size must be positive, got " + std::to_string(n_in));
  if (u <= 0) throw std::invalid_argument("ltc units must be positive, got " + std::to_string(u));
  if (config.motor_size <= 0 || config.motor_size > u)
    throw std::invalid_argument("ltc motor_size must be in [1, " + std::to_string(u) + "], got " + std::to_string(config.motor_size));
  if (config.ode_unfolds <= 0) throw std::invalid_argument("ltc ode_unfolds must be positive, got " + std::to_string(config.ode_unfolds));
  if (adjacency.rows() != u || adjacency.cols() != u)
    throw std::invalid_argument("ltc adjacency_matrix must be " + std::to_string(u) + " x " + std::to_string(u));
  if (sensory_adjacency.rows() != n_in || sensory_adjacency.cols() != u)
    throw std::invalid_argument("ltc sensory_adjacency_matrix must be " + std::to_string(n_in) + " x " + std::to_string(u));

  gleak_ = Eigen::MatrixXf::Constant(u, 1, 0.5f);
  vleak_ = Eigen::MatrixXf::Zero(u, 1);
  cm_ = Eigen::MatrixXf::Constant(u, 1, 0.5f);
  sigma_ = Eigen::MatrixXf::Constant(u, u, 5.0f);
  mu_ = Eigen::MatrixXf::Constant(u, u, 0.5f);
  w_ = Eigen::MatrixXf::Constant(u, u, 0.5f);
  erev_ = adjacency;
  sensory_sigma_ = Eigen::MatrixXf::Constant(n_in, u, 5.0f);
  sensory_mu_ = Eigen::MatrixXf::Constant(n_in, u, 0.5f);
  sensory_w_ = Eigen::MatrixXf::Constant(n_in, u, 0.5f);
  sensory_erev_ = sensory_adjacency;
  sparsity_mask_ = adjacency.cwiseAbs();
  sensory_sparsity_mask_ = sensory_adjacency.cwiseAbs();
  input_w_ = Eigen::MatrixXf::Ones(n_in, 1);
  input_b_ = Eigen::MatrixXf::Zero(n_in, 1);
  output_w_ = Eigen::MatrixXf::Ones(config.motor_size, 1);
  output_b_ = Eigen::MatrixXf::Zero(config.motor_size, 1);
  prepare();
}

void LtcCell::for_each_parameter(const std::string& prefix, const ParamVisitor& visit) {
  auto vec = [&](const char* name, Eigen::MatrixXf& m) { visit({prefix + name, {m.rows()}, &m, true}); };
  auto mat = [&](const char* name, Eigen::MatrixXf& m, bool trainable = true) {
    visit({prefix + name, {m.rows(), m.cols()}, &m, trainable});
  };
  // The order of ncps's state_dict.
  vec("gleak", gleak_);
  vec("vleak", vleak_);
  vec("cm", cm_);
  mat("sigma", sigma_);
  mat("mu", mu_);
  mat("w", w_);
  mat("erev", erev_);
  mat("sensory_sigma", sensory_sigma_);
  mat("sensory_mu", sensory_mu_);
  mat("sensory_w", sensory_w_);
  mat("sensory_erev", sensory_erev_);
  mat("sparsity_mask", sparsity_mask_, false);
  mat("sensory_sparsity_mask", sensory_sparsity_mask_, false);
  if (config_.input_mapping != Mapping::kNone) vec("input_w", input_w_);
  if (config_.input_mapping == Mapping::kAffine) vec("input_b", input_b_);
  if (config_.output_mapping != Mapping::kNone) vec("output_w", output_w_);
  if (config_.output_mapping == Mapping::kAffine) vec("output_b", output_b_);
}

void LtcCell::prepare() {
  auto positive = [&](const Eigen::MatrixXf& p) -> Eigen::ArrayXXf {
    return config_.implicit_param_constraints ? softplus(p.array()) : Eigen::ArrayXXf(p.array());
  };
  // Transposed to (postsynaptic x presynaptic) and padded with zero rows to whole packets.
  const int u = config_.units, padded = padded_units();
  auto transposed = [&](const Eigen::ArrayXXf& a) {
    Eigen::ArrayXXf t = Eigen::ArrayXXf::Zero(padded, a.rows());
    t.topRows(u) = a.transpose();
    return t;
  };
  w_t_ = transposed(positive(w_) * sparsity_mask_.array());
  w_erev_t_ = transposed(positive(w_) * sparsity_mask_.array() * erev_.array());
  sigma_t_ = transposed(sigma_.array());
  neg_sigma_mu_t_ = transposed(-(sigma_.array() * mu_.array()));
  sensory_w_t_ = transposed(positive(sensory_w_) * sensory_sparsity_mask_.array());
  sensory_w_erev_t_ = transposed(positive(sensory_w_) * sensory_sparsity_mask_.array() * sensory_erev_.array());
  sensory_sigma_t_ = transposed(sensory_sigma_.array());
  sensory_neg_sigma_mu_t_ = transposed(-(sensory_sigma_.array() * sensory_mu_.array()));
  gleak_pos_ = positive(gleak_).col(0);
  gleak_vleak_ = gleak_pos_ * vleak_.array().col(0);
  cm_pos_ = positive(cm_).col(0);

  // d softplus(x)/dx = sigmoid(x), 1 above torch's threshold 20 (and 1 without constraints).
  auto positive_grad = [&](const Eigen::MatrixXf& p) -> Eigen::ArrayXXf {
    if (!config_.implicit_param_constraints) return Eigen::ArrayXXf::Ones(p.rows(), p.cols());
    return p.array().unaryExpr([](float x) { return x > 20.0f ? 1.0f : 1.0f / (1.0f + std::exp(-x)); });
  };
  w_eff_ = positive(w_) * sparsity_mask_.array();
  sensory_w_eff_ = positive(sensory_w_) * sensory_sparsity_mask_.array();
  w_eff_grad_ = positive_grad(w_) * sparsity_mask_.array();
  sensory_w_eff_grad_ = positive_grad(sensory_w_) * sensory_sparsity_mask_.array();
  cm_pos_grad_ = positive_grad(cm_).col(0);
  gleak_pos_grad_ = positive_grad(gleak_).col(0);
  neg_sigma_mu_ = -(sigma_.array() * mu_.array());
  source_ranges_.assign(u, {0, 0});
  for (int j = 0; j < u; ++j) {
    int lo = -1, hi = -1;
    for (int i = 0; i < u; ++i)
      if (sparsity_mask_(i, j) != 0.0f) {
        if (lo < 0) lo = i;
        hi = i;
      }
    if (lo < 0) continue;
    // Widened to whole packets where the neurons allow: the extra synapses are absent (w = 0 and
    // a zero gradient factor), so they add exact zeros, and the backward kernel runs no scalar tail.
    const int packets_len = (hi + 1 - lo + kLanes - 1) / kLanes * kLanes;
    const int begin = packets_len <= u ? std::min(lo, u - packets_len) : lo;
    source_ranges_[j] = {begin, packets_len <= u ? begin + packets_len : hi + 1};
  }

  // A presynaptic neuron's synapses usually reach a contiguous run of neurons (NCP layers are
  // contiguous id ranges), so each source evaluates only the whole packets covering that run.
  spans_.clear();
  for (int i = 0; i < u; ++i) {
    int lo = -1, hi = -1;
    for (int j = 0; j < u; ++j)
      if (w_t_(j, i) != 0.0f) {
        if (lo < 0) lo = j;
        hi = j;
      }
    if (lo < 0) continue;
    const int first = lo / kLanes * kLanes;
    const int end = (hi / kLanes + 1) * kLanes;
    spans_.push_back({i, first, end - first});
  }
  dense_ = static_cast<int>(spans_.size()) == u &&
           std::all_of(spans_.begin(), spans_.end(), [&](const SourceSpan& s) { return s.count == padded; });
}

void LtcCell::init_weights(uint64_t seed) {
  // ncps's init ranges: every parameter uniform in its range; erev keeps the wiring's polarities.
  std::mt19937_64 rng(seed);
  auto fill = [&](Eigen::MatrixXf& m, float lo, float hi) {
    std::uniform_real_distribution<float> dist(lo, hi);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = dist(rng);
  };
  fill(gleak_, 0.001f, 1.0f);
  fill(vleak_, -0.2f, 0.2f);
  fill(cm_, 0.4f, 0.6f);
  fill(w_, 0.001f, 1.0f);
  fill(sigma_, 3.0f, 8.0f);
  fill(mu_, 0.3f, 0.8f);
  fill(sensory_w_, 0.001f, 1.0f);
  fill(sensory_sigma_, 3.0f, 8.0f);
  fill(sensory_mu_, 0.3f, 0.8f);
  input_w_.setOnes();
  input_b_.setZero();
  output_w_.setOnes();
  output_b_.setZero();
  prepare();
}

void LtcCell::apply_weight_constraints() {
  if (config_.implicit_param_constraints) return;
  for (Eigen::MatrixXf* p : {&w_, &sensory_w_, &cm_, &gleak_}) *p = p->cwiseMax(0.0f);
  prepare();
}

int LtcCell::synapse_count() const { return static_cast<int>(sparsity_mask_.sum()); }
int LtcCell::sensory_synapse_count() const { return static_cast<int>(sensory_sparsity_mask_.sum()); }

void LtcCell::resize_workspace(LtcWorkspace& ws) const {
  const int u = config_.units;
  ws.mapped_input.resize(config_.input_size);
  for (Eigen::VectorXf* v : {&ws.v, &ws.numerator, &ws.denominator}) v->resize(u);
  ws.fused = ode::FusedSemiImplicit<Eigen::VectorXf>(ws.v, config_.epsilon);
  ws.dopri5 = ode::Dopri5<Eigen::VectorXf>(ws.v, {config_.abs_tol, config_.rel_tol});
  for (Eigen::VectorXf* v : {&ws.sensory_numerator, &ws.sensory_denominator, &ws.padded_numerator, &ws.padded_denominator})
    v->resize(padded_units());
}


int LtcCell::padded_units() const { return (config_.units + kLanes - 1) / kLanes * kLanes; }

void LtcCell::set_input(const Eigen::Ref<const Eigen::VectorXf>& x, LtcWorkspace& ws) const noexcept {
  auto& in = ws.mapped_input;
  in = x;
  if (config_.input_mapping != Mapping::kNone) in.array() *= input_w_.col(0).array();
  if (config_.input_mapping == Mapping::kAffine) in.array() += input_b_.col(0).array();

  // Sensory synapses depend on the input only: computed once per sample, not once per unfold.
  const int padded = padded_units();
  ws.sensory_numerator.head(config_.units) = gleak_vleak_.matrix();
  ws.sensory_denominator.head(config_.units) = gleak_pos_.matrix();
  ws.sensory_numerator.tail(padded - config_.units).setZero();
  ws.sensory_denominator.tail(padded - config_.units).setZero();
  for (int k = 0; k < config_.input_size; ++k)
    accumulate_synapses(&sensory_sigma_t_(0, k), &sensory_neg_sigma_mu_t_(0, k), &sensory_w_erev_t_(0, k),
                        &sensory_w_t_(0, k), in(k), padded, ws.sensory_numerator.data(), ws.sensory_denominator.data());
}

void LtcCell::conductances(const Eigen::VectorXf& v, Eigen::VectorXf& numerator, Eigen::VectorXf& denominator,
                           LtcWorkspace& ws) const noexcept {
  // numerator = gleak vleak + sum_i w_i s_i erev_i,  denominator = gleak + sum_i w_i s_i
  ws.padded_numerator = ws.sensory_numerator;
  ws.padded_denominator = ws.sensory_denominator;
  if (dense_) {
    // Every neuron reaches every other: blocks of up to four packets of postsynaptic neurons keep
    // their sums in registers across all presynaptic neurons.
    const int padded = padded_units();
    for (int block = 0; block < padded; block += 4 * kLanes) {
      const DenseBlock b{&sigma_t_(block, 0), &neg_sigma_mu_t_(block, 0), &w_erev_t_(block, 0), &w_t_(block, 0),
                         sigma_t_.rows(), ws.padded_numerator.data() + block, ws.padded_denominator.data() + block};
      switch (std::min(4, (padded - block) / kLanes)) {
        case 4: accumulate_dense_block<4>(b, v); break;
        case 3: accumulate_dense_block<3>(b, v); break;
        case 2: accumulate_dense_block<2>(b, v); break;
        default: accumulate_dense_block<1>(b, v); break;
      }
    }
  } else {
    for (const SourceSpan& span : spans_) {
      const int i = span.source, f = span.first;
      accumulate_synapses(&sigma_t_(f, i), &neg_sigma_mu_t_(f, i), &w_erev_t_(f, i), &w_t_(f, i), v(i), span.count,
                          ws.padded_numerator.data() + f, ws.padded_denominator.data() + f);
    }
  }
  numerator = ws.padded_numerator.head(config_.units);
  denominator = ws.padded_denominator.head(config_.units);
}

void LtcCell::forward(const Eigen::Ref<const Eigen::VectorXf>& x, Eigen::Ref<Eigen::VectorXf> v, double dt,
                      Eigen::Ref<Eigen::VectorXf> y, LtcWorkspace& ws) const {
  // A zero gap leaves the state where it is (the limit of both solvers as dt -> 0).
  if (dt > 0.0) {
    set_input(x, ws);
    ws.v = v;
    const LtcSystem system(*this, ws);
    if (config_.solver == LtcSolver::kFused)
      ode::integrate_n_steps(ws.fused, system, ws.v, 0.0, dt, config_.ode_unfolds);
    else
      ode::integrate_adaptive(ws.dopri5, system, ws.v, 0.0, dt);
    v = ws.v;
  }

  const int m = config_.motor_size;
  y = v.head(m);
  if (config_.output_mapping != Mapping::kNone) y.array() *= output_w_.col(0).array();
  if (config_.output_mapping == Mapping::kAffine) y.array() += output_b_.col(0).array();
}

}  // namespace liquid::lfm
