// liquid::ode::FusedSemiImplicit: the LTC "fused" solver step of ncps (ltc_cell.py, _ode_solver),
// order 1, for a ConductanceSystem dx/dt = (numerator - denominator ∘ x) / cm.
//
//     x ← (cm/h ∘ x + numerator) / (cm/h + denominator + epsilon)
//
// This is backward Euler with the conductances frozen at the start of the step:
// cm (x_new - x) / h = numerator - denominator ∘ x_new. For denominator ≥ 0 (and numerator/
// denominator a weighted sum of reversal potentials, as in LTC) x_new is a convex combination of x
// and the potentials, so it stays bounded for any h: a gap of 1e4 s in one step lands near the
// fixed point numerator/denominator instead of exploding. Times are in seconds.
#pragma once

#include "ode/stepper_category.h"
#include "ode/system.h"

namespace liquid::ode {

template <EigenState State>
class FusedSemiImplicit {
 public:
  using Category = ConductanceFusedTag;
  using StateType = State;
  using Scalar = typename State::Scalar;
  static constexpr int kOrder = 1;
  // ncps's value: keeps the division finite when cm/h + denominator underflows to 0.
  static constexpr double kDefaultEpsilon = 1e-8;

  FusedSemiImplicit() = default;
  explicit FusedSemiImplicit(double epsilon) : epsilon_(epsilon) {}
  // Sizes the scratch like `like`, so even the first step allocates nothing.
  explicit FusedSemiImplicit(const State& like, double epsilon = kDefaultEpsilon)
      : epsilon_(epsilon) {
    resize_like(like);
  }

  void resize_like(const State& like) {
    numerator_.resizeLike(like);
    denominator_.resizeLike(like);
    cm_.resizeLike(like);
  }

  double epsilon() const { return epsilon_; }

  // One step of h seconds from time t; allocation-free once the scratch is sized.
  template <ConductanceSystem<State> Sys>
  void do_step(const Sys& system, State& x, double t, double h) {
    resize_like(x);
    system.conductances(x, t, numerator_, denominator_);
    system.capacitance(cm_);
    // cm/h is ncps's cm_t = cm / (elapsed_time / ode_unfolds).
    const auto inv_h = static_cast<Scalar>(1.0 / h);
    const auto eps = static_cast<Scalar>(epsilon_);
    x.array() = (cm_.array() * inv_h * x.array() + numerator_.array()) /
                (cm_.array() * inv_h + denominator_.array() + eps);
  }

 private:
  double epsilon_ = kDefaultEpsilon;
  State numerator_, denominator_, cm_;
};

}  // namespace liquid::ode
