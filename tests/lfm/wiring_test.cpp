// Wirings against ncps: NumpyRandomState against numpy's legacy RandomState (sequences printed by
// /usr/bin/python3 with numpy 1.24.2), NCP/AutoNCP matrices against ncps's own output
// (tests/data/*.json from the reference models, tests/data/wirings/ from generate_wirings.py).
#include "lfm/wiring.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "lfm/numpy_random.h"

namespace liquid::lfm {
namespace {

const std::filesystem::path kData = LIQUID_TEST_DATA;

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return nlohmann::json::parse(in);
}

AdjacencyMatrix matrix_of(const nlohmann::json& j, const char* key) {
  return adjacency_from_json(j.at(key), key, std::nullopt, std::nullopt);
}

// The message of the std::invalid_argument that `make` throws, or "" if it does not throw.
std::string error_of(const std::function<void()>& make) {
  try {
    make();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

NcpParams reference_ncp() {
  return {.inter_neurons = 5, .command_neurons = 4, .motor_neurons = 2, .sensory_fanout = 3,
          .inter_fanout = 2, .recurrent_command_synapses = 2, .motor_fanin = 3, .seed = 99};
}

// ---- NumpyRandomState against numpy ----------------------------------------------------------

TEST(NumpyRandomState, DrawsTheSameWordsAsNumpyForSmallAndExtremeSeeds) {
  // np.random.RandomState(s).randint(0, 2**32, size=n, dtype=np.uint64) for s = 99, 0, 2**32-1
  const std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>> cases = {
      {99, {2887414401u, 3103284259u, 2096280761u, 3573189800u}},
      {0, {2357136044u, 2546248239u}},
      {4294967295u, {419326371u, 479346978u}}};
  for (const auto& [seed, words] : cases) {
    NumpyRandomState rng(seed);
    for (std::uint32_t word : words) EXPECT_EQ(rng.next_uint32(), word) << "seed " << seed;
  }
}

TEST(NumpyRandomState, PermutationMatchesNumpy) {
  // np.random.RandomState(99).permutation(7)
  NumpyRandomState rng(99);
  EXPECT_EQ(rng.permutation(7), (std::vector<int>{2, 5, 4, 0, 6, 3, 1}));
}

TEST(NumpyRandomState, ChoiceWithoutReplacementMatchesNumpy) {
  // np.random.RandomState(99).choice([3, 4, 5, 6], size=2, replace=False)
  NumpyRandomState rng(99);
  const std::vector<int> population = {3, 4, 5, 6};
  EXPECT_EQ(rng.choice_without_replacement<int>(population, 2), (std::vector<int>{5, 3}));
}

TEST(NumpyRandomState, ChoiceOfPolarityMatchesNumpy) {
  // r = np.random.RandomState(99); [r.choice([-1, 1]) for _ in range(12)]
  NumpyRandomState rng(99);
  const std::vector<int> polarities = {-1, 1};
  std::vector<int> drawn;
  for (int i = 0; i < 12; ++i) drawn.push_back(rng.choice<int>(polarities));
  EXPECT_EQ(drawn, (std::vector<int>{1, 1, 1, -1, 1, -1, -1, -1, 1, -1, 1, 1}));
}

TEST(NumpyRandomState, RandintMatchesNumpyIncludingNegativeLowBounds) {
  // r = np.random.RandomState(99); [r.randint(0, 5) for _ in range(12)]
  NumpyRandomState a(99);
  std::vector<std::int64_t> drawn;
  for (int i = 0; i < 12; ++i) drawn.push_back(a.randint(0, 5));
  EXPECT_EQ(drawn, (std::vector<std::int64_t>{1, 3, 1, 0, 1, 0, 2, 4, 4, 1, 3, 1}));
  // r = np.random.RandomState(7); [r.randint(-3, 4) for _ in range(10)]
  NumpyRandomState b(7);
  drawn.clear();
  for (int i = 0; i < 10; ++i) drawn.push_back(b.randint(-3, 4));
  EXPECT_EQ(drawn, (std::vector<std::int64_t>{1, -2, 3, 0, 0, 1, -2, 3, -3, -2}));
}

TEST(NumpyRandomState, KeepsInStepWithNumpyAcrossMixedCalls) {
  // r = np.random.RandomState(2024); r.permutation(10);
  // r.choice([10, 11, 12, 13, 14, 15], size=3, replace=False); r.choice([-1, 1]);
  // r.randint(0, 1); r.choice([8]); r.permutation(3)
  NumpyRandomState rng(2024);
  EXPECT_EQ(rng.permutation(10), (std::vector<int>{2, 7, 5, 6, 1, 4, 3, 9, 0, 8}));
  const std::vector<int> six = {10, 11, 12, 13, 14, 15};
  EXPECT_EQ(rng.choice_without_replacement<int>(six, 3), (std::vector<int>{15, 11, 10}));
  const std::vector<int> polarities = {-1, 1};
  EXPECT_EQ(rng.choice<int>(polarities), -1);
  EXPECT_EQ(rng.randint(0, 1), 0);  // a range of one value draws nothing
  const std::vector<int> one = {8};
  EXPECT_EQ(rng.choice<int>(one), 8);
  EXPECT_EQ(rng.permutation(3), (std::vector<int>{2, 0, 1}));
}

TEST(NumpyRandomState, ChoiceOfNothingStillShufflesTheWholePopulation) {
  // np.random.RandomState(5).randint(0, 2**31) -> 953453411;
  // r = np.random.RandomState(5); r.choice([1, 2, 3], size=0, replace=False);
  // r.randint(0, 2**31) -> 1423042237, the same as after r.permutation(3)
  NumpyRandomState fresh(5);
  EXPECT_EQ(fresh.randint(0, 2147483648ll), 953453411);
  NumpyRandomState rng(5);
  const std::vector<int> three = {1, 2, 3};
  EXPECT_TRUE(rng.choice_without_replacement<int>(three, 0).empty());
  EXPECT_EQ(rng.randint(0, 2147483648ll), 1423042237);
}

TEST(NumpyRandomState, RejectsSamplesLargerThanThePopulation) {
  NumpyRandomState rng(1);
  const std::vector<int> three = {1, 2, 3};
  EXPECT_THROW(rng.choice_without_replacement<int>(three, 4), std::invalid_argument);
  EXPECT_THROW(rng.randint(3, 3), std::invalid_argument);
}

// ---- NCP and AutoNCP against ncps --------------------------------------------------------------

TEST(NcpWiring, ReproducesTheLtcNcpReferenceMatricesFromItsNcpBlock) {
  const auto reference = read_json(kData / "ltc_ncp.json");
  const WiringSpec spec = spec_from_json({{"kind", "NCP"}, {"params", reference["ncp"]}});
  const Wiring wiring = build_wiring(spec, reference["input_size"].get<int>());
  EXPECT_EQ(wiring.adjacency(), matrix_of(reference, "adjacency_matrix"));
  EXPECT_EQ(wiring.sensory_adjacency(), matrix_of(reference, "sensory_adjacency_matrix"));
  EXPECT_EQ(wiring.synapse_count(), 18);
  EXPECT_EQ(wiring.sensory_synapse_count(), 12);
}

TEST(AutoNcpWiring, ReproducesTheWiredCfcReferenceMatrices) {
  const auto reference = read_json(kData / "wired_cfc_autoncp.json");
  const Wiring wiring = build_wiring(AutoNcpParams{.units = 12, .output_size = 3, .seed = 2024}, 5);
  EXPECT_EQ(wiring.adjacency(), matrix_of(reference, "adjacency_matrix"));
  EXPECT_EQ(wiring.sensory_adjacency(), matrix_of(reference, "sensory_adjacency_matrix"));
}

TEST(NcpWiring, ReproducesEveryWiringGeneratedByNcps) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kData / "wirings")) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().filename().string());
    const auto reference = read_json(entry.path());
    const Wiring wiring = build_wiring(spec_from_json(reference), reference["input_dim"].get<int>());
    EXPECT_EQ(wiring.adjacency(), matrix_of(reference, "adjacency_matrix"));
    EXPECT_EQ(wiring.sensory_adjacency(), matrix_of(reference, "sensory_adjacency_matrix"));
    EXPECT_EQ(wiring.synapse_count(), reference["synapse_count"].get<int>());
    EXPECT_EQ(wiring.sensory_synapse_count(), reference["sensory_synapse_count"].get<int>());
    EXPECT_EQ(wiring.layers(), reference["layers"].get<std::vector<std::vector<int>>>());
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

