// Wirings: which neuron feeds which, and with what polarity, as in ncps (mlech26l/ncps v1.0.1,
// ncps/wirings/wirings.py). A Wiring is plain data that cells consume as masks; cells never build one.
//
//   Wiring w = build_wiring(NcpParams{.inter_neurons = 5, .command_neurons = 4, .motor_neurons = 2,
//                                     .sensory_fanout = 3, .inter_fanout = 2,
//                                     .recurrent_command_synapses = 2, .motor_fanin = 3, .seed = 99},
//                           /*input_dim=*/4);
//   w.adjacency()(src, dest)  // polarity of the synapse src -> dest: -1, 0 (none) or +1
//   summary(w)                // "NCP: 4 sensory -> 5 inter -> 4 command -> 2 motor; ..."
//
// Neuron ids follow ncps: motor neurons first (0..output_dim-1, so the first output_dim states are
// the outputs), then command, then inter. Layers are ncps's get_neurons_of_layer: for NCP layer 0
// is inter, 1 command, 2 motor; every other kind has one layer holding all neurons.
//
// Reproducibility. NCP and AutoNCP draw from numpy's legacy RandomState (NumpyRandomState), so a
// seed gives exactly ncps's matrices. FullyConnected and Random use numpy's default_rng (PCG64)
// in ncps, which is not reproduced: here they draw from the same MT19937 with the given seed, so
// they are deterministic and statistically alike but not ncps's pattern. To reproduce an ncps
// FullyConnected or Random model exactly, load its adjacency matrices: JSON matrices always win
// over the seed (wiring_from_json), or use the Given kind.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

namespace liquid::lfm {

// adjacency(src, dest) is the polarity of src -> dest in {-1, 0, 1}; rows are sources, as in ncps.
using AdjacencyMatrix = Eigen::Matrix<std::int8_t, Eigen::Dynamic, Eigen::Dynamic>;

enum class NeuronType { kMotor, kCommand, kInter };
// In the order of WiringSpec's alternatives below, so a spec's index is its kind.
enum class WiringKind { kFullyConnected, kRandom, kNcp, kAutoNcp, kGiven };

// Parameter names and defaults are ncps's constructor arguments, so a config maps one to one.
struct FullyConnectedParams {
  int units = 0;
  std::optional<int> output_dim = std::nullopt;  // ncps: all units are outputs when absent
  std::uint32_t erev_init_seed = 1111;
  bool self_connections = true;
};

struct RandomParams {
  int units = 0;
  std::optional<int> output_dim = std::nullopt;  // ncps: all units are outputs when absent
  double sparsity_level = 0.0;    // fraction of synapses left out, in [0, 1)
  std::uint32_t random_seed = 1111;
};

struct NcpParams {
  int inter_neurons = 0;
  int command_neurons = 0;
  int motor_neurons = 0;
  int sensory_fanout = 0;  // synapses from each sensory neuron to inter neurons
  int inter_fanout = 0;    // synapses from each inter neuron to command neurons
  int recurrent_command_synapses = 0;
  int motor_fanin = 0;     // synapses into each motor neuron from command neurons
  std::uint32_t seed = 22222;
};

struct AutoNcpParams {
  int units = 0;
  int output_size = 0;
  double sparsity_level = 0.5;  // ncps accepts [0.1, 1.0]
  std::uint32_t seed = 22222;
};

// Matrices taken as they are, e.g. exported from an ncps model. Plain layout: one layer,
// neurons below output_dim are motor. The sensory matrix's rows fix input_dim.
struct GivenParams {
  int output_dim = 0;
  AdjacencyMatrix adjacency{};
  AdjacencyMatrix sensory_adjacency{};
};

using WiringSpec =
    std::variant<FullyConnectedParams, RandomParams, NcpParams, AutoNcpParams, GivenParams>;

class Wiring {
 public:
  // Checks that everything agrees (shapes, polarities, layers, types) and throws
  // std::invalid_argument naming the field otherwise. build_wiring is the usual way in.
  Wiring(WiringSpec spec, int output_dim, AdjacencyMatrix adjacency,
         AdjacencyMatrix sensory_adjacency, std::vector<std::vector<int>> layers,
         std::vector<NeuronType> neuron_types);

