// Wirings to and from JSON: kind and ncps's parameter names, matrices as arrays of rows (row = source).
#include <stdexcept>
#include <string>

#include "lfm/wiring.h"

namespace liquid::lfm {
namespace {
[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }
}  // namespace

namespace {

using nlohmann::json;

const json& require_key(const json& object, std::string_view key, std::string_view where) {
  const auto it = object.find(key);
  if (it == object.end()) fail(std::string(where) + ": '" + std::string(key) + "' is missing");
  return *it;
}

int int_param(const json& params, std::string_view key, std::string_view kind,
              std::optional<int> fallback = std::nullopt) {
  const auto it = params.find(key);
  if (it == params.end() && fallback) return *fallback;
  const std::string where = std::string(kind) + " wiring";
  const json& value = it == params.end() ? require_key(params, key, where) : *it;
  if (!value.is_number_integer()) {
    fail(where + ": parameter '" + std::string(key) + "' must be an integer, got " + value.dump());
  }
  return value.get<int>();
}

double number_param(const json& params, std::string_view key, std::string_view kind,
                    double fallback) {
  const auto it = params.find(key);
  if (it == params.end()) return fallback;
  if (!it->is_number()) {
    fail(std::string(kind) + " wiring: parameter '" + std::string(key) + "' must be a number, got " +
         it->dump());
  }
  return it->get<double>();
}

std::uint32_t seed_param(const json& params, std::string_view key, std::string_view kind,
                         std::uint32_t fallback) {
  const auto it = params.find(key);
  if (it == params.end()) return fallback;
  // numpy's legacy seeding takes exactly the 32-bit range.
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0 ||
      it->get<std::int64_t>() > 0xFFFFFFFFll) {
    fail(std::string(kind) + " wiring: parameter '" + std::string(key) +
         "' must be an integer in 0..4294967295, got " + it->dump());
  }
  return static_cast<std::uint32_t>(it->get<std::int64_t>());
}

std::optional<int> optional_int_param(const json& params, std::string_view key,
                                      std::string_view kind) {
  const auto it = params.find(key);
  if (it == params.end() || it->is_null()) return std::nullopt;
  return int_param(params, key, kind);
}

json matrix_to_json(const AdjacencyMatrix& matrix) {
  json rows = json::array();
  for (Eigen::Index r = 0; r < matrix.rows(); ++r) {
    json row = json::array();
    for (Eigen::Index c = 0; c < matrix.cols(); ++c) row.push_back(static_cast<int>(matrix(r, c)));
    rows.push_back(std::move(row));
  }
  return rows;
}

WiringKind parse_kind(const json& value) {
  // Our snake_case names, and ncps's class names so an ncps config's "class" maps directly.
  static const std::array<std::pair<std::string_view, WiringKind>, 11> kNames = {{
      {"fully_connected", WiringKind::kFullyConnected}, {"FullyConnected", WiringKind::kFullyConnected},
      {"random", WiringKind::kRandom}, {"Random", WiringKind::kRandom},
      {"ncp", WiringKind::kNcp}, {"NCP", WiringKind::kNcp},
      {"auto_ncp", WiringKind::kAutoNcp}, {"AutoNCP", WiringKind::kAutoNcp},
      {"given", WiringKind::kGiven}, {"Given", WiringKind::kGiven}, {"Wiring", WiringKind::kGiven},
  }};
  if (value.is_string()) {
    for (const auto& [name, kind] : kNames) {
      if (value.get<std::string>() == name) return kind;
    }
  }
  fail("wiring kind " + value.dump() +
       " unknown; expected fully_connected, random, ncp, auto_ncp or given");
}

}  // namespace

