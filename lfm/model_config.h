// A model's configuration: which cell, its sizes and options, its wiring. The JSON form is the one
// ncps users already have (the reference cases' CASE.json, python/export_ncps.py), plus
// "input_size" and the options ncps lacks (LTC "solver", "abs_tol", "rel_tol"). It travels in the
// model file's __metadata__ under "liquid.config".
//
// The third kind is the LFM backbone (lfm/backbone/network.h), which ncps does not have:
//   {"model": "backbone", "input_size": I, "genome": "d64 liquid:64 conv:3 attn:h4 mlp:4", "output_size": O}
// The genome is written back in its canonical form (every argument explicit).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "lfm/backbone/genome.h"
#include "lfm/cfc_cell.h"
#include "lfm/ltc_cell.h"
#include "lfm/wiring.h"

namespace liquid::lfm {

enum class CellKind { kCfc, kLtc, kBackbone };

struct ModelConfig {
  CellKind cell = CellKind::kCfc;
  int input_size = 0;
  CfcConfig cfc;                   // dense CfC (cfc.input_size == input_size)
  std::optional<Wiring> wiring;    // wired CfC, or the LTC's wiring (always set for LTC)
  LtcConfig ltc;                   // LTC options (units and motor size follow the wiring)
  std::optional<int> proj_size;    // CfC: Linear from the outputs to proj_size ("fc")
  bool mixed_memory = false;       // LSTM memory cell before the cell ("lstm")
  backbone::Genome genome;         // backbone: its units (genome.d is the width)
  int backbone_outputs = 0;        // backbone: output_size

  bool backbone() const { return cell == CellKind::kBackbone; }

  bool wired() const { return wiring.has_value(); }
  int state_size() const;   // the cell's neurons; 0 for a backbone (its state is its units' caches)
  int output_size() const;  // after the projection
  std::string describe() const;  // one line: "CfC default, 64 units, backbone 128 x 1 lecun_tanh"
};

// `source` names the file in error messages ("config.json: field 'mode': ...").
ModelConfig config_from_json(const nlohmann::json& json, const std::string& source);
nlohmann::json config_to_json(const ModelConfig& config);

}  // namespace liquid::lfm
