// Gaps that are zero, negative or not finite are caller bugs; every integrate function rejects
// them with std::invalid_argument naming the value, before touching the state.
#include <cmath>
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
using test_systems::Decay;
using test_systems::LinearConductance;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// Runs `call`, expects std::invalid_argument whose message contains `needle`.
template <class Call>
void expect_invalid(Call&& call, const std::string& needle) {
  try {
    call();
    ADD_FAILURE() << "no exception; expected one mentioning '" << needle << "'";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

struct BadGap {
  double dt;
  const char* text;
};
const BadGap kBadGaps[] = {{0.0, "got 0"}, {-1e-3, "got -0.001"}, {kNan, "got nan"},
                           {kInf, "got inf"}, {-kInf, "got -inf"}};

TEST(InvalidGap, EveryIntegrateFunctionRejectsZeroNegativeNanAndInfinity) {
  const Decay<VectorXd> decay;
  const LinearConductance conductance;
  const VectorXd x0 = VectorXd::Ones(3);
  for (const BadGap& bad : kBadGaps) {
    VectorXd x = x0;
    Euler<VectorXd> euler(x);
    Rk4<VectorXd> rk4(x);
    FusedSemiImplicit<VectorXd> fused(x);
    Dopri5<VectorXd> dopri5(x);
    expect_invalid([&] { integrate_n_steps(euler, decay, x, 0.0, bad.dt, 4); }, bad.text);
    expect_invalid([&] { integrate_n_steps(rk4, decay, x, 0.0, bad.dt, 4); }, bad.text);
    expect_invalid([&] { integrate_n_steps(fused, conductance, x, 0.0, bad.dt, 4); }, bad.text);
    expect_invalid([&] { integrate_adaptive(dopri5, decay, x, 0.0, bad.dt); }, bad.text);
    expect_invalid([&] { integrate_adaptive_dopri5(decay, x, 0.0, bad.dt); }, bad.text);
    expect_invalid([&] { integrate_gap(rk4, decay, x, 0.0, bad.dt); }, bad.text);
    EXPECT_EQ(x, x0) << "state touched for gap " << bad.dt;
  }
}

TEST(InvalidGap, TheMessageNamesTheFunctionAndTheUnit) {
  const Decay<VectorXd> decay;
  VectorXd x = VectorXd::Ones(1);
  Euler<VectorXd> euler(x);
  expect_invalid([&] { integrate_n_steps(euler, decay, x, 0.0, -2.5, 1); },
                 "liquid::ode::integrate_n_steps: gap dt must be finite and > 0 s; got -2.5");
  expect_invalid([&] { integrate_n_steps(euler, decay, x, 0.0, 1e-300 * 1e-300, 1); }, "got 0");
}

TEST(InvalidGap, NonFiniteStartTimesAndZeroSubstepsAreRejected) {
  const Decay<VectorXd> decay;
  VectorXd x = VectorXd::Ones(2);
  Rk4<VectorXd> rk4(x);
  expect_invalid([&] { integrate_n_steps(rk4, decay, x, kNan, 1.0, 4); }, "t0");
  expect_invalid([&] { integrate_n_steps(rk4, decay, x, 0.0, 1.0, 0); }, "n must be >= 1");
  expect_invalid([&] { integrate_adaptive_dopri5(decay, x, kInf, 1.0); }, "t0");
  expect_invalid([&] { integrate_adaptive_dopri5(decay, x, 0.0, 1.0, {}, kNan); }, "initial_step");
}

TEST(InvalidGap, SampleTimesMustBeFiniteAndStrictlyIncreasing) {
  const Decay<VectorXd> decay;
  const VectorXd x0 = VectorXd::Ones(2);
  VectorXd x = x0;
  Rk4<VectorXd> rk4(x);
  Dopri5<VectorXd> dopri5(x);
  const std::vector<std::vector<double>> bad_lists{
      {}, {0.0, 1.0, 1.0}, {0.0, 2.0, 1.0}, {0.0, kNan}, {kInf}, {0.0, 1.0, kInf}};
  for (const auto& times : bad_lists) {
    expect_invalid([&] { integrate_times(rk4, decay, x, times, 4); }, "integrate_times");
    expect_invalid([&] { integrate_times(dopri5, decay, x, times); }, "integrate_times");
  }
  expect_invalid([&] { integrate_times(rk4, decay, x, std::vector<double>{0.0, 1.0, 0.5}, 4); },
                 "times[2] = 0.5 after times[1] = 1");
  EXPECT_EQ(x, x0);
}

TEST(InvalidTolerances, NegativeNonFiniteOrAllZeroTolerancesAreRejected) {
  const VectorXd x = VectorXd::Ones(2);
  expect_invalid([&] { Dopri5<VectorXd> d(x, {.abs = -1e-6, .rel = 1e-6}); }, "abs -1e-06");
  expect_invalid([&] { Dopri5<VectorXd> d(x, {.abs = 0.0, .rel = 0.0}); }, "not both 0");
  expect_invalid([&] { Dopri5<VectorXd> d(x, {.abs = 1e-6, .rel = kNan}); }, "rel nan");
}

}  // namespace
}  // namespace liquid::ode
