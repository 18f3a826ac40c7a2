// The LTC cell's right-hand side for one sample and its current input, in the two forms ode/
// solves: the plain derivative (for Dormand-Prince) and the conductance form (for the fused
// semi-implicit stepper):
//
//   cm dv/dt = numerator(v) - denominator(v) v
//   numerator = gleak vleak + sum_i w_i sigmoid(sigma_i (v_i - mu_i)) erev_i   (+ sensory terms)
//   denominator = gleak + sum_i w_i sigmoid(sigma_i (v_i - mu_i))              (+ sensory terms)
#pragma once

#include <Eigen/Core>

#include "lfm/ltc_cell.h"

namespace liquid::lfm {

class LtcSystem {
 public:
  LtcSystem(const LtcCell& cell, LtcWorkspace& ws) : cell_(cell), ws_(ws) {}

  void conductances(const Eigen::VectorXf& v, double /*t*/, Eigen::VectorXf& numerator,
                    Eigen::VectorXf& denominator) const noexcept {
    cell_.conductances(v, numerator, denominator, ws_);
  }
  void capacitance(Eigen::VectorXf& cm) const noexcept { cm = cell_.cm_pos_.matrix(); }
  void operator()(const Eigen::VectorXf& v, Eigen::VectorXf& dvdt, double t) const noexcept {
    conductances(v, t, ws_.numerator, ws_.denominator);
    dvdt.array() = (ws_.numerator.array() - ws_.denominator.array() * v.array()) / cell_.cm_pos_;
  }

  // ncps's solver: `unfolds` fused steps of dt / unfolds.
  void integrate_fused(Eigen::VectorXf& v, double dt, int unfolds, float epsilon) const noexcept {
    ws_.cm_over_h = cell_.cm_pos_.matrix() / static_cast<float>(dt / unfolds);
    for (int k = 0; k < unfolds; ++k) {
      conductances(v, 0.0, ws_.numerator, ws_.denominator);
      v.array() = (ws_.cm_over_h.array() * v.array() + ws_.numerator.array()) /
                  (ws_.cm_over_h.array() + ws_.denominator.array() + epsilon);
    }
  }
  void integrate_dopri5(Eigen::VectorXf& v, double dt, double abs_tol, double rel_tol) const;

 private:
  const LtcCell& cell_;
  LtcWorkspace& ws_;
};

inline void LtcSystem::integrate_dopri5(Eigen::VectorXf& v, double dt, double abs_tol, double rel_tol) const {
  (void)v; (void)dt; (void)abs_tol; (void)rel_tol;
}

}  // namespace liquid::lfm
