// liquid::ode integrate functions: the loop across one gap [t0, t0 + dt] or a list of sample
// times, owned here rather than by steppers or systems (odeint's integrate_* split).
//
// All times are in seconds (double). The elapsed time is always an argument; nothing keeps a clock.
// An observer is any callable observer(const State& x, double t); it sees x after each substep
// (fixed step), each accepted step (adaptive) or each sample time (integrate_times), and is how
// neuron traces are recorded. Bad arguments (dt <= 0, non-finite dt or t0, n = 0, times not
// strictly increasing) throw std::invalid_argument naming the value before x is touched.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

#include "ode/detail/check.h"
#include "ode/stepper_category.h"
#include "ode/steppers/dopri5.h"
#include "ode/system.h"

namespace liquid::ode {

struct NullObserver {
  template <class State>
  void operator()(const State&, double) const noexcept {}
};

struct AdaptiveResult {
  std::size_t steps = 0;     // accepted steps
  std::size_t rejected = 0;  // attempts retried with a smaller step
  double next_step = 0.0;    // s: the size the controller would try next
};

// What integrate_gap needs for either kind of stepper.
struct GapOptions {
  std::size_t substeps = 6;   // fixed-step steppers: ncps's ode_unfolds
  double initial_step = 0.0;  // adaptive steppers: s, 0 = estimate from f(x, t0)
};

// Below this an adaptive step makes no progress worth having (and float local time would round it
// to 0). Reached when every trial is rejected: the state or f went non-finite, or x blows up.
inline constexpr double kMinAdaptiveStep = 1e-15;

namespace detail {

template <class Stepper, class Sys, class State>
constexpr void check_stepper_fits() {
  static_assert(std::same_as<typename Stepper::StateType, State>,
                "liquid::ode: the stepper was made for a different state type");
  if constexpr (std::same_as<stepper_category_t<Stepper>, ConductanceFusedTag>) {
    static_assert(ConductanceSystem<Sys, State>,
                  "liquid::ode: a conductance-fused stepper needs conductances() and capacitance()");
  } else {
    static_assert(System<Sys, State>, "liquid::ode: needs operator()(const State&, State&, double)");
  }
}

inline void check_times(std::span<const double> times) {
  if (times.empty()) {
    throw std::invalid_argument("liquid::ode::integrate_times: times must hold at least one time");
  }
  check_start_time(times[0], "integrate_times");
  for (std::size_t i = 1; i < times.size(); ++i) {
    const double gap = times[i] - times[i - 1];
    if (!(std::isfinite(gap) && gap > 0.0)) {
      throw std::invalid_argument(
          "liquid::ode::integrate_times: times must be finite and strictly increasing; times[" +
          std::to_string(i) + "] = " + format_number(times[i]) + " after times[" +
          std::to_string(i - 1) + "] = " + format_number(times[i - 1]));
    }
  }
}

// Adaptive steps from t_begin to exactly t_end, starting with step h (updated to the next one).
template <class Stepper, class Sys, class State, class Observer>
void adaptive_span(Stepper& stepper, const Sys& system, State& x, double t_begin, double t_end,
                   double& h, Observer& observer, AdaptiveResult& result) {
  double t = t_begin;
  std::size_t attempts = 0;
  while (t < t_end) {
    const double remaining = t_end - t;
    // Never step past the gap: the last step is shortened to land on t_end exactly.
    const bool last = h >= remaining;
    double h_try = last ? remaining : h;
    if (!(h_try >= kMinAdaptiveStep && t + h_try > t)) {
      throw std::runtime_error("liquid::ode: adaptive step size underflow (" + format_number(h_try) +
                               " s at t = " + format_number(t) +
                               " s): the state or its derivative is not finite, or blows up");
    }
    if (++attempts > stepper.max_steps()) {
      throw std::runtime_error("liquid::ode: more than " + std::to_string(stepper.max_steps()) +
                               " adaptive steps in the gap ending at " + format_number(t_end) +
                               " s (stopped at t = " + format_number(t) + " s)");
    }
    if (stepper.try_step(system, x, t, h_try)) {
      ++result.steps;
      if (last) {
        t = t_end;
        // A shortened last step says little about the scale; keep the larger of the two.
        h = std::max(h, h_try);
      } else {
        h = h_try;
      }
      observer(std::as_const(x), t);
    } else {
      ++result.rejected;
      h = h_try;
    }
  }
  result.next_step = h;
}

}  // namespace detail

// Fixed-step or fused stepper: n equal substeps of dt / n across [t0, t0 + dt].
template <FixedStepStepper Stepper, class Sys, EigenState State, class Observer = NullObserver>
void integrate_n_steps(Stepper& stepper, const Sys& system, State& x, double t0, double dt,
                       std::size_t n, Observer&& observer = {}) {
  detail::check_stepper_fits<Stepper, Sys, State>();
  detail::check_start_time(t0, "integrate_n_steps");
  detail::check_gap(dt, "integrate_n_steps");
  detail::check_substeps(n, "integrate_n_steps");
  const double h = dt / static_cast<double>(n);
  // Times from the index, not by accumulating h, so the last substep ends at t0 + dt exactly.
  const auto substep_time = [&](std::size_t i) {
    return i == n ? t0 + dt : t0 + dt * (static_cast<double>(i) / static_cast<double>(n));
  };
  for (std::size_t i = 0; i < n; ++i) {
    stepper.do_step(system, x, substep_time(i), h);
    observer(std::as_const(x), substep_time(i + 1));
  }
}

// Adaptive stepper across [t0, t0 + dt]. initial_step (s) of 0 estimates one from f(x, t0); the
// first step is never longer than the gap. Restarts the stepper, so the system may have changed.
template <AdaptiveStepper Stepper, class Sys, EigenState State, class Observer = NullObserver>
AdaptiveResult integrate_adaptive(Stepper& stepper, const Sys& system, State& x, double t0,
                                  double dt, double initial_step = 0.0, Observer&& observer = {}) {
  detail::check_stepper_fits<Stepper, Sys, State>();
  detail::check_start_time(t0, "integrate_adaptive");
  detail::check_gap(dt, "integrate_adaptive");
  if (!(std::isfinite(initial_step) && initial_step >= 0.0)) {
    throw std::invalid_argument(
        "liquid::ode::integrate_adaptive: initial_step must be finite and >= 0 s; got " +
        detail::format_number(initial_step));
  }
  const double estimate = stepper.restart(system, x, t0);
  double h = std::min(initial_step > 0.0 ? initial_step : estimate, dt);
  AdaptiveResult result;
  detail::adaptive_span(stepper, system, x, t0, t0 + dt, h, observer, result);
  return result;
}

// Dormand-Prince 5(4) across [t0, t0 + dt] with a stepper made for this call (it allocates its
// scratch; keep a Dopri5 and call integrate_adaptive to integrate many gaps allocation-free).
template <class Sys, EigenState State, class Observer = NullObserver>
AdaptiveResult integrate_adaptive_dopri5(const Sys& system, State& x, double t0, double dt,
                                         Tolerances tolerances = {}, double initial_step = 0.0,
                                         Observer&& observer = {}) {
  detail::check_gap(dt, "integrate_adaptive_dopri5");
  Dopri5<State> stepper(x, tolerances);
  return integrate_adaptive(stepper, system, x, t0, dt, initial_step, observer);
}

// Either kind of stepper across [t0, t0 + dt]; the stepper's category picks the loop at compile
// time. For fixed-step steppers the result reports the substeps as steps.
template <class Stepper, class Sys, EigenState State, class Observer = NullObserver>
AdaptiveResult integrate_gap(Stepper& stepper, const Sys& system, State& x, double t0, double dt,
                             GapOptions options = {}, Observer&& observer = {}) {
  if constexpr (AdaptiveStepper<Stepper>) {
    return integrate_adaptive(stepper, system, x, t0, dt, options.initial_step, observer);
  } else {
    static_assert(FixedStepStepper<Stepper>, "liquid::ode: unknown stepper category");
    integrate_n_steps(stepper, system, x, t0, dt, options.substeps, observer);
    return {options.substeps, 0, dt / static_cast<double>(options.substeps)};
  }
}

// x holds the state at times[0]; integrates through each (irregular) gap with n equal substeps
// and calls observer(x, times[i]) at every time, times[0] included.
template <FixedStepStepper Stepper, class Sys, EigenState State, class Observer = NullObserver>
void integrate_times(Stepper& stepper, const Sys& system, State& x, std::span<const double> times,
                     std::size_t n_per_gap, Observer&& observer = {}) {
  detail::check_stepper_fits<Stepper, Sys, State>();
  detail::check_times(times);
  detail::check_substeps(n_per_gap, "integrate_times");
  observer(std::as_const(x), times[0]);
  for (std::size_t i = 1; i < times.size(); ++i) {
    integrate_n_steps(stepper, system, x, times[i - 1], times[i] - times[i - 1], n_per_gap);
    observer(std::as_const(x), times[i]);
  }
}

// Adaptive version: one restart at times[0], then the step size carries across sample times
// (the system is assumed continuous over the whole list).
template <AdaptiveStepper Stepper, class Sys, EigenState State, class Observer = NullObserver>
AdaptiveResult integrate_times(Stepper& stepper, const Sys& system, State& x,
                               std::span<const double> times, Observer&& observer = {}) {
  detail::check_stepper_fits<Stepper, Sys, State>();
  detail::check_times(times);
  AdaptiveResult result;
  observer(std::as_const(x), times[0]);
  if (times.size() == 1) return result;
  double h = stepper.restart(system, x, times[0]);
  NullObserver no_substep_observer;
  for (std::size_t i = 1; i < times.size(); ++i) {
    detail::adaptive_span(stepper, system, x, times[i - 1], times[i], h, no_substep_observer, result);
    observer(std::as_const(x), times[i]);
  }
  return result;
}

}  // namespace liquid::ode
