// liquid::ode::Euler: explicit Euler, order 1.
//     x(t + h) = x(t) + h f(x(t), t)
// Cheap and only stable for h below ~2 / |fastest rate|; kept as the reference first-order method
// and for non-stiff systems. Times and step sizes are in seconds.
#pragma once

#include "ode/stepper_category.h"
#include "ode/system.h"

namespace liquid::ode {

template <EigenState State>
class Euler {
 public:
  using Category = FixedStepTag;
  using StateType = State;
  using Scalar = typename State::Scalar;
  static constexpr int kOrder = 1;

  Euler() = default;
  // Sizes the scratch like `like`, so even the first step allocates nothing.
  explicit Euler(const State& like) { resize_like(like); }

  void resize_like(const State& like) { dxdt_.resizeLike(like); }

  // One step of h seconds from time t. Scratch is resized on first use if resize_like was not
  // called; after that a step makes no heap allocation (as long as the system makes none).
  template <System<State> Sys>
  void do_step(const Sys& system, State& x, double t, double h) {
    resize_like(x);
    system(x, dxdt_, t);
    x += static_cast<Scalar>(h) * dxdt_;
  }

 private:
  State dxdt_;
};

}  // namespace liquid::ode
