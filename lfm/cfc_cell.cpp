#include "lfm/cfc_cell.h"

#include <random>
#include <stdexcept>

namespace liquid::lfm {

CfcMode parse_cfc_mode(std::string_view name) {
  if (name == "default") return CfcMode::kDefault;
  if (name == "no_gate") return CfcMode::kNoGate;
  if (name == "pure") return CfcMode::kPure;
  throw std::invalid_argument("cfc mode '" + std::string(name) + "' unknown; expected default, no_gate or pure");
}

std::string_view cfc_mode_name(CfcMode m) {
  switch (m) {
    case CfcMode::kDefault: return "default";
    case CfcMode::kNoGate: return "no_gate";
    case CfcMode::kPure: return "pure";
  }
  return "?";
}

CfcCell::CfcCell(const CfcConfig& config, std::optional<Eigen::MatrixXf> sparsity_mask)
    : config_(config), sparsity_mask_(std::move(sparsity_mask)) {
  if (config.input_size <= 0) throw std::invalid_argument("cfc input_size must be positive, got " + std::to_string(config.input_size));
  if (config.units <= 0) throw std::invalid_argument("cfc units must be positive, got " + std::to_string(config.units));
  if (config.backbone_layers < 0) throw std::invalid_argument("cfc backbone_layers must be >= 0, got " + std::to_string(config.backbone_layers));
  if (config.backbone_layers > 0 && config.backbone_units <= 0)
    throw std::invalid_argument("cfc backbone_units must be positive, got " + std::to_string(config.backbone_units));
  const int cat = config.input_size + config.units;
  if (sparsity_mask_ && (sparsity_mask_->rows() != config.units || sparsity_mask_->cols() != cat))
    throw std::invalid_argument("cfc sparsity mask must be " + std::to_string(config.units) + " x " + std::to_string(cat));
  // The mask multiplies ff1/ff2's weights (units x head_input_size), so with a backbone its width
  // must equal backbone_units too (ncps fails the same way in F.linear otherwise).
  if (sparsity_mask_ && config.backbone_layers > 0 && config.backbone_units != cat)
    throw std::invalid_argument("cfc sparsity mask needs backbone_units == input_size + units (" + std::to_string(cat) +
                                ") with a backbone, got " + std::to_string(config.backbone_units));

  int in = cat;
  for (int l = 0; l < config.backbone_layers; ++l) {
    backbone_w_.push_back(Eigen::MatrixXf::Zero(config.backbone_units, in));
    backbone_b_.push_back(Eigen::MatrixXf::Zero(config.backbone_units, 1));
    in = config.backbone_units;
  }
  const int u = config.units, z = head_input_size();
  ff1_w_ = Eigen::MatrixXf::Zero(u, z);
  ff1_b_ = Eigen::MatrixXf::Zero(u, 1);
  if (config.mode == CfcMode::kPure) {
    w_tau_ = Eigen::MatrixXf::Zero(1, u);
    a_ = Eigen::MatrixXf::Ones(1, u);
  } else {
    ff2_w_ = time_a_w_ = time_b_w_ = Eigen::MatrixXf::Zero(u, z);
    ff2_b_ = time_a_b_ = time_b_b_ = Eigen::MatrixXf::Zero(u, 1);
  }
  prepare();
}

int CfcCell::head_input_size() const {
  return config_.backbone_layers == 0 ? config_.input_size + config_.units : config_.backbone_units;
}

void CfcCell::for_each_parameter(const std::string& prefix, const ParamVisitor& visit) {
  auto linear = [&](const std::string& name, Eigen::MatrixXf& w, Eigen::MatrixXf& b) {
    visit({prefix + name + ".weight", {w.rows(), w.cols()}, &w, true});
    visit({prefix + name + ".bias", {b.rows()}, &b, true});
  };
  // nn.Sequential numbers a Linear and its activation 0,1 then 2,3, ...: Linears sit at even indices.
  for (size_t l = 0; l < backbone_w_.size(); ++l)
    linear("backbone." + std::to_string(2 * l), backbone_w_[l], backbone_b_[l]);
  linear("ff1", ff1_w_, ff1_b_);
  if (config_.mode == CfcMode::kPure) {
    visit({prefix + "w_tau", {1, config_.units}, &w_tau_, true});
    visit({prefix + "A", {1, config_.units}, &a_, true});
  } else {
    linear("ff2", ff2_w_, ff2_b_);
    linear("time_a", time_a_w_, time_a_b_);
    linear("time_b", time_b_w_, time_b_b_);
  }
  if (sparsity_mask_)
    visit({prefix + "sparsity_mask", {sparsity_mask_->rows(), sparsity_mask_->cols()}, &*sparsity_mask_, false});
}

void CfcCell::prepare() {
  const int u = config_.units, z = head_input_size();
  const bool pure = config_.mode == CfcMode::kPure;
  heads_w_.resize(pure ? u : 4 * u, z);
  heads_b_.resize(heads_w_.rows());
  heads_w_.topRows(u) = ff1_w_;
  heads_b_.head(u) = ff1_b_.col(0);
  if (!pure) {
    heads_w_.middleRows(u, u) = ff2_w_;
    heads_w_.middleRows(2 * u, u) = time_a_w_;
    heads_w_.middleRows(3 * u, u) = time_b_w_;
    heads_b_.segment(u, u) = ff2_b_.col(0);
    heads_b_.segment(2 * u, u) = time_a_b_.col(0);
    heads_b_.segment(3 * u, u) = time_b_b_.col(0);
  }
  if (pure) {
    // A and w_tau are stored [1, units] like ncps; a contiguous copy lets exp() vectorise.
    pure_a_ = a_.row(0).transpose().array();
    pure_abs_w_tau_ = w_tau_.row(0).transpose().array().abs();
  }
  if (sparsity_mask_) {
    heads_w_.topRows(u).array() *= sparsity_mask_->array();
    if (!pure) heads_w_.middleRows(u, u).array() *= sparsity_mask_->array();
  }
}

void CfcCell::init_weights(uint64_t seed) {
  std::mt19937_64 rng(seed);
  // Xavier uniform on every 2-D trainable tensor, as ncps; biases keep torch's Linear default
  // U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  for_each_parameter("", [&](const ParamRef& p) {
    if (p.trainable && p.shape.size() == 2) {
      const float fan_in = static_cast<float>(p.shape[1]), fan_out = static_cast<float>(p.shape[0]);
      std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
      const float bound = std::sqrt(6.0f / (fan_in + fan_out));
      for (Eigen::Index i = 0; i < p.value->size(); ++i) p.value->data()[i] = bound * dist(rng);
    }
  });
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto bias = [&](Eigen::MatrixXf& b, const Eigen::MatrixXf& w) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(w.cols()));
    for (Eigen::Index i = 0; i < b.size(); ++i) b.data()[i] = bound * dist(rng);
  };
  for (size_t l = 0; l < backbone_w_.size(); ++l) bias(backbone_b_[l], backbone_w_[l]);
  bias(ff1_b_, ff1_w_);
  if (config_.mode != CfcMode::kPure) {
    bias(ff2_b_, ff2_w_);
    bias(time_a_b_, time_a_w_);
    bias(time_b_b_, time_b_w_);
  }
  prepare();
}