  const WiringSpec& spec() const { return spec_; }
  WiringKind kind() const;
  int units() const { return static_cast<int>(adjacency_.rows()); }
  int input_dim() const { return static_cast<int>(sensory_adjacency_.rows()); }
  int output_dim() const { return output_dim_; }

  const AdjacencyMatrix& adjacency() const { return adjacency_; }
  const AdjacencyMatrix& sensory_adjacency() const { return sensory_adjacency_; }
  int synapse_count() const;          // non-zero entries of adjacency()
  int sensory_synapse_count() const;  // non-zero entries of sensory_adjacency()

  // Initial reversal potentials: the polarities as floats (ncps's erev_initializer).
  Eigen::MatrixXf erev_init() const { return adjacency_.cast<float>(); }
  Eigen::MatrixXf sensory_erev_init() const { return sensory_adjacency_.cast<float>(); }

  int num_layers() const { return static_cast<int>(layers_.size()); }
  const std::vector<int>& neurons_of_layer(int layer) const;  // throws std::out_of_range
  const std::vector<std::vector<int>>& layers() const { return layers_; }
  NeuronType neuron_type(int neuron) const;                    // throws std::out_of_range
  const std::vector<NeuronType>& neuron_types() const { return neuron_types_; }

  // The same layers and types with other matrices (an ncps model's own), validated like JSON.
  Wiring with_matrices(AdjacencyMatrix adjacency, AdjacencyMatrix sensory_adjacency) const;

  friend bool operator==(const Wiring& a, const Wiring& b);

 private:
  WiringSpec spec_;
  int output_dim_ = 0;
  AdjacencyMatrix adjacency_;
  AdjacencyMatrix sensory_adjacency_;
  std::vector<std::vector<int>> layers_;
  std::vector<NeuronType> neuron_types_;
};

// ncps's build(input_dim): validates the parameters like ncps (std::invalid_argument naming the
// parameter and its valid range) and draws the synapses.
Wiring build_wiring(const WiringSpec& spec, int input_dim);

// The NCP that AutoNCP derives from units, output_size and sparsity, with ncps's truncations.
NcpParams to_ncp_params(const AutoNcpParams& params);

WiringKind kind_of(const WiringSpec& spec);
std::string_view kind_name(WiringKind kind);        // "fully_connected", "random", "ncp", ...
std::string_view neuron_type_name(NeuronType type);  // "motor", "command", "inter"

// JSON: {"kind", "params" (ncps's argument names), "units", "input_dim", "output_dim",
// "synapse_count", "sensory_synapse_count", "adjacency_matrix", "sensory_adjacency_matrix"},
// matrices as arrays of rows (row = source). spec_to_json writes only kind and params (and, for
// Given, the two matrices). "kind" also accepts ncps class names (NCP, AutoNCP, ...).
nlohmann::json to_json(const Wiring& wiring);
nlohmann::json spec_to_json(const WiringSpec& spec);
WiringSpec spec_from_json(const nlohmann::json& json);
// Matrices in the JSON win over the seed; they are checked against the spec's shape and values,
// throwing std::invalid_argument with the field, row, column, expected and got.
Wiring wiring_from_json(const nlohmann::json& json);
AdjacencyMatrix adjacency_from_json(const nlohmann::json& rows, std::string_view field,
                                    std::optional<int> expected_rows,
                                    std::optional<int> expected_cols);

// Graphviz: sensory, inter, command and motor neurons ranked left to right and coloured by role;
// excitatory synapses green, inhibitory red. Node names follow ncps's get_graph.
std::string to_dot(const Wiring& wiring);

// One line for `liquid info`, e.g.
// "NCP: 4 sensory -> 5 inter -> 4 command -> 2 motor; 12 sensory synapses, 18 synapses (seed 99)".
std::string summary(const Wiring& wiring);

}  // namespace liquid::lfm
