// Fusion heads for liquidfusion (see liquid_fusion_head.h).
#include "plugins/liquid_fusion_head.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "lfm/safetensors.h"

using liquid::pipeline::HeadKind;
using liquid::pipeline::LinearHead;

namespace {

std::vector<std::string> default_names(Eigen::Index n) {
  std::vector<std::string> names;
  for (Eigen::Index k = 0; k < n; ++k) names.push_back(std::string("y").append(std::to_string(k)));
  return names;
}

}  // namespace

std::unique_ptr<LinearHead> liquid_load_fusion_head(const std::string& path, int inputs) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw std::runtime_error("fusion head file '" + path + "' does not exist");
  const auto file = liquid::lfm::SafetensorsFile::read_file(path);
  if (!file.contains("weight") || file.tensor("weight").shape.size() != 2)
    throw std::runtime_error(path + " has no 2-D tensor \"weight\" [names, inputs]");
  const int rows = static_cast<int>(file.tensor("weight").shape[0]);
  const int cols = static_cast<int>(file.tensor("weight").shape[1]);
  if (cols != inputs)
    throw std::runtime_error(path + ": the head takes " + std::to_string(cols) + " inputs, but the pads' models give " +
                             std::to_string(inputs) + " outputs together");
  const std::vector<float> wv = file.get("weight", {rows, cols}).to_float();
  const std::vector<float> bv = file.get("bias", {rows}).to_float();
  Eigen::MatrixXf w = Eigen::Map<const Eigen::Matrix<float, -1, -1, Eigen::RowMajor>>(wv.data(), rows, cols);
  Eigen::VectorXf b = Eigen::Map<const Eigen::VectorXf>(bv.data(), rows);
  std::optional<HeadKind> kind;
  std::vector<std::string> names;
  const auto& meta = file.metadata();
  if (auto it = meta.find("liquid.head"); it != meta.end()) {
    const auto j = nlohmann::json::parse(it->second);
    if (j.contains("kind")) kind = j["kind"] == "classes" ? HeadKind::kClasses : HeadKind::kValues;
    if (j.contains("names")) names = j["names"].get<std::vector<std::string>>();
  }
  if (names.empty())
    if (auto it = meta.find("liquid.classes"); it != meta.end()) {
      names = nlohmann::json::parse(it->second).get<std::vector<std::string>>();
      if (!kind) kind = HeadKind::kClasses;
    }
  if (names.empty()) names = default_names(rows);
  if (static_cast<int>(names.size()) != rows)
    throw std::runtime_error(path + ": " + std::to_string(names.size()) + " names for a head of " +
                             std::to_string(rows) + " outputs");
  return std::make_unique<LinearHead>(kind.value_or(HeadKind::kValues), std::move(names), std::move(w), std::move(b));
}

std::unique_ptr<LinearHead> liquid_mean_fusion_head(std::span<const LiquidModelFile* const> pads,
                                                    std::span<const std::string> pad_names) {
  if (pads.empty()) throw std::runtime_error("no pads to fuse");
  const int out = pads[0]->model->output_size();
  const int n = static_cast<int>(pads.size());
  Eigen::MatrixXf w = Eigen::MatrixXf::Zero(out, out * n);
  for (int k = 0; k < n; ++k) {
    if (pads[k]->model->output_size() != out)
      throw std::runtime_error("without a fusion head file every pad's model needs as many outputs: " + pad_names[k] +
                               "'s '" + pads[k]->path + "' has " + std::to_string(pads[k]->model->output_size()) +
                               ", " + pad_names[0] + "'s '" + pads[0]->path + "' has " + std::to_string(out) +
                               " (set fusion-location to a head file)");
    w.middleCols(k * out, out).diagonal().setConstant(1.0f / static_cast<float>(n));
  }
  const bool classes = pads[0]->output == LiquidOutputKind::kSoftmax;
  auto names = classes ? pads[0]->classes : default_names(out);
  return std::make_unique<LinearHead>(classes ? HeadKind::kClasses : HeadKind::kValues, std::move(names), std::move(w),
                                      Eigen::VectorXf::Zero(out));
}
