#include "lfm/model_config.h"

#include <stdexcept>

namespace liquid::lfm {

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& field, const std::string& what) {
  throw std::invalid_argument(source + ": field '" + field + "': " + what);
}

template <class T>
T get_or(const nlohmann::json& j, const char* key, T fallback, const std::string& source) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  try {
    return j[key].get<T>();
  } catch (const nlohmann::json::exception& e) {
    fail(source, key, std::string("has the wrong type (") + j[key].type_name() + ")");
  }
}

int positive_int(const nlohmann::json& j, const char* key, const std::string& source) {
  if (!j.contains(key) || !j[key].is_number_integer()) fail(source, key, "missing; expected a positive integer");
  const int v = j[key].get<int>();
  if (v <= 0) fail(source, key, "expected a positive integer, got " + std::to_string(v));
  return v;
}

// The ncps reference format names the wiring by class with its constructor arguments beside it;
// our wiring JSON wants {kind, params, matrices}. Matrices, when present, win over the seed.
nlohmann::json wiring_json_from_config(const nlohmann::json& j, int input_size, const std::string& source) {
  const nlohmann::json& w = j["wiring"];
  if (!w.is_object() || !w.contains("class")) fail(source, "wiring", "expected an object with a 'class'");
  const std::string cls = w["class"].get<std::string>();
  nlohmann::json out;
  out["kind"] = cls;
  nlohmann::json params = w.contains("params") ? w["params"] : nlohmann::json::object();
  if (cls == "NCP" && j.contains("ncp")) params = j["ncp"];
  if (cls == "AutoNCP") {
    params.emplace("units", w.value("units", 0));
    params.emplace("output_size", w.value("output_dim", 0));
  }
  if (cls == "FullyConnected" || cls == "Random") {
    params.emplace("units", w.value("units", 0));
    if (w.contains("output_dim")) params.emplace("output_dim", w["output_dim"]);
  }
  if (cls == "Given" || cls == "Wiring") {
    out["kind"] = "given";
    params.emplace("output_dim", w.value("output_dim", 0));
  }
  out["params"] = params;
  out["input_dim"] = input_size;
  for (const char* key : {"adjacency_matrix", "sensory_adjacency_matrix"})
    if (j.contains(key)) out[key] = j[key];
  return out;
}

ModelConfig backbone_config_from_json(const nlohmann::json& j, const std::string& source) {
  for (const auto& [key, value] : j.items())
    if (key != "model" && key != "input_size" && key != "genome" && key != "output_size")
      fail(source, key, "unknown for a backbone model; expected model, input_size, genome, output_size");
  ModelConfig c;
  c.cell = CellKind::kBackbone;
  c.input_size = positive_int(j, "input_size", source);
  c.backbone_outputs = positive_int(j, "output_size", source);
  if (!j.contains("genome") || !j["genome"].is_string())
    fail(source, "genome", "missing; expected a genome text such as \"d64 liquid:64 conv:3 attn:h4 mlp:4\"");
  try {
    c.genome = backbone::parse_genome(j["genome"].get<std::string>());
  } catch (const std::invalid_argument& e) {
    fail(source, "genome", e.what());
  }
  return c;
}

}  // namespace

int ModelConfig::state_size() const {
  if (backbone()) return 0;
  if (cell == CellKind::kLtc || wired()) return wiring->units();
  return cfc.units;
}

int ModelConfig::output_size() const {
  if (backbone()) return backbone_outputs;
  if (proj_size) return *proj_size;
  if (cell == CellKind::kLtc || wired()) return wiring->output_dim();
  return cfc.units;
}

std::string ModelConfig::describe() const {
  std::string s;
  if (backbone()) return "LFM backbone " + backbone::to_string(genome);
  if (cell == CellKind::kLtc) {
    s = "LTC, " + std::to_string(state_size()) + " units, " + std::string(ltc_solver_name(ltc.solver)) + " solver";
    if (ltc.solver == LtcSolver::kFused) s += " (" + std::to_string(ltc.ode_unfolds) + " unfolds)";
    s += std::string(", ") + (ltc.implicit_param_constraints ? "softplus" : "clamped") + " constraints";
  } else if (wired()) {
    s = "wired CfC " + std::string(cfc_mode_name(cfc.mode)) + ", " + std::to_string(state_size()) + " units";
  } else {
    s = "CfC " + std::string(cfc_mode_name(cfc.mode)) + ", " + std::to_string(cfc.units) + " units";
    if (cfc.backbone_layers > 0)
      s += ", backbone " + std::to_string(cfc.backbone_units) + " x " + std::to_string(cfc.backbone_layers) + " " +
           std::string(activation_name(cfc.activation));
    else
      s += ", no backbone";
  }
  if (mixed_memory) s += ", mixed memory";
  if (proj_size) s += ", projection to " + std::to_string(*proj_size);
  return s;
}