void CfcCell::resize_workspace(CfcWorkspace& ws, int batch) const {
  ws.cat.resize(config_.input_size + config_.units, batch);
  ws.backbone[0].resize(config_.backbone_units, batch);
  ws.backbone[1].resize(config_.backbone_units, batch);
  ws.heads.resize(heads_w_.rows(), batch);
}

void CfcCell::forward(const Eigen::Ref<const Eigen::MatrixXf>& x, Eigen::Ref<Eigen::MatrixXf> h,
                      const Eigen::Ref<const Eigen::RowVectorXf>& ts, CfcWorkspace& ws) const noexcept {
  const int u = config_.units, n_in = config_.input_size;
  ws.cat.topRows(n_in) = x;
  ws.cat.bottomRows(u) = h;

  // Backbone: z_{l+1} = act(W_l z_l + b_l), ping-ponging between two buffers.
  const Eigen::MatrixXf* z = &ws.cat;
  for (size_t l = 0; l < backbone_w_.size(); ++l) {
    Eigen::MatrixXf& out = ws.backbone[l % 2];
    out.noalias() = backbone_w_[l] * *z;
    out.colwise() += backbone_b_[l].col(0);
    auto out_array = out.array();
    apply_activation(config_.activation, out_array);
    z = &out;
  }

  // [ff1; ff2; t_a; t_b] = W_heads z + b_heads: one product for all four heads.
  ws.heads.noalias() = heads_w_ * *z;
  ws.heads.colwise() += heads_b_;
  finish_heads(ws.heads, h, ts);
}

void CfcCell::finish_heads(Eigen::MatrixXf& heads, Eigen::Ref<Eigen::MatrixXf> h,
                           const Eigen::Ref<const Eigen::RowVectorXf>& ts) const noexcept {
  const int u = config_.units;
  auto ff1 = heads.topRows(u).array();
  if (config_.mode == CfcMode::kPure) {
    // h' = -A exp(-ts (|w_tau| + |ff1|)) ff1 + A   (the closed-form solution, eq. 10 of the paper)
    for (Eigen::Index b = 0; b < h.cols(); ++b) {
      auto f = ff1.col(b);
      h.col(b).array() = -pure_a_ * (-ts(b) * (pure_abs_w_tau_ + f.abs())).exp() * f + pure_a_;
    }
    return;
  }
  auto ff2 = heads.middleRows(u, u).array();
  auto t_a = heads.middleRows(2 * u, u).array();
  auto t_b = heads.middleRows(3 * u, u).array();
  ff1 = ff1.tanh();
  ff2 = ff2.tanh();
  // The time gate: the elapsed time picks between ff1 (short gaps) and ff2 (long gaps).
  t_a = (t_a.rowwise() * ts.array() + t_b).logistic();
  const auto t_interp = t_a;
  if (config_.mode == CfcMode::kNoGate)
    h.array() = ff1 + t_interp * ff2;
  else
    h.array() = ff1 * (1.0f - t_interp) + t_interp * ff2;
}

}  // namespace liquid::lfm
