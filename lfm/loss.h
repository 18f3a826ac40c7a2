// Losses and metrics over sequence outputs, as torch.nn.functional computes them.
//
// Outputs are laid out as Model::forward writes them: (batch, steps, outputs) row-major. `mask`, when
// not empty, holds one value per (batch, step) (batch * steps of them, row-major): a nonzero value
// counts that position, zero leaves it out (padding). Every loss returns its value (computed in
// double) and writes `d_output`, the gradient of that value with respect to every output, with zeros
// at masked positions, ready for Model::forward_backward. With nothing counted a loss returns 0 and
// zero gradients (torch would give NaN), so a fully padded batch cannot poison the weights.
//
// Sizes are checked: a span of the wrong length throws std::invalid_argument naming it.
#pragma once

#include <cstdint>
#include <span>

namespace liquid::lfm {

// torch F.cross_entropy(logits, labels, weight=class_weights, reduction="mean") over the counted
// positions: sum(w[y] * -log_softmax(logits)[y]) / sum(w[y]), with w = 1 when class_weights is
// empty. logits (batch, steps, classes); labels (batch, steps), each in [0, classes) where counted
// (masked labels are not read, so padding may hold anything). If the counted weights sum to 0 the
// loss is 0.
double cross_entropy_loss(std::span<const float> logits, std::span<const int32_t> labels, int batch, int steps,
                          int classes, std::span<float> d_logits, std::span<const float> mask = {},
                          std::span<const float> class_weights = {});

// torch F.mse_loss(reduction="mean") over the counted elements (counted positions x outputs).
// output, target, d_output: (batch, steps, outputs).
double mse_loss(std::span<const float> output, std::span<const float> target, int batch, int steps,
                std::span<float> d_output, std::span<const float> mask = {});

// torch F.huber_loss(delta=delta, reduction="mean"): 0.5 d^2 where |d| < delta, else
// delta (|d| - 0.5 delta), d = output - target; mean over the counted elements.
double huber_loss(std::span<const float> output, std::span<const float> target, int batch, int steps,
                  std::span<float> d_output, double delta = 1.0, std::span<const float> mask = {});

// torch F.binary_cross_entropy_with_logits(pos_weight=pos_weight, reduction="mean") over the counted
// elements: targets in [0, 1] (soft targets allowed); pos_weight empty or one per output.
double bce_with_logits_loss(std::span<const float> logits, std::span<const float> target, int batch, int steps,
                            std::span<float> d_logits, std::span<const float> mask = {},
                            std::span<const float> pos_weight = {});

// --- metrics (no gradients) ---

// Fraction of counted positions whose argmax logit (the first on ties, as torch.argmax) is the
// label. logits (batch, steps, classes), labels and mask as cross_entropy_loss. NaN if none counted.
double accuracy(std::span<const float> logits, std::span<const int32_t> labels, int batch, int steps, int classes,
                std::span<const float> mask = {});

// The metrics below take flat arrays: scores, labels (each 0 or 1, else std::invalid_argument) and
// an optional mask of the same length (per element, unlike the losses' per-position masks).

// F1 of the positive class, predicting positive where score >= threshold (0.5 for probabilities, 0
// for logits). 0 when there are no true positives (sklearn's zero_division=0).
double binary_f1(std::span<const float> scores, std::span<const float> labels, double threshold = 0.5,
                 std::span<const float> mask = {});

// Area under the ROC curve by the rank formula (Mann-Whitney U): (sum of the positives' ranks -
// P (P + 1) / 2) / (P N), tied scores sharing their average rank (so a tie counts half, as sklearn's
// roc_auc_score). NaN if there are no positives or no negatives.
double roc_auc(std::span<const float> scores, std::span<const float> labels, std::span<const float> mask = {});

}  // namespace liquid::lfm
