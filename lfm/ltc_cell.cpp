#include "lfm/ltc_cell.h"

#include <cmath>
#include <random>
#include <stdexcept>

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
  w_t_ = (positive(w_) * sparsity_mask_.array()).transpose();
  w_erev_t_ = w_t_ * erev_.array().transpose();
  sigma_t_ = sigma_.array().transpose();
  mu_t_ = mu_.array().transpose();
  sensory_w_t_ = (positive(sensory_w_) * sensory_sparsity_mask_.array()).transpose();
  sensory_w_erev_t_ = sensory_w_t_ * sensory_erev_.array().transpose();
  sensory_sigma_t_ = sensory_sigma_.array().transpose();
  sensory_mu_t_ = sensory_mu_.array().transpose();
  gleak_pos_ = positive(gleak_).col(0);
  gleak_vleak_ = gleak_pos_ * vleak_.array().col(0);
  cm_pos_ = positive(cm_).col(0);

  // A presynaptic neuron's synapses usually reach a contiguous run of neurons (NCP layers are
  // contiguous id ranges), so each source only evaluates the span between its first and last target.
  spans_.clear();
  for (int i = 0; i < config_.units; ++i) {
    int lo = -1, hi = -1;
    for (int j = 0; j < config_.units; ++j)
      if (w_t_(j, i) != 0.0f) {
        if (lo < 0) lo = j;
        hi = j;
      }
    if (lo >= 0) spans_.push_back({i, lo, hi - lo + 1});
  }
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
  ws.activation.resize(std::max(u, config_.input_size));
  for (Eigen::VectorXf* v : {&ws.sensory_numerator, &ws.sensory_denominator, &ws.v, &ws.numerator,
                             &ws.denominator, &ws.cm_over_h, &ws.derivative})
    v->resize(u);
}

void LtcCell::set_input(const Eigen::Ref<const Eigen::VectorXf>& x, LtcWorkspace& ws) const noexcept {
  auto& in = ws.mapped_input;
  in = x;
  if (config_.input_mapping != Mapping::kNone) in.array() *= input_w_.col(0).array();
  if (config_.input_mapping == Mapping::kAffine) in.array() += input_b_.col(0).array();

  // Sensory synapses depend on the input only: computed once per sample, not once per unfold.
  ws.sensory_numerator.array() = gleak_vleak_;
  ws.sensory_denominator.array() = gleak_pos_;
  const int u = config_.units;
  auto s = ws.activation.head(u).array();
  for (int k = 0; k < config_.input_size; ++k) {
    s = (sensory_sigma_t_.col(k) * (in(k) - sensory_mu_t_.col(k))).logistic();
    ws.sensory_numerator.array() += sensory_w_erev_t_.col(k) * s;
    ws.sensory_denominator.array() += sensory_w_t_.col(k) * s;
  }
}

void LtcCell::conductances(const Eigen::VectorXf& v, Eigen::VectorXf& numerator, Eigen::VectorXf& denominator,
                           LtcWorkspace& ws) const noexcept {
  // numerator = gleak vleak + sum_i w_i s_i erev_i,  denominator = gleak + sum_i w_i s_i
  numerator = ws.sensory_numerator;
  denominator = ws.sensory_denominator;
  for (const SourceSpan& span : spans_) {
    const int i = span.source;
    auto s = ws.activation.segment(span.first, span.count).array();
    s = (sigma_t_.col(i).segment(span.first, span.count) * (v(i) - mu_t_.col(i).segment(span.first, span.count))).logistic();
    numerator.segment(span.first, span.count).array() += w_erev_t_.col(i).segment(span.first, span.count) * s;
    denominator.segment(span.first, span.count).array() += w_t_.col(i).segment(span.first, span.count) * s;
  }
}

void LtcCell::forward(const Eigen::Ref<const Eigen::VectorXf>& x, Eigen::Ref<Eigen::VectorXf> v, double dt,
                      Eigen::Ref<Eigen::VectorXf> y, LtcWorkspace& ws) const {
  set_input(x, ws);
  ws.v = v;
  LtcSystem system(*this, ws);
  if (config_.solver == LtcSolver::kFused)
    system.integrate_fused(ws.v, dt, config_.ode_unfolds, config_.epsilon);
  else
    system.integrate_dopri5(ws.v, dt, config_.abs_tol, config_.rel_tol);
  v = ws.v;

  const int m = config_.motor_size;
  y = v.head(m);
  if (config_.output_mapping != Mapping::kNone) y.array() *= output_w_.col(0).array();
  if (config_.output_mapping == Mapping::kAffine) y.array() += output_b_.col(0).array();
}

}  // namespace liquid::lfm
