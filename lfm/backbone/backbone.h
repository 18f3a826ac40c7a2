// A backbone built from a genome (genome.h): pre-norm residual units and a final RMSNorm,
//
//   h_0 = x,   h_{i+1} = h_i + f_i(RMSNorm_i(h_i)),   y = RMSNorm_final(h_n)
//   backward: dh_n from the final norm; dh_i = dh_{i+1} + RMSNorm_iᵀ(f_iᵀ(dh_{i+1})).
//
// It is itself a Layer, so it has both faces: sequences (B, T, d) for training, and one token of one
// stream with a BackboneState (the units' states: conv windows, KV caches, liquid h) for streaming.
// Parameter names: "blocks.<i>.norm.weight", "blocks.<i>.<kind>.<...>" (e.g.
// "blocks.3.attn.q_proj.weight"), "norm.weight"; for_each_parameter() hands them to the project's
// ParamVisitor (Adam, safetensors) unchanged. The MoE auxiliary loss is summed over units.
#pragma once

#include <vector>

#include "lfm/backbone/genome.h"
#include "lfm/backbone/layer.h"

namespace liquid::lfm::backbone {

template <class S>
class Backbone final : public Layer<S> {
 public:
  // Builds and initialises every unit from `seed` (norm weights 1). Liquid units are float only:
  // Backbone<double> of a genome with one throws std::invalid_argument.
  Backbone(const Genome& genome, uint64_t seed);
  const Genome& genome() const { return genome_; }
  int width() const { return genome_.d; }
  size_t size() const { return units_.size(); }
  Layer<S>& unit(size_t i) { return *units_[i]; }

  std::string_view kind() const override { return "backbone"; }
  void visit(const std::string& prefix, const ParamFn<S>& fn) override;
  // The project's visitor (float only; double throws std::logic_error).
  void for_each_parameter(const std::string& prefix, const ParamVisitor& visit);
  std::unique_ptr<Layer<S>> zeros_like() const override;
  void prepare() override;

  std::unique_ptr<LayerTape> new_tape() const override;
  void forward(const Mat<S>& x, const Seq<S>& seq, Mat<S>& y, LayerTape& tape) const override;
  void backward(const LayerTape& tape, const Mat<S>& dy, Mat<S>& dx, Layer<S>& grads) const override;
  S aux_loss(const LayerTape& tape) const override;

  std::unique_ptr<LayerState> new_state(int64_t max_context) const override;
  void step(const Vec<S>& x, S dt, LayerState& state, Vec<S>& y) const override;

 private:
  struct Empty {};
  Backbone(const Genome& genome, Empty);  // zero parameters, for zeros_like()

  Genome genome_;
  std::vector<std::unique_ptr<Layer<S>>> units_;
  std::vector<Mat<S>> norms_;  // d x 1 per unit
  Mat<S> final_norm_;          // d x 1
};

}  // namespace liquid::lfm::backbone
