// Liquid block: a CfC layer (lfm/cfc_cell.h, Hasani et al. 2022) as a token mixer whose elapsed
// time per token is the real gap since the stream's previous token:
//
//   h_t = CfC(x_t, h_{t-1}, Δt_t)       (units U, h_{-1} = 0; default gated mode, no backbone MLP
//                                        unless backbone_units > 0)
//   y_t = W_out h_t                      (out_proj: U -> d, no bias)
//
// Training runs the B sequences of a batch together, one CfC step per time index (the cell's batch
// is B), and back-propagates through time with CfcCell::backward. Step face: the state is h
// (U floats per stream), whatever the context length. Float only: it reuses CfcCell, which is float.
#pragma once

#include "lfm/backbone/layer.h"
#include "lfm/cfc_cell.h"

namespace liquid::lfm::backbone {

class LiquidBlock final : public Layer<float> {
 public:
  // backbone_units 0: the CfC heads read [x; h] directly (no backbone MLP).
  LiquidBlock(int d, int units, int backbone_units = 0);
  void init(uint64_t seed);
  int units() const { return units_; }

  std::string_view kind() const override { return "liquid"; }
  void visit(const std::string& prefix, const ParamFn<float>& fn) override;
  std::unique_ptr<Layer<float>> zeros_like() const override;
  void prepare() override { cell_.prepare(); }

  std::unique_ptr<LayerTape> new_tape() const override;
  void forward(const Mat<float>& x, const Seq<float>& seq, Mat<float>& y, LayerTape& tape) const override;
  void backward(const LayerTape& tape, const Mat<float>& dy, Mat<float>& dx, Layer<float>& grads) const override;

  std::unique_ptr<LayerState> new_state(int64_t max_context) const override;
  void step(const Vec<float>& x, float dt, LayerState& state, Vec<float>& y) const override;

  Eigen::MatrixXf out_proj;  // d x U

 private:
  static CfcConfig cell_config(int d, int units, int backbone_units);
  int d_, units_, backbone_units_;
  CfcCell cell_;
};

}  // namespace liquid::lfm::backbone
