// Wiring construction (ncps's build()), validation, JSON, DOT and summary. Draw order matters: every
// NCP draw below happens in the same order as in ncps so that the MT19937 stream lines up.
#include "lfm/wiring.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "lfm/numpy_random.h"

namespace liquid::lfm {
namespace {

using Layers = std::vector<std::vector<int>>;
// kind_of reads the kind off the variant's index.
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(WiringKind::kNcp),
                                                        WiringSpec>, NcpParams>);
static_assert(std::variant_size_v<WiringSpec> == static_cast<std::size_t>(WiringKind::kGiven) + 1);
constexpr std::array<int, 2> kNcpPolarities = {-1, 1};
// ncps draws FullyConnected/Random polarities from [-1, 1, 1]: two thirds excitatory.
constexpr std::array<int, 3> kPlainPolarities = {-1, 1, 1};

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

std::vector<int> id_range(int begin, int end) {
  std::vector<int> ids;
  for (int id = begin; id < end; ++id) ids.push_back(id);
  return ids;
}

constexpr double kNoLimit = std::numeric_limits<double>::infinity();

void require_in_range(std::string_view kind, std::string_view name, double value, double lo,
                      double hi, std::string_view why = {}) {
  if (value >= lo && value <= hi) return;
  std::ostringstream message;
  message << kind << " wiring: " << name << " is " << value << "; expected ";
  if (hi == kNoLimit) {
    message << "at least " << lo;
  } else {
    message << lo << ".." << hi;
  }
  if (!why.empty()) message << " (" << why << ")";
  fail(message.str());
}

// ncps's plain Wiring layout: one layer, the first output_dim neurons are motor.
std::pair<Layers, std::vector<NeuronType>> plain_layout(int units, int output_dim) {
  std::vector<NeuronType> types(static_cast<std::size_t>(units), NeuronType::kInter);
  for (int id = 0; id < output_dim && id < units; ++id) {
    types[static_cast<std::size_t>(id)] = NeuronType::kMotor;
  }
  return {Layers{id_range(0, units)}, std::move(types)};
}

int plain_output_dim(std::string_view kind, int units, std::optional<int> output_dim) {
  require_in_range(kind, "units", units, 1, kNoLimit);
  const int outputs = output_dim.value_or(units);
  require_in_range(kind, "output_dim", outputs, 1, units, "at most units");
  return outputs;
}

Wiring build_fully_connected(const FullyConnectedParams& p, int input_dim) {
  const int outputs = plain_output_dim("FullyConnected", p.units, p.output_dim);
  NumpyRandomState rng(p.erev_init_seed);
  AdjacencyMatrix adjacency = AdjacencyMatrix::Zero(p.units, p.units);
  for (int src = 0; src < p.units; ++src) {
    for (int dest = 0; dest < p.units; ++dest) {
      if (src == dest && !p.self_connections) continue;
      adjacency(src, dest) = static_cast<std::int8_t>(rng.choice<int>(kPlainPolarities));
    }
  }
  AdjacencyMatrix sensory = AdjacencyMatrix::Zero(input_dim, p.units);
  for (int src = 0; src < input_dim; ++src) {
    for (int dest = 0; dest < p.units; ++dest) {
      sensory(src, dest) = static_cast<std::int8_t>(rng.choice<int>(kPlainPolarities));
    }
  }
  auto [layers, types] = plain_layout(p.units, outputs);
  return Wiring(p, outputs, std::move(adjacency), std::move(sensory), std::move(layers),
                std::move(types));
}

// Picks round(rows * cols * density) distinct cells, each with a polarity from kPlainPolarities.
// np.round rounds halves to even, as std::nearbyint does in the default rounding mode.
AdjacencyMatrix random_synapses(NumpyRandomState& rng, int rows, int cols, double sparsity) {
  const int count = static_cast<int>(std::nearbyint(rows * cols * (1.0 - sparsity)));
  const std::vector<int> cells = id_range(0, rows * cols);
  AdjacencyMatrix matrix = AdjacencyMatrix::Zero(rows, cols);
  for (int cell : rng.choice_without_replacement<int>(cells, count)) {
    matrix(cell / cols, cell % cols) = static_cast<std::int8_t>(rng.choice<int>(kPlainPolarities));
  }
  return matrix;
}

Wiring build_random(const RandomParams& p, int input_dim) {
  const int outputs = plain_output_dim("Random", p.units, p.output_dim);
  if (!(p.sparsity_level >= 0.0 && p.sparsity_level < 1.0)) {
    std::ostringstream message;
    message << "Random wiring: sparsity_level is " << p.sparsity_level << "; expected [0, 1)";
    fail(message.str());
  }
  NumpyRandomState rng(p.random_seed);
  AdjacencyMatrix adjacency = random_synapses(rng, p.units, p.units, p.sparsity_level);
  AdjacencyMatrix sensory = random_synapses(rng, input_dim, p.units, p.sparsity_level);
  auto [layers, types] = plain_layout(p.units, outputs);
  return Wiring(p, outputs, std::move(adjacency), std::move(sensory), std::move(layers),
                std::move(types));
}

void validate_ncp(const NcpParams& p) {
  require_in_range("NCP", "inter_neurons", p.inter_neurons, 1, kNoLimit);
  require_in_range("NCP", "command_neurons", p.command_neurons, 1, kNoLimit);
  require_in_range("NCP", "motor_neurons", p.motor_neurons, 1, kNoLimit);
  // ncps's three checks, in its order.
  require_in_range("NCP", "motor_fanin", p.motor_fanin, 0, p.command_neurons,
                   "at most command_neurons");
  require_in_range("NCP", "sensory_fanout", p.sensory_fanout, 0, p.inter_neurons,
                   "at most inter_neurons");
  require_in_range("NCP", "inter_fanout", p.inter_fanout, 0, p.command_neurons,
                   "at most command_neurons");
  require_in_range("NCP", "recurrent_command_synapses", p.recurrent_command_synapses, 0, kNoLimit);
}

// ncps sizes the fallback wiring of unreached neurons as int(a * b / c) clipped to [1, hi]:
// a true division then truncation toward zero, then np.clip.
int mean_fan(int a, int b, int c, int hi) {
  const int mean = static_cast<int>(static_cast<double>(a * b) / static_cast<double>(c));
  return std::min(std::max(mean, 1), hi);
}

void mark_reached(std::vector<int>& unreached, int neuron) {
  // ncps's list.remove drops the first occurrence; ids are unique, so erase-find is the same.
  const auto it = std::find(unreached.begin(), unreached.end(), neuron);
  if (it != unreached.end()) unreached.erase(it);
}

std::int8_t ncp_polarity(NumpyRandomState& rng) {
  return static_cast<std::int8_t>(rng.choice<int>(kNcpPolarities));
}

Wiring build_ncp(const WiringSpec& spec, const NcpParams& p, int input_dim) {
  validate_ncp(p);
  const int units = p.inter_neurons + p.command_neurons + p.motor_neurons;
  const std::vector<int> motor = id_range(0, p.motor_neurons);
  const std::vector<int> command = id_range(p.motor_neurons, p.motor_neurons + p.command_neurons);
  const std::vector<int> inter = id_range(p.motor_neurons + p.command_neurons, units);
  const std::vector<int> sensory = id_range(0, input_dim);
  NumpyRandomState rng(p.seed);
  AdjacencyMatrix adjacency = AdjacencyMatrix::Zero(units, units);
  AdjacencyMatrix sensory_adjacency = AdjacencyMatrix::Zero(input_dim, units);

  // Sensory -> inter: a fixed fanout, then every inter neuron nobody reached gets inputs.
  std::vector<int> unreached = inter;
  for (int src : sensory) {
    for (int dest : rng.choice_without_replacement<int>(inter, p.sensory_fanout)) {
      mark_reached(unreached, dest);
      sensory_adjacency(src, dest) = ncp_polarity(rng);
    }
  }
  const int inter_fanin = mean_fan(input_dim, p.sensory_fanout, p.inter_neurons, input_dim);
  for (int dest : unreached) {
    for (int src : rng.choice_without_replacement<int>(sensory, inter_fanin)) {
      sensory_adjacency(src, dest) = ncp_polarity(rng);
    }
  }

  // Inter -> command. ncps clips the fallback fanin by the command count although it draws from
  // the inter neurons; int(I * fanout / C) never exceeds I, so the draw is always possible.
  unreached = command;
  for (int src : inter) {
    for (int dest : rng.choice_without_replacement<int>(command, p.inter_fanout)) {
      mark_reached(unreached, dest);
      adjacency(src, dest) = ncp_polarity(rng);
    }
  }
  const int command_fanin =
      mean_fan(p.inter_neurons, p.inter_fanout, p.command_neurons, p.command_neurons);
  for (int dest : unreached) {
    for (int src : rng.choice_without_replacement<int>(inter, command_fanin)) {
      adjacency(src, dest) = ncp_polarity(rng);
    }
  }

  // Recurrent command synapses: src and dest drawn with replacement, so self-loops and repeats
  // (which overwrite the earlier polarity) happen, as in ncps.
  for (int i = 0; i < p.recurrent_command_synapses; ++i) {
    const int src = rng.choice<int>(command);
    const int dest = rng.choice<int>(command);
    adjacency(src, dest) = ncp_polarity(rng);
  }

  // Command -> motor: a fixed fanin per motor neuron, then unreached command neurons get outputs.
  unreached = command;
  for (int dest : motor) {
    for (int src : rng.choice_without_replacement<int>(command, p.motor_fanin)) {
      mark_reached(unreached, src);
      adjacency(src, dest) = ncp_polarity(rng);
    }
  }
  const int command_fanout =
      mean_fan(p.motor_neurons, p.motor_fanin, p.command_neurons, p.motor_neurons);
  for (int src : unreached) {
    for (int dest : rng.choice_without_replacement<int>(motor, command_fanout)) {
      adjacency(src, dest) = ncp_polarity(rng);
    }
  }

  std::vector<NeuronType> types(static_cast<std::size_t>(units), NeuronType::kInter);
  for (int id : motor) types[static_cast<std::size_t>(id)] = NeuronType::kMotor;
  for (int id : command) types[static_cast<std::size_t>(id)] = NeuronType::kCommand;
  return Wiring(spec, p.motor_neurons, std::move(adjacency), std::move(sensory_adjacency),
                Layers{inter, command, motor}, std::move(types));
}

void check_matrix_values(const AdjacencyMatrix& matrix, std::string_view field) {
  for (Eigen::Index r = 0; r < matrix.rows(); ++r) {
    for (Eigen::Index c = 0; c < matrix.cols(); ++c) {
      const int value = matrix(r, c);
      if (value < -1 || value > 1) {
        fail(std::string(field) + " row " + std::to_string(r) + ", column " + std::to_string(c) +
             ": expected -1, 0 or 1, got " + std::to_string(value));
      }
    }
  }
}

void check_shape(const AdjacencyMatrix& matrix, std::string_view field, Eigen::Index rows,
                 std::string_view rows_are, Eigen::Index cols) {
  if (matrix.rows() != rows || matrix.cols() != cols) {
    fail(std::string(field) + ": expected " + std::to_string(rows) + " x " + std::to_string(cols) +
         " (" + std::string(rows_are) + " x units), got " + std::to_string(matrix.rows()) + " x " +
         std::to_string(matrix.cols()));
  }
}

}  // namespace

