// The four models of the foundation benchmarks (16 inputs each), as ncps_bench.py builds them.
#pragma once

#include <string>
#include <vector>

#include "lfm/model.h"

namespace liquid::bench {

struct BenchModel {
  std::string name;
  lfm::ModelConfig config;
  double flops_per_step;       // multiply-adds x 2 of the products, nominal, per sample step
  double ncps_step_us;         // ncps + PyTorch, one thread, ../shared/anchors/ncps_cpu.json
  double ncps_sequence_ms;     // batch 32 x 128 steps forward, same source
  double ncps_train_ms;        // batch 32 x 128 steps forward + backward, same source
};

inline std::vector<BenchModel> bench_models() {
  using namespace lfm;
  std::vector<BenchModel> models;
  {
    ModelConfig c;
    c.cell = CellKind::kCfc;
    c.input_size = 16;
    c.cfc = {.input_size = 16, .units = 64, .mode = CfcMode::kDefault, .activation = Activation::kLecunTanh,
             .backbone_units = 128, .backbone_layers = 1};
    models.push_back({"cfc_default", c, 2.0 * (128 * 80 + 4 * 64 * 128), 63.4, 14.9, 42.7});
  }
  {
    ModelConfig c;
    c.cell = CellKind::kCfc;
    c.input_size = 16;
    c.cfc = {.input_size = 16, .units = 64, .mode = CfcMode::kPure, .activation = Activation::kLecunTanh,
             .backbone_units = 128, .backbone_layers = 0};
    models.push_back({"cfc_pure", c, 2.0 * (64 * 80), 25.6, 4.2, 13.1});
  }
  // LTC: per unfold every synapse costs ~4 flops besides its sigmoid (sub, mul, 2 multiply-adds).
  {
    ModelConfig c;
    c.cell = CellKind::kLtc;
    c.input_size = 16;
    FullyConnectedParams fc;
    fc.units = 64;
    c.wiring = build_wiring(fc, 16);
    c.ltc = {.input_size = 16, .units = 64, .motor_size = 64, .ode_unfolds = 6};
    models.push_back({"ltc_fully_connected", c, 4.0 * (64 * 64 * 6 + 16 * 64), 230.0, 145.0, 620.0});
  }
  {
    ModelConfig c;
    c.cell = CellKind::kLtc;
    c.input_size = 16;
    AutoNcpParams p;
    p.units = 32;
    p.output_size = 4;
    c.wiring = build_wiring(p, 16);
    c.ltc = {.input_size = 16, .units = 32, .motor_size = 4, .ode_unfolds = 6};
    const double synapses = c.wiring->synapse_count() * 6.0 + c.wiring->sensory_synapse_count();
    models.push_back({"ltc_autoncp_32_4", c, 4.0 * synapses, 203.0, 56.5, 226.0});
  }
  return models;
}

}  // namespace liquid::bench