ModelConfig config_from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw std::invalid_argument(source + ": expected a JSON object as the model configuration");
  ModelConfig c;
  const std::string model = get_or<std::string>(j, "model", "", source);
  if (model == "CfC") c.cell = CellKind::kCfc;
  else if (model == "LTC") c.cell = CellKind::kLtc;
  else if (model == "backbone") return backbone_config_from_json(j, source);
  else fail(source, "model", "'" + model + "' unknown; expected CfC, LTC or backbone");
  // export_ncps.py and the reference cases write input_size; a bare ncps wiring config has input_dim.
  if (!j.contains("input_size") && j.contains("wiring") && j["wiring"].contains("input_dim"))
    c.input_size = positive_int(j["wiring"], "input_dim", source);
  else
    c.input_size = positive_int(j, "input_size", source);
  c.mixed_memory = get_or<bool>(j, "mixed_memory", false, source);
  if (j.contains("proj_size") && !j["proj_size"].is_null()) c.proj_size = positive_int(j, "proj_size", source);

  try {
    if (j.contains("wiring")) c.wiring = wiring_from_json(wiring_json_from_config(j, c.input_size, source));
  } catch (const std::invalid_argument& e) {
    fail(source, "wiring", e.what());
  }
  if (c.wiring && c.wiring->input_dim() != c.input_size)
    fail(source, "wiring", "input_dim " + std::to_string(c.wiring->input_dim()) + " differs from input_size " +
                               std::to_string(c.input_size));

  try {
    if (c.cell == CellKind::kCfc) {
      c.cfc.input_size = c.input_size;
      c.cfc.mode = parse_cfc_mode(get_or<std::string>(j, "mode", "default", source));
      if (!c.wired()) {
        c.cfc.units = positive_int(j, "units", source);
        c.cfc.activation = parse_activation(get_or<std::string>(j, "activation", "lecun_tanh", source));
        c.cfc.backbone_units = get_or<int>(j, "backbone_units", 128, source);
        c.cfc.backbone_layers = get_or<int>(j, "backbone_layers", 1, source);
        if (c.cfc.backbone_layers < 0) fail(source, "backbone_layers", "expected >= 0");
        if (c.cfc.backbone_layers > 0 && c.cfc.backbone_units <= 0) fail(source, "backbone_units", "expected > 0");
      } else {
        c.cfc.units = c.wiring->units();
        c.cfc.backbone_layers = 0;
      }
    } else {
      if (!c.wired()) {
        // ncps's LTC(input, units) with an int is a FullyConnected wiring; its polarities must come
        // from the matrices to match a given ncps model.
        const int units = positive_int(j, "units", source);
        FullyConnectedParams params;
        params.units = units;
        c.wiring = build_wiring(params, c.input_size);
      }
      c.ltc.input_size = c.input_size;
      c.ltc.units = c.wiring->units();
      c.ltc.motor_size = c.wiring->output_dim();
      c.ltc.ode_unfolds = get_or<int>(j, "ode_unfolds", 6, source);
      if (c.ltc.ode_unfolds <= 0) fail(source, "ode_unfolds", "expected a positive integer");
      c.ltc.epsilon = get_or<float>(j, "epsilon", 1e-8f, source);
      c.ltc.implicit_param_constraints = get_or<bool>(j, "implicit_param_constraints", true, source);
      // ncps: an absent mapping is "affine"; null (Python None) is no mapping.
      auto mapping = [&](const char* key) {
        if (!j.contains(key)) return Mapping::kAffine;
        return parse_mapping(get_or<std::string>(j, key, "none", source));
      };
      c.ltc.input_mapping = mapping("input_mapping");
      c.ltc.output_mapping = mapping("output_mapping");
      c.ltc.solver = parse_ltc_solver(get_or<std::string>(j, "solver", "fused", source));
      c.ltc.abs_tol = get_or<double>(j, "abs_tol", 1e-6, source);
      c.ltc.rel_tol = get_or<double>(j, "rel_tol", 1e-4, source);
      if (!(c.ltc.abs_tol > 0) || !(c.ltc.rel_tol > 0)) fail(source, "abs_tol/rel_tol", "expected positive tolerances");
      if (c.proj_size) fail(source, "proj_size", "is a CfC option; LTC has output mappings instead");
    }
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    if (what.rfind(source, 0) == 0) throw;
    throw std::invalid_argument(source + ": " + what);
  }
  return c;
}

nlohmann::json config_to_json(const ModelConfig& c) {
  nlohmann::json j;
  if (c.backbone())
    return {{"model", "backbone"}, {"input_size", c.input_size}, {"genome", backbone::to_string(c.genome)},
            {"output_size", c.backbone_outputs}};
  j["model"] = c.cell == CellKind::kCfc ? "CfC" : "LTC";
  j["input_size"] = c.input_size;
  j["mixed_memory"] = c.mixed_memory;
  j["proj_size"] = c.proj_size ? nlohmann::json(*c.proj_size) : nlohmann::json(nullptr);
  if (c.wiring) {
    const nlohmann::json w = to_json(*c.wiring);
    j["wiring"] = {{"class", w["kind"]}, {"params", w["params"]}, {"units", c.wiring->units()},
                   {"output_dim", c.wiring->output_dim()}, {"input_dim", c.wiring->input_dim()}};
    j["adjacency_matrix"] = w["adjacency_matrix"];
    j["sensory_adjacency_matrix"] = w["sensory_adjacency_matrix"];
  }
  if (c.cell == CellKind::kCfc) {
    j["mode"] = cfc_mode_name(c.cfc.mode);
    if (!c.wired()) {
      j["units"] = c.cfc.units;
      j["activation"] = activation_name(c.cfc.activation);
      j["backbone_units"] = c.cfc.backbone_units;
      j["backbone_layers"] = c.cfc.backbone_layers;
    }
  } else {
    j["units"] = c.ltc.units;
    j["ode_unfolds"] = c.ltc.ode_unfolds;
    j["epsilon"] = c.ltc.epsilon;
    j["implicit_param_constraints"] = c.ltc.implicit_param_constraints;
    auto mapping = [](Mapping m) { return m == Mapping::kNone ? nlohmann::json(nullptr) : nlohmann::json(mapping_name(m)); };
    j["input_mapping"] = mapping(c.ltc.input_mapping);
    j["output_mapping"] = mapping(c.ltc.output_mapping);
    j["solver"] = ltc_solver_name(c.ltc.solver);
    j["abs_tol"] = c.ltc.abs_tol;
    j["rel_tol"] = c.ltc.rel_tol;
  }
  return j;
}

}  // namespace liquid::lfm
