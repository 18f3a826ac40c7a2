// The plain linear / softmax fusion head.
#include "pipeline/fusion.h"

#include <cmath>
#include <random>
#include <stdexcept>

namespace liquid::pipeline {

LinearHead::LinearHead(HeadKind kind, std::vector<std::string> names, Eigen::MatrixXf weight, Eigen::VectorXf bias)
    : kind_(kind), names_(std::move(names)), weight_(std::move(weight)), bias_(std::move(bias)) {
  if (names_.empty()) throw std::invalid_argument("LinearHead: needs at least one class or value name");
  const auto n = static_cast<Eigen::Index>(names_.size());
  if (weight_.rows() != n || weight_.cols() == 0)
    throw std::invalid_argument("LinearHead: weight is " + std::to_string(weight_.rows()) + " x " +
                                std::to_string(weight_.cols()) + ", expected " + std::to_string(n) +
                                " rows (one per name) and at least one column");
  if (bias_.size() != n)
    throw std::invalid_argument("LinearHead: bias has " + std::to_string(bias_.size()) + " values, expected " +
                                std::to_string(n) + " (one per name)");
}

std::unique_ptr<LinearHead> LinearHead::random(HeadKind kind, std::vector<std::string> names, int input_size,
                                               uint64_t seed) {
  if (input_size <= 0) throw std::invalid_argument("LinearHead::random: input_size must be positive");
  std::mt19937_64 rng(seed);
  const float bound = 1.0f / std::sqrt(static_cast<float>(input_size));
  std::uniform_real_distribution<float> dist(-bound, bound);
  const auto n = static_cast<Eigen::Index>(names.size());
  Eigen::MatrixXf w(n, input_size);
  Eigen::VectorXf b(n);
  for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = dist(rng);
  for (Eigen::Index i = 0; i < b.size(); ++i) b.data()[i] = dist(rng);
  return std::make_unique<LinearHead>(kind, std::move(names), std::move(w), std::move(b));
}

void LinearHead::evaluate(double /*time*/, std::span<const float> input, std::span<const unsigned char> /*fresh*/,
                          std::span<float> out) {
  if (static_cast<Eigen::Index>(input.size()) != weight_.cols() || static_cast<Eigen::Index>(out.size()) != weight_.rows())
    throw std::invalid_argument("LinearHead: input has " + std::to_string(input.size()) + " values (expected " +
                                std::to_string(weight_.cols()) + "), output " + std::to_string(out.size()) +
                                " (expected " + std::to_string(weight_.rows()) + ")");
  Eigen::Map<const Eigen::VectorXf> x(input.data(), weight_.cols());
  Eigen::Map<Eigen::VectorXf> y(out.data(), weight_.rows());
  y.noalias() = weight_ * x;
  y += bias_;
  if (kind_ == HeadKind::kClasses) {
    // Subtracting the maximum keeps exp() finite for any logits.
    y.array() = (y.array() - y.maxCoeff()).exp();
    y /= y.sum();
  }
}

}  // namespace liquid::pipeline