TEST(AutoNcpWiring, DerivesNcpSizesWithNcpsTruncations) {
  const NcpParams small = to_ncp_params({.units = 12, .output_size = 3});
  EXPECT_EQ(small.inter_neurons, 6);
  EXPECT_EQ(small.command_neurons, 3);
  EXPECT_EQ(small.sensory_fanout, 3);
  EXPECT_EQ(small.inter_fanout, 1);
  EXPECT_EQ(small.recurrent_command_synapses, 3);
  EXPECT_EQ(small.motor_fanin, 1);
  // 1.0 - 0.9 is just below 0.1, so 30 inter neurons give a fanout of 2, not 3.
  const NcpParams sparse = to_ncp_params({.units = 58, .output_size = 8, .sparsity_level = 0.9});
  EXPECT_EQ(sparse.inter_neurons, 30);
  EXPECT_EQ(sparse.command_neurons, 20);
  EXPECT_EQ(sparse.sensory_fanout, 2);
  EXPECT_EQ(sparse.recurrent_command_synapses, 3);
}

TEST(NcpWiring, NumbersNeuronsMotorThenCommandThenInterWithInterAsLayerZero) {
  const Wiring wiring = build_wiring(reference_ncp(), 4);
  EXPECT_EQ(wiring.num_layers(), 3);
  EXPECT_EQ(wiring.neurons_of_layer(0), (std::vector<int>{6, 7, 8, 9, 10}));
  EXPECT_EQ(wiring.neurons_of_layer(1), (std::vector<int>{2, 3, 4, 5}));
  EXPECT_EQ(wiring.neurons_of_layer(2), (std::vector<int>{0, 1}));
  EXPECT_EQ(neuron_type_name(wiring.neuron_type(1)), "motor");
  EXPECT_EQ(neuron_type_name(wiring.neuron_type(2)), "command");
  EXPECT_EQ(neuron_type_name(wiring.neuron_type(6)), "inter");
  EXPECT_EQ(wiring.output_dim(), 2);
  EXPECT_THROW(wiring.neurons_of_layer(3), std::out_of_range);
}