AdjacencyMatrix adjacency_from_json(const json& rows, std::string_view field,
                                    std::optional<int> expected_rows,
                                    std::optional<int> expected_cols) {
  const std::string name(field);
  if (!rows.is_array()) fail(name + ": expected an array of rows, got " + rows.type_name());
  const int row_count = static_cast<int>(rows.size());
  if (expected_rows && row_count != *expected_rows) {
    fail(name + ": expected " + std::to_string(*expected_rows) + " rows, got " +
         std::to_string(row_count));
  }
  int col_count = expected_cols.value_or(row_count > 0 && rows[0].is_array()
                                             ? static_cast<int>(rows[0].size()) : 0);
  AdjacencyMatrix matrix = AdjacencyMatrix::Zero(row_count, col_count);
  for (int r = 0; r < row_count; ++r) {
    const json& row = rows[static_cast<std::size_t>(r)];
    const std::string where = name + " row " + std::to_string(r);
    if (!row.is_array()) fail(where + ": expected an array, got " + row.type_name());
    if (static_cast<int>(row.size()) != col_count) {
      fail(where + ": expected " + std::to_string(col_count) + " columns, got " +
           std::to_string(row.size()));
    }
    for (int c = 0; c < col_count; ++c) {
      const json& value = row[static_cast<std::size_t>(c)];
      const double number = value.is_number() ? value.get<double>() : 2.0;
      if (number != -1.0 && number != 0.0 && number != 1.0) {
        fail(where + ", column " + std::to_string(c) + ": expected -1, 0 or 1, got " +
             value.dump());
      }
      matrix(r, c) = static_cast<std::int8_t>(number);
    }
  }
  return matrix;
}

json spec_to_json(const WiringSpec& spec) {
  json params = json::object();
  json out;
  std::visit(
      [&](const auto& p) {
        using P = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<P, FullyConnectedParams>) {
          params = {{"units", p.units}, {"erev_init_seed", p.erev_init_seed},
                    {"self_connections", p.self_connections}};
          params["output_dim"] = p.output_dim ? json(*p.output_dim) : json(nullptr);
        } else if constexpr (std::is_same_v<P, RandomParams>) {
          params = {{"units", p.units}, {"sparsity_level", p.sparsity_level},
                    {"random_seed", p.random_seed}};
          params["output_dim"] = p.output_dim ? json(*p.output_dim) : json(nullptr);
        } else if constexpr (std::is_same_v<P, NcpParams>) {
          params = {{"inter_neurons", p.inter_neurons},
                    {"command_neurons", p.command_neurons},
                    {"motor_neurons", p.motor_neurons},
                    {"sensory_fanout", p.sensory_fanout},
                    {"inter_fanout", p.inter_fanout},
                    {"recurrent_command_synapses", p.recurrent_command_synapses},
                    {"motor_fanin", p.motor_fanin},
                    {"seed", p.seed}};
        } else if constexpr (std::is_same_v<P, AutoNcpParams>) {
          params = {{"units", p.units}, {"output_size", p.output_size},
                    {"sparsity_level", p.sparsity_level}, {"seed", p.seed}};
        } else {
          params = {{"output_dim", p.output_dim}};
          out["adjacency_matrix"] = matrix_to_json(p.adjacency);
          out["sensory_adjacency_matrix"] = matrix_to_json(p.sensory_adjacency);
        }
      },
      spec);
  out["kind"] = kind_name(kind_of(spec));
  out["params"] = std::move(params);
  return out;
}

