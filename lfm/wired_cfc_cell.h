// CfC over a wiring, as ncps's WiredCfCCell: one CfC layer (no backbone) per wiring layer (for NCP:
// inter, command, motor). Layer l reads the new state of layer l-1 (layer 0 reads the inputs)
// through the wiring's synapses, plus every neuron of its own layer; the masks act on ff1 and ff2,
// t_a and t_b stay dense. The state is the layers' states concatenated in layer order; the output
// is the last (motor) layer's state.
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "lfm/cfc_cell.h"

namespace liquid::lfm {

struct WiredCfcWorkspace {
  std::vector<CfcWorkspace> layers;
  // Used only by backward(), sized on first use: per layer l, dL/d(input of l) = dL/d(new state of
  // l-1) through layer l, and dL/d(new state of l) in total.
  std::vector<Eigen::MatrixXf> d_input, d_state;
};

// One forward step of every layer, for backward().
struct WiredCfcTape {
  std::vector<CfcTape> layers;
};

class WiredCfcCell {
 public:
  // layers: neuron ids per layer; adjacency (units x units) and sensory_adjacency
  // (input_size x units) hold polarities (src row, dest column), only |value| is used here.
  WiredCfcCell(int input_size, const std::vector<std::vector<int>>& layers, const Eigen::MatrixXf& adjacency,
               const Eigen::MatrixXf& sensory_adjacency, CfcMode mode);

  int state_size() const { return state_size_; }
  int output_size() const { return layers_.back().config().units; }
  const std::vector<CfcCell>& layers() const { return layers_; }

  void for_each_parameter(const std::string& prefix, const ParamVisitor& visit);
  void prepare();
  void init_weights(uint64_t seed);
  void resize_workspace(WiredCfcWorkspace& ws, int batch) const;
  void forward(const Eigen::Ref<const Eigen::MatrixXf>& x, Eigen::Ref<Eigen::MatrixXf> h,
               const Eigen::Ref<const Eigen::RowVectorXf>& ts, WiredCfcWorkspace& ws) const noexcept;

  // As CfcCell's, on the full concatenated state (h, d_h_new, d_h_prev: state_size x batch).
  void resize_tape(WiredCfcTape& tape, int batch) const;
  void forward_taped(const Eigen::Ref<const Eigen::MatrixXf>& x, Eigen::Ref<Eigen::MatrixXf> h,
                     const Eigen::Ref<const Eigen::RowVectorXf>& ts, WiredCfcWorkspace& ws,
                     WiredCfcTape& tape) const noexcept;
  void backward(const WiredCfcTape& tape, const Eigen::Ref<const Eigen::MatrixXf>& d_h_new,
                Eigen::Ref<Eigen::MatrixXf> d_h_prev, Eigen::Ref<Eigen::MatrixXf> d_x,
                WiredCfcCell& grads, WiredCfcWorkspace& ws) const;

 private:
  std::vector<CfcCell> layers_;
  std::vector<int> offsets_;  // first state row of each layer
  int state_size_ = 0;
};

}  // namespace liquid::lfm