Wiring::Wiring(WiringSpec spec, int output_dim, AdjacencyMatrix adjacency,
               AdjacencyMatrix sensory_adjacency, Layers layers,
               std::vector<NeuronType> neuron_types)
    : spec_(std::move(spec)),
      output_dim_(output_dim),
      adjacency_(std::move(adjacency)),
      sensory_adjacency_(std::move(sensory_adjacency)),
      layers_(std::move(layers)),
      neuron_types_(std::move(neuron_types)) {
  const Eigen::Index units = adjacency_.rows();
  if (units < 1) fail("adjacency_matrix: expected at least one neuron, got none");
  check_shape(adjacency_, "adjacency_matrix", units, "units", units);
  if (sensory_adjacency_.rows() < 1) {
    fail("sensory_adjacency_matrix: expected at least one input row, got none");
  }
  check_shape(sensory_adjacency_, "sensory_adjacency_matrix", sensory_adjacency_.rows(), "inputs",
              units);
  check_matrix_values(adjacency_, "adjacency_matrix");
  check_matrix_values(sensory_adjacency_, "sensory_adjacency_matrix");
  if (output_dim_ < 1 || output_dim_ > units) {
    fail("output_dim: expected 1.." + std::to_string(units) + ", got " +
         std::to_string(output_dim_));
  }
  if (static_cast<Eigen::Index>(neuron_types_.size()) != units) {
    fail("neuron types: expected one per neuron (" + std::to_string(units) + "), got " +
         std::to_string(neuron_types_.size()));
  }
  if (layers_.empty()) fail("layers: expected at least one layer, got none");
  for (const auto& layer : layers_) {
    for (int id : layer) {
      if (id < 0 || id >= units) {
        fail("layers: neuron " + std::to_string(id) + " is not in 0.." +
             std::to_string(units - 1));
      }
    }
  }
}