WiringSpec spec_from_json(const json& j) {
  if (!j.is_object()) fail(std::string("wiring: expected a JSON object, got ") + j.type_name());
  const WiringKind kind = parse_kind(require_key(j, "kind", "wiring"));
  const json params = j.value("params", json::object());
  if (!params.is_object()) fail("wiring: 'params' must be an object, got " + params.dump());
  switch (kind) {
    case WiringKind::kFullyConnected: {
      FullyConnectedParams p;
      p.units = int_param(params, "units", "FullyConnected");
      p.output_dim = optional_int_param(params, "output_dim", "FullyConnected");
      p.erev_init_seed = seed_param(params, "erev_init_seed", "FullyConnected", p.erev_init_seed);
      if (params.contains("self_connections")) {
        if (!params["self_connections"].is_boolean()) {
          fail("FullyConnected wiring: parameter 'self_connections' must be true or false, got " +
               params["self_connections"].dump());
        }
        p.self_connections = params["self_connections"].get<bool>();
      }
      return p;
    }
    case WiringKind::kRandom: {
      RandomParams p;
      p.units = int_param(params, "units", "Random");
      p.output_dim = optional_int_param(params, "output_dim", "Random");
      p.sparsity_level = number_param(params, "sparsity_level", "Random", p.sparsity_level);
      p.random_seed = seed_param(params, "random_seed", "Random", p.random_seed);
      return p;
    }
    case WiringKind::kNcp: {
      NcpParams p;
      p.inter_neurons = int_param(params, "inter_neurons", "NCP");
      p.command_neurons = int_param(params, "command_neurons", "NCP");
      p.motor_neurons = int_param(params, "motor_neurons", "NCP");
      p.sensory_fanout = int_param(params, "sensory_fanout", "NCP");
      p.inter_fanout = int_param(params, "inter_fanout", "NCP");
      p.recurrent_command_synapses = int_param(params, "recurrent_command_synapses", "NCP");
      p.motor_fanin = int_param(params, "motor_fanin", "NCP");
      p.seed = seed_param(params, "seed", "NCP", p.seed);
      return p;
    }
    case WiringKind::kAutoNcp: {
      AutoNcpParams p;
      p.units = int_param(params, "units", "AutoNCP");
      p.output_size = int_param(params, "output_size", "AutoNCP");
      p.sparsity_level = number_param(params, "sparsity_level", "AutoNCP", p.sparsity_level);
      p.seed = seed_param(params, "seed", "AutoNCP", p.seed);
      return p;
    }
    case WiringKind::kGiven: {
      GivenParams p;
      p.output_dim = int_param(params, "output_dim", "Given");
      const json& adjacency = require_key(j, "adjacency_matrix", "Given wiring");
      const auto units = adjacency.is_array() ? std::optional<int>(static_cast<int>(adjacency.size()))
                                              : std::nullopt;
      p.adjacency = adjacency_from_json(adjacency, "adjacency_matrix", units, units);
      p.sensory_adjacency =
          adjacency_from_json(require_key(j, "sensory_adjacency_matrix", "Given wiring"),
                              "sensory_adjacency_matrix", std::nullopt, units);
      return p;
    }
  }
  fail("wiring: unknown kind");
}

json to_json(const Wiring& wiring) {
  json j = spec_to_json(wiring.spec());
  j["units"] = wiring.units();
  j["input_dim"] = wiring.input_dim();
  j["output_dim"] = wiring.output_dim();
  j["synapse_count"] = wiring.synapse_count();
  j["sensory_synapse_count"] = wiring.sensory_synapse_count();
  j["adjacency_matrix"] = matrix_to_json(wiring.adjacency());
  j["sensory_adjacency_matrix"] = matrix_to_json(wiring.sensory_adjacency());
  return j;
}

Wiring wiring_from_json(const json& j) {
  const WiringSpec spec = spec_from_json(j);
  if (const auto* given = std::get_if<GivenParams>(&spec)) {
    const int rows = static_cast<int>(given->sensory_adjacency.rows());
    if (j.contains("input_dim") && int_param(j, "input_dim", "Given") != rows) {
      fail("input_dim: expected " + std::to_string(rows) +
           " (the rows of sensory_adjacency_matrix), got " + j["input_dim"].dump());
    }
    return build_wiring(spec, rows);
  }
  const std::string kind(kind_name(kind_of(spec)));
  Wiring wiring = build_wiring(spec, int_param(j, "input_dim", kind));
  for (const char* key : {"units", "output_dim"}) {
    const int built = key == std::string_view("units") ? wiring.units() : wiring.output_dim();
    if (j.contains(key) && int_param(j, key, kind) != built) {
      fail(std::string(key) + ": the " + kind + " parameters give " + std::to_string(built) +
           ", got " + j[key].dump());
    }
  }
  const bool has_adjacency = j.contains("adjacency_matrix");
  if (has_adjacency != j.contains("sensory_adjacency_matrix")) {
    fail(std::string(has_adjacency ? "sensory_adjacency_matrix" : "adjacency_matrix") +
         ": missing; the two matrices are given together or not at all");
  }
  if (!has_adjacency) return wiring;
  return wiring.with_matrices(
      adjacency_from_json(j["adjacency_matrix"], "adjacency_matrix", wiring.units(),
                          wiring.units()),
      adjacency_from_json(j["sensory_adjacency_matrix"], "sensory_adjacency_matrix",
                          wiring.input_dim(), wiring.units()));
}

}  // namespace liquid::lfm
