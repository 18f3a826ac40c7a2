// liquid::ode: ODE systems, steppers and the integrate loop across one irregular gap.
// The one public header of liquid_ode. Times are in seconds, states are Eigen dense objects.
//
// Usage (tests/ode/usage_example_test.cpp compiles these lines and checks they match):
//
//   #include "ode/ode.h"
//
//   // dx/dt = -x / tau: leaky neurons relaxing to rest, tau in seconds.
//   struct Leak {
//     double tau = 0.5;
//     void operator()(const Eigen::VectorXd& x, Eigen::VectorXd& dxdt, double) const {
//       dxdt = -x / tau;
//     }
//   };
//
//   Eigen::VectorXd x = Eigen::VectorXd::Ones(4);
//   liquid::ode::Rk4<Eigen::VectorXd> rk4(x);                       // scratch sized once
//   liquid::ode::integrate_n_steps(rk4, Leak{}, x, 0.0, 0.02, 6);   // a 20 ms gap, 6 substeps
//   liquid::ode::AdaptiveResult result = liquid::ode::integrate_adaptive_dopri5(
//       Leak{}, x, 0.02, 3.0, {.abs = 1e-9, .rel = 1e-9});          // a 3 s gap, error-controlled
//   // Now x = exp(-3.02 / 0.5) and result.steps says how many steps it took.
//
// The pieces (odeint's separation of system, stepper and loop):
// - ode/system.h: System and ConductanceSystem concepts, the ConductanceRhs adapter.
// - ode/stepper_category.h: FixedStepTag, ConductanceFusedTag, AdaptiveTag.
// - ode/steppers/euler.h (order 1), rk4.h (order 4), fused_semi_implicit.h (ncps's LTC step,
//  order 1, stable for any step), dopri5.h (odeint's Dormand-Prince 5(4), step-size control).
// - ode/integrate.h: integrate_n_steps, integrate_adaptive, integrate_adaptive_dopri5,
//  integrate_gap, integrate_times.
#pragma once

#include "ode/integrate.h"
#include "ode/stepper_category.h"
#include "ode/steppers/dopri5.h"
#include "ode/steppers/euler.h"
#include "ode/steppers/fused_semi_implicit.h"
#include "ode/steppers/rk4.h"
#include "ode/system.h"