WiringKind Wiring::kind() const { return kind_of(spec_); }

int Wiring::synapse_count() const { return static_cast<int>((adjacency_.array() != 0).count()); }

int Wiring::sensory_synapse_count() const {
  return static_cast<int>((sensory_adjacency_.array() != 0).count());
}

const std::vector<int>& Wiring::neurons_of_layer(int layer) const {
  if (layer < 0 || layer >= num_layers()) {
    throw std::out_of_range("Wiring: unknown layer " + std::to_string(layer) + "; expected 0.." +
                            std::to_string(num_layers() - 1));
  }
  return layers_[static_cast<std::size_t>(layer)];
}

NeuronType Wiring::neuron_type(int neuron) const {
  if (neuron < 0 || neuron >= units()) {
    throw std::out_of_range("Wiring: neuron " + std::to_string(neuron) + " is not in 0.." +
                            std::to_string(units() - 1));
  }
  return neuron_types_[static_cast<std::size_t>(neuron)];
}

Wiring Wiring::with_matrices(AdjacencyMatrix adjacency, AdjacencyMatrix sensory_adjacency) const {
  check_shape(adjacency, "adjacency_matrix", units(), "units", units());
  check_shape(sensory_adjacency, "sensory_adjacency_matrix", input_dim(), "inputs", units());
  WiringSpec spec = spec_;
  if (auto* given = std::get_if<GivenParams>(&spec)) {
    given->adjacency = adjacency;
    given->sensory_adjacency = sensory_adjacency;
  }
  return Wiring(std::move(spec), output_dim_, std::move(adjacency), std::move(sensory_adjacency),
                layers_, neuron_types_);
}

