// Backpropagation through one LTC step with ncps's fused solver (ltc_cell.py, _ode_solver): the
// forward pass keeps the state before every unfold, the backward pass walks the unfolds in reverse
// recomputing the synapse activations from those states. Plain per-sample Eigen code: the forward
// kernels in ltc_cell.cpp stay untouched.
#include <cmath>
#include <stdexcept>

#include "lfm/fast_sigmoid.h"
#include "lfm/ltc_cell.h"
#include "lfm/ltc_system.h"

namespace liquid::lfm {

namespace {

// The backward kernel walks one postsynaptic neuron j at a time: its synapses are column j of the
// (source x destination) parameter matrices, contiguous over the presynaptic neurons, so one pass
// recomputes the activations and the denominator and a second, over the same few cache lines,
// writes every synapse's gradient straight into ncps's layout. Whole SIMD packets first, then the
// same code with Packet = float for the tail.
struct SynapseColumns {
  const float *sigma, *mu, *neg_sigma_mu, *w, *erev, *w_grad;  // parameters, src x dest
  float *d_sigma, *d_mu, *d_erev, *d_w;                         // gradients, same layout
  float* s;                                                     // one column's activations
};

using Packet = Eigen::internal::packet_traits<float>::type;
constexpr int kLanes = Eigen::internal::packet_traits<float>::size;

// s_i = sigmoid(sigma_ij v_i - sigma_ij mu_ij) into syn.s; returns the packet of w_ij s_i.
template <class P>
inline P activation(const SynapseColumns& syn, ptrdiff_t at, const float* v, int i) {
  using namespace Eigen::internal;
  const P s = FastSigmoidOp().packetOp(pmadd(ploadu<P>(syn.sigma + at), ploadu<P>(v + i), ploadu<P>(syn.neg_sigma_mu + at)));
  pstoreu(syn.s + i, s);
  return pmul(ploadu<P>(syn.w + at), s);
}

inline float synapse_denominator(const SynapseColumns& syn, ptrdiff_t col, const float* v, int begin, int end) {
  using namespace Eigen::internal;
  Packet sum = pset1<Packet>(0.0f);
  int i = begin;
  for (; i + kLanes <= end; i += kLanes) sum = padd(sum, activation<Packet>(syn, col + i, v, i));
  float tail = 0.0f;
  for (; i < end; ++i) tail += activation<float>(syn, col + i, v, i);
  return predux(sum) + tail;
}

// Synapse i -> j adds a_ij erev_ij to N_j and a_ij to D_j (a = w s):
//   da = erev dN_j + dD_j,  derev = a dN_j,  dw = da s w_grad,  dz = da w s (1 - s),
//   dsigma = dz (v_i - mu),  dmu = -dz sigma,  dv_i += dz sigma.
template <class P>
inline void synapse_gradient(const SynapseColumns& syn, ptrdiff_t at, const float* v, int i, const P& dn, const P& dd,
                             float* dv) {
  using namespace Eigen::internal;
  const P s = ploadu<P>(syn.s + i), w = ploadu<P>(syn.w + at), sigma = ploadu<P>(syn.sigma + at);
  const P a = pmul(w, s);
  const P da = pmadd(ploadu<P>(syn.erev + at), dn, dd);
  pstoreu(syn.d_erev + at, pmadd(a, dn, ploadu<P>(syn.d_erev + at)));
  pstoreu(syn.d_w + at, pmadd(pmul(da, s), ploadu<P>(syn.w_grad + at), ploadu<P>(syn.d_w + at)));
  const P dz = pmul(pmul(da, a), psub(pset1<P>(1.0f), s));
  pstoreu(syn.d_sigma + at, pmadd(dz, psub(ploadu<P>(v + i), ploadu<P>(syn.mu + at)), ploadu<P>(syn.d_sigma + at)));
  const P dz_sigma = pmul(dz, sigma);
  pstoreu(syn.d_mu + at, psub(ploadu<P>(syn.d_mu + at), dz_sigma));
  pstoreu(dv + i, padd(ploadu<P>(dv + i), dz_sigma));
}

inline void synapse_gradients(const SynapseColumns& syn, ptrdiff_t col, const float* v, int begin, int end, float dn,
                              float dd, float* dv) {
  using namespace Eigen::internal;
  const Packet dn_p = pset1<Packet>(dn), dd_p = pset1<Packet>(dd);
  int i = begin;
  for (; i + kLanes <= end; i += kLanes) synapse_gradient<Packet>(syn, col + i, v, i, dn_p, dd_p, dv);
  for (; i < end; ++i) synapse_gradient<float>(syn, col + i, v, i, dn, dd, dv);
}

}  // namespace

void LtcCell::resize_tape(LtcTape& tape) const {
  tape.x.resize(config_.input_size);
  tape.mapped_input.resize(config_.input_size);
  tape.v.resize(config_.units, config_.ode_unfolds + 1);
}

void LtcCell::forward_taped(const Eigen::Ref<const Eigen::VectorXf>& x, Eigen::Ref<Eigen::VectorXf> v, double dt,
                            Eigen::Ref<Eigen::VectorXf> y, LtcWorkspace& ws, LtcTape& tape) const {
  if (config_.solver == LtcSolver::kDopri5) return forward_taped_dopri5(x, v, dt, y, ws, tape);
  resize_tape(tape);
  tape.dt = dt;
  tape.x = x;
  tape.v.col(0) = v;
  const int n = config_.ode_unfolds;
  if (dt > 0.0) {
    set_input(x, ws);
    tape.mapped_input = ws.mapped_input;
    ws.v = v;
    const LtcSystem system(*this, ws);
    // integrate_n_steps's substep, one unfold at a time so each intermediate state is kept: the
    // stepper ignores t, and h is computed the same way, so the result is bit-identical to forward().
    const double h = dt / static_cast<double>(n);
    for (int k = 0; k < n; ++k) {
      ws.fused.do_step(system, ws.v, dt * (static_cast<double>(k) / static_cast<double>(n)), h);
      tape.v.col(k + 1) = ws.v;
    }
    v = ws.v;
  } else {
    tape.mapped_input.setZero();
    tape.v.rightCols(n).colwise() = tape.v.col(0);
  }

  const int m = config_.motor_size;
  y = v.head(m);
  if (config_.output_mapping != Mapping::kNone) y.array() *= output_w_.col(0).array();
  if (config_.output_mapping == Mapping::kAffine) y.array() += output_b_.col(0).array();
}

void LtcCell::backward(const LtcTape& tape, const Eigen::Ref<const Eigen::VectorXf>& d_y,
                       const Eigen::Ref<const Eigen::VectorXf>& d_v_new, Eigen::Ref<Eigen::VectorXf> d_v_prev,
                       Eigen::Ref<Eigen::VectorXf> d_x, LtcCell& grads, LtcWorkspace& ws) const {
  const int u = config_.units, n_in = config_.input_size, m = config_.motor_size, n = config_.ode_unfolds;
  const bool dopri5 = config_.solver == LtcSolver::kDopri5;
  if (tape.v.rows() != u || tape.x.size() != n_in ||
      (dopri5 ? tape.v.cols() != static_cast<Eigen::Index>(tape.steps.size()) + 1 : tape.v.cols() != n + 1))
    throw std::invalid_argument("LtcCell::backward: the tape does not come from this cell's forward_taped");

  // Output mapping y = v[:m] * output_w + output_b:
  //   dL/dv[:m] += d_y * output_w,  dL/doutput_w += d_y * v[:m],  dL/doutput_b += d_y.
  auto& dv = ws.bw_dv;
  dv = d_v_new.array();
  ws.bw_dv_prev.resize(u);
  ws.bw_dn.resize(u);
  ws.bw_dd.resize(u);
  const auto v_new = tape.v.col(tape.v.cols() - 1).head(m).array();
  if (config_.output_mapping == Mapping::kNone) {
    dv.head(m) += d_y.array();
  } else {
    dv.head(m) += d_y.array() * output_w_.col(0).array();
    grads.output_w_.col(0).array() += d_y.array() * v_new;
  }
  if (config_.output_mapping == Mapping::kAffine) grads.output_b_.col(0).array() += d_y.array();

  if (!(tape.dt > 0.0)) {  // forward() left the state unchanged
    d_v_prev = dv.matrix();
    d_x.setZero();
    return;
  }

  // Effective (positive, masked) weights, source row x destination column as in ncps (prepare()).
  const auto sensory_erev = sensory_erev_.array();
  const auto sensory_sigma = sensory_sigma_.array();
  const auto sensory_mu = sensory_mu_.array();
  // The stepper's own float constants: cm_t = cm / h with 1/h rounded once, epsilon via double.
  const float inv_h = static_cast<float>(1.0 / (tape.dt / static_cast<double>(n)));
  const float eps = static_cast<float>(static_cast<double>(config_.epsilon));

  // Sensory activations are the same in every unfold and stage: s = sigmoid(sensory_sigma (in - sensory_mu)).
  const auto in = tape.mapped_input.array();
  ws.bw_sens_s = fast_sigmoid(sensory_sigma * ((-sensory_mu).colwise() + in));
  // Everything in the denominator that does not depend on v: cm_t + gleak + sensory + eps.
  ws.bw_den_const = cm_pos_ * inv_h + gleak_pos_ + (sensory_w_eff_ * ws.bw_sens_s).colwise().sum().transpose() + eps;

  ws.bw_sens_dn.setZero(u);
  ws.bw_sens_dd.setZero(u);
  ws.bw_d_cm.setZero(u);
  ws.bw_d_gleak.setZero(u);
  ws.bw_s.resize(u);
  if (dopri5) {
    backward_dopri5_steps(tape, grads, ws);
  } else {
  const SynapseColumns synapses{sigma_.data(), mu_.data(), neg_sigma_mu_.data(), w_eff_.data(), erev_.data(),
                                w_eff_grad_.data(), grads.sigma_.data(), grads.mu_.data(), grads.erev_.data(),
                                grads.w_.data(), ws.bw_s.data()};
  for (int k = n - 1; k >= 0; --k) {
    const float* v_k = tape.v.col(k).data();
    const auto v_next = tape.v.col(k + 1).array();
    // dv_k = cm_t dN (the state's own term) + the presynaptic terms the columns add.
    ws.bw_dv_prev.setZero();
    for (int j = 0; j < u; ++j) {
      const SourceRange r = source_ranges_[j];
      const ptrdiff_t col = ptrdiff_t(j) * u;
      const float den = ws.bw_den_const(j) + synapse_denominator(synapses, col, v_k, r.begin, r.end);
      // v_next = N / D:  dN = g / D,  dD = -g N / D^2 = -g v_next / D.
      const float dn = ws.bw_dv(j) / den;
      const float dd = -ws.bw_dv(j) * v_next(j) / den;
      ws.bw_dn(j) = dn;
      ws.bw_dd(j) = dd;
      synapse_gradients(synapses, col, v_k, r.begin, r.end, dn, dd, ws.bw_dv_prev.data());
    }
    const auto dn = ws.bw_dn, dd = ws.bw_dd;
    // N = cm_t v_k + gleak vleak + ...,  D = cm_t + gleak + ...,  cm_t = cm inv_h.
    ws.bw_d_cm += (dn * Eigen::Map<const Eigen::ArrayXf>(v_k, u) + dd) * inv_h;
    ws.bw_d_gleak += dn * vleak_.col(0).array() + dd;
    grads.vleak_.col(0).array() += dn * gleak_pos_;
    ws.bw_sens_dn += dn;
    ws.bw_sens_dd += dd;
    ws.bw_dv = ws.bw_dv_prev + cm_pos_ * inv_h * dn;
  }
  }
  d_v_prev = ws.bw_dv.matrix();

  // Sensory synapses, with dN and dD summed over the unfolds (they enter every unfold alike).
  auto& sda = ws.bw_sens_da;
  auto& sdz = ws.bw_sens_dz;
  const auto& ss = ws.bw_sens_s;
  sda = (sensory_erev.rowwise() * ws.bw_sens_dn.transpose()).rowwise() + ws.bw_sens_dd.transpose();
  grads.sensory_erev_.array() += (sensory_w_eff_ * ss).rowwise() * ws.bw_sens_dn.transpose();
  sdz = sda * sensory_w_eff_ * ss * (1.0f - ss);
  grads.sensory_sigma_.array() += sdz * ((-sensory_mu).colwise() + in);
  grads.sensory_mu_.array() -= sdz * sensory_sigma;
  auto& d_in = ws.bw_d_in;
  d_in = (sdz * sensory_sigma).rowwise().sum();

  // Positive parameters: w_eff = softplus(w) mask, so dw = dw_eff mask softplus'(w); masked-out
  // synapses get exactly zero, as torch autograd gives.
  grads.sensory_w_.array() += sda * ss * sensory_w_eff_grad_;
  grads.cm_.col(0).array() += ws.bw_d_cm * cm_pos_grad_;
  grads.gleak_.col(0).array() += ws.bw_d_gleak * gleak_pos_grad_;

  // Input mapping in = x * input_w + input_b.
  if (config_.input_mapping == Mapping::kNone) {
    d_x = d_in.matrix();
  } else {
    d_x = (d_in * input_w_.col(0).array()).matrix();
    grads.input_w_.col(0).array() += d_in * tape.x.array();
  }
  if (config_.input_mapping == Mapping::kAffine) grads.input_b_.col(0).array() += d_in;
}

// --- Dormand-Prince: backpropagation through the accepted steps -------------------------------
//
// The adaptive solver's step sizes are taken as constants (discretise, then differentiate: the
// gradient is exact for the steps the forward pass took, as autograd through torchdiffeq's solver
// gives). Each step is y1 = y0 + h sum_i b_i k_i with stages k_i = f(y0 + h sum_j a_ij k_j) and
//   cm f(v) = N(v) - D(v) v,
// so the vector-Jacobian product of f with a cotangent g is, with u = g / cm:
//   dN = u, dD = -u v (the synapse kernel above), dv += -u D, dcm += -u f.

namespace {

// Dormand & Prince (1980), the 5th-order solution odeint's runge_kutta_dopri5 advances with.
constexpr double kA[6][5] = {{0, 0, 0, 0, 0},
                             {1.0 / 5, 0, 0, 0, 0},
                             {3.0 / 40, 9.0 / 40, 0, 0, 0},
                             {44.0 / 45, -56.0 / 15, 32.0 / 9, 0, 0},
                             {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729, 0},
                             {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656}};
constexpr double kB[6] = {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84};

}  // namespace

void LtcCell::forward_taped_dopri5(const Eigen::Ref<const Eigen::VectorXf>& x, Eigen::Ref<Eigen::VectorXf> v,
                                   double dt, Eigen::Ref<Eigen::VectorXf> y, LtcWorkspace& ws, LtcTape& tape) const {
  tape.x = x;
  tape.dt = dt;
  tape.steps.clear();
  tape.v.resize(config_.units, 1);
  tape.v.col(0) = v;
  tape.mapped_input.setZero(config_.input_size);
  if (dt > 0.0) {
    set_input(x, ws);
    tape.mapped_input = ws.mapped_input;
    ws.v = v;
    const LtcSystem system(*this, ws);
    // The same integrate call as forward(), so the result is identical; the observer keeps every
    // accepted step (training pays the allocations, inference does not).
    double t_prev = 0.0;
    ode::integrate_adaptive(ws.dopri5, system, ws.v, 0.0, dt, 0.0, [&](const Eigen::VectorXf& state, double t) {
      tape.steps.push_back(t - t_prev);
      t_prev = t;
      tape.v.conservativeResize(Eigen::NoChange, tape.v.cols() + 1);
      tape.v.col(tape.v.cols() - 1) = state;
    });
    v = ws.v;
  }
  const int m = config_.motor_size;
  y = v.head(m);
  if (config_.output_mapping != Mapping::kNone) y.array() *= output_w_.col(0).array();
  if (config_.output_mapping == Mapping::kAffine) y.array() += output_b_.col(0).array();
}

void LtcCell::backward_dopri5_steps(const LtcTape& tape, LtcCell& grads, LtcWorkspace& ws) const {
  const int u = config_.units;
  set_input(tape.x, ws);  // the sensory conductances every stage adds
  const SynapseColumns synapses{sigma_.data(), mu_.data(), neg_sigma_mu_.data(), w_eff_.data(), erev_.data(),
                                w_eff_grad_.data(), grads.sigma_.data(), grads.mu_.data(), grads.erev_.data(),
                                grads.w_.data(), ws.bw_s.data()};
  auto& k = ws.bw_stage_k;   // stage derivatives
  auto& ys = ws.bw_stage_y;  // stage states
  auto& gk = ws.bw_stage_d;  // dL/dk per stage
  k.resize(u, 6), ys.resize(u, 6), gk.resize(u, 6);
  Eigen::VectorXf stage(u);
  for (int step = static_cast<int>(tape.steps.size()) - 1; step >= 0; --step) {
    const float h = static_cast<float>(tape.steps[step]);
    // Recompute the stages from the step's start.
    for (int i = 0; i < 6; ++i) {
      stage = tape.v.col(step);
      for (int j = 0; j < i; ++j) stage += (h * static_cast<float>(kA[i][j])) * k.col(j);
      ys.col(i) = stage;
      conductances(stage, ws.numerator, ws.denominator, ws);
      k.col(i) = ((ws.numerator.array() - ws.denominator.array() * stage.array()) / cm_pos_).matrix();
    }
    for (int i = 0; i < 6; ++i) gk.col(i) = (h * static_cast<float>(kB[i])) * ws.bw_dv.matrix();
    ws.bw_dv_prev = ws.bw_dv;  // y1 = y0 + ...: the identity path
    for (int i = 5; i >= 0; --i) {
      // dL/d(stage state i) through f, into ws.bw_dv (as the presynaptic sums) plus the direct terms.
      const float* yi = ys.col(i).data();
      ws.bw_dv.setZero();
      for (int j = 0; j < u; ++j) {
        const SourceRange r = source_ranges_[j];
        const ptrdiff_t col = ptrdiff_t(j) * u;
        const float den = ws.sensory_denominator(j) + synapse_denominator(synapses, col, yi, r.begin, r.end);
        const float uj = gk(j, i) / cm_pos_(j);
        const float dn = uj, dd = -uj * yi[j];
        ws.bw_dn(j) = dn;
        ws.bw_dd(j) = dd;
        synapse_gradients(synapses, col, yi, r.begin, r.end, dn, dd, ws.bw_dv.data());
        ws.bw_dv(j) -= uj * den;
        ws.bw_d_cm(j) -= uj * k(j, i);
      }
      ws.bw_d_gleak += ws.bw_dn * vleak_.col(0).array() + ws.bw_dd;
      grads.vleak_.col(0).array() += ws.bw_dn * gleak_pos_;
      ws.bw_sens_dn += ws.bw_dn;
      ws.bw_sens_dd += ws.bw_dd;
      ws.bw_dv_prev += ws.bw_dv;
      for (int j = 0; j < i; ++j) gk.col(j) += (h * static_cast<float>(kA[i][j])) * ws.bw_dv.matrix();
    }
    ws.bw_dv = ws.bw_dv_prev;
  }
}

}  // namespace liquid::lfm