TEST(NcpWiring, RejectsFanoutsLargerThanTheirTargetLayerNamingTheParameter) {
  NcpParams p = reference_ncp();
  p.motor_fanin = 5;
  EXPECT_EQ(error_of([&] { build_wiring(p, 4); }),
            "NCP wiring: motor_fanin is 5; expected 0..4 (at most command_neurons)");
  p = reference_ncp();
  p.sensory_fanout = 6;
  EXPECT_EQ(error_of([&] { build_wiring(p, 4); }),
            "NCP wiring: sensory_fanout is 6; expected 0..5 (at most inter_neurons)");
  p = reference_ncp();
  p.inter_fanout = 9;
  EXPECT_NE(error_of([&] { build_wiring(p, 4); }).find("inter_fanout is 9"), std::string::npos);
  p = reference_ncp();
  p.inter_neurons = 0;
  p.sensory_fanout = 0;
  EXPECT_EQ(error_of([&] { build_wiring(p, 4); }), "NCP wiring: inter_neurons is 0; expected at least 1");
}

TEST(AutoNcpWiring, RejectsTooManyOutputsAndSparsityOutsideNcpsRange) {
  EXPECT_EQ(error_of([] { build_wiring(AutoNcpParams{.units = 12, .output_size = 10}, 4); }),
            "AutoNCP wiring: output_size is 10; expected less than units - 2 = 10");
  EXPECT_EQ(error_of([] {
              build_wiring(AutoNcpParams{.units = 12, .output_size = 3, .sparsity_level = 0.05}, 4);
            }),
            "AutoNCP wiring: sparsity_level is 0.05; expected 0.1..1");
}

// ---- FullyConnected and Random: our MT19937 stream, ncps's structure ---------------------------

TEST(FullyConnectedWiring, ConnectsEveryPairWithAboutTwoThirdsExcitatory) {
  const Wiring wiring = build_wiring(FullyConnectedParams{.units = 64}, 32);
  EXPECT_EQ(wiring.synapse_count(), 64 * 64);
  EXPECT_EQ(wiring.sensory_synapse_count(), 32 * 64);
  EXPECT_EQ(wiring.output_dim(), 64);
  const auto positive = (wiring.adjacency().array() == 1).count() +
                        (wiring.sensory_adjacency().array() == 1).count();
  const double fraction = static_cast<double>(positive) / (64 * 64 + 32 * 64);
  EXPECT_NEAR(fraction, 2.0 / 3.0, 0.03);
}

TEST(FullyConnectedWiring, LeavesTheDiagonalEmptyWithoutSelfConnections) {
  const Wiring wiring =
      build_wiring(FullyConnectedParams{.units = 6, .output_dim = 2, .self_connections = false}, 3);
  EXPECT_EQ(wiring.synapse_count(), 6 * 5);
  EXPECT_TRUE((wiring.adjacency().diagonal().array() == 0).all());
  EXPECT_EQ(neuron_type_name(wiring.neuron_type(1)), "motor");
  EXPECT_EQ(neuron_type_name(wiring.neuron_type(2)), "inter");
}

