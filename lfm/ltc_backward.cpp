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

void LtcCell::resize_tape(LtcTape& tape) const {
  tape.x.resize(config_.input_size);
  tape.mapped_input.resize(config_.input_size);
  tape.v.resize(config_.units, config_.ode_unfolds + 1);
}

void LtcCell::forward_taped(const Eigen::Ref<const Eigen::VectorXf>& x, Eigen::Ref<Eigen::VectorXf> v, double dt,
                            Eigen::Ref<Eigen::VectorXf> y, LtcWorkspace& ws, LtcTape& tape) const {
  if (config_.solver != LtcSolver::kFused)
    throw std::logic_error("LtcCell::forward_taped: only the fused solver has a gradient, not " +
                           std::string(ltc_solver_name(config_.solver)));
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
  if (tape.v.rows() != u || tape.v.cols() != n + 1 || tape.x.size() != n_in)
    throw std::invalid_argument("LtcCell::backward: the tape does not come from this cell's forward_taped");

  // Output mapping y = v[:m] * output_w + output_b:
  //   dL/dv[:m] += d_y * output_w,  dL/doutput_w += d_y * v[:m],  dL/doutput_b += d_y.
  auto& dv = ws.bw_dv;
  dv = d_v_new.array();
  const auto v_new = tape.v.col(n).head(m).array();
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
  const Eigen::ArrayXXf& w_eff = w_eff_;
  const Eigen::ArrayXXf& sensory_w_eff = sensory_w_eff_;
  const auto erev = erev_.array();
  const auto sigma = sigma_.array();
  const auto mu = mu_.array();
  const auto sensory_erev = sensory_erev_.array();
  const auto sensory_sigma = sensory_sigma_.array();
  const auto sensory_mu = sensory_mu_.array();
  // The stepper's own float constants: cm_t = cm / h with 1/h rounded once, epsilon via double.
  const float inv_h = static_cast<float>(1.0 / (tape.dt / static_cast<double>(n)));
  const float eps = static_cast<float>(static_cast<double>(config_.epsilon));

  // Sensory activations are the same in every unfold: s = sigmoid(sensory_sigma (in - sensory_mu)).
  const auto in = tape.mapped_input.array();
  ws.bw_sens_s = fast_sigmoid(sensory_sigma * ((-sensory_mu).colwise() + in));
  // Everything in the denominator that does not depend on v: cm_t + gleak + sensory + eps.
  const Eigen::ArrayXf den_const = cm_pos_ * inv_h + gleak_pos_ +
                                   (sensory_w_eff * ws.bw_sens_s).colwise().sum().transpose() + eps;

  ws.bw_d_w.setZero(u, u);
  ws.bw_sens_dn.setZero(u);
  ws.bw_sens_dd.setZero(u);
  Eigen::ArrayXf d_cm_pos = Eigen::ArrayXf::Zero(u), d_gleak_pos = Eigen::ArrayXf::Zero(u);
  auto& dn = ws.bw_dn;
  auto& dd = ws.bw_dd;
  auto& s = ws.bw_s;
  auto& da = ws.bw_da;
  auto& dz = ws.bw_dz;
  for (int k = n - 1; k >= 0; --k) {
    const auto v_k = tape.v.col(k).array();
    const auto v_next = tape.v.col(k + 1).array();
    // s_ij = sigmoid(sigma_ij (v_k,i - mu_ij)), a_ij = w_ij s_ij; D_j = den_const_j + sum_i a_ij.
    s = fast_sigmoid(sigma * ((-mu).colwise() + v_k));
    const Eigen::ArrayXf den = den_const + (w_eff * s).colwise().sum().transpose();
    // v_next = N / D:  dN = g / D,  dD = -g N / D^2 = -g v_next / D.
    dn = dv / den;
    dd = -dv * v_next / den;
    // N = cm_t v_k + gleak vleak + ...,  D = cm_t + gleak + ...,  cm_t = cm inv_h.
    d_cm_pos += (dn * v_k + dd) * inv_h;
    d_gleak_pos += dn * vleak_.col(0).array() + dd;
    grads.vleak_.col(0).array() += dn * gleak_pos_;
    ws.bw_sens_dn += dn;
    ws.bw_sens_dd += dd;
    // Synapse i -> j adds a_ij erev_ij to N_j and a_ij to D_j:
    //   da_ij = erev_ij dN_j + dD_j,  derev_ij = a_ij dN_j,  dw_ij = da_ij s_ij,
    //   dz_ij = da_ij w_ij s_ij (1 - s_ij),  dsigma = dz (v_i - mu),  dmu = -dz sigma,  dv_i = sum_j dz sigma.
    da = (erev.rowwise() * dn.transpose()).rowwise() + dd.transpose();
    grads.erev_.array() += (w_eff * s).rowwise() * dn.transpose();
    ws.bw_d_w += da * s;
    dz = da * w_eff * s * (1.0f - s);
    grads.sigma_.array() += dz * ((-mu).colwise() + v_k);
    grads.mu_.array() -= dz * sigma;
    // dv_k = cm_t dN (the state's own term) + the presynaptic terms.
    dv = cm_pos_ * inv_h * dn + (dz * sigma).rowwise().sum();
  }
  d_v_prev = dv.matrix();

  // Sensory synapses, with dN and dD summed over the unfolds (they enter every unfold alike).
  auto& sda = ws.bw_sens_da;
  auto& sdz = ws.bw_sens_dz;
  const auto& ss = ws.bw_sens_s;
  sda = (sensory_erev.rowwise() * ws.bw_sens_dn.transpose()).rowwise() + ws.bw_sens_dd.transpose();
  grads.sensory_erev_.array() += (sensory_w_eff * ss).rowwise() * ws.bw_sens_dn.transpose();
  sdz = sda * sensory_w_eff * ss * (1.0f - ss);
  grads.sensory_sigma_.array() += sdz * ((-sensory_mu).colwise() + in);
  grads.sensory_mu_.array() -= sdz * sensory_sigma;
  auto& d_in = ws.bw_d_in;
  d_in = (sdz * sensory_sigma).rowwise().sum();

  // Positive parameters: w_eff = softplus(w) mask, so dw = dw_eff mask softplus'(w); masked-out
  // synapses get exactly zero, as torch autograd gives.
  grads.w_.array() += ws.bw_d_w * w_eff_grad_;
  grads.sensory_w_.array() += sda * ss * sensory_w_eff_grad_;
  grads.cm_.col(0).array() += d_cm_pos * cm_pos_grad_;
  grads.gleak_.col(0).array() += d_gleak_pos * gleak_pos_grad_;

  // Input mapping in = x * input_w + input_b.
  if (config_.input_mapping == Mapping::kNone) {
    d_x = d_in.matrix();
  } else {
    d_x = (d_in * input_w_.col(0).array()).matrix();
    grads.input_w_.col(0).array() += d_in * tape.x.array();
  }
  if (config_.input_mapping == Mapping::kAffine) grads.input_b_.col(0).array() += d_in;
}

}  // namespace liquid::lfm
