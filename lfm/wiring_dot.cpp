// Wirings for people: a Graphviz graph and a one-line summary.
#include <sstream>
#include <string>

#include "lfm/wiring.h"

namespace liquid::lfm {

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