bool operator==(const Wiring& a, const Wiring& b) {
  return a.output_dim_ == b.output_dim_ && a.adjacency_ == b.adjacency_ &&
         a.sensory_adjacency_.rows() == b.sensory_adjacency_.rows() &&
         a.sensory_adjacency_ == b.sensory_adjacency_ && a.layers_ == b.layers_ &&
         a.neuron_types_ == b.neuron_types_ && spec_to_json(a.spec_) == spec_to_json(b.spec_);
}

NcpParams to_ncp_params(const AutoNcpParams& p) {
  if (p.output_size >= p.units - 2) {
    fail("AutoNCP wiring: output_size is " + std::to_string(p.output_size) +
         "; expected less than units - 2 = " + std::to_string(p.units - 2));
  }
  require_in_range("AutoNCP", "output_size", p.output_size, 1, p.units - 3);
  // ncps's message says 0.0..0.9 but its check is this one.
  require_in_range("AutoNCP", "sparsity_level", p.sparsity_level, 0.1, 1.0);
  // Same operations in the same order as ncps, so float truncations land identically
  // (1.0 - 0.9 is 0.09999999999999998, and int(30 * that) is 2, not 3).
  const double density_level = 1.0 - p.sparsity_level;
  const int inter_and_command = p.units - p.output_size;
  const int command = std::max(static_cast<int>(0.4 * inter_and_command), 1);
  const int inter = inter_and_command - command;
  NcpParams ncp;
  ncp.inter_neurons = inter;
  ncp.command_neurons = command;
  ncp.motor_neurons = p.output_size;
  ncp.sensory_fanout = std::max(static_cast<int>(inter * density_level), 1);
  ncp.inter_fanout = std::max(static_cast<int>(command * density_level), 1);
  ncp.recurrent_command_synapses = std::max(static_cast<int>(command * density_level * 2), 1);
  ncp.motor_fanin = std::max(static_cast<int>(command * density_level), 1);
  ncp.seed = p.seed;
  return ncp;
}

