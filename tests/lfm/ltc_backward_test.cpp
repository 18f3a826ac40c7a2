// LtcCell::backward against float central finite differences of a random linear loss
// L = sum_t (R1_t . y_t + R2_t . v_t), for every parameter entry, the initial state and the inputs.
#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "lfm/ltc_cell.h"
#include "lfm/wiring.h"

namespace liquid::lfm {
namespace {

constexpr int kInputs = 3;

WiringSpec fully_connected() { return FullyConnectedParams{.units = 5, .output_dim = 2}; }
WiringSpec ncp() {
  return NcpParams{.inter_neurons = 2, .command_neurons = 2, .motor_neurons = 1, .sensory_fanout = 1,
                   .inter_fanout = 1, .recurrent_command_synapses = 2, .motor_fanin = 1};
}

Eigen::VectorXf random_vector(int n, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  Eigen::VectorXf v(n);
  for (int i = 0; i < n; ++i) v(i) = dist(rng);
  return v;
}

LtcCell make_cell(const WiringSpec& spec, bool implicit, Mapping input_mapping, Mapping output_mapping,
                  uint64_t seed = 7) {
  const Wiring w = build_wiring(spec, kInputs);
  LtcConfig config{.input_size = kInputs, .units = w.units(), .motor_size = w.output_dim(), .ode_unfolds = 6};
  config.implicit_param_constraints = implicit;
  config.input_mapping = input_mapping;
  config.output_mapping = output_mapping;
  LtcCell cell(config, w.adjacency().cast<float>(), w.sensory_adjacency().cast<float>());
  cell.init_weights(seed);
  // Mapping parameters away from their 1 / 0 init so their gradients are exercised.
  std::mt19937 rng(static_cast<unsigned>(seed));
  cell.for_each_parameter("", [&](const ParamRef& p) {
    if (p.name == "input_w" || p.name == "output_w") *p.value = random_vector(int(p.value->rows()), rng, 0.5f, 1.5f);
    if (p.name == "input_b" || p.name == "output_b") *p.value = random_vector(int(p.value->rows()), rng, -0.3f, 0.3f);
  });
  cell.prepare();
  return cell;
}

LtcCell zero_grads(const LtcCell& cell) {
  LtcCell grads = cell;
  grads.for_each_parameter("", [](const ParamRef& p) { p.value->setZero(); });
  return grads;
}

// A sequence of steps with the random loss weights R1 (on y) and R2 (on v) of each step.
struct Sequence {
  Eigen::VectorXf v0;
  std::vector<Eigen::VectorXf> x, r1, r2;
  std::vector<double> dt;
};

Sequence random_sequence(const LtcCell& cell, std::vector<double> dts, unsigned seed) {
  std::mt19937 rng(seed);
  Sequence s;
  s.v0 = random_vector(cell.state_size(), rng, -0.5f, 0.5f);
  for (double dt : dts) {
    s.x.push_back(random_vector(kInputs, rng));
    s.r1.push_back(random_vector(cell.output_size(), rng));
    s.r2.push_back(random_vector(cell.state_size(), rng));
    s.dt.push_back(dt);
  }
  return s;
}

double loss(const LtcCell& cell, const Sequence& s) {
  LtcWorkspace ws;
  cell.resize_workspace(ws);
  Eigen::VectorXf v = s.v0, y(cell.output_size());
  double l = 0.0;
  for (size_t t = 0; t < s.x.size(); ++t) {
    cell.forward(s.x[t], v, s.dt[t], y, ws);
    l += s.r1[t].cast<double>().dot(y.cast<double>()) + s.r2[t].cast<double>().dot(v.cast<double>());
  }
  return l;
}

struct Gradients {
  std::map<std::string, Eigen::MatrixXf> params;
  Eigen::VectorXf d_v0;
  std::vector<Eigen::VectorXf> d_x;
};

Gradients analytic(const LtcCell& cell, const Sequence& s) {
  LtcWorkspace ws;
  cell.resize_workspace(ws);
  const size_t steps = s.x.size();
  std::vector<LtcTape> tapes(steps);
  Eigen::VectorXf v = s.v0, y(cell.output_size());
  for (size_t t = 0; t < steps; ++t) {
    cell.resize_tape(tapes[t]);
    cell.forward_taped(s.x[t], v, s.dt[t], y, ws, tapes[t]);
  }
  LtcCell grads = zero_grads(cell);
  Gradients g;
  g.d_x.resize(steps);
  Eigen::VectorXf d_v = Eigen::VectorXf::Zero(cell.state_size()), d_v_prev(cell.state_size());
  for (size_t t = steps; t-- > 0;) {
    d_v += s.r2[t];
    g.d_x[t].resize(kInputs);
    cell.backward(tapes[t], s.r1[t], d_v, d_v_prev, g.d_x[t], grads, ws);
    d_v = d_v_prev;
  }
  g.d_v0 = d_v;
  grads.for_each_parameter("", [&](const ParamRef& p) { g.params[p.name] = *p.value; });
  return g;
}

// Central difference of the loss in one float entry of the cell (re-prepared) or the sequence.
template <class Perturb>
double central_difference(float& entry, float h, Perturb&& evaluate) {
  const float saved = entry;
  entry = saved + h;
  const double plus = evaluate();
  entry = saved - h;
  const double minus = evaluate();
  entry = saved;
  return (plus - minus) / (2.0 * double(h));
}

void expect_close(const Eigen::MatrixXf& got, const Eigen::MatrixXd& want, double scale, const std::string& what) {
  ASSERT_EQ(got.rows(), want.rows()) << what;
  ASSERT_EQ(got.cols(), want.cols()) << what;
  for (Eigen::Index i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got.data()[i], want.data()[i], 1e-3 * scale) << what << " entry " << i;
}

void expect_gradients_match_differences(LtcCell cell, const Sequence& s) {
  const Gradients g = analytic(cell, s);
  constexpr float kStep = 3e-3f;

  std::map<std::string, Eigen::MatrixXd> numeric;
  double scale = 0.0;
  cell.for_each_parameter("", [&](const ParamRef& p) {
    Eigen::MatrixXd d = Eigen::MatrixXd::Zero(p.value->rows(), p.value->cols());
    if (p.trainable)
      for (Eigen::Index i = 0; i < p.value->size(); ++i)
        d.data()[i] = central_difference(p.value->data()[i], kStep, [&] {
          cell.prepare();
          return loss(cell, s);
        });
    cell.prepare();
    scale = std::max(scale, d.cwiseAbs().maxCoeff());
    numeric[p.name] = d;
  });
  Sequence perturbed = s;
  Eigen::VectorXd d_v0(s.v0.size());
  for (Eigen::Index i = 0; i < s.v0.size(); ++i)
    d_v0(i) = central_difference(perturbed.v0(i), kStep, [&] { return loss(cell, perturbed); });
  std::vector<Eigen::VectorXd> d_x;
  for (size_t t = 0; t < s.x.size(); ++t) {
    d_x.emplace_back(kInputs);
    for (int i = 0; i < kInputs; ++i)
      d_x[t](i) = central_difference(perturbed.x[t](i), kStep, [&] { return loss(cell, perturbed); });
    scale = std::max(scale, d_x[t].cwiseAbs().maxCoeff());
  }
  scale = std::max(scale, d_v0.cwiseAbs().maxCoeff());
  ASSERT_GT(scale, 1e-2);

  for (const auto& [name, want] : numeric) {
    ASSERT_TRUE(g.params.count(name)) << name;
    expect_close(g.params.at(name), want, scale, name);
  }
  expect_close(g.d_v0, d_v0, scale, "d_v_prev");
  for (size_t t = 0; t < s.x.size(); ++t) expect_close(g.d_x[t], d_x[t], scale, "d_x step " + std::to_string(t));
}

struct GradientCase {
  const char* name;
  WiringSpec spec;
  bool implicit;
  Mapping input_mapping, output_mapping;
};
void PrintTo(const GradientCase& c, std::ostream* os) { *os << c.name; }

class LtcBackwardGradient : public testing::TestWithParam<GradientCase> {};

TEST_P(LtcBackwardGradient, OneStepMatchesCentralDifferencesForEveryParameterStateAndInput) {
  const GradientCase& c = GetParam();
  const LtcCell cell = make_cell(c.spec, c.implicit, c.input_mapping, c.output_mapping);
  expect_gradients_match_differences(cell, random_sequence(cell, {0.8}, 11));
}

TEST_P(LtcBackwardGradient, TwoChainedStepsMatchCentralDifferences) {
  const GradientCase& c = GetParam();
  const LtcCell cell = make_cell(c.spec, c.implicit, c.input_mapping, c.output_mapping, 9);
  expect_gradients_match_differences(cell, random_sequence(cell, {0.5, 1.3}, 12));
}

INSTANTIATE_TEST_SUITE_P(
    Cells, LtcBackwardGradient,
    testing::Values(GradientCase{"FullyConnectedImplicitAffine", fully_connected(), true, Mapping::kAffine, Mapping::kAffine},
                    GradientCase{"NcpImplicitAffine", ncp(), true, Mapping::kAffine, Mapping::kAffine},
                    GradientCase{"FullyConnectedExplicitLinear", fully_connected(), false, Mapping::kLinear, Mapping::kLinear},
                    GradientCase{"NcpExplicitAffine", ncp(), false, Mapping::kAffine, Mapping::kAffine},
                    GradientCase{"FullyConnectedImplicitNone", fully_connected(), true, Mapping::kNone, Mapping::kNone},
                    GradientCase{"NcpImplicitLinearInNoneOut", ncp(), true, Mapping::kLinear, Mapping::kNone}),
    [](const testing::TestParamInfo<GradientCase>& info) { return std::string(info.param.name); });

TEST(LtcBackward, ForwardTapedEqualsForwardExactly) {
  for (const WiringSpec& spec : {fully_connected(), ncp()}) {
    const LtcCell cell = make_cell(spec, true, Mapping::kAffine, Mapping::kAffine);
    LtcWorkspace ws;
    cell.resize_workspace(ws);
    LtcTape tape;
    cell.resize_tape(tape);
    const Sequence s = random_sequence(cell, {0.7, 0.0, 2.5, -1.0}, 3);
    Eigen::VectorXf v = s.v0, v_taped = s.v0, y(cell.output_size()), y_taped(cell.output_size());
    for (size_t t = 0; t < s.x.size(); ++t) {
      cell.forward(s.x[t], v, s.dt[t], y, ws);
      cell.forward_taped(s.x[t], v_taped, s.dt[t], y_taped, ws, tape);
      for (int i = 0; i < v.size(); ++i) EXPECT_EQ(v(i), v_taped(i)) << "step " << t;
      for (int i = 0; i < y.size(); ++i) EXPECT_EQ(y(i), y_taped(i)) << "step " << t;
    }
  }
}

TEST(LtcBackward, ZeroOrNegativeGapPassesTheStateGradientStraightThrough) {
  const LtcCell cell = make_cell(ncp(), true, Mapping::kAffine, Mapping::kAffine);
  for (double dt : {0.0, -0.5}) {
    LtcWorkspace ws;
    cell.resize_workspace(ws);
    LtcTape tape;
    std::mt19937 rng(5);
    const Eigen::VectorXf x = random_vector(kInputs, rng), v0 = random_vector(cell.state_size(), rng);
    Eigen::VectorXf v = v0, y(cell.output_size());
    cell.forward_taped(x, v, dt, y, ws, tape);
    const Eigen::VectorXf d_y = random_vector(cell.output_size(), rng), d_v = random_vector(cell.state_size(), rng);
    Eigen::VectorXf d_v_prev(cell.state_size()), d_x = Eigen::VectorXf::Constant(kInputs, 9.0f);
    LtcCell grads = zero_grads(cell);
    cell.backward(tape, d_y, d_v, d_v_prev, d_x, grads, ws);
    Eigen::VectorXf want = d_v;
    std::map<std::string, Eigen::MatrixXf> p;
    const_cast<LtcCell&>(cell).for_each_parameter("", [&](const ParamRef& r) { p[r.name] = *r.value; });
    want.head(cell.output_size()).array() += d_y.array() * p["output_w"].col(0).array();
    EXPECT_TRUE(d_v_prev.isApprox(want));
    EXPECT_TRUE(d_x.isZero());
    grads.for_each_parameter("", [&](const ParamRef& r) {
      if (r.name == "output_w") EXPECT_TRUE(r.value->col(0).isApprox((d_y.array() * v0.head(cell.output_size()).array()).matrix()));
      else if (r.name == "output_b") EXPECT_TRUE(r.value->col(0).isApprox(d_y));
      else EXPECT_TRUE(r.value->isZero()) << r.name;
    });
  }
}

TEST(LtcBackward, MaskedSynapsesGetExactlyZeroGradient) {
  const LtcCell cell = make_cell(ncp(), true, Mapping::kAffine, Mapping::kAffine);
  const Gradients g = analytic(cell, random_sequence(cell, {1.0, 0.4}, 4));
  std::map<std::string, Eigen::MatrixXf> p;
  const_cast<LtcCell&>(cell).for_each_parameter("", [&](const ParamRef& r) { p[r.name] = *r.value; });
  for (const char* name : {"w", "sigma", "mu", "erev"}) {
    EXPECT_TRUE((g.params.at(name).array() * (1.0f - p["sparsity_mask"].array())).isZero(0.0f)) << name;
    EXPECT_FALSE(g.params.at(name).isZero()) << name;
  }
  for (const char* name : {"sensory_w", "sensory_sigma", "sensory_mu", "sensory_erev"})
    EXPECT_TRUE((g.params.at(name).array() * (1.0f - p["sensory_sparsity_mask"].array())).isZero(0.0f)) << name;
  EXPECT_TRUE(g.params.at("sparsity_mask").isZero(0.0f));
  EXPECT_TRUE(g.params.at("sensory_sparsity_mask").isZero(0.0f));
}

// The taped forward pass of the Dormand-Prince solver is the untaped one plus bookkeeping: same
// bits. (Its gradient: tests/lfm/ltc_dopri5_gradient_test.cpp.)
TEST(LtcBackward, TapedDopri5ForwardGivesTheSameBits) {
  LtcCell cell = make_cell(fully_connected(), true, Mapping::kAffine, Mapping::kAffine);
  cell.mutable_config().solver = LtcSolver::kDopri5;
  LtcWorkspace ws;
  cell.resize_workspace(ws);
  LtcTape tape;
  std::mt19937 rng(5);
  const Eigen::VectorXf x = random_vector(kInputs, rng), v0 = random_vector(cell.state_size(), rng);
  Eigen::VectorXf v_plain = v0, v_taped = v0, y_plain(cell.output_size()), y_taped(cell.output_size());
  cell.forward(x, v_plain, 2.5, y_plain, ws);
  cell.forward_taped(x, v_taped, 2.5, y_taped, ws, tape);
  EXPECT_EQ(v_plain, v_taped);
  EXPECT_EQ(y_plain, y_taped);
  EXPECT_EQ(tape.v.cols(), static_cast<Eigen::Index>(tape.steps.size()) + 1);
  EXPECT_EQ(Eigen::VectorXf(tape.v.rightCols(1)), v_taped);
}

}  // namespace
}  // namespace liquid::lfm
