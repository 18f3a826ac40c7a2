// liquid::ode::Dopri5: adaptive Dormand-Prince 5(4) from Boost.Odeint (runge_kutta_dopri5 in a
// controlled_runge_kutta, i.e. what make_controlled builds), order 5 with a 4th-order error
// estimate. A step is accepted when, for every component,
//     |err| <= abs + rel max(|x_old|, |x_old + h dx/dt|)
// and the next step size follows the error (odeint's default_step_adjuster: at most 5x up or
// down per step). Times and step sizes are in seconds.
//
// State types: VectorXd, VectorXf, ArrayXd/ArrayXf and multi-column MatrixX/ArrayXX (batches) all
// work through odeint's vector_space_algebra, with two fixes in ode/detail/odeint_eigen.h. For a
// float state odeint needs value_type == time_type == float (mixing a double step with a float
// vector does not compile in Eigen), so each step runs in *local* float time τ = t - t_step,
// and the system is called with the double t_step + τ: absolute times of hours keep their precision.
// With float, tolerances below ~1e-7 are beneath the scalar's precision: the controller answers
// with ever more, smaller steps, which add rounding error instead of removing it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>

#include <boost/numeric/odeint/stepper/controlled_runge_kutta.hpp>
#include <boost/numeric/odeint/stepper/runge_kutta_dopri5.hpp>

#include "ode/detail/check.h"
#include "ode/detail/odeint_eigen.h"
#include "ode/stepper_category.h"
#include "ode/system.h"

namespace liquid::ode {

// Error tolerances of an adaptive stepper, in the units of the state.
struct Tolerances {
  double abs = 1e-6;
  double rel = 1e-6;
};

namespace detail {

namespace odeint = boost::numeric::odeint;

// Replaces odeint's default_error_checker for two reasons:
// - its rel_error passes each state through get_unit_value, which returns a copy: three heap
//   allocations per step for Eigen states;
// - it accepts a step when !(error > 1), which a NaN error passes, so a trial step that overflowed
//   would be kept. A non-finite error is reported as infinite and the step retried 5x smaller.
// The scale is Hairer's abs + rel max(|x_old|, |x_new|), with x_new predicted as x_old + h dx/dt
// (the checker does not see the new state); odeint's default uses |x| + h |dx/dt|, which doubles
// the allowed error when x moves fast. The prediction keeps a pure relative tolerance (abs = 0)
// usable when a component starts at exactly 0, as LTC states do.
template <class Scalar>
class ErrorChecker {
 public:
  ErrorChecker(Scalar abs, Scalar rel) : abs_(abs), rel_(rel) {}

  // max_i |err_i| / scale_i; overwrites x_err, as odeint's checker does.
  template <class State, class Deriv, class Err, class Time>
  Scalar error(const State& x_old, const Deriv& dxdt_old, Err& x_err, Time dt) const {
    if (x_err.size() == 0) return Scalar(0);
    const auto h = static_cast<Scalar>(dt);
    const auto x_new = x_old.array() + h * dxdt_old.array();
    const auto scale = abs_ + rel_ * x_old.array().abs().max(x_new.abs());
    // An exact zero error is fine even where the scale is 0 (a component that stays at 0).
    x_err.array() = (x_err.array() == Scalar(0)).select(Scalar(0), x_err.array().abs() / scale);
    // Checked first: Eigen's maxCoeff may skip a NaN.
    if (!x_err.allFinite()) return std::numeric_limits<Scalar>::infinity();
    return x_err.maxCoeff();
  }
  template <class Algebra, class State, class Deriv, class Err, class Time>
  Scalar error(Algebra&, const State& x_old, const Deriv& dxdt_old, Err& x_err, Time dt) const {
    return error(x_old, dxdt_old, x_err, dt);
  }

 private:
  Scalar abs_;
  Scalar rel_;
};

inline void check_tolerances(const Tolerances& tol) {
  const bool ok = std::isfinite(tol.abs) && std::isfinite(tol.rel) && tol.abs >= 0.0 &&
                  tol.rel >= 0.0 && tol.abs + tol.rel > 0.0;
  if (!ok) {
    throw std::invalid_argument(
        "liquid::ode::Dopri5: tolerances must be finite, >= 0 and not both 0; got abs " +
        format_number(tol.abs) + ", rel " + format_number(tol.rel));
  }
}

}  // namespace detail

template <EigenState State>
class Dopri5 {
 public:
  using Category = AdaptiveTag;
  using StateType = State;
  using Scalar = typename State::Scalar;
  static constexpr int kOrder = 5;
  // Guards a gap against running forever (accepted + rejected attempts); a stiff system at 1e3/s
  // across 1e4 s needs ~1e7.
  static constexpr std::size_t kDefaultMaxSteps = 10'000'000;