Wiring build_wiring(const WiringSpec& spec, int input_dim) {
  if (input_dim < 1) fail("input_dim: expected at least 1, got " + std::to_string(input_dim));
  switch (kind_of(spec)) {
    case WiringKind::kFullyConnected:
      return build_fully_connected(std::get<FullyConnectedParams>(spec), input_dim);
    case WiringKind::kRandom:
      return build_random(std::get<RandomParams>(spec), input_dim);
    case WiringKind::kNcp:
      return build_ncp(spec, std::get<NcpParams>(spec), input_dim);
    case WiringKind::kAutoNcp:
      return build_ncp(spec, to_ncp_params(std::get<AutoNcpParams>(spec)), input_dim);
    case WiringKind::kGiven: {
      const auto& given = std::get<GivenParams>(spec);
      const int units = static_cast<int>(given.adjacency.rows());
      check_shape(given.sensory_adjacency, "sensory_adjacency_matrix", input_dim, "input_dim",
                  units);
      auto [layers, types] = plain_layout(units, given.output_dim);
      return Wiring(spec, given.output_dim, given.adjacency, given.sensory_adjacency,
                    std::move(layers), std::move(types));
    }
  }
  fail("build_wiring: unknown wiring kind");
}

WiringKind kind_of(const WiringSpec& spec) { return static_cast<WiringKind>(spec.index()); }

std::string_view kind_name(WiringKind kind) {
  switch (kind) {
    case WiringKind::kFullyConnected: return "fully_connected";
    case WiringKind::kRandom: return "random";
    case WiringKind::kNcp: return "ncp";
    case WiringKind::kAutoNcp: return "auto_ncp";
    case WiringKind::kGiven: return "given";
  }
  return "unknown";
}

std::string_view neuron_type_name(NeuronType type) {
  switch (type) {
    case NeuronType::kMotor: return "motor";
    case NeuronType::kCommand: return "command";
    case NeuronType::kInter: return "inter";
  }
  return "unknown";
}

// ---- JSON -------------------------------------------------------------------------------------
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

