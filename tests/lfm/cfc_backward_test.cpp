// The CfC cells' hand-written backward pass against float central differences of a scalar loss
// L = sum(R ⊙ h_new), over every parameter entry, the previous state and the input; and the taped
// forward against the plain one, bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <map>
#include <random>
#include <string>
#include <tuple>

#include "lfm/cfc_cell.h"
#include "lfm/model_config.h"
#include "lfm/safetensors.h"
#include "lfm/wired_cfc_cell.h"
#include "lfm/wiring.h"

namespace liquid::lfm {
namespace {

constexpr int kInput = 3, kUnits = 4, kBatch = 3;
constexpr float kStep = 4e-3f;
constexpr double kTolerance = 2e-3;  // relative to max |gradient|: float rounding of the differences

Eigen::MatrixXf random_matrix(int rows, int cols, std::mt19937& rng, float scale = 1.0f) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  Eigen::MatrixXf m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = dist(rng);
  return m;
}

template <class Cell>
std::map<std::string, Eigen::MatrixXf*> parameters(Cell& cell, bool trainable_only) {
  std::map<std::string, Eigen::MatrixXf*> out;
  cell.for_each_parameter("", [&](const ParamRef& p) {
    if (p.trainable || !trainable_only) out[p.name] = p.value;
  });
  return out;
}

template <class Cell>
void zero_gradients(Cell& grads) {
  for (auto& [name, value] : parameters(grads, true)) value->setZero();
  grads.prepare();
}

// One way to hold an analytic gradient and the central difference for the same quantity.
struct Comparison {
  std::vector<std::tuple<std::string, double, double>> entries;  // what, analytic, numeric
  void add(const std::string& what, double analytic, double numeric) { entries.emplace_back(what, analytic, numeric); }
  void expect_close() const {
    double scale = 0;
    for (const auto& e : entries) scale = std::max(scale, std::abs(std::get<1>(e)));
    ASSERT_GT(scale, 1e-3) << "gradients vanish: the check would be empty";
    for (const auto& [what, analytic, numeric] : entries)
      EXPECT_NEAR(analytic, numeric, kTolerance * scale) << what;
  }
};

// Central difference of `loss` in one float entry, in double from the float losses.
template <class Loss, class After>
double central_difference(float& entry, const Loss& loss, const After& after_change) {
  const float saved = entry;
  entry = saved + kStep;
  after_change();
  const double plus = loss();
  entry = saved - kStep;
  after_change();
  const double minus = loss();
  entry = saved;
  after_change();
  return (plus - minus) / (2.0 * kStep);
}

double weighted_sum(const Eigen::MatrixXf& r, const Eigen::MatrixXf& h) {
  return (r.cast<double>().array() * h.cast<double>().array()).sum();
}

struct CellCase {
  CfcMode mode;
  Activation activation;
  bool masked;
};

std::string case_name(const testing::TestParamInfo<CellCase>& info) {
  return std::string(cfc_mode_name(info.param.mode)) + "_" + std::string(activation_name(info.param.activation)) +
         (info.param.masked ? "_masked" : "_dense");
}

class CfcCellBackward : public testing::TestWithParam<CellCase> {};

TEST_P(CfcCellBackward, GradientsMatchCentralDifferencesForEveryParameterTheStateAndTheInput) {
  const CellCase c = GetParam();
  std::mt19937 rng(1234 + static_cast<int>(c.mode) * 31 + static_cast<int>(c.activation) * 7 + c.masked);
  // A mask multiplies the (units x backbone_units) head weights, so masked cells need
  // backbone_units == input + units.
  CfcConfig config{.input_size = kInput, .units = kUnits, .mode = c.mode, .activation = c.activation,
                   .backbone_units = c.masked ? kInput + kUnits : 5, .backbone_layers = 2};
  std::optional<Eigen::MatrixXf> mask;
  if (c.masked) {
    mask = Eigen::MatrixXf::Ones(kUnits, kInput + kUnits);
    for (int i = 0; i < kUnits; ++i)
      for (int j = 0; j < kInput + kUnits; ++j) (*mask)(i, j) = (i + 2 * j) % 3 == 0 ? 0.0f : 1.0f;
  }
  CfcCell cell(config, mask);
  cell.init_weights(99);
  if (c.mode == CfcMode::kPure) {
    // Move A off its init of 1 so dL/dA and dL/dw_tau are not special.
    auto p = parameters(cell, true);
    *p["A"] = random_matrix(1, kUnits, rng) + Eigen::MatrixXf::Constant(1, kUnits, 1.5f);
    cell.prepare();
  }
  CfcCell grads(config, mask);
  zero_gradients(grads);

  Eigen::MatrixXf x = random_matrix(kInput, kBatch, rng);
  Eigen::MatrixXf h0 = random_matrix(kUnits, kBatch, rng, 0.8f);
  const Eigen::MatrixXf r = random_matrix(kUnits, kBatch, rng);
  Eigen::RowVectorXf ts(kBatch);
  ts << 0.3f, 1.0f, 2.2f;

  CfcWorkspace ws;
  cell.resize_workspace(ws, kBatch);
  CfcTape tape;
  cell.resize_tape(tape, kBatch);
  Eigen::MatrixXf h = h0;
  cell.forward_taped(x, h, ts, ws, tape);
  Eigen::MatrixXf d_h_prev(kUnits, kBatch), d_x(kInput, kBatch);
  cell.backward(tape, r, d_h_prev, d_x, grads, ws);

  auto loss = [&] {
    Eigen::MatrixXf h1 = h0;
    cell.forward(x, h1, ts, ws);
    return weighted_sum(r, h1);
  };
  auto nothing = [] {};
  auto reprepare = [&] { cell.prepare(); };
  Comparison cmp;
  auto grad_params = parameters(grads, true);
  for (auto& [name, value] : parameters(cell, true))
    for (Eigen::Index i = 0; i < value->size(); ++i)
      cmp.add(name + "[" + std::to_string(i) + "]", grad_params.at(name)->data()[i],
              central_difference(value->data()[i], loss, reprepare));
  for (Eigen::Index i = 0; i < h0.size(); ++i)
    cmp.add("h_prev[" + std::to_string(i) + "]", d_h_prev.data()[i], central_difference(h0.data()[i], loss, nothing));
  for (Eigen::Index i = 0; i < x.size(); ++i)
    cmp.add("x[" + std::to_string(i) + "]", d_x.data()[i], central_difference(x.data()[i], loss, nothing));
  cmp.expect_close();

  if (c.masked) {
    // The mask is not trainable: the gradient cell's mask stays as it was, and masked-out weights
    // get exactly zero gradient.
    EXPECT_EQ(*parameters(grads, false).at("sparsity_mask"), *mask);
    for (int i = 0; i < kUnits; ++i)
      for (int j = 0; j < kInput + kUnits; ++j)
        if ((*mask)(i, j) == 0.0f) {
          EXPECT_EQ((*grad_params.at("ff1.weight"))(i, j), 0.0f);
          if (c.mode != CfcMode::kPure) {
            EXPECT_EQ((*grad_params.at("ff2.weight"))(i, j), 0.0f);
          }
        }
  }
}

TEST_P(CfcCellBackward, BackwardAddsIntoTheGradientsRatherThanOverwritingThem) {
  const CellCase c = GetParam();
  std::mt19937 rng(5);
  CfcConfig config{.input_size = kInput, .units = kUnits, .mode = c.mode, .activation = c.activation,
                   .backbone_units = 5, .backbone_layers = 2};
  CfcCell cell(config);
  cell.init_weights(3);
  CfcCell once(config), twice(config);
  zero_gradients(once);
  zero_gradients(twice);
  const Eigen::MatrixXf x = random_matrix(kInput, kBatch, rng), r = random_matrix(kUnits, kBatch, rng);
  Eigen::MatrixXf h = random_matrix(kUnits, kBatch, rng);
  const Eigen::RowVectorXf ts = Eigen::RowVectorXf::Constant(kBatch, 0.7f);
  CfcWorkspace ws;
  cell.resize_workspace(ws, kBatch);
  CfcTape tape;
  cell.resize_tape(tape, kBatch);
  cell.forward_taped(x, h, ts, ws, tape);
  Eigen::MatrixXf d_h_prev(kUnits, kBatch), d_x(kInput, kBatch);
  cell.backward(tape, r, d_h_prev, d_x, once, ws);
  cell.backward(tape, r, d_h_prev, d_x, twice, ws);
  cell.backward(tape, r, d_h_prev, d_x, twice, ws);
  auto g1 = parameters(once, true), g2 = parameters(twice, true);
  for (auto& [name, value] : g1) EXPECT_TRUE(g2.at(name)->isApprox(2.0f * *value)) << name;
}

std::vector<CellCase> all_cases() {
  std::vector<CellCase> out;
  for (CfcMode mode : {CfcMode::kDefault, CfcMode::kNoGate, CfcMode::kPure})
    for (Activation a : {Activation::kLecunTanh, Activation::kSilu, Activation::kRelu, Activation::kTanh,
                         Activation::kGelu})
      for (bool masked : {false, true}) out.push_back({mode, a, masked});
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllModesActivationsAndMasks, CfcCellBackward, testing::ValuesIn(all_cases()), case_name);

TEST(CfcCellBackward, ACellWithoutBackboneGetsGradientsForEveryParameter) {
  std::mt19937 rng(8);
  for (CfcMode mode : {CfcMode::kDefault, CfcMode::kNoGate, CfcMode::kPure}) {
    CfcConfig config{.input_size = kInput, .units = kUnits, .mode = mode, .backbone_layers = 0};
    CfcCell cell(config), grads(config);
    cell.init_weights(4);
    zero_gradients(grads);
    Eigen::MatrixXf x = random_matrix(kInput, kBatch, rng), h0 = random_matrix(kUnits, kBatch, rng);
    const Eigen::MatrixXf r = random_matrix(kUnits, kBatch, rng);
    const Eigen::RowVectorXf ts = Eigen::RowVectorXf::LinSpaced(kBatch, 0.5f, 1.5f);
    CfcWorkspace ws;
    cell.resize_workspace(ws, kBatch);
    CfcTape tape;
    cell.resize_tape(tape, kBatch);
    Eigen::MatrixXf h = h0, d_h_prev(kUnits, kBatch), d_x(kInput, kBatch);
    cell.forward_taped(x, h, ts, ws, tape);
    cell.backward(tape, r, d_h_prev, d_x, grads, ws);
    auto loss = [&] {
      Eigen::MatrixXf h1 = h0;
      cell.forward(x, h1, ts, ws);
      return weighted_sum(r, h1);
    };
    Comparison cmp;
    auto grad_params = parameters(grads, true);
    for (auto& [name, value] : parameters(cell, true))
      for (Eigen::Index i = 0; i < value->size(); ++i)
        cmp.add(name, grad_params.at(name)->data()[i], central_difference(value->data()[i], loss, [&] { cell.prepare(); }));
    for (Eigen::Index i = 0; i < h0.size(); ++i)
      cmp.add("h_prev", d_h_prev.data()[i], central_difference(h0.data()[i], loss, [] {}));
    for (Eigen::Index i = 0; i < x.size(); ++i) cmp.add("x", d_x.data()[i], central_difference(x.data()[i], loss, [] {}));
    SCOPED_TRACE(std::string(cfc_mode_name(mode)));
    cmp.expect_close();
  }
}

TEST(CfcCell, RejectsAMaskWhoseWidthDiffersFromTheHeadWeights) {
  CfcConfig config{.input_size = kInput, .units = kUnits, .backbone_units = 5, .backbone_layers = 1};
  EXPECT_THROW(CfcCell(config, Eigen::MatrixXf::Ones(kUnits, kInput + kUnits)), std::invalid_argument);
}

TEST(CfcCellForwardTaped, GivesExactlyTheResultOfForward) {
  std::mt19937 rng(77);
  for (CfcMode mode : {CfcMode::kDefault, CfcMode::kNoGate, CfcMode::kPure})
    for (Activation a : {Activation::kLecunTanh, Activation::kSilu, Activation::kRelu, Activation::kTanh,
                         Activation::kGelu})
      for (int batch : {1, 7}) {
        CfcConfig config{.input_size = 9, .units = 19, .mode = mode, .activation = a, .backbone_units = 64,
                         .backbone_layers = 2};
        CfcCell cell(config);
        cell.init_weights(11);
        const Eigen::MatrixXf x = random_matrix(9, batch, rng);
        const Eigen::MatrixXf h0 = random_matrix(19, batch, rng);
        const Eigen::RowVectorXf ts = Eigen::RowVectorXf::LinSpaced(batch, 0.1f, 3.0f);
        CfcWorkspace ws;
        cell.resize_workspace(ws, batch);
        CfcTape tape;
        cell.resize_tape(tape, batch);
        Eigen::MatrixXf plain = h0, taped = h0;
        cell.forward(x, plain, ts, ws);
        cell.forward_taped(x, taped, ts, ws, tape);
        EXPECT_EQ(plain, taped) << cfc_mode_name(mode) << " " << activation_name(a) << " batch " << batch;
      }
}

WiredCfcCell make_wired(CfcMode mode, int inputs) {
  const Wiring w = build_wiring(AutoNcpParams{.units = 10, .output_size = 3, .sparsity_level = 0.5, .seed = 5}, inputs);
  return WiredCfcCell(inputs, w.layers(), w.adjacency().cast<float>(), w.sensory_adjacency().cast<float>(), mode);
}

class WiredCfcCellBackward : public testing::TestWithParam<CfcMode> {};

TEST_P(WiredCfcCellBackward, TwoChainedStepsMatchCentralDifferences) {
  const CfcMode mode = GetParam();
  std::mt19937 rng(31 + static_cast<int>(mode));
  WiredCfcCell cell = make_wired(mode, kInput), grads = make_wired(mode, kInput);
  cell.init_weights(21);
  zero_gradients(grads);
  const int n = cell.state_size();
  Eigen::MatrixXf x1 = random_matrix(kInput, kBatch, rng), x2 = random_matrix(kInput, kBatch, rng);
  Eigen::MatrixXf h0 = random_matrix(n, kBatch, rng, 0.8f);
  const Eigen::MatrixXf r1 = random_matrix(n, kBatch, rng), r2 = random_matrix(n, kBatch, rng);
  Eigen::RowVectorXf ts1(kBatch), ts2(kBatch);
  ts1 << 0.5f, 1.0f, 1.7f;
  ts2 << 1.2f, 0.4f, 2.0f;

  // L = sum(R1 ⊙ h1) + sum(R2 ⊙ h2), h1 = step(x1, h0), h2 = step(x2, h1).
  WiredCfcWorkspace ws;
  cell.resize_workspace(ws, kBatch);
  WiredCfcTape tape1, tape2;
  cell.resize_tape(tape1, kBatch);
  cell.resize_tape(tape2, kBatch);
  Eigen::MatrixXf h = h0;
  cell.forward_taped(x1, h, ts1, ws, tape1);
  cell.forward_taped(x2, h, ts2, ws, tape2);
  Eigen::MatrixXf d_h = r2, d_x2(kInput, kBatch), d_x1(kInput, kBatch);
  cell.backward(tape2, d_h, d_h, d_x2, grads, ws);  // d_h_prev aliasing d_h_new is allowed
  d_h += r1;
  cell.backward(tape1, d_h, d_h, d_x1, grads, ws);

  auto loss = [&] {
    Eigen::MatrixXf s = h0;
    cell.forward(x1, s, ts1, ws);
    double l = weighted_sum(r1, s);
    cell.forward(x2, s, ts2, ws);
    return l + weighted_sum(r2, s);
  };
  auto nothing = [] {};
  Comparison cmp;
  auto grad_params = parameters(grads, true);
  for (auto& [name, value] : parameters(cell, true))
    for (Eigen::Index i = 0; i < value->size(); ++i)
      cmp.add(name + "[" + std::to_string(i) + "]", grad_params.at(name)->data()[i],
              central_difference(value->data()[i], loss, [&] { cell.prepare(); }));
  for (Eigen::Index i = 0; i < h0.size(); ++i)
    cmp.add("h0[" + std::to_string(i) + "]", d_h.data()[i], central_difference(h0.data()[i], loss, nothing));
  for (Eigen::Index i = 0; i < x1.size(); ++i)
    cmp.add("x1[" + std::to_string(i) + "]", d_x1.data()[i], central_difference(x1.data()[i], loss, nothing));
  for (Eigen::Index i = 0; i < x2.size(); ++i)
    cmp.add("x2[" + std::to_string(i) + "]", d_x2.data()[i], central_difference(x2.data()[i], loss, nothing));
  cmp.expect_close();

  // Masks untouched, as the wired cells' masks are not trainable.
  WiredCfcCell fresh = make_wired(mode, kInput);
  auto masks = parameters(fresh, false);
  for (auto& [name, value] : parameters(grads, false))
    if (name.find("sparsity_mask") != std::string::npos) {
      EXPECT_EQ(*value, *masks.at(name)) << name;
    }
}

TEST_P(WiredCfcCellBackward, ForwardTapedGivesExactlyTheResultOfForward) {
  const CfcMode mode = GetParam();
  std::mt19937 rng(3);
  WiredCfcCell cell = make_wired(mode, 6);
  cell.init_weights(2);
  for (int batch : {1, 5}) {
    const Eigen::MatrixXf x = random_matrix(6, batch, rng), h0 = random_matrix(cell.state_size(), batch, rng);
    const Eigen::RowVectorXf ts = Eigen::RowVectorXf::LinSpaced(batch, 0.2f, 2.0f);
    WiredCfcWorkspace ws;
    cell.resize_workspace(ws, batch);
    WiredCfcTape tape;
    cell.resize_tape(tape, batch);
    Eigen::MatrixXf plain = h0, taped = h0;
    cell.forward(x, plain, ts, ws);
    cell.forward_taped(x, taped, ts, ws, tape);
    EXPECT_EQ(plain, taped) << "batch " << batch;
  }
}

INSTANTIATE_TEST_SUITE_P(AllModes, WiredCfcCellBackward,
                         testing::Values(CfcMode::kDefault, CfcMode::kNoGate, CfcMode::kPure),
                         [](const testing::TestParamInfo<CfcMode>& info) { return std::string(cfc_mode_name(info.param)); });

// ncps's own gradients (tests/data, written by ncps v1.0.1 with torch autograd): the loss is
// sum(output * loss_weights) over the sequence from a zero state; without a projection the output
// is the (motor) state, so BPTT through the cell alone reproduces grad.* exactly.
const std::string kData = LIQUID_TEST_DATA;

template <class Cell, class Tape, class Workspace>
void expect_ncps_gradients(Cell& cell, Cell& grads, const std::string& name, int batch, int steps) {
  const SafetensorsFile file = SafetensorsFile::read_file(kData + "/" + name + ".safetensors");
  auto load = [&](Cell& target, const std::string& prefix) {
    target.for_each_parameter("rnn_cell.", [&](const ParamRef& p) {
      if (!file.contains(prefix + p.name)) {
        ADD_FAILURE() << "missing " << prefix + p.name;
        return;
      }
      const auto values = file.as_float(prefix + p.name);
      ASSERT_EQ(static_cast<Eigen::Index>(values.size()), p.value->size()) << p.name;
      *p.value = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          values.data(), p.value->rows(), p.value->cols());
    });
    target.prepare();
  };
  load(cell, "param.");
  load(grads, "param.");  // the mask; gradients are zeroed next
  zero_gradients(grads);

