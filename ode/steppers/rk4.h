// liquid::ode::Rk4: the classic fourth-order Runge-Kutta method, order 4.
//     k1 = f(x, t)              k2 = f(x + h/2 k1, t + h/2)
//     k3 = f(x + h/2 k2, t + h/2)   k4 = f(x + h k3, t + h)
//     x(t + h) = x + h/6 (k1 + 2 k2 + 2 k3 + k4)
// Four evaluations per step; stable for h up to ~2.8 / |fastest rate|. Times are in seconds.
#pragma once

#include "ode/stepper_category.h"
#include "ode/system.h"

namespace liquid::ode {

template <EigenState State>
class Rk4 {
 public:
  using Category = FixedStepTag;
  using StateType = State;
  using Scalar = typename State::Scalar;
  static constexpr int kOrder = 4;

  Rk4() = default;
  // Sizes the scratch like `like`, so even the first step allocates nothing.
  explicit Rk4(const State& like) { resize_like(like); }

  void resize_like(const State& like) {
    k1_.resizeLike(like);
    k2_.resizeLike(like);
    k3_.resizeLike(like);
    k4_.resizeLike(like);
    x_stage_.resizeLike(like);
  }

  // One step of h seconds from time t; allocation-free once the scratch is sized.
  template <System<State> Sys>
  void do_step(const Sys& system, State& x, double t, double h) {
    resize_like(x);
    const auto h_s = static_cast<Scalar>(h);
    const auto half_h_s = static_cast<Scalar>(0.5 * h);
    const double t_mid = t + 0.5 * h;

    system(x, k1_, t);
    x_stage_ = x + half_h_s * k1_;
    system(x_stage_, k2_, t_mid);
    x_stage_ = x + half_h_s * k2_;
    system(x_stage_, k3_, t_mid);
    x_stage_ = x + h_s * k3_;
    system(x_stage_, k4_, t + h);
    x += (h_s / Scalar(6)) * (k1_ + Scalar(2) * k2_ + Scalar(2) * k3_ + k4_);
  }

 private:
  State k1_, k2_, k3_, k4_;
  State x_stage_;
};

}  // namespace liquid::ode