// ---- DOT and summary --------------------------------------------------------------------------
namespace {

// matplotlib's tab: palette, as ncps's draw_graph uses; command neurons get purple to stand apart.
constexpr std::string_view kSensoryColour = "#bcbd22";
constexpr std::string_view kExcitatoryColour = "#2ca02c";
constexpr std::string_view kInhibitoryColour = "#d62728";

std::string_view role_colour(NeuronType type) {
  switch (type) {
    case NeuronType::kInter: return "#1f77b4";
    case NeuronType::kCommand: return "#9467bd";
    case NeuronType::kMotor: return "#ff7f0e";
  }
  return "#7f7f7f";
}

void dot_edges(std::ostringstream& out, const AdjacencyMatrix& matrix, std::string_view source) {
  for (Eigen::Index src = 0; src < matrix.rows(); ++src) {
    for (Eigen::Index dest = 0; dest < matrix.cols(); ++dest) {
      const int polarity = matrix(src, dest);
      if (polarity == 0) continue;
      out << "  " << source << src << " -> neuron_" << dest << " [color=\""
          << (polarity > 0 ? kExcitatoryColour : kInhibitoryColour) << "\""
          << (polarity > 0 ? "" : ", arrowhead=tee") << "];\n";
    }
  }
}

int count_of(const Wiring& wiring, NeuronType type) {
  return static_cast<int>(
      std::count(wiring.neuron_types().begin(), wiring.neuron_types().end(), type));
}

}  // namespace

std::string to_dot(const Wiring& wiring) {
  std::ostringstream out;
  out << "digraph wiring {\n  rankdir=LR;\n"
      << "  node [shape=circle, style=filled, fontname=\"Helvetica\", fontcolor=white];\n";
  out << "  { rank=same;";
  for (int i = 0; i < wiring.input_dim(); ++i) {
    out << " sensory_" << i << " [label=\"s" << i << "\", fillcolor=\"" << kSensoryColour
        << "\", tooltip=\"sensory " << i << "\"];";
  }
  out << " }\n";
  for (NeuronType role : {NeuronType::kInter, NeuronType::kCommand, NeuronType::kMotor}) {
    if (count_of(wiring, role) == 0) continue;
    out << "  { rank=same;";
    for (int id = 0; id < wiring.units(); ++id) {
      if (wiring.neuron_type(id) != role) continue;
      out << " neuron_" << id << " [label=\"" << id << "\", fillcolor=\"" << role_colour(role)
          << "\", tooltip=\"" << neuron_type_name(role) << " " << id << "\"];";
    }
    out << " }\n";
  }
  dot_edges(out, wiring.sensory_adjacency(), "sensory_");
  dot_edges(out, wiring.adjacency(), "neuron_");
  out << "}\n";
  return out.str();
}

std::string summary(const Wiring& wiring) {
  std::ostringstream out;
  const WiringSpec& spec = wiring.spec();
  out << (std::array<std::string_view, 5>{"FullyConnected", "Random", "NCP", "AutoNCP",
                                          "Given"})[spec.index()];
  if (const auto* p = std::get_if<RandomParams>(&spec)) out << ", sparsity " << p->sparsity_level;
  if (const auto* p = std::get_if<AutoNcpParams>(&spec)) out << ", sparsity " << p->sparsity_level;
  out << ": " << wiring.input_dim() << " sensory -> ";
  const bool layered = wiring.kind() == WiringKind::kNcp || wiring.kind() == WiringKind::kAutoNcp;
  if (layered) {
    out << count_of(wiring, NeuronType::kInter) << " inter -> "
        << count_of(wiring, NeuronType::kCommand) << " command -> "
        << count_of(wiring, NeuronType::kMotor) << " motor";
  } else {
    out << wiring.units() << " neurons (" << wiring.output_dim() << " motor)";
  }
  out << "; " << wiring.sensory_synapse_count() << " sensory synapses, " << wiring.synapse_count()
      << " synapses";
  std::visit(
      [&](const auto& p) {
        using P = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<P, FullyConnectedParams>) {
          out << " (seed " << p.erev_init_seed << (p.self_connections ? "" : ", no self connections")
              << ")";
        } else if constexpr (std::is_same_v<P, RandomParams>) {
          out << " (seed " << p.random_seed << ")";
        } else if constexpr (!std::is_same_v<P, GivenParams>) {
          out << " (seed " << p.seed << ")";
        }
      },
      spec);
  return out.str();
}

}  // namespace liquid::lfm
