// Dormand-Prince 5(4) through Boost.Odeint: tolerance met, cost follows tolerance, any gap from a
// microsecond to hours, float states, irregular sample times.
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ode/ode.h"
#include "tests/ode/test_systems.h"

namespace liquid::ode {
namespace {

using Eigen::VectorXd;
using Eigen::VectorXf;
using test_systems::Decay;
using test_systems::Oscillator;

TEST(Dopri5, MeetsItsToleranceAndTakesMoreStepsAsTheToleranceShrinks) {
  // The tolerance bounds each step's local error; the global error adds those up, so it is
  // checked over about one period of the oscillator (2 s at w = 3), where it stays within 10x.
  const Oscillator oscillator{.w = 3.0};
  const Decay<VectorXd> decay{.k = 1.0};
  const VectorXd decay_x0 = VectorXd::Ones(2);
  const double gap = 2.0;
  std::size_t previous_steps = 0;
  for (const double tol : {1e-3, 1e-5, 1e-7, 1e-9, 1e-11}) {
    VectorXd x = Oscillator::start();
    const AdaptiveResult result =
        integrate_adaptive_dopri5(oscillator, x, 0.0, gap, {.abs = tol, .rel = tol});
    const double error = (x - oscillator.exact(gap)).cwiseAbs().maxCoeff();
    EXPECT_LT(error, 10.0 * tol) << "tolerance " << tol << ", " << result.steps << " steps";
    EXPECT_GT(result.steps, previous_steps) << "tolerance " << tol;
    previous_steps = result.steps;
    RecordProperty("oscillator_error_over_tolerance_at_" + detail::format_number(tol),
                   std::to_string(error / tol));

    VectorXd y = decay_x0;
    integrate_adaptive_dopri5(decay, y, 0.0, 5.0, {.abs = tol, .rel = tol});
    EXPECT_LT((y - decay.exact(decay_x0, 5.0)).cwiseAbs().maxCoeff(), 10.0 * tol) << tol;
  }
}

TEST(Dopri5, MeetsAbsoluteAndRelativeTolerancesSeparately) {
  const Decay<VectorXd> decay{.k = 2.0};
  const VectorXd x0 = VectorXd::Constant(3, 100.0);
  for (const Tolerances tol : {Tolerances{.abs = 1e-6, .rel = 0.0},
                               Tolerances{.abs = 0.0, .rel = 1e-8},
                               Tolerances{.abs = 1e-4, .rel = 1e-4}}) {
    VectorXd x = x0;
    integrate_adaptive_dopri5(decay, x, 0.0, 1.0, tol);
    const VectorXd exact = decay.exact(x0, 1.0);
    const double allowed = tol.abs + tol.rel * exact.cwiseAbs().maxCoeff();
    EXPECT_LT((x - exact).cwiseAbs().maxCoeff(), 10.0 * allowed) << tol.abs << " " << tol.rel;
  }
}

TEST(Dopri5, APureRelativeToleranceCopesWithComponentsStartingAtZero) {
  // LTC hidden states start at 0; with abs = 0 the scale there comes from the predicted x_new.
  const test_systems::Ltc4 network;
  const VectorXd x0 = VectorXd::Zero(test_systems::Ltc4::kNeurons);
  VectorXd x = x0, reference = x0;
  const AdaptiveResult result =
      integrate_adaptive_dopri5(network, x, 0.0, 1.0, {.abs = 0.0, .rel = 1e-8});
  integrate_adaptive_dopri5(network, reference, 0.0, 1.0, {.abs = 1e-13, .rel = 1e-13});
  EXPECT_LT((x - reference).cwiseAbs().maxCoeff(), 1e-7);
  EXPECT_LT(result.rejected, result.steps);
  // A component that is 0 and stays 0 has zero error, not 0/0.
  const Decay<VectorXd> decay{.k = 1.0};
  VectorXd y = test_systems::vec({0.0, 1.0});
  integrate_adaptive_dopri5(decay, y, 0.0, 1.0, {.abs = 0.0, .rel = 1e-8});
  EXPECT_EQ(y(0), 0.0);
  EXPECT_NEAR(y(1), std::exp(-1.0), 1e-7);
}

TEST(Dopri5, AMicrosecondGapTakesOneStepOfExactlyTheGap) {
  const Decay<VectorXd> decay{.k = 3.0};
  const VectorXd x0 = VectorXd::Ones(4);
  VectorXd x = x0;
  std::vector<double> seen;
  const AdaptiveResult result = integrate_adaptive_dopri5(
      decay, x, 100.0, 1e-6, {.abs = 1e-10, .rel = 1e-10}, 0.0,
      [&seen](const VectorXd&, double t) { seen.push_back(t); });
  EXPECT_EQ(result.steps, 1u);
  EXPECT_EQ(result.rejected, 0u);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen.back(), 100.0 + 1e-6);
  EXPECT_LT((x - decay.exact(x0, 1e-6)).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(Dopri5, AHugeGapDecaysToZeroInFewStepsThanksToStepSizeControl) {
  const Decay<VectorXd> decay{.k = 1.0};
  VectorXd x = VectorXd::Ones(2);
  double last_t = 0.0;
  double largest_step = 0.0;
  const AdaptiveResult result = integrate_adaptive_dopri5(
      decay, x, 0.0, 1e4, {.abs = 1e-8, .rel = 1e-8}, 0.0, [&](const VectorXd&, double t) {
        largest_step = std::max(largest_step, t - last_t);
        last_t = t;
      });
  ASSERT_TRUE(x.allFinite());
  // The exact value is e^{-1e4} = 0; what is left is below the absolute tolerance's reach.
  EXPECT_LT(x.cwiseAbs().maxCoeff(), 1e-7);
  EXPECT_EQ(last_t, 1e4);
  // Once x is below the absolute tolerance the step grows ~5x per step up to the stability
  // limit (~3.3 s for rate 1/s): ~3000 steps over 1e4 s instead of millions.
  EXPECT_LT(result.steps, 5'000u);
  EXPECT_GT(largest_step, 1.0);
  RecordProperty("decay_1e4_s_steps", static_cast<int>(result.steps));
}

TEST(Dopri5, TheFirstStepNeverExceedsTheGap) {
  const Decay<VectorXd> decay{.k = 1.0};
  VectorXd x = VectorXd::Ones(1);
  std::vector<double> seen;
  integrate_adaptive_dopri5(decay, x, 2.0, 0.25, {}, /*initial_step=*/10.0,
                            [&seen](const VectorXd&, double t) { seen.push_back(t); });
  ASSERT_FALSE(seen.empty());
  EXPECT_LE(seen.front(), 2.25);
  EXPECT_EQ(seen.back(), 2.25);
}

TEST(Dopri5, WorksOnFloatVectors) {
  const Decay<VectorXf> decay{.k = 1.0};
  const VectorXf x0 = VectorXf::LinSpaced(5, -1.0f, 1.0f);
  for (const double gap : {1e-6, 1.0, 1e4}) {
    VectorXf x = x0;
    // A large absolute start time: the step runs in local float time, so t stays exact.
    const AdaptiveResult result =
        integrate_adaptive_dopri5(decay, x, 3.6e4, gap, {.abs = 1e-5, .rel = 1e-5});
    ASSERT_TRUE(x.allFinite()) << "gap " << gap;
    EXPECT_LT((x - decay.exact(x0, gap)).cwiseAbs().maxCoeff(), 1e-4) << "gap " << gap;
    EXPECT_GT(result.steps, 0u);
  }
}

TEST(Dopri5, ReusedAcrossGapsMatchesOneLongIntegration) {
  const Oscillator oscillator{.w = 1.0};
  Dopri5<VectorXd> dopri5(Oscillator::start(), {.abs = 1e-10, .rel = 1e-10});
  VectorXd x = Oscillator::start();
  double t = 0.0;
  for (const double gap : {0.013, 0.5, 1e-4, 2.0, 0.25}) {
    integrate_adaptive(dopri5, oscillator, x, t, gap);
    t += gap;
  }
  EXPECT_LT((x - oscillator.exact(t)).cwiseAbs().maxCoeff(), 1e-8);
}

TEST(Dopri5, ANonFiniteDerivativeThrowsInsteadOfAcceptingNan) {
  // odeint alone would accept the step (a NaN error is not > 1); every trial must be rejected.
  const auto nan_system = [](const VectorXd& x, VectorXd& dxdt, double) {
    dxdt = x * std::numeric_limits<double>::quiet_NaN();
  };
  VectorXd x = VectorXd::Ones(2);
  EXPECT_THROW(integrate_adaptive_dopri5(nan_system, x, 0.0, 1.0), std::runtime_error);
  EXPECT_TRUE(x.allFinite());
}

TEST(Dopri5, AFiniteTimeBlowUpThrowsInsteadOfLooping) {
  // x' = x^2 from x = 1 reaches infinity at t = 1 s; the gap asks for 2 s.
  const auto blow_up = [](const VectorXd& x, VectorXd& dxdt, double) { dxdt = x.cwiseAbs2(); };
  VectorXd x = VectorXd::Ones(1);
  EXPECT_THROW(integrate_adaptive_dopri5(blow_up, x, 0.0, 2.0), std::runtime_error);
}

TEST(IntegrateTimes, Dopri5ObservesEveryIrregularSampleTime) {
  const Decay<VectorXd> decay{.k = 0.7};
  const VectorXd x0 = VectorXd::Constant(2, 2.0);
  const std::vector<double> times{0.5, 0.5001, 0.9, 3.0, 3.0000001, 40.0, 41.0};
  Dopri5<VectorXd> dopri5(x0, {.abs = 1e-10, .rel = 1e-10});
  VectorXd x = x0;
  std::vector<double> seen;
  integrate_times(dopri5, decay, x, times, [&](const VectorXd& xs, double t) {
    seen.push_back(t);
    EXPECT_LT((xs - decay.exact(x0, t - times.front())).cwiseAbs().maxCoeff(), 1e-9) << t;
  });
  EXPECT_EQ(seen, times);
}

TEST(IntegrateTimes, FixedStepSubstepsEachIrregularGap) {
  const Decay<VectorXd> decay{.k = 0.7};
  const VectorXd x0 = VectorXd::Constant(2, 2.0);
  const std::vector<double> times{0.0, 0.01, 0.5, 0.51, 2.0};
  Rk4<VectorXd> rk4(x0);
  VectorXd x = x0;
  std::vector<double> seen;
  integrate_times(rk4, decay, x, times, 20, [&](const VectorXd& xs, double t) {
    seen.push_back(t);
    EXPECT_LT((xs - decay.exact(x0, t)).cwiseAbs().maxCoeff(), 1e-7) << t;
  });
  EXPECT_EQ(seen, times);
}

TEST(IntegrateGap, TheStepperCategoryPicksTheLoop) {
  const Decay<VectorXd> decay{.k = 1.0};
  const VectorXd x0 = VectorXd::Ones(3);
  VectorXd x_fixed = x0, x_adaptive = x0;
  Rk4<VectorXd> rk4(x0);
  Dopri5<VectorXd> dopri5(x0, {.abs = 1e-10, .rel = 1e-10});
  const AdaptiveResult fixed = integrate_gap(rk4, decay, x_fixed, 0.0, 1.0, {.substeps = 7});
  const AdaptiveResult adaptive = integrate_gap(dopri5, decay, x_adaptive, 0.0, 1.0);
  EXPECT_EQ(fixed.steps, 7u);
  EXPECT_NE(adaptive.steps, 0u);
  EXPECT_LT((x_fixed - decay.exact(x0, 1.0)).cwiseAbs().maxCoeff(), 1e-5);
  EXPECT_LT((x_adaptive - decay.exact(x0, 1.0)).cwiseAbs().maxCoeff(), 1e-9);
}

}  // namespace
}  // namespace liquid::ode
