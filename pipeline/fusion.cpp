// The plain linear / softmax fusion head.
#include "pipeline/fusion.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>

#include "lfm/safetensors.h"

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

HeadFile read_head_file(const std::filesystem::path& path, int inputs) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw std::runtime_error("fusion head file '" + path.string() + "' does not exist");
  const auto file = lfm::SafetensorsFile::read_file(path);
  const std::string name = path.string();
  if (!file.contains("weight") || file.tensor("weight").shape.size() != 2)
    throw std::runtime_error(name + ": no 2-D tensor \"weight\" [outputs, inputs]");
  const int rows = static_cast<int>(file.tensor("weight").shape[0]);
  const int cols = static_cast<int>(file.tensor("weight").shape[1]);
  if (cols != inputs)
    throw std::runtime_error(name + ": the head takes " + std::to_string(cols) + " inputs, but the streams' models give " +
                             std::to_string(inputs) + " outputs together");
  HeadFile head;
  const std::vector<float> w = file.get("weight", {rows, cols}).to_float();
  head.weight = Eigen::Map<const Eigen::Matrix<float, -1, -1, Eigen::RowMajor>>(w.data(), rows, cols);
  const std::vector<float> b = file.get("bias", {rows}).to_float();
  head.bias = Eigen::Map<const Eigen::VectorXf>(b.data(), rows);
  const auto& meta = file.metadata();
  try {
    if (auto it = meta.find("liquid.head"); it != meta.end()) {
      const auto j = nlohmann::json::parse(it->second);
      if (j.contains("kind")) {
        const std::string kind = j["kind"].get<std::string>();
        if (kind != "classes" && kind != "values")
          throw std::runtime_error("liquid.head.kind is \"" + kind + "\", expected \"classes\" or \"values\"");
        head.kind = kind == "classes" ? HeadKind::kClasses : HeadKind::kValues;
      }
      if (j.contains("names")) head.names = j["names"].get<std::vector<std::string>>();
    }
    if (head.names.empty())
      if (auto it = meta.find("liquid.classes"); it != meta.end()) {
        head.names = nlohmann::json::parse(it->second).get<std::vector<std::string>>();
        if (!head.kind) head.kind = HeadKind::kClasses;
      }
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(name + ": metadata: " + e.what());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(name + ": metadata: " + e.what());
  }
  if (!head.names.empty() && static_cast<int>(head.names.size()) != rows)
    throw std::runtime_error(name + ": " + std::to_string(head.names.size()) + " names for a head of " +
                             std::to_string(rows) + " outputs");
  return head;
}

}  // namespace liquid::pipeline
