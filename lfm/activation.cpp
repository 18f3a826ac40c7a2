#include "lfm/activation.h"

#include <stdexcept>

namespace liquid::lfm {

Activation parse_activation(std::string_view name) {
  if (name == "lecun_tanh") return Activation::kLecunTanh;
  if (name == "silu") return Activation::kSilu;
  if (name == "relu") return Activation::kRelu;
  if (name == "tanh") return Activation::kTanh;
  if (name == "gelu") return Activation::kGelu;
  throw std::invalid_argument("activation '" + std::string(name) +
                              "' unknown; expected lecun_tanh, silu, relu, tanh or gelu");
}

std::string_view activation_name(Activation a) {
  switch (a) {
    case Activation::kLecunTanh: return "lecun_tanh";
    case Activation::kSilu: return "silu";
    case Activation::kRelu: return "relu";
    case Activation::kTanh: return "tanh";
    case Activation::kGelu: return "gelu";
  }
  return "?";
}

}  // namespace liquid::lfm