  const auto input = file.as_float("input"), timespans = file.as_float("timespans");
  const auto loss_weights = file.as_float("loss_weights");
  const int n_in = static_cast<int>(input.size()) / (batch * steps);
  const int n_out = static_cast<int>(loss_weights.size()) / (batch * steps);
  int n_state = 0;
  if constexpr (std::is_same_v<Cell, CfcCell>) n_state = cell.config().units; else n_state = cell.state_size();
  std::vector<Tape> tapes(steps);
  Workspace ws;
  cell.resize_workspace(ws, batch);
  Eigen::MatrixXf h = Eigen::MatrixXf::Zero(n_state, batch);
  std::vector<Eigen::MatrixXf> xs(steps, Eigen::MatrixXf(n_in, batch));
  std::vector<Eigen::RowVectorXf> ts(steps, Eigen::RowVectorXf(batch));
  for (int t = 0; t < steps; ++t) {
    for (int b = 0; b < batch; ++b) {
      for (int k = 0; k < n_in; ++k) xs[t](k, b) = input[(size_t(b) * steps + t) * n_in + k];
      ts[t](b) = timespans[size_t(b) * steps + t];
    }
    cell.resize_tape(tapes[t], batch);
    cell.forward_taped(xs[t], h, ts[t], ws, tapes[t]);
  }
  // Output = the last n_out rows of the state (the motor layer; all of it for a plain CfC).
  Eigen::MatrixXf d_h = Eigen::MatrixXf::Zero(n_state, batch), d_x(n_in, batch);
  for (int t = steps - 1; t >= 0; --t) {
    for (int b = 0; b < batch; ++b)
      for (int k = 0; k < n_out; ++k) d_h(n_state - n_out + k, b) += loss_weights[(size_t(b) * steps + t) * n_out + k];
    cell.backward(tapes[t], d_h, d_h, d_x, grads, ws);
  }
  for (auto& [pname, value] : parameters(grads, true)) {
    const auto want = file.as_float("grad.rnn_cell." + pname);
    ASSERT_EQ(static_cast<Eigen::Index>(want.size()), value->size()) << pname;
    const Eigen::MatrixXf want_m = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        want.data(), value->rows(), value->cols());
    const double scale = std::max(1e-6f, want_m.cwiseAbs().maxCoeff());
    EXPECT_LE((*value - want_m).cwiseAbs().maxCoeff() / scale, 1e-4) << name << " " << pname;
  }
}

