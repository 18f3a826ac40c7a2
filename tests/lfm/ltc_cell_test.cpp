// The LTC cell's vectorised kernels (dense register blocks, sparse packet spans) against the
// equations written out naively in double precision, for wirings larger than the ncps cases.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "lfm/model.h"

namespace liquid::lfm {
namespace {

double softplus(double x) { return x > 20 ? x : std::log1p(std::exp(x)); }
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// ncps's LTC step (mapping, `unfolds` fused steps, output mapping) in double, from the parameters.
std::vector<double> naive_ltc_step(const LtcCell& cell_in, const std::vector<double>& x, std::vector<double>& v,
                                   double dt) {
  auto& cell = const_cast<LtcCell&>(cell_in);
  std::map<std::string, Eigen::MatrixXd> p;
  cell.for_each_parameter("", [&](const ParamRef& r) { p[r.name] = r.value->cast<double>(); });
  const LtcConfig& c = cell.config();
  const int n = c.units, m = c.input_size;
  auto pos = [&](double value) { return c.implicit_param_constraints ? softplus(value) : value; };
  std::vector<double> in(m);
  for (int k = 0; k < m; ++k) in[k] = x[k] * p["input_w"](k, 0) + p["input_b"](k, 0);
  const double cm_t_scale = c.ode_unfolds / dt;
  for (int u = 0; u < c.ode_unfolds; ++u) {
    std::vector<double> next(n);
    for (int j = 0; j < n; ++j) {
      double num = pos(p["gleak"](j, 0)) * p["vleak"](j, 0), den = pos(p["gleak"](j, 0));
      for (int k = 0; k < m; ++k) {
        const double a = pos(p["sensory_w"](k, j)) * p["sensory_sparsity_mask"](k, j) *
                         sigmoid(p["sensory_sigma"](k, j) * (in[k] - p["sensory_mu"](k, j)));
        num += a * p["sensory_erev"](k, j);
        den += a;
      }
      for (int i = 0; i < n; ++i) {
        const double a = pos(p["w"](i, j)) * p["sparsity_mask"](i, j) * sigmoid(p["sigma"](i, j) * (v[i] - p["mu"](i, j)));
        num += a * p["erev"](i, j);
        den += a;
      }
      const double cm_t = pos(p["cm"](j, 0)) * cm_t_scale;
      next[j] = (cm_t * v[j] + num) / (cm_t + den + c.epsilon);
    }
    v = next;
  }
  std::vector<double> y(c.motor_size);
  for (int j = 0; j < c.motor_size; ++j) y[j] = v[j] * p["output_w"](j, 0) + p["output_b"](j, 0);
  return y;
}

void expect_matches_naive(const WiringSpec& spec, int inputs) {
  ModelConfig config;
  config.cell = CellKind::kLtc;
  config.input_size = inputs;
  config.wiring = build_wiring(spec, inputs);
  config.ltc = {.input_size = inputs, .units = config.wiring->units(), .motor_size = config.wiring->output_dim()};
  const Model model(config, 17);
  const auto& cell = std::get<LtcCell>(model.cell());
  auto state = model.initial_state();
  auto ws = model.make_workspace();
  std::vector<double> v(model.state_size(), 0.0);
  std::vector<float> y(model.output_size());
  for (int step = 0; step < 5; ++step) {
    std::vector<float> x(inputs);
    std::vector<double> xd(inputs);
    for (int k = 0; k < inputs; ++k) xd[k] = x[k] = std::sin(0.7 * step + 1.3 * k);
    const double dt = 0.1 + 0.6 * step;
    model.step(x.data(), dt, state, y.data(), ws);
    const auto want = naive_ltc_step(cell, xd, v, dt);
    for (int j = 0; j < model.state_size(); ++j) EXPECT_NEAR(state.h(j), v[j], 2e-5) << "step " << step << " neuron " << j;
    for (size_t j = 0; j < want.size(); ++j) EXPECT_NEAR(y[j], want[j], 2e-5);
  }
}

TEST(LtcCell, DenseSixtyFourNeuronWiringMatchesTheEquationsInDouble) {
  FullyConnectedParams p;
  p.units = 64;
  expect_matches_naive(p, 16);
}

TEST(LtcCell, OddSizedDenseWiringMatchesTheEquationsInDouble) {
  FullyConnectedParams p;
  p.units = 70;  // a whole register block plus a remainder
  p.output_dim = 5;
  expect_matches_naive(p, 3);
}

TEST(LtcCell, SparseNcpWiringMatchesTheEquationsInDouble) {
  AutoNcpParams p;
  p.units = 48;
  p.output_size = 6;
  expect_matches_naive(p, 10);
}

TEST(LtcCell, RandomSparseWiringMatchesTheEquationsInDouble) {
  RandomParams p;
  p.units = 33;
  p.output_dim = 4;
  p.sparsity_level = 0.7;
  expect_matches_naive(p, 7);
}

}  // namespace
}  // namespace liquid::lfm
