#include "lfm/backbone/liquid_block.h"

#include <stdexcept>
#include <vector>

namespace liquid::lfm::backbone {
namespace {

struct LiquidTape final : LayerTape {
  std::vector<CfcTape> steps;   // one per time index, batch B
  Eigen::MatrixXf h_all;        // U x (B T): the state after each token, in token column order
  mutable CfcWorkspace ws;      // backward's scratch
  int batch = 0, t_steps = 0;
};

struct LiquidState final : LayerState {
  Eigen::MatrixXf h;            // U x 1
  Eigen::RowVectorXf ts;        // 1
  CfcWorkspace ws;
  void reset() override { h.setZero(); }
  void save(std::vector<double>& out) const override { save_values(h, out); }
  void restore(std::span<const double>& in) override { restore_values(h, in); }
};

}  // namespace

CfcConfig LiquidBlock::cell_config(int d, int units, int backbone_units) {
  if (d < 1) throw std::invalid_argument("liquid: width d must be >= 1, got " + std::to_string(d));
  if (units < 1) throw std::invalid_argument("liquid: units must be >= 1, got " + std::to_string(units));
  if (backbone_units < 0)
    throw std::invalid_argument("liquid: backbone units must be >= 0, got " + std::to_string(backbone_units));
  CfcConfig c;
  c.input_size = d;
  c.units = units;
  c.backbone_units = backbone_units;
  c.backbone_layers = backbone_units > 0 ? 1 : 0;
  return c;
}

LiquidBlock::LiquidBlock(int d, int units, int backbone_units)
    : d_(d), units_(units), backbone_units_(backbone_units), cell_(cell_config(d, units, backbone_units)) {
  out_proj = Eigen::MatrixXf::Zero(d, units);
}

void LiquidBlock::init(uint64_t seed) {
  cell_.init_weights(seed);
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  init_uniform(out_proj, 1.0 / std::sqrt(double(units_)), rng);
}

void LiquidBlock::visit(const std::string& prefix, const ParamFn<float>& fn) {
  cell_.for_each_parameter(prefix + "cell.", [&](const ParamRef& p) { fn(p.name, p.shape, *p.value); });
  fn(prefix + "out_proj.weight", {d_, units_}, out_proj);
}

std::unique_ptr<Layer<float>> LiquidBlock::zeros_like() const {
  auto g = std::make_unique<LiquidBlock>(d_, units_, backbone_units_);
  zero_parameters<float>(*g);
  g->prepare();
  return g;
}

std::unique_ptr<LayerTape> LiquidBlock::new_tape() const { return std::make_unique<LiquidTape>(); }

void LiquidBlock::forward(const Mat<float>& x, const Seq<float>& seq, Mat<float>& y, LayerTape& tape_base) const {
  auto& tp = static_cast<LiquidTape&>(tape_base);
  const int B = seq.batch, T = seq.steps;
  tp.batch = B;
  tp.t_steps = T;
  tp.steps.resize(T);
  tp.h_all.resize(units_, static_cast<Eigen::Index>(B) * T);
  CfcWorkspace ws;
  cell_.resize_workspace(ws, B);
  Eigen::MatrixXf h = Eigen::MatrixXf::Zero(units_, B), xs(d_, B);
  Eigen::RowVectorXf ts(B);
  for (int t = 0; t < T; ++t) {
    // Gather token t of every sequence into one batch of B columns.
    for (int b = 0; b < B; ++b) {
      xs.col(b) = x.col(b * T + t);
      ts(b) = seq.dt ? (*seq.dt)(b * T + t) : 1.0f;
    }
    cell_.resize_tape(tp.steps[t], B);
    cell_.forward_taped(xs, h, ts, ws, tp.steps[t]);
    for (int b = 0; b < B; ++b) tp.h_all.col(b * T + t) = h.col(b);
  }
  y.noalias() = out_proj * tp.h_all;
}

void LiquidBlock::backward(const LayerTape& tape_base, const Mat<float>& dy, Mat<float>& dx,
                           Layer<float>& grads_base) const {
  const auto& tp = static_cast<const LiquidTape&>(tape_base);
  auto& g = static_cast<LiquidBlock&>(grads_base);
  const int B = tp.batch, T = tp.t_steps;
  g.out_proj.noalias() += dy * tp.h_all.transpose();
  const Eigen::MatrixXf d_h_all = out_proj.transpose() * dy;
  Eigen::MatrixXf dh = Eigen::MatrixXf::Zero(units_, B), dxs(d_, B);
  dx.resize(d_, dy.cols());
  for (int t = T - 1; t >= 0; --t) {
    // dL/dh_t = what y_t asks for plus what flowed back from h_{t+1}.
    for (int b = 0; b < B; ++b) dh.col(b) += d_h_all.col(b * T + t);
    cell_.backward(tp.steps[t], dh, dh, dxs, g.cell_, tp.ws);
    for (int b = 0; b < B; ++b) dx.col(b * T + t) = dxs.col(b);
  }
}

std::unique_ptr<LayerState> LiquidBlock::new_state(int64_t) const {
  auto st = std::make_unique<LiquidState>();
  st->h = Eigen::MatrixXf::Zero(units_, 1);
  st->ts.resize(1);
  cell_.resize_workspace(st->ws, 1);
  return st;
}

void LiquidBlock::step(const Vec<float>& x, float dt, LayerState& state, Vec<float>& y) const {
  auto& st = static_cast<LiquidState&>(state);
  st.ts(0) = dt;
  cell_.forward(x, st.h, st.ts, st.ws);
  y.noalias() = out_proj * st.h.col(0);
}

}  // namespace liquid::lfm::backbone
