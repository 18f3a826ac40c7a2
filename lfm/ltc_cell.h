// Liquid time-constant (LTC) cell, as ncps's LTCCell (Hasani et al., AAAI 2021). Each neuron is a
// leaky membrane driven by sigmoid synapses from the inputs (sensory) and from other neurons:
//
//   cm dv/dt = gleak (vleak - v) + sum_i w_i sigmoid(sigma_i (v_pre_i - mu_i)) (erev_i - v)
//
// i.e. the conductance form cm dv/dt = numerator(v) - denominator(v) v that ode/'s fused
// semi-implicit stepper solves in `ode_unfolds` steps of dt / ode_unfolds (ncps's solver), or
// Dormand-Prince 5(4) across the real gap (solver = kDopri5, beyond ncps). Synapses exist where the
// wiring's adjacency is non-zero. Positive parameters (w, sensory_w, cm, gleak) pass through
// softplus when implicit_param_constraints is on, else they are clamped at 0 by
// apply_weight_constraints() after each training update, as ncps does.
#pragma once

#include <Eigen/Core>
#include <string>
#include <string_view>
#include <vector>

#include "lfm/parameter.h"
#include "ode/ode.h"

namespace liquid::lfm {

enum class Mapping { kNone, kLinear, kAffine };  // ncps input_mapping / output_mapping
Mapping parse_mapping(std::string_view name);     // "affine", "linear", "none" (JSON null too)
std::string_view mapping_name(Mapping m);

enum class LtcSolver { kFused, kDopri5 };
LtcSolver parse_ltc_solver(std::string_view name);  // "fused", "dopri5"
std::string_view ltc_solver_name(LtcSolver s);

struct LtcConfig {
  int input_size = 0;
  int units = 0;
  int motor_size = 0;  // outputs: the first motor_size neurons
  int ode_unfolds = 6;
  float epsilon = 1e-8f;
  bool implicit_param_constraints = true;
  Mapping input_mapping = Mapping::kAffine;
  Mapping output_mapping = Mapping::kAffine;
  LtcSolver solver = LtcSolver::kFused;
  double abs_tol = 1e-6, rel_tol = 1e-4;  // Dormand-Prince tolerances (kDopri5 only)
};

// Per-sample scratch with the steppers' own buffers, sized once: forward() allocates nothing.
struct LtcWorkspace {
  Eigen::VectorXf mapped_input, sensory_numerator, sensory_denominator;  // sensory: padded
  Eigen::VectorXf v, numerator, denominator;
  ode::FusedSemiImplicit<Eigen::VectorXf> fused;
  ode::Dopri5<Eigen::VectorXf> dopri5;
  Eigen::VectorXf padded_numerator, padded_denominator;  // rounded up to whole SIMD packets
  // backward() scratch, sized on first use (inference never pays for the units x units buffers).
  Eigen::ArrayXXf bw_sens_s, bw_sens_da, bw_sens_dz;  // input_size x units
  Eigen::ArrayXf bw_dv, bw_dv_prev, bw_dn, bw_dd, bw_s, bw_den_const;  // units
  Eigen::ArrayXf bw_d_cm, bw_d_gleak, bw_sens_dn, bw_sens_dd, bw_d_in;
  Eigen::MatrixXf bw_stage_k, bw_stage_y, bw_stage_d;  // Dormand-Prince: units x 6 stages
};

// What backward() needs from one forward_taped() step of one sample.
struct LtcTape {
  double dt = 0.0;               // <= 0: the state was left unchanged
  Eigen::VectorXf x;             // input_size: the raw input
  Eigen::VectorXf mapped_input;  // input_size: after the input mapping
  Eigen::MatrixXf v;             // units x (steps + 1): column k is the state before step k
  // Dormand-Prince only: the accepted step sizes, in seconds (the fused solver's steps are dt / n).
  std::vector<double> steps;
};

class LtcCell {
 public:
  // adjacency (units x units) and sensory_adjacency (input_size x units): polarities, src row, dest
  // column. They give the synapse masks and the initial reversal potentials (erev = polarity).
  LtcCell(const LtcConfig& config, const Eigen::MatrixXf& adjacency, const Eigen::MatrixXf& sensory_adjacency);

  const LtcConfig& config() const { return config_; }
  LtcConfig& mutable_config() { return config_; }
  int state_size() const { return config_.units; }
  int output_size() const { return config_.motor_size; }

  void for_each_parameter(const std::string& prefix, const ParamVisitor& visit);
  void prepare();  // recomputes the constrained, masked, transposed parameters
  void init_weights(uint64_t seed);  // ncps's init ranges (gleak U(0.001, 1), ... ) from a seed
  void apply_weight_constraints();   // ncps: clamp w, sensory_w, cm, gleak at 0 when unconstrained

