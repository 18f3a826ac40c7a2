// A model: the weights of one cell (CfC, wired CfC or LTC) with ncps's optional LSTM memory before
// it and projection after it, as ncps's CfC / LTC modules; or an LFM backbone between an input and
// an output projection (lfm/backbone/network.h), with the same faces. The model is immutable while it runs and
// shared by every stream; each stream keeps only a ModelState, each thread a ModelWorkspace.
//
// Two faces, one kernel:
//   step:     one stream, one sample:  model.step(x, dt, state, y, ws)  (no heap allocation)
//   sequence: a batch of sequences with per-sample elapsed times, laid out as torch's
//             batch_first tensors: model.forward(input (B,T,I), timespans (B,T), ...)
// Both go through step_batch, so a sequence gives the numbers the step face gives sample by sample.
// A backbone has no step_batch (its per-stream state is its units' caches, not a vector h): its
// step face runs one stream's sample through BackboneNet::step, and agrees with its sequence face
// to 1e-5.
#pragma once

#include <Eigen/Core>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "lfm/backbone/network.h"
#include "lfm/cfc_cell.h"
#include "lfm/lstm_cell.h"
#include "lfm/ltc_cell.h"
#include "lfm/model_config.h"
#include "lfm/safetensors.h"
#include "lfm/wired_cfc_cell.h"

namespace liquid::lfm {

// Per-stream state: the hidden state h (and the LSTM cell state c with mixed memory); for a
// backbone, its units' states instead (h and c empty).
struct ModelState {
  Eigen::VectorXf h, c;
  std::unique_ptr<backbone::LayerState> backbone;
};

// Per-thread scratch for batches of up to `capacity` columns.
struct ModelWorkspace {
  int capacity = 0;
  CfcWorkspace cfc;
  WiredCfcWorkspace wired;
  LtcWorkspace ltc;
  LstmWorkspace lstm;
  Eigen::RowVectorXf ts;
  Eigen::MatrixXf x, h, c, cell_out, y;  // gathered columns for the sequence face
  backbone::BackboneNet::Workspace net;
};

class Model;

// What Model::forward_backward keeps between calls: every shard's tapes, state and gradient
// holder. A training loop that passes the same workspace to every batch allocates on its first
// batch only (fresh tapes on every call cost more in page faults than the arithmetic: 54 ms
// instead of 12 ms per CfC batch of 32 x 128). Bound to the model it was first used with (a
// workspace handed to another model starts afresh); not for two calls at once.
class BpttWorkspace {
 public:
  BpttWorkspace();
  ~BpttWorkspace();
  BpttWorkspace(BpttWorkspace&&) noexcept;
  BpttWorkspace& operator=(BpttWorkspace&&) noexcept;
  struct Shard;  // lfm/model_backward.cpp

 private:
  friend class Model;
  std::vector<Shard> shards_;
  std::vector<float> output_, d_output_;
  const Model* model_ = nullptr;
};

class Model {
 public:
  explicit Model(ModelConfig config, uint64_t init_seed = 0);

  // Model files: safetensors with ncps's tensor names and the configuration in __metadata__.
  static Model load(const std::filesystem::path& path);
  void save(const std::filesystem::path& path, DType dtype = DType::kF32) const;
  // Builds a model from a configuration and tensors named as ncps's state_dict (an ncps export):
  // every parameter must be present with its exact shape; `prefix` is prepended to the names.
  static Model from_tensors(ModelConfig config, const SafetensorsFile& tensors, const std::string& source,
                            const std::string& prefix = "");
  void load_tensors(const SafetensorsFile& tensors, const std::string& source, const std::string& prefix = "");
  SafetensorsFile to_tensors(DType dtype = DType::kF32) const;
  // What ncps loads: the state_dict (ncps's names, F32) for model.load_state_dict(
  // safetensors.torch.load_file(STATE)) and the configuration JSON that python/export_ncps.py
  // also writes (CfC(...) / LTC(...) arguments and the wiring's matrices).
  void export_ncps(const std::filesystem::path& state_path, const std::filesystem::path& config_path) const;

  const ModelConfig& config() const { return config_; }
  int input_size() const { return config_.input_size; }
  int state_size() const { return config_.state_size(); }
  int output_size() const { return config_.output_size(); }
  // A backbone's full-attention KV cache grows with the stream; it is sized for this many samples
  // unless the caller says otherwise (initial_state, state_bytes).
  static constexpr int64_t kDefaultContext = 8192;
  int64_t parameter_count() const;         // trainable scalars
  int64_t active_parameter_count() const;  // used per sample (a MoE uses only its top-k experts)
  // Per stream, float32: h (and c); a backbone's units' states at `context` samples.
  int64_t state_bytes(int64_t context = kDefaultContext) const;
  // The first row of h that the outputs are a copy of (CfC without a projection: all of h, or a
  // wired CfC's motor layer at the end of h), or -1 when they are computed from it (projection,
  // LTC output mapping, backbone). Lets a caller that keeps h skip keeping y as well.
  int output_row_in_state() const;

