// The LTC solved by Dormand-Prince has no ncps counterpart, so its gradient is checked against
// central finite differences of an independent double-precision model: the LTC equations written
// out here from ncps's definitions, integrated with the Dormand-Prince 5th-order update over the
// step sizes the adaptive solver accepted in the forward pass (the gradient treats them as
// constants). Loss L = sum_t (R1_t . y_t + R2_t . v_t) over three irregular steps.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "lfm/ltc_cell.h"
#include "lfm/wiring.h"

namespace liquid::lfm {
namespace {

constexpr int kInputs = 3;
using Params = std::map<std::string, Eigen::MatrixXd>;

double softplus(double x) { return x > 20.0 ? x : std::log1p(std::exp(x)); }
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// dv/dt of ncps's LTC for one sample, in double.
Eigen::VectorXd rhs(const Params& p, const Eigen::VectorXd& in, const Eigen::VectorXd& v) {
  const Eigen::Index u = v.size();
  Eigen::VectorXd num(u), den(u);
  for (Eigen::Index j = 0; j < u; ++j) {
    num(j) = softplus(p.at("gleak")(j, 0)) * p.at("vleak")(j, 0);
    den(j) = softplus(p.at("gleak")(j, 0));
    for (Eigen::Index i = 0; i < in.size(); ++i) {
      const double w = softplus(p.at("sensory_w")(i, j)) * p.at("sensory_sparsity_mask")(i, j);
      const double s = sigmoid(p.at("sensory_sigma")(i, j) * (in(i) - p.at("sensory_mu")(i, j)));
      num(j) += w * s * p.at("sensory_erev")(i, j);
      den(j) += w * s;
    }
    for (Eigen::Index i = 0; i < u; ++i) {
      const double w = softplus(p.at("w")(i, j)) * p.at("sparsity_mask")(i, j);
      const double s = sigmoid(p.at("sigma")(i, j) * (v(i) - p.at("mu")(i, j)));
      num(j) += w * s * p.at("erev")(i, j);
      den(j) += w * s;
    }
  }
  Eigen::VectorXd cm(u);
  for (Eigen::Index j = 0; j < u; ++j) cm(j) = softplus(p.at("cm")(j, 0));
  return ((num.array() - den.array() * v.array()) / cm.array()).matrix();
}

Eigen::VectorXd dopri5_step(const Params& p, const Eigen::VectorXd& in, const Eigen::VectorXd& v0, double h) {
  static constexpr double a[6][5] = {{0, 0, 0, 0, 0},
                                     {1.0 / 5, 0, 0, 0, 0},
                                     {3.0 / 40, 9.0 / 40, 0, 0, 0},
                                     {44.0 / 45, -56.0 / 15, 32.0 / 9, 0, 0},
                                     {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729, 0},
                                     {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656}};
  static constexpr double b[6] = {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84};
  std::vector<Eigen::VectorXd> k(6);
  Eigen::VectorXd v1 = v0;
  for (int i = 0; i < 6; ++i) {
    Eigen::VectorXd y = v0;
    for (int j = 0; j < i; ++j) y += h * a[i][j] * k[j];
    k[i] = rhs(p, in, y);
    v1 += h * b[i] * k[i];
  }
  return v1;
}

struct Sequence {
  Eigen::VectorXf v0;
  std::vector<Eigen::VectorXf> x, r1, r2;
  std::vector<double> dt;
  std::vector<std::vector<double>> steps;  // accepted step sizes, from the float forward pass
};

double reference_loss(const Params& p, const Sequence& s) {
  Eigen::VectorXd v = s.v0.cast<double>();
  double l = 0.0;
  for (size_t t = 0; t < s.x.size(); ++t) {
    const Eigen::VectorXd in =
        (s.x[t].cast<double>().array() * p.at("input_w").col(0).array() + p.at("input_b").col(0).array()).matrix();
    for (double h : s.steps[t]) v = dopri5_step(p, in, v, h);
    const Eigen::Index m = p.at("output_w").rows();
    const Eigen::VectorXd y = (v.head(m).array() * p.at("output_w").col(0).array() + p.at("output_b").col(0).array()).matrix();
    l += s.r1[t].cast<double>().dot(y) + s.r2[t].cast<double>().dot(v);
  }
  return l;
}

Eigen::VectorXf random_vector(int n, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  Eigen::VectorXf v(n);
  for (int i = 0; i < n; ++i) v(i) = dist(rng);
  return v;
}

void check_dopri5_gradient(const WiringSpec& spec) {
  const Wiring wiring = build_wiring(spec, kInputs);
  LtcConfig config{.input_size = kInputs, .units = wiring.units(), .motor_size = wiring.output_dim(), .ode_unfolds = 6};
  config.solver = LtcSolver::kDopri5;
  config.abs_tol = 1e-5;
  config.rel_tol = 1e-5;
  LtcCell cell(config, wiring.adjacency().cast<float>(), wiring.sensory_adjacency().cast<float>());
  cell.init_weights(3);
  std::mt19937 rng(11);
  cell.for_each_parameter("", [&](const ParamRef& p) {
    if (p.name == "input_w" || p.name == "output_w") *p.value = random_vector(int(p.value->rows()), rng, 0.5f, 1.5f);
    if (p.name == "input_b" || p.name == "output_b") *p.value = random_vector(int(p.value->rows()), rng, -0.3f, 0.3f);
  });
  cell.prepare();

  Sequence s;
  s.v0 = random_vector(cell.state_size(), rng, -0.5f, 0.5f);
  for (double dt : {0.4, 1.7, 0.05}) {
    s.x.push_back(random_vector(kInputs, rng, -1.0f, 1.0f));
    s.r1.push_back(random_vector(cell.output_size(), rng, -1.0f, 1.0f));
    s.r2.push_back(random_vector(cell.state_size(), rng, -1.0f, 1.0f));
    s.dt.push_back(dt);
  }

  // The float model: forward with tapes, then backward.
  LtcWorkspace ws;
  cell.resize_workspace(ws);
  std::vector<LtcTape> tapes(s.x.size());
  Eigen::VectorXf v = s.v0, y(cell.output_size());
  for (size_t t = 0; t < s.x.size(); ++t) {
    cell.resize_tape(tapes[t]);
    cell.forward_taped(s.x[t], v, s.dt[t], y, ws, tapes[t]);
    ASSERT_GT(tapes[t].steps.size(), 1u) << "the adaptive solver should take several steps";
    s.steps.push_back(tapes[t].steps);
  }
  LtcCell grads = cell;
  grads.for_each_parameter("", [](const ParamRef& p) { p.value->setZero(); });
  Eigen::VectorXf d_v = Eigen::VectorXf::Zero(cell.state_size()), d_v_prev(cell.state_size()), d_x(kInputs);
  for (size_t t = s.x.size(); t-- > 0;) {
    d_v += s.r2[t];
    cell.backward(tapes[t], s.r1[t], d_v, d_v_prev, d_x, grads, ws);
    d_v = d_v_prev;
  }

  Params p;
  cell.for_each_parameter("", [&](const ParamRef& r) { p[r.name] = r.value->cast<double>(); });
  std::map<std::string, Eigen::MatrixXf> got;
  grads.for_each_parameter("", [&](const ParamRef& r) { got[r.name] = *r.value; });
  for (auto& [name, value] : p) {
    if (name.find("mask") != std::string::npos) continue;
    Eigen::MatrixXd want(value.rows(), value.cols());
    for (Eigen::Index i = 0; i < value.size(); ++i) {
      const double saved = value.data()[i], h = 1e-6 * std::max(1.0, std::abs(saved));
      value.data()[i] = saved + h;
      const double plus = reference_loss(p, s);
      value.data()[i] = saved - h;
      const double minus = reference_loss(p, s);
      value.data()[i] = saved;
      want.data()[i] = (plus - minus) / (2 * h);
    }
    const double scale = std::max(1e-3, want.cwiseAbs().maxCoeff());
    for (Eigen::Index i = 0; i < value.size(); ++i)
      EXPECT_NEAR(got[name].data()[i], want.data()[i], 2e-3 * scale) << name << " entry " << i;
  }
}

TEST(LtcDopri5Gradient, FullyConnectedMatchesDoublePrecisionDifferences) {
  check_dopri5_gradient(FullyConnectedParams{.units = 5, .output_dim = 2});
}

TEST(LtcDopri5Gradient, NcpWiringMatchesDoublePrecisionDifferences) {
  check_dopri5_gradient(NcpParams{.inter_neurons = 2, .command_neurons = 2, .motor_neurons = 1, .sensory_fanout = 1,
                                  .inter_fanout = 1, .recurrent_command_synapses = 2, .motor_fanin = 1});
}

}  // namespace
}  // namespace liquid::lfm
