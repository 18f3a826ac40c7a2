// Named parameter tensors, visited by loaders, writers, counters and (later) optimisers.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace liquid::lfm {

using Shape = std::vector<int64_t>;

// One parameter under its ncps state_dict name ("rnn_cell.ff1.weight"). `value` holds the tensor as
// a column-major matrix of shape[0] rows and product(shape[1:]) columns (a 1-D tensor is a column),
// so torch's row-major bytes load with one Map<RowMajor> copy and a torch Linear weight (out, in)
// multiplies a column of inputs exactly as in PyTorch.
struct ParamRef {
  std::string name;
  Shape shape;
  Eigen::MatrixXf* value = nullptr;
  bool trainable = true;  // false for ncps's sparsity masks (requires_grad=False)
};

using ParamVisitor = std::function<void(const ParamRef&)>;

inline int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_to_string(const Shape& shape);

}  // namespace liquid::lfm
