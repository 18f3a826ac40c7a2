// Wiring construction (ncps's build()) and validation; JSON is in wiring_json.cpp, DOT and the
// summary in wiring_dot.cpp. Draw order matters: every
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

}  // namespace liquid::lfm
