// A batch of independent samples is a wider state: a MatrixXf with one column per sample (or an
// ArrayXXd) must give each column the result of integrating that column alone.
#include <gtest/gtest.h>

#include "ode/ode.h"
#include "tests/ode/test_systems.h"

namespace liquid::ode {
namespace {

using Eigen::ArrayXXd;
using Eigen::MatrixXf;
using Eigen::VectorXf;
using test_systems::Decay;

// dx/dt = (a - b x) / c with per-neuron a, b, c broadcast over the batch columns.
template <class State>
struct BatchConductance {
  using Scalar = typename State::Scalar;
  Eigen::Array<Scalar, Eigen::Dynamic, 1> a, b, c;

  void conductances(const State& x, double, State& numerator, State& denominator) const {
    numerator.array() = a.replicate(1, x.cols());
    denominator.array() = b.replicate(1, x.cols());
  }
  void capacitance(State& cm) const { cm.array() = c.replicate(1, cm.cols()); }
  void operator()(const State& x, State& dxdt, double) const {
    dxdt.array() = (a.replicate(1, x.cols()) - b.replicate(1, x.cols()) * x.array()) /
                   c.replicate(1, x.cols());
  }
};

TEST(BatchState, EveryStepperTreatsMatrixColumnsAsIndependentSamples) {
  using Scalar = float;
  BatchConductance<MatrixXf> batch{.a = Eigen::ArrayXf::LinSpaced(3, -1.0f, 1.0f),
                                   .b = Eigen::ArrayXf::LinSpaced(3, 0.5f, 2.0f),
                                   .c = Eigen::ArrayXf::LinSpaced(3, 0.4f, 0.6f)};
  BatchConductance<VectorXf> single{batch.a, batch.b, batch.c};
  const MatrixXf x0 = MatrixXf::Random(3, 5);
  const double gap = 0.3;

  MatrixXf by_euler = x0, by_rk4 = x0, by_fused = x0, by_dopri5 = x0;
  Euler<MatrixXf> euler(x0);
  Rk4<MatrixXf> rk4(x0);
  FusedSemiImplicit<MatrixXf> fused(x0);
  integrate_n_steps(euler, batch, by_euler, 0.0, gap, 6);
  integrate_n_steps(rk4, batch, by_rk4, 0.0, gap, 6);
  integrate_n_steps(fused, batch, by_fused, 0.0, gap, 6);
  integrate_adaptive_dopri5(batch, by_dopri5, 0.0, gap, {.abs = 1e-6, .rel = 1e-6});

  for (Eigen::Index col = 0; col < x0.cols(); ++col) {
    VectorXf e = x0.col(col), r = x0.col(col), f = x0.col(col), d = x0.col(col);
    Euler<VectorXf> euler1(e);
    Rk4<VectorXf> rk41(r);
    FusedSemiImplicit<VectorXf> fused1(f);
    integrate_n_steps(euler1, single, e, 0.0, gap, 6);
    integrate_n_steps(rk41, single, r, 0.0, gap, 6);
    integrate_n_steps(fused1, single, f, 0.0, gap, 6);
    integrate_adaptive_dopri5(single, d, 0.0, gap, {.abs = 1e-6, .rel = 1e-6});
    const Scalar kExact = 1e-6f;
    EXPECT_LT((by_euler.col(col) - e).cwiseAbs().maxCoeff(), kExact) << col;
    EXPECT_LT((by_rk4.col(col) - r).cwiseAbs().maxCoeff(), kExact) << col;
    EXPECT_LT((by_fused.col(col) - f).cwiseAbs().maxCoeff(), kExact) << col;
    // The batch's step sizes follow its worst column, so dopri5 matches within its tolerance.
    EXPECT_LT((by_dopri5.col(col) - d).cwiseAbs().maxCoeff(), 1e-5f) << col;
  }
}

TEST(BatchState, Dopri5HandlesATwoDimensionalArrayState) {
  const Decay<ArrayXXd> decay{.k = 0.5};
  const ArrayXXd x0 = ArrayXXd::Random(4, 3);
  ArrayXXd x = x0;
  integrate_adaptive_dopri5(decay, x, 0.0, 2.0, {.abs = 1e-10, .rel = 1e-10});
  EXPECT_LT((x - decay.exact(x0, 2.0)).abs().maxCoeff(), 1e-9);
}

}  // namespace
}  // namespace liquid::ode
