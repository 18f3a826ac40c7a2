// Tick arithmetic: nice steps, decade ticks and labels without float noise.
#include "plot/ticks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

using namespace liquid::plot;

namespace {

// 1, 2 or 5 times a power of ten.
bool is_nice(double step) {
  const double mantissa = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
  return std::fabs(mantissa - 1) < 1e-9 || std::fabs(mantissa - 2) < 1e-9 || std::fabs(mantissa - 5) < 1e-9;
}

}  // namespace

TEST(PlotNiceStep, PicksOneTwoOrFiveTimesAPowerOfTen) {
  EXPECT_DOUBLE_EQ(nice_step(0, 1, 5), 0.2);
  EXPECT_DOUBLE_EQ(nice_step(0, 10, 5), 2);
  EXPECT_DOUBLE_EQ(nice_step(0, 100, 6), 20);
  EXPECT_DOUBLE_EQ(nice_step(0, 0.7, 6), 0.1);
  EXPECT_DOUBLE_EQ(nice_step(1e6, 5e6, 4), 1e6);
  for (double lo : {-3.7, 0.0, 0.013, 12.0, 1e5})
    for (double span : {1e-6, 0.03, 0.7, 1.0, 9.9, 42.0, 1e3, 3.3e7})
      for (int target : {2, 4, 6, 10}) {
        const double step = nice_step(lo, lo + span, target);
        EXPECT_TRUE(is_nice(step)) << lo << " " << span << " " << target << " -> " << step;
        const double intervals = span / step;  // near the target, never wildly off
        EXPECT_GE(intervals, target / 2.6) << lo << " " << span << " " << target;
        EXPECT_LE(intervals, target * 2.6) << lo << " " << span << " " << target;
      }
}

TEST(PlotNiceTicks, AreMultiplesOfTheStepInsideTheRange) {
  const std::vector<double> t = nice_ticks(-1.3, 2.7, 4);
  ASSERT_EQ(t, (std::vector<double>{-1, 0, 1, 2}));
  EXPECT_FALSE(std::signbit(t[1]));  // a clean zero, not -0

  const std::vector<double> u = nice_ticks(0, 1, 5);
  ASSERT_EQ(u.size(), 6u);  // both ends included
  EXPECT_EQ(u.front(), 0.0);
  EXPECT_NEAR(u.back(), 1.0, 1e-12);

  // Ends that are a rounding error past a tick still get it.
  EXPECT_EQ(nice_ticks(0.1 + 0.2, 0.9, 6).front(), 0.30000000000000004);
}

TEST(PlotNiceTicks, RejectsEmptyOrNonFiniteRanges) {
  EXPECT_THROW(nice_ticks(1, 1), std::invalid_argument);
  EXPECT_THROW(nice_ticks(2, 1), std::invalid_argument);
  EXPECT_THROW(nice_ticks(0, NAN), std::invalid_argument);
  EXPECT_THROW(log_ticks(0, 10), std::invalid_argument);
}

TEST(PlotLogTicks, DecadesWithTwoAndFiveOnShortRanges) {
  EXPECT_EQ(log_ticks(1, 1000), (std::vector<double>{1, 10, 100, 1000}));
  const std::vector<double> t = log_ticks(0.015, 0.7);
  ASSERT_EQ(t.size(), 5u);
  const double expected[] = {0.02, 0.05, 0.1, 0.2, 0.5};
  for (size_t i = 0; i < t.size(); ++i) EXPECT_NEAR(t[i], expected[i], 1e-15);
  // Sixteen decades: every second power, so labels stay apart.
  const std::vector<double> wide = log_ticks(1e-8, 1e8);
  EXPECT_LE(wide.size(), 9u);
  EXPECT_GE(wide.size(), 5u);
  // Less than a decade falls back to linear nice ticks.
  EXPECT_EQ(log_ticks(2, 8), nice_ticks(2, 8, 5));
}

TEST(PlotFormatTick, UsesTheDecimalsTheStepNeeds) {
  EXPECT_EQ(format_tick(0.1 + 0.2, 0.1), "0.3");
  EXPECT_EQ(format_tick(3 * 0.2, 0.2), "0.6");
  EXPECT_EQ(format_tick(0.25, 0.25), "0.25");
  EXPECT_EQ(format_tick(1500, 500), "1500");
  EXPECT_EQ(format_tick(40, 20), "40");
  EXPECT_EQ(format_tick(0.02, 0.01), "0.02");
  EXPECT_EQ(format_tick(-0.0, 1), "0");
  EXPECT_EQ(format_tick(-1e-17, 0.2), "0.0");  // no "-0.0"
  EXPECT_EQ(format_tick(2.5e6, 5e5), "2.5e6");
  EXPECT_EQ(format_tick(3e6, 1e6), "3e6");
  EXPECT_EQ(format_tick(2e-5, 1e-5), "2e-5");
  EXPECT_EQ(format_tick(1.5e-5, 5e-6), "1.5e-5");
}

TEST(PlotFormatTicks, UseOneStyleForTheWholeAxis) {
  EXPECT_EQ(format_ticks({0, 5e5, 1e6, 1.5e6}, 5e5), (std::vector<std::string>{"0", "5e5", "1e6", "1.5e6"}));
  EXPECT_EQ(format_ticks({0, 0.5, 1}, 0.5), (std::vector<std::string>{"0.0", "0.5", "1.0"}));
  // Log ticks (step 0): each is its own step; one small tick makes them all exponents.
  EXPECT_EQ(format_ticks({5e-5, 1e-4, 1e-3}, 0), (std::vector<std::string>{"5e-5", "1e-4", "1e-3"}));
  EXPECT_EQ(format_ticks({0.01, 0.1, 1, 10}, 0), (std::vector<std::string>{"0.01", "0.1", "1", "10"}));
}

TEST(PlotTicksAt, TakesAnyStep) {
  EXPECT_EQ(ticks_at(0.5, 4.2, 1), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_THROW(ticks_at(0, 1, 0), std::invalid_argument);
  EXPECT_THROW(ticks_at(0, 1, 1e-9), std::invalid_argument);  // would be a billion ticks
}

TEST(PlotFormatNumber, IsCompact) {
  EXPECT_EQ(format_number(0.1 + 0.2), "0.3");
  EXPECT_EQ(format_number(0.0), "0");
  EXPECT_EQ(format_number(94.63), "94.63");
  EXPECT_EQ(format_number(1e-5), "1e-5");
  EXPECT_EQ(format_number(123456789), "1.235e8");
  EXPECT_EQ(format_number(NAN), "nan");
}
