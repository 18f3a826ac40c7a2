// Backbone activations of CfC, with ncps's names (torch.nn modules they stand for in brackets).
#pragma once

#include <Eigen/Core>
#include <string>
#include <string_view>

namespace liquid::lfm {

enum class Activation { kLecunTanh, kSilu, kRelu, kTanh, kGelu };

// Parses ncps's activation names; throws std::invalid_argument naming the valid ones.
Activation parse_activation(std::string_view name);
std::string_view activation_name(Activation a);

// Applies the activation in place to every coefficient.
//   lecun_tanh: 1.7159 tanh(0.666 x)  (ncps LeCun; 0.666, not 2/3, as ncps writes it)
//   silu: x sigmoid(x)  [nn.SiLU]    relu [nn.ReLU]    tanh [nn.Tanh]
//   gelu: x Phi(x) with the exact erf form [nn.GELU default]
template <class Derived>
void apply_activation(Activation a, Eigen::ArrayBase<Derived>& x) {
  switch (a) {
    case Activation::kLecunTanh: x = 1.7159f * (0.666f * x).tanh(); break;
    case Activation::kSilu: x = x * x.logistic(); break;
    case Activation::kRelu: x = x.max(0.0f); break;
    case Activation::kTanh: x = x.tanh(); break;
    case Activation::kGelu:
      x = x.unaryExpr([](float v) { return 0.5f * v * (1.0f + std::erf(v * 0.70710678118654752f)); });
      break;
  }
}

}  // namespace liquid::lfm
