#include "lfm/loss.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace liquid::lfm {
namespace {

void check_size(const char* function, const char* what, size_t got, size_t expected) {
  if (got != expected)
    throw std::invalid_argument(std::string(function) + ": " + what + " has " + std::to_string(got) +
                                " elements, expected " + std::to_string(expected));
}

// The checks every sequence loss shares; returns the number of outputs per position.
size_t check_sequence(const char* function, size_t outputs_size, int batch, int steps, size_t d_size,
                      std::span<const float> mask) {
  if (batch < 0 || steps < 0)
    throw std::invalid_argument(std::string(function) + ": negative batch or steps");
  const size_t positions = size_t(batch) * size_t(steps);
  if (positions == 0) {
    check_size(function, "d_output", d_size, outputs_size);
    return 0;
  }
  if (outputs_size % positions != 0)
    throw std::invalid_argument(std::string(function) + ": output has " + std::to_string(outputs_size) +
                                " elements, not a multiple of batch x steps = " + std::to_string(positions));
  check_size(function, "d_output", d_size, outputs_size);
  if (!mask.empty()) check_size(function, "mask", mask.size(), positions);
  return outputs_size / positions;
}

bool counted(std::span<const float> mask, size_t position) { return mask.empty() || mask[position] != 0.0f; }

// Shared by MSE and Huber: mean over counted elements of f(output - target), with f' into d_output.
template <class Value, class Derivative>
double elementwise_mean(const char* function, std::span<const float> output, std::span<const float> target, int batch,
                        int steps, std::span<float> d_output, std::span<const float> mask, const Value& value,
                        const Derivative& derivative) {
  check_size(function, "target", target.size(), output.size());
  const size_t width = check_sequence(function, output.size(), batch, steps, d_output.size(), mask);
  const size_t positions = size_t(batch) * size_t(steps);
  size_t n = 0;
  for (size_t i = 0; i < positions; ++i) n += counted(mask, i) ? width : 0;
  std::fill(d_output.begin(), d_output.end(), 0.0f);
  if (n == 0) return 0.0;
  double sum = 0;
  for (size_t i = 0; i < positions; ++i) {
    if (!counted(mask, i)) continue;
    for (size_t k = i * width; k < (i + 1) * width; ++k) {
      const double d = double(output[k]) - double(target[k]);
      sum += value(d);
      d_output[k] = static_cast<float>(derivative(d) / double(n));
    }
  }
  return sum / double(n);
}

void check_binary_labels(const char* function, std::span<const float> labels) {
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] != 0.0f && labels[i] != 1.0f)
      throw std::invalid_argument(std::string(function) + ": label " + std::to_string(i) + " is " +
                                  std::to_string(labels[i]) + ", expected 0 or 1");
}

}  // namespace

double cross_entropy_loss(std::span<const float> logits, std::span<const int32_t> labels, int batch, int steps,
                          int classes, std::span<float> d_logits, std::span<const float> mask,
                          std::span<const float> class_weights) {
  const char* fn = "cross_entropy_loss";
  if (classes <= 0) throw std::invalid_argument(std::string(fn) + ": classes must be positive");
  const size_t positions = size_t(std::max(batch, 0)) * size_t(std::max(steps, 0));
  check_size(fn, "logits", logits.size(), positions * size_t(classes));
  check_sequence(fn, logits.size(), batch, steps, d_logits.size(), mask);
  check_size(fn, "labels", labels.size(), positions);
  if (!class_weights.empty()) check_size(fn, "class_weights", class_weights.size(), size_t(classes));
  std::fill(d_logits.begin(), d_logits.end(), 0.0f);

  // First pass: each row's weighted softmax - onehot in double; the normaliser sum(w_y) is known
  // only at the end.
  std::vector<double> grad(logits.size(), 0.0);
  double loss_sum = 0, weight_sum = 0;
  for (size_t i = 0; i < positions; ++i) {
    if (!counted(mask, i)) continue;
    const int32_t y = labels[i];
    if (y < 0 || y >= classes)
      throw std::invalid_argument(std::string(fn) + ": label " + std::to_string(i) + " is " + std::to_string(y) +
                                  ", expected 0.." + std::to_string(classes - 1));
    const float* row = logits.data() + i * size_t(classes);
    // Stable log-softmax: shift by the row's maximum so exp never overflows.
    const double max = *std::max_element(row, row + classes);
    double sum_exp = 0;
    for (int c = 0; c < classes; ++c) sum_exp += std::exp(double(row[c]) - max);
    const double log_sum_exp = max + std::log(sum_exp);
    const double w = class_weights.empty() ? 1.0 : double(class_weights[size_t(y)]);
    loss_sum += w * (log_sum_exp - double(row[y]));
    weight_sum += w;
    double* g = grad.data() + i * size_t(classes);
    for (int c = 0; c < classes; ++c) g[c] = w * std::exp(double(row[c]) - log_sum_exp);
    g[y] -= w;
  }
  if (weight_sum == 0) return 0.0;
  for (size_t k = 0; k < grad.size(); ++k) d_logits[k] = static_cast<float>(grad[k] / weight_sum);
  return loss_sum / weight_sum;
}

double mse_loss(std::span<const float> output, std::span<const float> target, int batch, int steps,
                std::span<float> d_output, std::span<const float> mask) {
  return elementwise_mean(
      "mse_loss", output, target, batch, steps, d_output, mask, [](double d) { return d * d; },
      [](double d) { return 2.0 * d; });
}