TEST(RandomWiring, KeepsRoundedDensityTimesPairsWithNumpysHalfToEvenRounding) {
  const Wiring dense = build_wiring(RandomParams{.units = 10, .sparsity_level = 0.25}, 4);
  EXPECT_EQ(dense.synapse_count(), 75);
  EXPECT_EQ(dense.sensory_synapse_count(), 30);
  // np.round(12.5) == 12 and np.round(2.5) == 2.
  const Wiring half = build_wiring(RandomParams{.units = 5, .sparsity_level = 0.5}, 1);
  EXPECT_EQ(half.synapse_count(), 12);
  EXPECT_EQ(half.sensory_synapse_count(), 2);
  EXPECT_EQ(error_of([] { build_wiring(RandomParams{.units = 5, .sparsity_level = 1.0}, 1); }),
            "Random wiring: sparsity_level is 1; expected [0, 1)");
}

TEST(RandomWiring, GivesIdenticalWiringsForTheSameSeedAndOthersForAnother) {
  const RandomParams p{.units = 12, .output_dim = 3, .sparsity_level = 0.5, .random_seed = 7};
  EXPECT_EQ(build_wiring(p, 4), build_wiring(p, 4));
  RandomParams other = p;
  other.random_seed = 8;
  EXPECT_NE(build_wiring(p, 4).adjacency(), build_wiring(other, 4).adjacency());
  EXPECT_EQ(build_wiring(FullyConnectedParams{.units = 5}, 2),
            build_wiring(FullyConnectedParams{.units = 5}, 2));
}

TEST(Wiring, StartsReversalPotentialsAtThePolarities) {
  const Wiring wiring = build_wiring(reference_ncp(), 4);
  EXPECT_EQ(wiring.erev_init(), wiring.adjacency().cast<float>());
  EXPECT_EQ(wiring.sensory_erev_init()(0, 6), -1.0f);
  EXPECT_EQ(wiring.sensory_erev_init()(0, 8), 1.0f);
}

// ---- JSON ---------------------------------------------------------------------------------------

TEST(WiringJson, RoundTripsEveryKind) {
  const Wiring fully = build_wiring(FullyConnectedParams{.units = 4, .erev_init_seed = 3}, 2);
  const std::vector<Wiring> wirings = {
      fully,
      build_wiring(RandomParams{.units = 6, .output_dim = 2, .sparsity_level = 0.3}, 3),
      build_wiring(reference_ncp(), 4),
      build_wiring(AutoNcpParams{.units = 12, .output_size = 3, .seed = 2024}, 5),
      build_wiring(GivenParams{2, fully.adjacency(), fully.sensory_adjacency()}, 2)};
  for (const Wiring& wiring : wirings) {
    SCOPED_TRACE(kind_name(wiring.kind()));
    const nlohmann::json j = to_json(wiring);
    EXPECT_EQ(wiring_from_json(j), wiring);
    EXPECT_EQ(wiring_from_json(nlohmann::json::parse(j.dump())), wiring);
  }
}

TEST(WiringJson, WritesKindParamsCountsAndRowsAsSources) {
  const nlohmann::json j = to_json(build_wiring(reference_ncp(), 4));
  EXPECT_EQ(j["kind"], "ncp");
  EXPECT_EQ(j["params"]["motor_fanin"], 3);
  EXPECT_EQ(j["params"]["seed"], 99);
  EXPECT_EQ(j["synapse_count"], 18);
  EXPECT_EQ(j["sensory_adjacency_matrix"][0],
            nlohmann::json({0, 0, 0, 0, 0, 0, -1, 0, 1, 0, -1}));
}

TEST(WiringJson, TakesGivenMatricesOverTheSeedToReproduceNcpsFullyConnected) {
  // ncps drew these polarities with default_rng(1111), which we do not replicate.
  const auto reference = read_json(kData / "ltc_fully_connected.json");
  nlohmann::json j = {{"kind", "FullyConnected"},
                      {"params", {{"units", 8}, {"output_dim", 8}}},
                      {"input_dim", 5},
                      {"adjacency_matrix", reference["adjacency_matrix"]},
                      {"sensory_adjacency_matrix", reference["sensory_adjacency_matrix"]}};
  const Wiring wiring = wiring_from_json(j);
  EXPECT_EQ(wiring.adjacency(), matrix_of(reference, "adjacency_matrix"));
  EXPECT_EQ(wiring.sensory_adjacency(), matrix_of(reference, "sensory_adjacency_matrix"));
  EXPECT_EQ(wiring.kind(), WiringKind::kFullyConnected);
}

