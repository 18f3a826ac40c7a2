// The LTC cell's right-hand side for one sample and its current input, in the two forms ode/
// solves: the plain derivative (Dormand-Prince) and the conductance form (the fused stepper):
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

 private:
  const LtcCell& cell_;
  LtcWorkspace& ws_;
};

}  // namespace liquid::lfm
