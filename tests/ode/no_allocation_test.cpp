// Repeated steps allocate nothing once a stepper's scratch is sized (STYLE.md §5).
//
// Eigen allocates with malloc from inline code, not with operator new, so the counter from
// tests/common (liquid_count_allocations in tests/CMakeLists.txt) counts both: operator new is
// replaced and this executable's malloc/calloc/realloc calls are wrapped at link time.
// The first test proves the counter sees an Eigen allocation.
#include <cstddef>
#include <vector>

#include <gtest/gtest.h>

#include "ode/ode.h"
#include "tests/common/allocation_counter.h"
#include "tests/ode/test_systems.h"

namespace liquid::ode {
namespace {

using Eigen::VectorXd;
using test_systems::LinearConductance;
using test_systems::Ltc4;
using test_systems::Oscillator;
using liquid::testing::allocations_during;

constexpr int kSteps = 10'000;

TEST(NoHeapAllocation, TheCounterSeesEigenAndOperatorNewAllocations) {
  double sum = 0.0;
  const std::size_t eigen_count = allocations_during([&] {
    VectorXd v = VectorXd::LinSpaced(1000, 0.0, 1.0);
    sum += v.sum();
  });
  const std::size_t new_count = allocations_during([&] {
    auto* p = new std::vector<double>(100, 1.0);
    sum += p->back();
    delete p;
  });
  EXPECT_GE(eigen_count, 1u);
  EXPECT_GE(new_count, 1u);  // GCC may elide the vector's buffer, not the vector itself
  EXPECT_GT(sum, 0.0);
}

TEST(NoHeapAllocation, RepeatedEulerRk4AndFusedStepsAllocateNothingAfterTheFirst) {
  const Ltc4 network;
  VectorXd x_euler = Ltc4::start(), x_rk4 = Ltc4::start(), x_fused = Ltc4::start();
  // Not sized up front: the first step sizes the scratch, every later step must reuse it.
  Euler<VectorXd> euler;
  Rk4<VectorXd> rk4;
  FusedSemiImplicit<VectorXd> fused;
  euler.do_step(network, x_euler, 0.0, 1e-3);
  rk4.do_step(network, x_rk4, 0.0, 1e-3);
  fused.do_step(network, x_fused, 0.0, 1e-3);

  EXPECT_EQ(allocations_during([&] {
              for (int i = 1; i <= kSteps; ++i) euler.do_step(network, x_euler, i * 1e-3, 1e-3);
            }), 0u);
  EXPECT_EQ(allocations_during([&] {
              for (int i = 1; i <= kSteps; ++i) rk4.do_step(network, x_rk4, i * 1e-3, 1e-3);
            }), 0u);
  EXPECT_EQ(allocations_during([&] {
              for (int i = 1; i <= kSteps; ++i) fused.do_step(network, x_fused, i * 1e-3, 1e-3);
            }), 0u);
  EXPECT_TRUE(x_euler.allFinite() && x_rk4.allFinite() && x_fused.allFinite());
}

TEST(NoHeapAllocation, IntegrateNStepsWithAnObserverAllocatesNothingAfterTheFirstGap) {
  const LinearConductance system;
  VectorXd x = LinearConductance::start();
  FusedSemiImplicit<VectorXd> fused(x);
  double last_t = 0.0;
  auto observer = [&last_t](const VectorXd&, double t) { last_t = t; };
  EXPECT_EQ(allocations_during([&] {
              for (int gap = 0; gap < kSteps / 6; ++gap) {
                integrate_n_steps(fused, system, x, gap * 0.02, 0.02, 6, observer);
              }
            }), 0u);
  EXPECT_GT(last_t, 0.0);
}

TEST(NoHeapAllocation, AReusedDopri5IntegratesFurtherGapsWithoutAllocating) {
  const Oscillator oscillator;
  VectorXd x = Oscillator::start();
  Dopri5<VectorXd> dopri5(x, {.abs = 1e-8, .rel = 1e-8});
  AdaptiveResult total;
  EXPECT_EQ(allocations_during([&] {
              for (int gap = 0; gap < 1000; ++gap) {
                const AdaptiveResult r = integrate_adaptive(dopri5, oscillator, x, gap * 0.05, 0.05);
                total.steps += r.steps;
              }
            }), 0u);
  EXPECT_GT(total.steps, 0u);
}

}  // namespace
}  // namespace liquid::ode