TEST(WiringJson, NamesFieldRowColumnAndExpectationForBadMatrices) {
  nlohmann::json j = to_json(build_wiring(reference_ncp(), 4));
  nlohmann::json bad = j;
  bad["adjacency_matrix"][3][5] = 2;
  EXPECT_EQ(error_of([&] { wiring_from_json(bad); }),
            "adjacency_matrix row 3, column 5: expected -1, 0 or 1, got 2");
  bad = j;
  bad["sensory_adjacency_matrix"][2].push_back(0);
  EXPECT_EQ(error_of([&] { wiring_from_json(bad); }),
            "sensory_adjacency_matrix row 2: expected 11 columns, got 12");
  bad = j;
  bad["adjacency_matrix"].erase(0);
  EXPECT_EQ(error_of([&] { wiring_from_json(bad); }), "adjacency_matrix: expected 11 rows, got 10");
  bad = j;
  bad["sensory_adjacency_matrix"] = "none";
  EXPECT_EQ(error_of([&] { wiring_from_json(bad); }),
            "sensory_adjacency_matrix: expected an array of rows, got string");
  bad = j;
  bad.erase("sensory_adjacency_matrix");
  EXPECT_NE(error_of([&] { wiring_from_json(bad); }).find("sensory_adjacency_matrix: missing"),
            std::string::npos);
}

TEST(WiringJson, RejectsUnknownKindsAndOutOfRangeSeeds) {
  EXPECT_EQ(error_of([] { spec_from_json({{"kind", "mesh"}}); }),
            "wiring kind \"mesh\" unknown; expected fully_connected, random, ncp, auto_ncp or given");
  EXPECT_EQ(error_of([] {
              spec_from_json({{"kind", "auto_ncp"},
                              {"params", {{"units", 12}, {"output_size", 3}, {"seed", -1}}}});
            }),
            "AutoNCP wiring: parameter 'seed' must be an integer in 0..4294967295, got -1");
  EXPECT_EQ(error_of([] { spec_from_json({{"kind", "ncp"}, {"params", {{"inter_neurons", 5}}}}); }),
            "NCP wiring: 'command_neurons' is missing");
}

// ---- DOT and summary ----------------------------------------------------------------------------

TEST(WiringDot, ColoursSynapsesByPolarityAndNeuronsByRole) {
  const std::string dot = to_dot(build_wiring(reference_ncp(), 4));
  EXPECT_EQ(dot.rfind("digraph wiring {", 0), 0u);
  EXPECT_NE(dot.find("sensory_0 -> neuron_6 [color=\"#d62728\", arrowhead=tee];"), std::string::npos);
  EXPECT_NE(dot.find("sensory_0 -> neuron_8 [color=\"#2ca02c\"];"), std::string::npos);
  EXPECT_NE(dot.find("neuron_2 -> neuron_0 [color=\"#2ca02c\"];"), std::string::npos);
  EXPECT_NE(dot.find("neuron_2 [label=\"2\", fillcolor=\"#9467bd\", tooltip=\"command 2\"]"),
            std::string::npos);
  const auto edges = std::count(dot.begin(), dot.end(), '>');
  EXPECT_EQ(edges, 18 + 12);
}

TEST(WiringSummary, ListsLayersSynapsesAndSeedOnOneLine) {
  EXPECT_EQ(summary(build_wiring(reference_ncp(), 4)),
            "NCP: 4 sensory -> 5 inter -> 4 command -> 2 motor; 12 sensory synapses, 18 synapses "
            "(seed 99)");
  EXPECT_EQ(summary(build_wiring(AutoNcpParams{.units = 12, .output_size = 3, .seed = 2024}, 5)),
            "AutoNCP, sparsity 0.5: 5 sensory -> 6 inter -> 3 command -> 3 motor; 15 sensory "
            "synapses, 13 synapses (seed 2024)");
  EXPECT_EQ(summary(build_wiring(FullyConnectedParams{.units = 8, .output_dim = 2}, 5)),
            "FullyConnected: 5 sensory -> 8 neurons (2 motor); 40 sensory synapses, 64 synapses "
            "(seed 1111)");
}

}  // namespace
}  // namespace liquid::lfm
