// Internal to the engine's .cpp files (engine.cpp, engine_state.cpp): the per-model group of streams.
#pragma once

#include <memory>
#include <vector>

#include "pipeline/engine.h"

namespace liquid::pipeline {

// Streams of one model: their states side by side (column-major, one column a stream) so a round's
// columns gather and scatter with one contiguous copy each, and per step thread the gathered
// matrices plus one exactly-sized workspace per power of two (step_batch wants a workspace of the
// batch's own size, so a batch of 300 runs as 256 + 32 + 8 + 4 without allocating).
struct Engine::Group {
  std::shared_ptr<const lfm::Model> model;
  int in = 0, state = 0, out = 0;
  bool mixed = false;
  int output_row = -1;            // Model::output_row_in_state()
  bool latest_in_state = false;   // no decisions and output_row >= 0: latest_ is not written
  int streams = 0;
  Eigen::MatrixXf h, c;
  struct Scratch {
    Eigen::MatrixXf x, h, c, y;
    Eigen::RowVectorXf ts;
    std::vector<lfm::ModelWorkspace> ws;  // ws[k] holds 2^k columns
  };
  std::vector<Scratch> scratch;
};

}  // namespace liquid::pipeline
