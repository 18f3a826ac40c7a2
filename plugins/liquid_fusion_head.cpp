// Fusion heads for liquidfusion (see liquid_fusion_head.h).
#include "plugins/liquid_fusion_head.h"

#include <stdexcept>

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
  liquid::pipeline::HeadFile head = liquid::pipeline::read_head_file(path, inputs);
  if (head.names.empty()) head.names = default_names(head.weight.rows());
  return std::make_unique<LinearHead>(head.kind.value_or(HeadKind::kValues), std::move(head.names), std::move(head.weight),
                                      std::move(head.bias));
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
