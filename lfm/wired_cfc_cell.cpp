#include "lfm/wired_cfc_cell.h"

#include <stdexcept>

namespace liquid::lfm {

WiredCfcCell::WiredCfcCell(int input_size, const std::vector<std::vector<int>>& layers,
                           const Eigen::MatrixXf& adjacency, const Eigen::MatrixXf& sensory_adjacency,
                           CfcMode mode) {
  if (layers.empty()) throw std::invalid_argument("wired cfc: the wiring has no layers");
  if (sensory_adjacency.rows() != input_size)
    throw std::invalid_argument("wired cfc: sensory adjacency has " + std::to_string(sensory_adjacency.rows()) +
                                " rows, expected input_size " + std::to_string(input_size));
  int in_features = input_size;
  const std::vector<int>* previous = nullptr;
  for (const auto& neurons : layers) {
    const int n = static_cast<int>(neurons.size());
    if (n == 0) throw std::invalid_argument("wired cfc: a wiring layer has no neurons");
    // mask (n x (in + n)): row j = destination neuron j of this layer; columns = inputs, then own layer.
    Eigen::MatrixXf mask = Eigen::MatrixXf::Ones(n, in_features + n);
    for (int j = 0; j < n; ++j) {
      const int dest = neurons[j];
      if (dest < 0 || dest >= adjacency.cols()) throw std::invalid_argument("wired cfc: neuron id out of range");
      for (int i = 0; i < in_features; ++i) {
        const float polarity = previous ? adjacency((*previous)[i], dest) : sensory_adjacency(i, dest);
        mask(j, i) = std::abs(polarity);
      }
    }
    CfcConfig config;
    config.input_size = in_features;
    config.units = n;
    config.mode = mode;
    config.activation = Activation::kLecunTanh;
    config.backbone_layers = 0;
    layers_.emplace_back(config, std::move(mask));
    offsets_.push_back(state_size_);
    state_size_ += n;
    in_features = n;
    previous = &neurons;
  }
}

void WiredCfcCell::for_each_parameter(const std::string& prefix, const ParamVisitor& visit) {
  for (size_t l = 0; l < layers_.size(); ++l) layers_[l].for_each_parameter(prefix + "layer_" + std::to_string(l) + ".", visit);
}

void WiredCfcCell::prepare() {
  for (auto& layer : layers_) layer.prepare();
}

void WiredCfcCell::init_weights(uint64_t seed) {
  for (size_t l = 0; l < layers_.size(); ++l) layers_[l].init_weights(seed + 7919 * l);
}

void WiredCfcCell::resize_workspace(WiredCfcWorkspace& ws, int batch) const {
  ws.layers.resize(layers_.size());
  for (size_t l = 0; l < layers_.size(); ++l) layers_[l].resize_workspace(ws.layers[l], batch);
}

void WiredCfcCell::forward(const Eigen::Ref<const Eigen::MatrixXf>& x, Eigen::Ref<Eigen::MatrixXf> h,
                           const Eigen::Ref<const Eigen::RowVectorXf>& ts, WiredCfcWorkspace& ws) const noexcept {
  for (size_t l = 0; l < layers_.size(); ++l) {
    const int n = layers_[l].config().units;
    auto state = h.middleRows(offsets_[l], n);
    if (l == 0)
      layers_[l].forward(x, state, ts, ws.layers[l]);
    else
      layers_[l].forward(h.middleRows(offsets_[l - 1], layers_[l - 1].config().units), state, ts, ws.layers[l]);
  }
}

}  // namespace liquid::lfm
