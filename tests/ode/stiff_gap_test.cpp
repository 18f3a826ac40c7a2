// Huge gaps: the fused semi-implicit step stays bounded where explicit Euler explodes, and an
// LTC-like network survives a 1e4 s gap with both the fused step and Dormand-Prince.
#include <cmath>
#include <cstddef>

#include <gtest/gtest.h>

#include "ode/ode.h"
#include "tests/ode/test_systems.h"

namespace liquid::ode {
namespace {

using Eigen::VectorXd;
using test_systems::LinearConductance;
using test_systems::Ltc4;

constexpr double kHugeGap = 1e4;  // s: a stream paused for almost three hours

TEST(FusedSemiImplicit, CrossesAHugeGapInOneStepAndLandsOnTheFixedPoint) {
  const LinearConductance system;
  VectorXd x = LinearConductance::start();
  FusedSemiImplicit<VectorXd> fused(x);
  integrate_n_steps(fused, system, x, 0.0, kHugeGap, 1);
  ASSERT_TRUE(x.allFinite());
  // x = (c/h x0 + a) / (c/h + b + eps): off the fixed point a/b by O(c / (b h)).
  EXPECT_LT((x - system.fixed_point()).cwiseAbs().maxCoeff(), 1e-3);
}

TEST(FusedSemiImplicit, ExplicitEulerWithTheSameHugeStepExplodes) {
  const LinearConductance system;
  VectorXd x = LinearConductance::start();
  Euler<VectorXd> euler(x);
  // x1 - a/b = (1 - h b / c)(x0 - a/b): each 1e4 s step multiplies the distance by ~1e4.
  integrate_n_steps(euler, system, x, 0.0, kHugeGap, 1);
  const double distance_after_one = (x - system.fixed_point()).cwiseAbs().maxCoeff();
  EXPECT_GT(distance_after_one, 1e3);
  for (int gap = 1; gap < 100; ++gap) {
    integrate_n_steps(euler, system, x, gap * kHugeGap, kHugeGap, 1);
  }
  EXPECT_FALSE(x.allFinite() && x.cwiseAbs().maxCoeff() < 1e100);
  // The fused step over the same 100 gaps stays put.
  VectorXd y = LinearConductance::start();
  FusedSemiImplicit<VectorXd> fused(y);
  for (int gap = 0; gap < 100; ++gap) {
    integrate_n_steps(fused, system, y, gap * kHugeGap, kHugeGap, 1);
  }
  EXPECT_LT((y - system.fixed_point()).cwiseAbs().maxCoeff(), 1e-3);
}

TEST(FusedSemiImplicit, StaysFiniteForGapsFromAMicrosecondToHours) {
  const LinearConductance system;
  for (const double gap : {1e-6, 1e-3, 1.0, 1e2, kHugeGap}) {
    VectorXd x = LinearConductance::start();
    FusedSemiImplicit<VectorXd> fused(x);
    integrate_n_steps(fused, system, x, 5.0, gap, 6);
    ASSERT_TRUE(x.allFinite()) << "gap " << gap;
    const VectorXd exact = system.exact(LinearConductance::start(), gap);
    // Backward Euler is first order in h = gap / 6 and never overshoots a linear decay.
    EXPECT_LT((x - exact).cwiseAbs().maxCoeff(), 0.5 * std::min(1.0, gap)) << "gap " << gap;
  }
}

// Every update of the LTC form is a weighted mean of x, vleak and erev, so the exact flow and the
// fused step stay inside [-1, 1] (erev = ±1, |vleak| <= 0.2, |x0| <= 0.9).
bool inside_reversal_potentials(const VectorXd& x) {
  return x.allFinite() && x.cwiseAbs().maxCoeff() <= 1.0 + 1e-9;
}

TEST(LtcNetwork, FusedStepCrossesAHugeGapFiniteAndBounded) {
  const Ltc4 network;
  VectorXd x = Ltc4::start();
  FusedSemiImplicit<VectorXd> fused(x);
  integrate_n_steps(fused, network, x, 0.0, kHugeGap, 6);
  EXPECT_TRUE(inside_reversal_potentials(x)) << x.transpose();
}

TEST(LtcNetwork, Dopri5CrossesAHugeGapFiniteBoundedAndAtRest) {
  const Ltc4 network;
  VectorXd x = Ltc4::start();
  const AdaptiveResult result =
      integrate_adaptive_dopri5(network, x, 0.0, kHugeGap, {.abs = 1e-8, .rel = 1e-8});
  EXPECT_TRUE(inside_reversal_potentials(x)) << x.transpose();
  VectorXd dxdt(Ltc4::kNeurons);
  network(x, dxdt, kHugeGap);
  EXPECT_LT(dxdt.cwiseAbs().maxCoeff(), 1e-6) << "not at rest after " << kHugeGap << " s";
  // Step-size control grows the step once the transient is over; then the fastest mode's
  // stability, not accuracy, holds it near 1 s: ~1e4 steps, where a fixed 1e-2 s step takes 1e6.
  EXPECT_LT(result.steps, 50'000u);
  RecordProperty("dopri5_steps_over_1e4_s", static_cast<int>(result.steps));
  RecordProperty("dopri5_rejected_over_1e4_s", static_cast<int>(result.rejected));
}

TEST(LtcNetwork, FusedWithManyUnfoldsAgreesWithTightDopri5AtAModerateGap) {
  const Ltc4 network;
  const double gap = 0.5;
  VectorXd reference = Ltc4::start();
  integrate_adaptive_dopri5(network, reference, 0.0, gap, {.abs = 1e-11, .rel = 1e-11});

  double previous_error = 0.0;
  for (const std::size_t unfolds : {500u, 1000u, 2000u}) {
    VectorXd x = Ltc4::start();
    FusedSemiImplicit<VectorXd> fused(x);
    integrate_n_steps(fused, network, x, 0.0, gap, unfolds);
    const double error = (x - reference).cwiseAbs().maxCoeff();
    EXPECT_LT(error, 5e-3) << unfolds << " unfolds";
    if (previous_error > 0.0) {
      EXPECT_NEAR(previous_error / error, 2.0, 0.2) << "first order: error halves with the step";
    }
    previous_error = error;
  }
}

TEST(LtcNetwork, HandWrittenRightHandSideMatchesTheConductanceForm) {
  const Ltc4 network;
  const ConductanceRhs rhs(network, Ltc4::start());
  for (const double shift : {-0.5, 0.0, 0.7}) {
    const VectorXd x = Ltc4::start().array() + shift;
    VectorXd by_hand(Ltc4::kNeurons), by_adapter(Ltc4::kNeurons);
    network(x, by_hand, 0.0);
    rhs(x, by_adapter, 0.0);
    EXPECT_LT((by_hand - by_adapter).cwiseAbs().maxCoeff(), 1e-12) << "shift " << shift;
  }
}

TEST(LtcNetwork, ConductanceRhsDrivesExplicitSteppersLikeTheHandWrittenSystem) {
  const Ltc4 network;
  const ConductanceRhs rhs(network, Ltc4::start());
  VectorXd by_hand = Ltc4::start();
  VectorXd by_adapter = Ltc4::start();
  Rk4<VectorXd> rk4(by_hand);
  integrate_n_steps(rk4, network, by_hand, 0.0, 1.0, 50);
  integrate_n_steps(rk4, rhs, by_adapter, 0.0, 1.0, 50);
  EXPECT_LT((by_hand - by_adapter).cwiseAbs().maxCoeff(), 1e-12);
}

}  // namespace
}  // namespace liquid::ode