  // Every parameter with its ncps state_dict name ("rnn_cell.ff1.weight", "lstm.input_map.bias",
  // "fc.weight"); the const overload is for readers (counting, saving).
  void for_each_parameter(const ParamVisitor& visit);
  void for_each_parameter(const ParamVisitor& visit) const;
  void prepare();  // after parameters change
  // After an optimiser update: ncps's clamping of LTC parameters (w, sensory_w, cm, gleak >= 0)
  // when implicit constraints are off, then prepare().
  void apply_constraints();

  // --- step face ---
  // Zeros, as ncps; a backbone's state holds up to max_context samples in a full-attention cache
  // (stepping past it is an error; windowed attention, conv and liquid units are bounded anyway).
  ModelState initial_state(int64_t max_context = kDefaultContext) const;
  ModelWorkspace make_workspace(int capacity = 1) const;
  // A state's numbers for a checkpoint (h, c, a backbone's caches), and back into a state from
  // initial_state() of this model; throws std::invalid_argument when the count does not fit.
  std::vector<double> save_state(const ModelState& state) const;
  void restore_state(std::span<const double> values, ModelState& state) const;
  // x: input_size floats; y: output_size floats; dt: elapsed seconds since the previous sample.
  void step(const float* x, double dt, ModelState& state, float* y, ModelWorkspace& ws) const;

  // --- sequence face ---
  // input (batch, steps, input_size) and timespans (batch, steps), row-major as torch batch_first;
  // output (batch, steps, output_size); final_h (batch, state_size) and final_c (with mixed memory)
  // may be empty spans. Initial states are zero. The batch is split over `threads` threads (0: one
  // per core); every sample gets the same numbers whatever the split.
  void forward(std::span<const float> input, std::span<const float> timespans, int batch, int steps,
               std::span<float> output, std::span<float> final_h = {}, std::span<float> final_c = {},
               int threads = 0) const;

  // One time step for `b` streams at once: x (input_size x b), h and c (state_size x b) updated,
  // ts (1 x b) elapsed seconds, y (output_size x b). Cells only: a backbone throws std::logic_error.
  void step_batch(const Eigen::Ref<const Eigen::MatrixXf>& x, Eigen::Ref<Eigen::MatrixXf> h,
                  Eigen::Ref<Eigen::MatrixXf> c, const Eigen::Ref<const Eigen::RowVectorXf>& ts,
                  Eigen::Ref<Eigen::MatrixXf> y, ModelWorkspace& ws) const;

  // --- training (lfm/model_backward.cpp) ---
  // A model of the same configuration with every trainable parameter zero: the gradient holder
  // that forward_backward accumulates into (its parameters line up with this model's by name).
  Model zeros_like() const;
  // The sequence face with backpropagation through time: runs forward like forward() (writing
  // `output` if not empty) and ADDS dL/dparameter into `grads` for the loss gradient d_output
  // (batch, steps, output_size). Initial states are zero. Returns the model's auxiliary loss (a
  // backbone's MoE load balancing, the shards' terms weighted by their share of the batch), whose
  // gradient is included; 0 for cells.
  // Data-parallel: the batch is cut into shards of kBpttShardColumns sequences that run on up to
  // `threads` threads (0: one per core); the shards' gradients are summed in order, so the result
  // is identical for any thread count. `workspace` (optional) keeps the tapes for the next call.
  static constexpr int kBpttShardColumns = 16;
  double forward_backward(std::span<const float> input, std::span<const float> timespans, int batch, int steps,
                          std::span<const float> d_output, Model& grads, std::span<float> output = {},
                          int threads = 0, BpttWorkspace* workspace = nullptr) const;
  // The same with the loss in the middle: after the forward pass `loss_gradient(output, d_output)`
  // gets the outputs (batch, steps, output_size) and writes dL/doutput, so a trainer runs the
  // forward pass once.
  using LossGradient = std::function<void(std::span<const float> output, std::span<float> d_output)>;
  double forward_backward(std::span<const float> input, std::span<const float> timespans, int batch, int steps,
                          const LossGradient& loss_gradient, Model& grads, int threads = 0,
                          BpttWorkspace* workspace = nullptr) const;

  using Cell = std::variant<CfcCell, WiredCfcCell, LtcCell, backbone::BackboneNet>;
  const Cell& cell() const { return cell_; }

 private:
  // The backbone's sequence face over a block of whole sequences, split over threads.
  void forward_backbone(std::span<const float> input, std::span<const float> timespans, int batch, int steps,
                        std::span<float> output, int threads) const;

  ModelConfig config_;
  Cell cell_;
  std::optional<LstmCell> lstm_;
  Eigen::MatrixXf fc_w_, fc_b_;  // projection, when proj_size is set
};

}  // namespace liquid::lfm
