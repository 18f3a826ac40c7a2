// The trainer's optimisation pieces: Adam / AdamW as torch.optim, clip_grad_norm as
// torch.nn.utils.clip_grad_norm_, and learning-rate schedules (constant, StepLR, CosineAnnealingLR,
// optional linear warmup).
//
//   liquid::lfm::AdamW opt({.lr = 3e-3});
//   Model grads = model.zeros_like();
//   for (...) {
//     zero(grads); model.forward_backward(..., grads);
//     clip_grad_norm(grads, 1.0f);
//     opt.set_lr(schedule.lr_at(epoch));
//     opt.step(model, grads);           // updates, then model.apply_constraints()
//   }
//   opt.save_state(checkpoint);         // "optimizer.m.<param>", "optimizer.v.<param>" + metadata
//
// Arithmetic follows torch's single-tensor CPU path (float32 tensors, hyperparameters as doubles
// converted where torch converts them), so a run resumed from saved state is bit-identical to an
// uninterrupted one.
#pragma once

#include <Eigen/Core>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lfm/model.h"
#include "lfm/parameter.h"
#include "lfm/safetensors.h"

namespace liquid::lfm {

// torch.optim.Adam's defaults.
struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // L2: adds weight_decay * param to the gradient
};

// torch.optim.AdamW's defaults (only weight_decay differs).
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;  // decoupled: param *= 1 - lr * weight_decay before the Adam update
};

// Interface the trainer holds, so it can switch optimisers from its configuration.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Updates every trainable parameter of `model` from the same-named one of `grads` (a zeros_like()
  // holder), then calls model.apply_constraints(). Throws std::invalid_argument if the two models'
  // trainable parameters differ in name or shape, or if the model differs from earlier steps'.
  virtual void step(Model& model, const Model& grads) = 0;
  virtual double lr() const = 0;
  virtual void set_lr(double lr) = 0;
  virtual int64_t step_count() const = 0;
  // Adds the state tensors and "optimizer.*" metadata to `out` (a checkpoint, typically alongside
  // the model's own tensors).
  virtual void save_state(SafetensorsFile& out) const = 0;
  // Restores state saved by save_state, hyperparameters included (as torch's load_state_dict
  // restores param_groups). The state must cover exactly `model`'s trainable parameters with their
  // shapes; otherwise FormatError naming the file and the tensor or key.
  virtual void load_state(const SafetensorsFile& in, const Model& model) = 0;
};

// Adam and AdamW share everything but where the weight decay goes.
class AdamBase : public Optimizer {
 public:
  void step(Model& model, const Model& grads) override;
  double lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  int64_t step_count() const override { return step_; }
  void save_state(SafetensorsFile& out) const override;
  void load_state(const SafetensorsFile& in, const Model& model) override;

  double beta1() const { return beta1_; }
  double beta2() const { return beta2_; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }

 protected:
  AdamBase(bool decoupled, double lr, double beta1, double beta2, double eps, double weight_decay);

 private:
  struct ParamState {
    std::string name;
    Shape shape;
    Eigen::MatrixXf m, v;  // laid out as the parameter's value (column-major, see ParamRef)
  };
  const char* kind() const { return decoupled_ ? "adamw" : "adam"; }

  bool decoupled_;
  double lr_, beta1_, beta2_, eps_, weight_decay_;
  int64_t step_ = 0;
  std::vector<ParamState> state_;  // trainable parameters in visiting order; empty before step 1
};

class Adam final : public AdamBase {
 public:
  explicit Adam(const AdamOptions& options = {});
};

class AdamW final : public AdamBase {
 public:
  explicit AdamW(const AdamWOptions& options = {});
};

// torch.nn.utils.clip_grad_norm_ (norm_type 2): the L2 norm over every trainable gradient of
// `grads` together; when max_norm / (norm + 1e-6) < 1 every gradient is scaled by that factor.
// Returns the norm before clipping. As torch (error_if_nonfinite=False), a non-finite norm is
// returned and propagates into the gradients.
float clip_grad_norm(Model& grads, float max_norm);

// Learning rate as a function of the epoch (or step: the schedule does not care which it counts).
enum class LrScheduleKind { kConstant, kStep, kCosine };

struct LrSchedule {
  LrScheduleKind kind = LrScheduleKind::kConstant;
  double lr = 1e-3;        // base learning rate
  int step_size = 1;       // kStep: multiply by gamma every step_size epochs (torch StepLR)
  double gamma = 0.1;      // kStep (torch's default)
  int t_max = 1;           // kCosine: half period in epochs (torch CosineAnnealingLR)
  double eta_min = 0.0;    // kCosine: floor
  // Linear warmup over the first `warmup` epochs, as SequentialLR([LinearLR(warmup_start_factor,
  // 1.0, total_iters=warmup), main], milestones=[warmup]): the main schedule starts at epoch
  // `warmup` as if at its epoch 0. 0 = no warmup.
  int warmup = 0;
  double warmup_start_factor = 1.0 / 3.0;  // torch LinearLR's default

  // The learning rate for epoch `epoch` (0-based), from torch's closed forms.
  double lr_at(int64_t epoch) const;
};

// {"kind": "constant"|"step"|"cosine", "lr": .., "step_size": .., "gamma": .., "t_max": ..,
//  "eta_min": .., "warmup": .., "warmup_start_factor": ..}; "step_size" is required for "step" and
// "t_max" for "cosine", the rest default as LrSchedule. Throws std::invalid_argument
// "<source>: field 't_max': ..." for a missing, mistyped, out-of-range or unknown field.
LrSchedule lr_schedule_from_json(const nlohmann::json& json, const std::string& source);
nlohmann::json lr_schedule_to_json(const LrSchedule& schedule);

}  // namespace liquid::lfm