  Dopri5() : Dopri5(Tolerances{}) {}
  explicit Dopri5(Tolerances tolerances, std::size_t max_steps = kDefaultMaxSteps)
      : tolerances_(tolerances), max_steps_(max_steps), controlled_(make_controlled(tolerances)) {}
  // Sizes all scratch (ours and odeint's) like `like`, so even the first gap allocates nothing.
  explicit Dopri5(const State& like, Tolerances tolerances = {},
                  std::size_t max_steps = kDefaultMaxSteps)
      : Dopri5(tolerances, max_steps) {
    resize_like(like);
  }

  void resize_like(const State& like) {
    f0_.resizeLike(like);
    // The FSAL controller's adjust_size skips the inner stepper's stage buffers, so size both.
    controlled_.adjust_size(like);
    controlled_.stepper().adjust_size(like);
  }

  const Tolerances& tolerances() const { return tolerances_; }
  std::size_t max_steps() const { return max_steps_; }

  // Starts integrating from (x, t): evaluates f(x, t) once and hands it to the first-same-as-last
  // stepper, so call it whenever x or the system changed outside try_step (a new gap's input).
  // Returns a first step in seconds from Hairer & Wanner's estimate h0 = 0.01 ||x|| / ||f||
  // (norms scaled by the tolerances), which the caller clamps to the gap.
  template <System<State> Sys>
  double restart(const Sys& system, const State& x, double t) {
    f0_.resizeLike(x);
    system(x, f0_, t);
    controlled_.initialize(f0_);
    constexpr double kFallbackStep = 1e-6;  // x or f ~ 0: nothing sets a scale yet
    if (x.size() == 0) return kFallbackStep;
    const auto abs_tol = static_cast<Scalar>(tolerances_.abs);
    const auto rel_tol = static_cast<Scalar>(tolerances_.rel);
    const auto scale = abs_tol + rel_tol * x.array().abs();
    const double d0 = static_cast<double>((x.array().abs() / scale).maxCoeff());
    const double d1 = static_cast<double>((f0_.array().abs() / scale).maxCoeff());
    const double h0 = (d0 < 1e-5 || d1 < 1e-5) ? kFallbackStep : 0.01 * d0 / d1;
    return (std::isfinite(h0) && h0 > 0.0) ? h0 : kFallbackStep;
  }

  // Tries one step of h seconds from t. Accepted: x and t advance and true is returned. Either
  // way h becomes the size to try next. Needs restart() before the first step.
  template <System<State> Sys>
  bool try_step(const Sys& system, State& x, double& t, double& h) {
    const double t_step = t;
    auto local_system = [&system, t_step](const State& xs, State& dxdt, Scalar tau) {
      system(xs, dxdt, t_step + static_cast<double>(tau));
    };
    Scalar tau = 0;
    auto h_s = static_cast<Scalar>(h);
    const bool accepted = controlled_.try_step(local_system, x, tau, h_s) == detail::odeint::success;
    h = static_cast<double>(h_s);
    if (accepted) t = t_step + static_cast<double>(tau);
    return accepted;
  }

 private:
  using OdeintStepper =
      detail::odeint::runge_kutta_dopri5<State, Scalar, State, Scalar,
                                         detail::odeint::vector_space_algebra,
                                         detail::odeint::default_operations,
                                         detail::odeint::initially_resizer>;
  using Controlled = detail::odeint::controlled_runge_kutta<
      OdeintStepper, detail::ErrorChecker<Scalar>,
      detail::odeint::default_step_adjuster<Scalar, Scalar>, detail::odeint::initially_resizer,
      detail::odeint::explicit_error_stepper_fsal_tag>;

  static Controlled make_controlled(const Tolerances& tolerances) {
    detail::check_tolerances(tolerances);
    return Controlled(detail::ErrorChecker<Scalar>(static_cast<Scalar>(tolerances.abs),
                                                         static_cast<Scalar>(tolerances.rel)));
  }

  Tolerances tolerances_;
  std::size_t max_steps_;
  Controlled controlled_;
  State f0_;
};

}  // namespace liquid::ode
