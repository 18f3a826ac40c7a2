// Order of convergence on ODEs with closed-form solutions: halve the step, and the error of an
// order-p method shrinks by 2^p, so log2(error(h) / error(h/2)) ≈ p (odeint's runge_kutta.cpp).
#include <cmath>
#include <cstddef>

#include <gtest/gtest.h>

#include "ode/ode.h"
#include "tests/ode/test_systems.h"

namespace liquid::ode {
namespace {

using Eigen::VectorXd;
using test_systems::Decay;
using test_systems::LinearConductance;
using test_systems::Oscillator;

template <class Stepper, class Sys, class Exact>
double max_error(const Sys& system, const VectorXd& x0, double gap, std::size_t n,
                 const Exact& exact) {
  Stepper stepper(x0);
  VectorXd x = x0;
  integrate_n_steps(stepper, system, x, 0.0, gap, n);
  return (x - exact).cwiseAbs().maxCoeff();
}

// log2 of the error ratio when the number of substeps doubles.
template <class Stepper, class Sys, class Exact>
double observed_order(const Sys& system, const VectorXd& x0, double gap, std::size_t n,
                      const Exact& exact) {
  const double coarse = max_error<Stepper>(system, x0, gap, n, exact);
  const double fine = max_error<Stepper>(system, x0, gap, 2 * n, exact);
  return std::log2(coarse / fine);
}

template <class Stepper>
class FixedStepConvergence : public ::testing::Test {
 protected:
  static constexpr int kOrder = Stepper::kOrder;
  // Enough substeps to be in the asymptotic range, few enough that RK4 stays above round-off.
  static constexpr std::size_t kSubsteps = kOrder == 1 ? 400 : 16;
  static constexpr double kOrderTolerance = kOrder == 1 ? 0.1 : 0.2;
};

using FixedSteppers = ::testing::Types<Euler<VectorXd>, Rk4<VectorXd>>;
TYPED_TEST_SUITE(FixedStepConvergence, FixedSteppers);

TYPED_TEST(FixedStepConvergence, HalvingTheStepOnExponentialDecayShowsTheDeclaredOrder) {
  const Decay<VectorXd> decay{.k = 1.5};
  const VectorXd x0 = VectorXd::LinSpaced(3, 1.0, -2.0);
  const double gap = 2.0;
  const double order = observed_order<TypeParam>(decay, x0, gap, this->kSubsteps,
                                                 decay.exact(x0, gap));
  EXPECT_NEAR(order, this->kOrder, this->kOrderTolerance);
}

TYPED_TEST(FixedStepConvergence, HalvingTheStepOnTheHarmonicOscillatorShowsTheDeclaredOrder) {
  const Oscillator oscillator{.w = 2.0};
  const double gap = 3.0;
  const double order = observed_order<TypeParam>(oscillator, Oscillator::start(), gap,
                                                 this->kSubsteps, oscillator.exact(gap));
  EXPECT_NEAR(order, this->kOrder, this->kOrderTolerance);
}

TYPED_TEST(FixedStepConvergence, ErrorShrinksTowardsTheExactSolutionOnceTheStepIsSmall) {
  const Decay<VectorXd> decay{.k = 1.0};
  const VectorXd x0 = VectorXd::Ones(2);
  const double error = max_error<TypeParam>(decay, x0, 1.0, 8 * this->kSubsteps,
                                            decay.exact(x0, 1.0));
  EXPECT_LT(error, this->kOrder == 1 ? 1e-3 : 1e-10);
}

TEST(FusedSemiImplicitConvergence, HalvingTheStepOnALinearConductanceSystemShowsOrderOne) {
  const LinearConductance system;
  const VectorXd x0 = LinearConductance::start();
  const double gap = 1.0;
  const double order = observed_order<FusedSemiImplicit<VectorXd>>(system, x0, gap, 400,
                                                                  system.exact(x0, gap));
  EXPECT_NEAR(order, 1.0, 0.1);
}

}  // namespace
}  // namespace liquid::ode
