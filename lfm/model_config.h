// A model's configuration: which cell, its sizes and options, its wiring. The JSON form is the one
// ncps users already have (the reference cases' CASE.json, python/export_ncps.py), plus
// "input_size" and the options ncps lacks (LTC "solver", "abs_tol", "rel_tol"). It travels in the
// model file's __metadata__ under "liquid.config".
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "lfm/cfc_cell.h"
#include "lfm/ltc_cell.h"
#include "lfm/wiring.h"

namespace liquid::lfm {

enum class CellKind { kCfc, kLtc };

struct ModelConfig {
  CellKind cell = CellKind::kCfc;
  int input_size = 0;
  CfcConfig cfc;                   // dense CfC (cfc.input_size == input_size)
  std::optional<Wiring> wiring;    // wired CfC, or the LTC's wiring (always set for LTC)
  LtcConfig ltc;                   // LTC options (units and motor size follow the wiring)
  std::optional<int> proj_size;    // CfC: Linear from the outputs to proj_size ("fc")
  bool mixed_memory = false;       // LSTM memory cell before the cell ("lstm")

  bool wired() const { return wiring.has_value(); }
  int state_size() const;
  int output_size() const;  // after the projection
  std::string describe() const;  // one line: "CfC default, 64 units, backbone 128 x 1 lecun_tanh"
};

// `source` names the file in error messages ("config.json: field 'mode': ...").
ModelConfig config_from_json(const nlohmann::json& json, const std::string& source);
nlohmann::json config_to_json(const ModelConfig& config);

}  // namespace liquid::lfm