  void resize_workspace(LtcWorkspace& ws) const;
  // One sample: x (input_size), v (units) replaced by the state after dt seconds, y (motor_size).
  void forward(const Eigen::Ref<const Eigen::VectorXf>& x, Eigen::Ref<Eigen::VectorXf> v, double dt,
               Eigen::Ref<Eigen::VectorXf> y, LtcWorkspace& ws) const;

  void resize_tape(LtcTape& tape) const;
  // Same result as forward() (either solver), keeping what backward() needs: the fused solver's
  // unfolds, or every step Dormand-Prince accepted (their sizes are constants for the gradient).
  void forward_taped(const Eigen::Ref<const Eigen::VectorXf>& x, Eigen::Ref<Eigen::VectorXf> v, double dt,
                     Eigen::Ref<Eigen::VectorXf> y, LtcWorkspace& ws, LtcTape& tape) const;
  // Given dL/dy (motor_size) and dL/dv_new (units, the gradient flowing from later steps), ADDS
  // parameter gradients into `grads` (an LtcCell of the same configuration whose parameter matrices
  // hold gradients, same names/shapes as for_each_parameter, ncps's layout) and WRITES (overwrites)
  // dL/dv_prev (units) and dL/dx (input_size). Sparsity masks get no gradient.
  void backward(const LtcTape& tape, const Eigen::Ref<const Eigen::VectorXf>& d_y,
                const Eigen::Ref<const Eigen::VectorXf>& d_v_new, Eigen::Ref<Eigen::VectorXf> d_v_prev,
                Eigen::Ref<Eigen::VectorXf> d_x, LtcCell& grads, LtcWorkspace& ws) const;

  // The right-hand side for the current input (after set_input): dv/dt and its conductance form.
  void set_input(const Eigen::Ref<const Eigen::VectorXf>& x, LtcWorkspace& ws) const noexcept;
  void conductances(const Eigen::VectorXf& v, Eigen::VectorXf& numerator, Eigen::VectorXf& denominator,
                    LtcWorkspace& ws) const noexcept;

  // Counts: synapses actually present (|adjacency| = 1).
  int synapse_count() const;
  int sensory_synapse_count() const;

 private:
  LtcConfig config_;
  Eigen::MatrixXf gleak_, vleak_, cm_, sigma_, mu_, w_, erev_;
  Eigen::MatrixXf sensory_sigma_, sensory_mu_, sensory_w_, sensory_erev_;
  Eigen::MatrixXf sparsity_mask_, sensory_sparsity_mask_;
  Eigen::MatrixXf input_w_, input_b_, output_w_, output_b_;

  // Derived by prepare(). Transposed to (dest x src) so one presynaptic neuron's synapses are a
  // contiguous column that vectorises over the postsynaptic neurons.
  Eigen::ArrayXXf w_t_, w_erev_t_, sigma_t_, neg_sigma_mu_t_;
  Eigen::ArrayXXf sensory_w_t_, sensory_w_erev_t_, sensory_sigma_t_, sensory_neg_sigma_mu_t_;
  int padded_units() const;
  Eigen::ArrayXf gleak_pos_, gleak_vleak_, cm_pos_;
  // For backward(), also by prepare(): effective weights (src x dest) and d(effective)/d(parameter),
  // i.e. softplus' = sigmoid (or 1 unconstrained) times the mask.
  Eigen::ArrayXXf w_eff_, sensory_w_eff_, w_eff_grad_, sensory_w_eff_grad_;
  Eigen::ArrayXf cm_pos_grad_, gleak_pos_grad_;
  Eigen::ArrayXXf neg_sigma_mu_;  // -sigma mu, src x dest
  struct SourceRange {
    int begin, end;  // the presynaptic neurons [begin, end) hold every synapse onto one neuron
  };
  std::vector<SourceRange> source_ranges_;  // per postsynaptic neuron
  struct SourceSpan {
    int source, first, count;  // synapses of `source` reach neurons [first, first + count)
  };
  std::vector<SourceSpan> spans_;
  bool dense_ = false;  // every neuron reaches every other: the register-blocked loop

  void forward_taped_dopri5(const Eigen::Ref<const Eigen::VectorXf>& x, Eigen::Ref<Eigen::VectorXf> v, double dt,
                            Eigen::Ref<Eigen::VectorXf> y, LtcWorkspace& ws, LtcTape& tape) const;
  // dL/dv_new in ws.bw_dv becomes dL/dv_prev; adds the synapse, leak and capacitance gradients and
  // the sensory sums the common tail of backward() turns into sensory gradients.
  void backward_dopri5_steps(const LtcTape& tape, LtcCell& grads, LtcWorkspace& ws) const;

  friend class LtcSystem;
};

}  // namespace liquid::lfm