double huber_loss(std::span<const float> output, std::span<const float> target, int batch, int steps,
                  std::span<float> d_output, double delta, std::span<const float> mask) {
  if (!(delta > 0)) throw std::invalid_argument("huber_loss: delta must be positive");
  // torch's forward uses |d| < delta for the quadratic branch and its backward clamps d to
  // [-delta, delta]; both agree at |d| == delta.
  return elementwise_mean(
      "huber_loss", output, target, batch, steps, d_output, mask,
      [delta](double d) { return std::abs(d) < delta ? 0.5 * d * d : delta * (std::abs(d) - 0.5 * delta); },
      [delta](double d) { return std::clamp(d, -delta, delta); });
}

double bce_with_logits_loss(std::span<const float> logits, std::span<const float> target, int batch, int steps,
                            std::span<float> d_logits, std::span<const float> mask, std::span<const float> pos_weight) {
  const char* fn = "bce_with_logits_loss";
  check_size(fn, "target", target.size(), logits.size());
  const size_t width = check_sequence(fn, logits.size(), batch, steps, d_logits.size(), mask);
  if (!pos_weight.empty()) check_size(fn, "pos_weight", pos_weight.size(), width);
  const size_t positions = size_t(batch) * size_t(steps);
  size_t n = 0;
  for (size_t i = 0; i < positions; ++i) n += counted(mask, i) ? width : 0;
  std::fill(d_logits.begin(), d_logits.end(), 0.0f);
  if (n == 0) return 0.0;
  double sum = 0;
  for (size_t i = 0; i < positions; ++i) {
    if (!counted(mask, i)) continue;
    for (size_t k = i * width; k < (i + 1) * width; ++k) {
      const double x = logits[k], y = target[k];
      const double pw = pos_weight.empty() ? 1.0 : double(pos_weight[k - i * width]);
      // torch: (1 - y) x + (1 + (pw - 1) y) softplus(-x), softplus(-x) = log1p(exp(-|x|)) + max(-x, 0)
      // written so exp never overflows.
      const double log_weight = 1.0 + (pw - 1.0) * y;
      sum += (1.0 - y) * x + log_weight * (std::log1p(std::exp(-std::abs(x))) + std::max(-x, 0.0));
      // d softplus(-x)/dx = -sigmoid(-x), computed from exp(-|x|) for stability.
      const double e = std::exp(-std::abs(x));
      const double sigmoid_neg_x = x >= 0 ? e / (1.0 + e) : 1.0 / (1.0 + e);
      d_logits[k] = static_cast<float>(((1.0 - y) - log_weight * sigmoid_neg_x) / double(n));
    }
  }
  return sum / double(n);
}

double accuracy(std::span<const float> logits, std::span<const int32_t> labels, int batch, int steps, int classes,
                std::span<const float> mask) {
  const char* fn = "accuracy";
  if (classes <= 0 || batch < 0 || steps < 0)
    throw std::invalid_argument(std::string(fn) + ": classes must be positive, batch and steps non-negative");
  const size_t positions = size_t(batch) * size_t(steps);
  check_size(fn, "logits", logits.size(), positions * size_t(classes));
  check_size(fn, "labels", labels.size(), positions);
  if (!mask.empty()) check_size(fn, "mask", mask.size(), positions);
  size_t n = 0, correct = 0;
  for (size_t i = 0; i < positions; ++i) {
    if (!counted(mask, i)) continue;
    const float* row = logits.data() + i * size_t(classes);
    const auto predicted = std::max_element(row, row + classes) - row;  // first maximum
    ++n;
    correct += predicted == labels[i] ? 1 : 0;
  }
  return n == 0 ? std::numeric_limits<double>::quiet_NaN() : double(correct) / double(n);
}

double binary_f1(std::span<const float> scores, std::span<const float> labels, double threshold,
                 std::span<const float> mask) {
  const char* fn = "binary_f1";
  check_size(fn, "labels", labels.size(), scores.size());
  if (!mask.empty()) check_size(fn, "mask", mask.size(), scores.size());
  check_binary_labels(fn, labels);
  size_t tp = 0, fp = 0, fn_count = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!counted(mask, i)) continue;
    const bool predicted = double(scores[i]) >= threshold, actual = labels[i] == 1.0f;
    tp += predicted && actual;
    fp += predicted && !actual;
    fn_count += !predicted && actual;
  }
  // 2 tp / (2 tp + fp + fn): precision and recall's harmonic mean without dividing by zero twice.
  return tp == 0 ? 0.0 : 2.0 * double(tp) / double(2 * tp + fp + fn_count);
}

double roc_auc(std::span<const float> scores, std::span<const float> labels, std::span<const float> mask) {
  const char* fn = "roc_auc";
  check_size(fn, "labels", labels.size(), scores.size());
  if (!mask.empty()) check_size(fn, "mask", mask.size(), scores.size());
  check_binary_labels(fn, labels);
  std::vector<size_t> order;
  for (size_t i = 0; i < scores.size(); ++i)
    if (counted(mask, i)) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double positive_rank_sum = 0;
  size_t positives = 0;
  for (size_t start = 0; start < order.size();) {
    size_t end = start;
    while (end < order.size() && scores[order[end]] == scores[order[start]]) ++end;
    // Ranks start + 1 .. end (1-based) share their mean.
    const double rank = 0.5 * double(start + 1 + end);
    for (size_t k = start; k < end; ++k)
      if (labels[order[k]] == 1.0f) {
        positive_rank_sum += rank;
        ++positives;
      }
    start = end;
  }
  const size_t negatives = order.size() - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  const double p = double(positives);
  return (positive_rank_sum - p * (p + 1) / 2) / (p * double(negatives));
}

}  // namespace liquid::lfm
