// Compiles and runs the usage example at the top of ode/ode.h, and checks that every code line
// of that comment appears here in the same order, so the documentation cannot drift.
#include "ode/ode.h"

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

// dx/dt = -x / tau: leaky neurons relaxing to rest, tau in seconds.
struct Leak {
  double tau = 0.5;
  void operator()(const Eigen::VectorXd& x, Eigen::VectorXd& dxdt, double) const {
    dxdt = -x / tau;
  }
};

TEST(UsageExample, RunsAndGivesTheExactDecay) {
  Eigen::VectorXd x = Eigen::VectorXd::Ones(4);
  liquid::ode::Rk4<Eigen::VectorXd> rk4(x);                       // scratch sized once
  liquid::ode::integrate_n_steps(rk4, Leak{}, x, 0.0, 0.02, 6);   // a 20 ms gap, 6 substeps
  liquid::ode::AdaptiveResult result = liquid::ode::integrate_adaptive_dopri5(
      Leak{}, x, 0.02, 3.0, {.abs = 1e-9, .rel = 1e-9});          // a 3 s gap, error-controlled
  // Now x = exp(-3.02 / 0.5) and result.steps says how many steps it took.

  EXPECT_NEAR(x(0), std::exp(-3.02 / 0.5), 1e-8);
  EXPECT_GT(result.steps, 0u);
}

std::string trim(const std::string& line) {
  const auto begin = line.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return line.substr(begin, line.find_last_not_of(" \t") - begin + 1);
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(UsageExample, MatchesTheCommentInOdeHeader) {
  const auto header = read_lines(std::string(LIQUID_SOURCE_DIR) + "/ode/ode.h");
  const auto test = read_lines(std::string(LIQUID_SOURCE_DIR) + "/tests/ode/usage_example_test.cpp");
  ASSERT_FALSE(header.empty());
  ASSERT_FALSE(test.empty());
  // The example is the block of comment lines indented by three spaces.
  const std::string kCodePrefix = "//   ";
  std::size_t next = 0;
  int matched = 0;
  for (const std::string& line : header) {
    if (line.rfind(kCodePrefix, 0) != 0) continue;
    const std::string code = trim(line.substr(kCodePrefix.size()));
    if (code.empty()) continue;
    while (next < test.size() && trim(test[next]) != code) ++next;
    ASSERT_LT(next, test.size()) << "ode/ode.h example line not found here, in order: " << code;
    ++next;
    ++matched;
  }
  EXPECT_GE(matched, 10);
}

}  // namespace
