// The backbone as a model (the "backbone" kind of lfm/model.h): per sample
//
//   u = W_in x + b_in          (in_proj: input_size -> d)
//   v = Backbone(u, Δt)        (the genome's units; Δt, the real elapsed time, reaches liquid blocks)
//   y = W_out v + b_out        (out_proj: d -> output_size)
//
// so every step has an output, as the cells' models do, and the trainer's per-step and per-sequence
// losses apply unchanged. Parameter names: "in_proj.weight", "in_proj.bias", "backbone.blocks.<i>...",
// "backbone.norm.weight", "out_proj.weight", "out_proj.bias".
//
// Sequence face: a block of whole sequences laid out as torch's batch_first tensors; (B, T, I)
// row-major is the I x (B T) column-major matrix whose column b T + t is token t of sequence b,
// which is the backbone's own token order, so no gathering is needed. Step face: one sample of one
// stream with its LayerState (conv windows, KV caches, liquid h).
#pragma once

#include <Eigen/Core>
#include <memory>

#include "lfm/backbone/backbone.h"
#include "lfm/parameter.h"

namespace liquid::lfm::backbone {

class BackboneNet {
 public:
  // Initialised as init_weights(0) would; throws std::invalid_argument on a bad size or genome.
  BackboneNet(int inputs, const Genome& genome, int outputs);
  BackboneNet(const BackboneNet& other);  // deep copy
  BackboneNet& operator=(const BackboneNet& other);
  BackboneNet(BackboneNet&&) noexcept = default;
  BackboneNet& operator=(BackboneNet&&) noexcept = default;

  // Every parameter afresh from `seed`: torch.nn.Linear's default for the projections, the blocks'
  // own initialisation for the backbone.
  void init_weights(uint64_t seed);
  void for_each_parameter(const std::string& prefix, const ParamVisitor& visit);
  void prepare() { backbone_->prepare(); }

  int input_size() const { return static_cast<int>(in_w_.cols()); }
  int output_size() const { return static_cast<int>(out_w_.rows()); }
  int width() const { return backbone_->width(); }
  const Genome& genome() const { return backbone_->genome(); }

  // --- sequence face ---
  struct Tape {
    std::unique_ptr<LayerTape> backbone;
    Eigen::MatrixXf u, v, dv, du;  // d x (B T)
    Eigen::RowVectorXf dt;         // 1 x (B T)
    int batch = 0, steps = 0;
  };
  Tape new_tape() const;
  // input (batch, steps, inputs), timespans (batch, steps), output (batch, steps, outputs); returns
  // the auxiliary loss (MoE load balancing) weighted by aux_scale, whose gradient backward() adds.
  double forward(const float* input, const float* timespans, int batch, int steps, float* output, Tape& tape,
                 float aux_scale = 1.0f) const;
  // ADDS the parameter gradients for dL/doutput (batch, steps, outputs) into `grads` (a zeros_like
  // copy); `input` is the forward's.
  void backward(Tape& tape, const float* input, const float* d_output, BackboneNet& grads) const;

  // --- step face ---
  struct Workspace {
    Eigen::VectorXf u, v;  // d each
  };
  Workspace make_workspace() const;
  std::unique_ptr<LayerState> new_state(int64_t max_context) const { return backbone_->new_state(max_context); }
  // x: inputs floats, y: outputs floats; dt: seconds since the stream's previous sample. No allocation.
  void step(const float* x, float dt, LayerState& state, float* y, Workspace& ws) const;

 private:
  std::unique_ptr<Backbone<float>> backbone_;
  Eigen::MatrixXf in_w_, in_b_, out_w_, out_b_;  // (d x I), (d x 1), (O x d), (O x 1)
};

}  // namespace liquid::lfm::backbone