TEST(CfcCellBackward, SequenceGradientsMatchNcpsAutogradForTheDefaultAndPureCases) {
  for (auto [name, mode] : {std::pair{"cfc_default", CfcMode::kDefault}, std::pair{"cfc_pure", CfcMode::kPure}}) {
    const CfcConfig config{.input_size = 5, .units = 8, .mode = mode, .backbone_units = 16, .backbone_layers = 1};
    CfcCell cell(config), grads(config);
    expect_ncps_gradients<CfcCell, CfcTape, CfcWorkspace>(cell, grads, name, 3, 7);
  }
}

TEST(WiredCfcCellBackward, SequenceGradientsMatchNcpsAutogradForTheAutoNcpCase) {
  std::ifstream in(kData + "/wired_cfc_autoncp.json");
  const nlohmann::json json = nlohmann::json::parse(in);
  // The case's own matrices and ncps's layers (inter, command, motor), as the parity tests load them.
  const ModelConfig config = config_from_json(json, "wired_cfc_autoncp.json");
  ASSERT_TRUE(config.wired());
  const Wiring& w = *config.wiring;
  const Eigen::MatrixXf adjacency = w.adjacency().cast<float>(), sensory = w.sensory_adjacency().cast<float>();
  WiredCfcCell cell(5, w.layers(), adjacency, sensory, CfcMode::kDefault);
  WiredCfcCell grads(5, w.layers(), adjacency, sensory, CfcMode::kDefault);
  expect_ncps_gradients<WiredCfcCell, WiredCfcTape, WiredCfcWorkspace>(cell, grads, "wired_cfc_autoncp", 1, 6);
}

}  // namespace
}  // namespace liquid::lfm
